//! One-time links: a random 256-bit token in the URL, its SHA-256 in `email_links`.

use super::{INVITE_TTL, RESET_TTL, VERIFY_TTL};
use crate::crypto::{random_token, sha256};
use crate::state::AppState;
pub use crate::store::email::SpentLink as Spent;
use crate::store::email::{self as store, LinkKind};
use crate::store::{Result, Tx};

/// The hosted page a link opens.
pub fn page(kind: LinkKind) -> &'static str {
    match kind {
        LinkKind::Reset => "/password/reset",
        LinkKind::Verify => "/email/verify",
        LinkKind::Invite => "/invitation",
    }
}

fn ttl(kind: LinkKind) -> i64 {
    match kind {
        LinkKind::Reset => RESET_TTL,
        LinkKind::Verify => VERIFY_TTL,
        LinkKind::Invite => INVITE_TTL,
    }
}

/// Stores a new link for `user_id` and returns its URL under the issuer.
pub async fn make(
    tx: &mut Tx,
    state: &AppState,
    kind: LinkKind,
    user_id: &str,
    client_id: Option<&str>,
    now: i64,
) -> Result<String> {
    let token = random_token(32);
    store::insert_link(
        tx,
        &sha256(&token),
        kind,
        user_id,
        client_id,
        now,
        ttl(kind),
    )
    .await?;
    Ok(state.url(&format!("{}?token={token}", page(kind))))
}

/// Whether `token` can be a link token at all: 43 URL-safe characters (anything else is
/// refused before it is hashed or looked up).
fn well_formed(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The email address a good link was sent to (the link stays unspent).
pub async fn peek(state: &AppState, kind: LinkKind, token: &str) -> Result<Option<String>> {
    if !well_formed(token) {
        return Ok(None);
    }
    store::peek_link(&state.db.read, &sha256(token), kind, crate::store::now()).await
}

/// Spends the link `token` of `kind`, if it is good (see [`store::spend_link`]).
pub async fn spend(tx: &mut Tx, kind: LinkKind, token: &str, now: i64) -> Result<Option<Spent>> {
    if !well_formed(token) {
        return Ok(None);
    }
    store::spend_link(tx, &sha256(token), kind, now).await
}
