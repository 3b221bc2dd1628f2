//! Account flows by email, shared by the hosted pages and `/v1/auth/*`: a forgotten
//! password (`forgot_password` → `reset_password`), email verification
//! (`send_verification` → `verify_email`) and invitations (`invite` →
//! `accept_invitation`). Links are random 256-bit tokens stored as SHA-256, single use,
//! with an absolute end; the email is queued in the transaction that makes the link.

mod links;
pub use links::peek;

use crate::audit::Event;
use crate::crypto::hash_password;
use crate::domain::RequestMeta;
use crate::mail::compose::{self, About};
use crate::state::AppState;
use crate::store::email::LinkKind;
use crate::store::users::{self, UserRow};
use crate::store::{now, sessions, StoreError, Tx};
use crate::throttle::hashing::HashRefused;
use serde_json::json;

/// A reset link lives an hour; an invitation a week; a verification link a week.
pub const RESET_TTL: i64 = 3600;
pub const INVITE_TTL: i64 = 7 * 86_400;
pub const VERIFY_TTL: i64 = 7 * 86_400;
/// At most this many reset emails per account in [`RESET_WINDOW`] (no mailbox flooding).
const RESETS_PER_WINDOW: i64 = 3;
const RESET_WINDOW: i64 = 15 * 60;

/// Audit types of these flows.
pub mod kind {
    /// A reset email was asked for (failure: unknown address, or too many asked for).
    pub const RESET_REQUESTED: &str = "password.reset_requested";
    /// A password was reset through a link (failure: the link was bad).
    pub const PASSWORD_RESET: &str = "password.reset";
    pub const EMAIL_VERIFIED: &str = "email.verified";
    pub const INVITATION_SENT: &str = "user.invited";
    pub const INVITATION_ACCEPTED: &str = "user.invitation_accepted";
}

/// Why a flow did not go through.
#[derive(Debug)]
pub enum FlowError {
    /// No SMTP server is configured: the flows that send email are off.
    EmailOff,
    /// The link is unknown, spent or expired.
    InvalidLink,
    /// The new password breaks the rules (the message says which).
    WeakPassword(&'static str),
    /// The hashing bound is full.
    Busy,
    Store(StoreError),
}

impl From<StoreError> for FlowError {
    fn from(e: StoreError) -> Self {
        FlowError::Store(e)
    }
}

/// The password rules everywhere (length in characters, 8 to 1024: NIST SP 800-63B
/// §5.1.1.2 asks for at least 8 and room for long passphrases).
pub fn password_problem(password: &str) -> Option<&'static str> {
    match password.chars().count() {
        n if n < 8 => Some("must be at least 8 characters"),
        n if n > 1024 => Some("must be at most 1024 characters"),
        _ => None,
    }
}

/// The product an email is about (its name in the subject), or Tessera itself.
async fn product_name(state: &AppState, client_id: Option<&str>) -> String {
    if let Some(id) = client_id {
        if let Ok(Some(c)) = state.clients.get(&state.db.read, id).await {
            if c.product_id.is_some() {
                return c.name.clone();
            }
        }
    }
    "Tessera".to_string()
}

/// "Forgot password": when `email` names an active account (not a pending invitation)
/// and it was not sent too many resets lately, queues a reset email. The caller answers
/// the same whatever happened here (no account probing), so this runs after the answer
/// is decided; every outcome is audited.
pub async fn forgot_password(
    state: &AppState,
    client_id: Option<&str>,
    email: &str,
    meta: &RequestMeta,
) -> Result<(), FlowError> {
    if !state.mail.enabled() {
        return Err(FlowError::EmailOff);
    }
    let user = users::find_user_by_email(&state.db.read, email).await?;
    let Some(user) = user.filter(|u| u.is_active() && u.invited_at.is_none()) else {
        let e = Event::failure(kind::RESET_REQUESTED)
            .meta(meta)
            .detail(json!({"reason": "unknown_email"}));
        let e = match client_id {
            Some(c) => e.client(c),
            None => e,
        };
        let _ = state.audit.append(e).await;
        return Ok(());
    };
    let now = now();
    let mut tx = state.db.begin().await?;
    let recent =
        crate::store::email::links_since(&mut tx, &user.id, LinkKind::Reset, now - RESET_WINDOW)
            .await?;
    let mut event = if recent >= RESETS_PER_WINDOW {
        Event::failure(kind::RESET_REQUESTED).detail(json!({"reason": "too_many"}))
    } else {
        email_link(&mut tx, state, LinkKind::Reset, &user, client_id, now).await?;
        Event::success(kind::RESET_REQUESTED)
    }
    .meta(meta)
    .subject(&user.id);
    if let Some(c) = client_id {
        event = event.client(c);
    }
    event.write(&mut tx).await?;
    tx.commit().await?;
    state.mail.wake();
    Ok(())
}

