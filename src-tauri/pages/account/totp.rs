//! The authenticator app (TOTP) and recovery codes on the account page: set one up (the
//! key shown once, confirmed with its first code), remove it, and get new recovery codes.
//! Each is a change (fresh sign-in, CSRF token). The key waits, sealed, in an unconfirmed
//! `totp_factors` row until its first code confirms it; sign-in ignores such a row.

use super::{view, Account, Change};
use crate::audit::kind;
use crate::domain::RequestMeta;
use crate::mfa::{self, recovery, totp};
use crate::pages::mfa::{authenticator_key, recovery_codes};
use crate::pages::{alert, hidden, page};
use crate::state::Shared;
use crate::store::{mfa as store, now, StoreError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use serde_json::json;

/// `POST /account/totp/start`: a new key, shown with the form for its first code.
pub async fn start(State(s): State<Shared>, Change(account, _): Change) -> Response {
    let user_id = &account.user.id;
    let Some((secret, sealed)) = mfa::new_secret(s.keys.kek(), user_id) else {
        return crate::pages::server_error();
    };
    let started: Result<bool, StoreError> = async {
        let mut tx = s.db.begin().await?;
        let started = store::start_totp(&mut tx, user_id, &sealed, now()).await?;
        tx.commit().await?;
        Ok(started)
    }
    .await;
    match started {
        Ok(true) => setup_page(StatusCode::OK, &account, &secret, None),
        Ok(false) => already(&s, &account).await,
        Err(_) => crate::pages::server_error(),
    }
}

/// `POST /account/totp/confirm` (`code`): the first code of the waiting key. Right → the
/// factor is confirmed (its step spent), 10 new recovery codes, `mfa.enrolled`, and the
/// codes are shown once.
pub async fn confirm(
    State(s): State<Shared>,
    meta: RequestMeta,
    Change(account, p): Change,
) -> Response {
    let user_id = &account.user.id;
    let sealed = match store::pending_totp(&s.db.read, user_id).await {
        Ok(Some(sealed)) => sealed,
        Ok(None) => return already(&s, &account).await,
        Err(_) => return crate::pages::server_error(),
    };
    let Some(secret) = mfa::open_secret(s.keys.kek(), user_id, &sealed) else {
        return crate::pages::server_error();
    };
    let code = p.get("code").unwrap_or("").trim();
    let Some(step) = totp::matching_step(&secret, code, now(), 0) else {
        let msg = "That code is not right. Enter the code your app shows now.";
        return setup_page(StatusCode::UNAUTHORIZED, &account, &secret, Some(msg));
    };
    let (codes, hashes) = recovery::generate();
    let saved: Result<bool, StoreError> = async {
        let t = now();
        let mut tx = s.db.begin().await?;
        if !store::confirm_totp(&mut tx, user_id, &sealed, step, t).await? {
            return Ok(false);
        }
        store::replace_recovery_codes(&mut tx, user_id, &hashes, t).await?;
        account
            .event(kind::MFA_ENROLLED, &meta)
            .detail(json!({"factor": "totp", "recovery_codes": hashes.len()}))
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
    .await;
    match saved {
        Ok(true) => codes_page("Your authenticator app is set up", &codes),
        Ok(false) => already(&s, &account).await,
        Err(_) => crate::pages::server_error(),
    }
}

/// `POST /account/totp/remove`: the authenticator app and its recovery codes go.
pub async fn remove(
    State(s): State<Shared>,
    meta: RequestMeta,
    Change(account, _): Change,
) -> Response {
    let user_id = &account.user.id;
    let removed: Result<bool, StoreError> = async {
        let mut tx = s.db.begin().await?;
        if !store::remove_totp(&mut tx, user_id).await? {
            return Ok(false);
        }
        account
            .event(kind::MFA_REMOVED, &meta)
            .detail(json!({"factor": "totp"}))
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
    .await;
    match removed {
        Ok(true) => crate::oauth::authorize::see_other("/account/?done=totp_removed", None),
        Ok(false) => view::render(&s, &account, view::Notice::None).await,
        Err(_) => crate::pages::server_error(),
    }
}

/// `POST /account/recovery-codes`: 10 new codes replace the old ones (used or not); only
/// with an authenticator app set up.
pub async fn regenerate(
    State(s): State<Shared>,
    meta: RequestMeta,
    Change(account, _): Change,
) -> Response {
    let user_id = &account.user.id;
    match store::factors(&s.db.read, user_id).await {
        Ok(f) if f.totp > 0 => {}
        Ok(_) => {
            let msg = "Recovery codes come with an authenticator app: set one up first.";
            let notice = view::Notice::error(StatusCode::CONFLICT, msg);
            return view::render(&s, &account, notice).await;
        }
        Err(_) => return crate::pages::server_error(),
    }
    let (codes, hashes) = recovery::generate();
    let saved: Result<(), StoreError> = async {
        let mut tx = s.db.begin().await?;
        store::replace_recovery_codes(&mut tx, user_id, &hashes, now()).await?;
        account
            .event(kind::MFA_RECOVERY_CODES_REPLACED, &meta)
            .detail(json!({"recovery_codes": hashes.len()}))
            .write(&mut tx)
            .await?;
        tx.commit().await
    }
    .await;
    match saved {
        Ok(()) => codes_page("New recovery codes", &codes),
        Err(_) => crate::pages::server_error(),
    }
}

/// The page with a new key and the form for its first code.
fn setup_page(
    status: StatusCode,
    account: &Account,
    secret: &[u8],
    error: Option<&str>,
) -> Response {
    let body = html! {
        h1 { "Set up an authenticator app" }
        p { "Scan this code with an authenticator app, then enter the 6-digit code it shows." }
        (alert(error))
        (authenticator_key(secret, &account.user.email))
        form method="post" action="/account/totp/confirm" {
            (hidden("csrf_token", &account.csrf))
            label for="code" { "Code" }
            input id="code" name="code" type="text" inputmode="numeric"
                autocomplete="one-time-code" maxlength="64" required autofocus;
            button type="submit" { "Verify" }
        }
        p { a href="/account/" { "Cancel" } }
    };
    page(status, "Set up an authenticator app", body)
}

/// Recovery codes, shown once, and the way back to the account page.
fn codes_page(title: &str, codes: &[String]) -> Response {
    let body = html! {
        h1 { (title) }
        p { "Save these recovery codes. Each one signs you in once if you lose your authenticator app. They are shown only now; any older codes no longer work." }
        (recovery_codes(codes))
        p { a href="/account/" { "Back to your account" } }
    };
    page(StatusCode::OK, title, body)
}

/// The user got an authenticator app meanwhile (or has none waiting): the page says so.
async fn already(s: &Shared, account: &Account) -> Response {
    let msg =
        "Your authenticator app is already set up (or the setup was started again elsewhere).";
    view::render(s, account, view::Notice::error(StatusCode::CONFLICT, msg)).await
}
