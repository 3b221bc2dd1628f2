//! Changing one's own password on the account page: the current password (throttled and
//! counted like a sign-in), the admin API's rules for the new one; the change signs the
//! user out everywhere, as an administrator's password reset does.

use super::{signin, view, Account, Change};
use crate::admin::validate_password;
use crate::audit::{kind, Event};
use crate::crypto::{hash_password, verify_password};
use crate::domain::throttle::minutes_text;
use crate::domain::RequestMeta;
use crate::error::StoreError;
use crate::pages::page;
use crate::state::Shared;
use crate::store::clients::ACCOUNT_CLIENT_ID;
use crate::store::sessions::{end_user_sessions, revoke_user_families};
use crate::store::{now, users};
use crate::throttle::{self, LoginKeys};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use serde_json::json;

/// `POST /account/password` (`current_password`, `new_password`).
pub async fn change(
    State(s): State<Shared>,
    meta: RequestMeta,
    Change(account, p): Change,
) -> Response {
    let refuse = |status, msg: &str| view::render(&s, &account, view::Notice::error(status, msg));
    let new = p.get("new_password").unwrap_or("").to_string();
    if let Err(e) = validate_password(&new) {
        let msg = format!("The new password {}.", e.message);
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, &msg).await;
    }
    let current = p.get("current_password").unwrap_or("").to_string();
    match check_current(&s, &meta, &account, current).await {
        Ok(()) => {}
        Err((status, msg)) => return refuse(status, &msg).await,
    }
    let hashed = s
        .hashing
        .run(throttle::source_key(&meta).as_deref(), move || {
            hash_password(&new)
        })
        .await;
    let Ok(hash) = hashed else {
        return refuse(StatusCode::SERVICE_UNAVAILABLE, BUSY).await;
    };
    if save(&s, &meta, &account, &hash).await.is_err() {
        return crate::pages::server_error();
    }
    let body = html! {
        h1 { "Password changed" }
        p { "You are signed out everywhere. Sign in with your new password." }
        p { a href="/account/" { "Sign in" } }
    };
    let mut res = page(StatusCode::OK, "Password changed", body);
    signin::forget(&s, &mut res);
    res
}

const BUSY: &str = "The server is busy right now. Please try again in a moment.";

/// The current password, checked after the throttles like a sign-in; a wrong one is
/// counted and audited.
async fn check_current(
    s: &Shared,
    meta: &RequestMeta,
    account: &Account,
    current: String,
) -> Result<(), (StatusCode, String)> {
    let user = &account.user;
    let keys = LoginKeys::new(Some(&user.id), &user.email, meta);
    let internal = |_| {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong.".to_string(),
        )
    };
    let check = throttle::check_login(s, &keys).await.map_err(internal)?;
    if let Some(t) = check.throttled {
        let msg = format!(
            "Too many attempts. Try again in {}.",
            minutes_text(t.retry_after)
        );
        return Err((StatusCode::TOO_MANY_REQUESTS, msg));
    }
    let hash = user.password_hash.clone();
    let ok = s
        .hashing
        .run(keys.ip.as_deref(), move || verify_password(&current, &hash))
        .await
        .map_err(|_| (StatusCode::SERVICE_UNAVAILABLE, BUSY.to_string()))?;
    if ok {
        return Ok(());
    }
    let event = Event::failure(kind::ACCOUNT_PASSWORD_CHANGED)
        .meta(meta)
        .actor(&user.id)
        .subject(&user.id)
        .client(ACCOUNT_CLIENT_ID)
        .detail(json!({"reason": "wrong_password"}));
    let (counted, audited) = tokio::join!(
        throttle::record_login_failure(s, meta, &keys, ACCOUNT_CLIENT_ID),
        s.audit.append(event),
    );
    if counted.is_err() || audited.is_err() {
        tracing::error!("cannot record a wrong current password");
    }
    Err((
        StatusCode::UNAUTHORIZED,
        "The current password is wrong.".into(),
    ))
}

/// The new hash, every session ended and every refresh family revoked, audited: one
/// transaction.
async fn save(
    s: &Shared,
    meta: &RequestMeta,
    account: &Account,
    hash: &str,
) -> Result<(), StoreError> {
    let user_id = &account.user.id;
    let t = now();
    let mut tx = s.db.begin().await?;
    users::set_password_hash(&mut tx, user_id, hash, t).await?;
    let sessions = end_user_sessions(&mut tx, user_id, t).await?;
    let families = revoke_user_families(&mut tx, user_id, None, "password_changed", t).await?;
    account
        .event(kind::ACCOUNT_PASSWORD_CHANGED, meta)
        .detail(json!({"sessions_ended": sessions, "families_revoked": families}))
        .write(&mut tx)
        .await?;
    tx.commit().await
}