/// Password-reset requests handled at once (each a lookup, maybe an email queued).
static FORGOT_PLACES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(16);

/// [`forgot_password`] after the caller has answered: the answer neither waits for nor
/// depends on the lookup. A flood of requests waits here for one of 16 places instead
/// of piling up work behind the answers.
pub async fn forgot_password_later(
    state: crate::state::Shared,
    client_id: Option<String>,
    email: String,
    meta: RequestMeta,
) {
    let Ok(place) = FORGOT_PLACES.acquire().await else {
        return;
    };
    tokio::spawn(async move {
        let _place = place;
        if let Err(e) = forgot_password(&state, client_id.as_deref(), &email, &meta).await {
            tracing::error!(error = ?e, "cannot handle a password-reset request");
        }
    });
}

/// Sets a new password through a reset link: the link is spent, the email counts as
/// verified, the account's sign-in failures are forgotten, and every session of the
/// user ends (their refresh tokens revoked).
pub async fn reset_password(
    state: &AppState,
    token: &str,
    password: &str,
    meta: &RequestMeta,
) -> Result<UserRow, FlowError> {
    let hash = new_password_hash(state, meta, password).await?;
    let now = now();
    let (mut tx, link) = spend(
        state,
        LinkKind::Reset,
        token,
        meta,
        kind::PASSWORD_RESET,
        now,
    )
    .await?;
    users::set_password_hash(&mut tx, &link.user_id, &hash, now).await?;
    users::mark_email_verified(&mut tx, &link.user_id, now).await?;
    // Whoever proved they hold the mailbox is not kept out by failures someone (maybe an
    // attacker) piled onto the account.
    let keys = crate::throttle::LoginKeys::new(Some(&link.user_id), "", meta);
    crate::throttle::reset_account_in(&mut tx, &keys).await?;
    let ended = sessions::end_user_sessions(&mut tx, &link.user_id, now).await?;
    let families =
        sessions::revoke_user_families(&mut tx, &link.user_id, None, "password_reset", now).await?;
    let mut event = Event::success(kind::PASSWORD_RESET)
        .meta(meta)
        .subject(&link.user_id)
        .detail(json!({"sessions_ended": ended, "families_revoked": families}));
    if let Some(c) = &link.client_id {
        event = event.client(c);
    }
    event.write(&mut tx).await?;
    let user = users::find_user_tx(&mut tx, &link.user_id).await?;
    tx.commit().await?;
    user.ok_or(FlowError::InvalidLink)
}

/// Queues a verification email for `user` (a new account) in `tx`; `false` when email
/// is off (nothing queued). Call `state.mail.wake()` after the commit.
pub async fn send_verification(
    tx: &mut Tx,
    state: &AppState,
    user: &UserRow,
    client_id: Option<&str>,
) -> Result<bool, StoreError> {
    if !state.mail.enabled() || user.email_verified {
        return Ok(false);
    }
    email_link(tx, state, LinkKind::Verify, user, client_id, now()).await?;
    Ok(true)
}

/// Spends a verification link: the user's email is verified.
pub async fn verify_email(
    state: &AppState,
    token: &str,
    meta: &RequestMeta,
) -> Result<UserRow, FlowError> {
    let now = now();
    let (mut tx, link) = spend(
        state,
        LinkKind::Verify,
        token,
        meta,
        kind::EMAIL_VERIFIED,
        now,
    )
    .await?;
    users::mark_email_verified(&mut tx, &link.user_id, now).await?;
    Event::success(kind::EMAIL_VERIFIED)
        .meta(meta)
        .subject(&link.user_id)
        .write(&mut tx)
        .await?;
    let user = users::find_user_tx(&mut tx, &link.user_id).await?;
    tx.commit().await?;
    user.ok_or(FlowError::InvalidLink)
}

