//! The super-admin sign-in that the built-in console client's policy
//! (`ClientPolicy::console`) asks for: who may sign in (and hold `admin`), how a refusal
//! looks and is audited, and how old an SSO session may be before a client without
//! `silent_sso` needs the password again ([`REAUTH_AFTER`]). Which client gets these rules
//! is the policy's business, not this module's.

use crate::audit::{kind, Event};
use crate::domain::RequestMeta;
use crate::error::OAuthError;
use crate::state::AppState;
use crate::store::clients::SignInRule;
use crate::store::users::UserRow;
use axum::http::StatusCode;

/// The scope that opens the `/v1` admin API.
pub const ADMIN_SCOPE: &str = "admin";
/// Why a sign-in to the console is refused.
pub const DENIED: &str = "only super-admins can sign in to the console";

/// An SSO session older than this (seconds since the password was typed) must type it
/// again before a client without `silent_sso` (the console) gets a code.
pub const REAUTH_AFTER: i64 = 10 * 60;

/// Whether the user may sign in to the console (and hold `admin`) right now.
pub fn may_sign_in(user: &UserRow) -> bool {
    SignInRule::SuperAdmins.allows(user)
}

/// `access_denied` for a console sign-in by anyone but an active super-admin.
pub fn denied() -> OAuthError {
    OAuthError::new(StatusCode::FORBIDDEN, "access_denied", DENIED)
}

/// Records a refused console sign-in (`login.failed`, reason `not_superadmin`); `method`
/// is `password` (the login form) or `sso` (an existing session).
pub async fn record_refusal(
    s: &AppState,
    meta: &RequestMeta,
    client_id: &str,
    user_id: &str,
    method: &str,
) {
    let event = Event::failure(kind::LOGIN_FAILED)
        .meta(meta)
        .subject(user_id)
        .client(client_id)
        .detail(serde_json::json!({"reason": "not_superadmin", "method": method}));
    if s.audit.append(event).await.is_err() {
        tracing::error!("cannot record a refused console sign-in");
    }
}