/// Invites `user` (a new account without a password, or one whose invitation is resent)
/// in `tx`: earlier invitation links stop working, a new one is emailed. The caller
/// checked that email is on, writes its own audit event and wakes the sender after the
/// commit.
pub async fn invite(
    tx: &mut Tx,
    state: &AppState,
    user: &UserRow,
    client_id: Option<&str>,
) -> Result<(), FlowError> {
    if !state.mail.enabled() {
        return Err(FlowError::EmailOff);
    }
    let now = now();
    crate::store::email::end_links(tx, &user.id, LinkKind::Invite, now).await?;
    users::mark_invited(tx, &user.id, now).await?;
    email_link(tx, state, LinkKind::Invite, user, client_id, now).await?;
    Ok(())
}

/// Accepts an invitation: the link is spent, the password set, the email verified.
/// Returns the user and the product client the invitation named.
pub async fn accept_invitation(
    state: &AppState,
    token: &str,
    password: &str,
    meta: &RequestMeta,
) -> Result<(UserRow, Option<String>), FlowError> {
    let hash = new_password_hash(state, meta, password).await?;
    let now = now();
    let (mut tx, link) = spend(
        state,
        LinkKind::Invite,
        token,
        meta,
        kind::INVITATION_ACCEPTED,
        now,
    )
    .await?;
    users::set_password_hash(&mut tx, &link.user_id, &hash, now).await?;
    users::mark_email_verified(&mut tx, &link.user_id, now).await?;
    let mut event = Event::success(kind::INVITATION_ACCEPTED)
        .meta(meta)
        .subject(&link.user_id);
    if let Some(c) = &link.client_id {
        event = event.client(c);
    }
    event.write(&mut tx).await?;
    let user = users::find_user_tx(&mut tx, &link.user_id).await?;
    tx.commit().await?;
    Ok((user.ok_or(FlowError::InvalidLink)?, link.client_id))
}

/// Makes a link of `kind` for `user` and queues its email (the product's name in it).
async fn email_link(
    tx: &mut Tx,
    state: &AppState,
    kind: LinkKind,
    user: &UserRow,
    client_id: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    let name = product_name(state, client_id).await;
    let link = links::make(tx, state, kind, &user.id, client_id, now).await?;
    let about = About {
        product: &name,
        to: &user.email,
    };
    let email = match kind {
        LinkKind::Reset => compose::reset(&about, &link, "1 hour"),
        LinkKind::Verify => compose::verify(&about, &link, "7 days"),
        LinkKind::Invite => compose::invite(&about, &link, "7 days"),
    };
    crate::mail::queue(tx, state.keys.kek(), &email, now).await?;
    Ok(())
}

/// Opens the write transaction and spends the link `token` of `kind` in it; a bad link
/// is refused (audited as a failed `event`, after the transaction is let go).
async fn spend(
    state: &AppState,
    kind: LinkKind,
    token: &str,
    meta: &RequestMeta,
    event: &str,
    now: i64,
) -> Result<(Tx, links::Spent), FlowError> {
    let mut tx = state.db.begin().await?;
    match links::spend(&mut tx, kind, token, now).await? {
        Some(link) => Ok((tx, link)),
        None => {
            drop(tx);
            refused(state, meta, event).await;
            Err(FlowError::InvalidLink)
        }
    }
}

/// Checks and hashes a new password (through the hashing bound).
async fn new_password_hash(
    state: &AppState,
    meta: &RequestMeta,
    password: &str,
) -> Result<String, FlowError> {
    if let Some(problem) = password_problem(password) {
        return Err(FlowError::WeakPassword(problem));
    }
    let password = password.to_string();
    state
        .hashing
        .run(crate::throttle::source_key(meta).as_deref(), move || {
            hash_password(&password)
        })
        .await
        .map_err(|e| match e {
            HashRefused::Busy => FlowError::Busy,
            HashRefused::Failed => {
                FlowError::Store(StoreError::Corrupt("password hashing failed".into()))
            }
        })
}

/// Records a refused link (unknown, spent or expired).
async fn refused(state: &AppState, meta: &RequestMeta, kind: &str) {
    let event = Event::failure(kind)
        .meta(meta)
        .detail(json!({"reason": "invalid_link"}));
    if state.audit.append(event).await.is_err() {
        tracing::error!("cannot record a refused email link");
    }
}
