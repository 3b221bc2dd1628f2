//! A sign-in request of a client without `silent_sso` (the console) meeting a live SSO
//! session the client's sign-in rule admits. The console holds the keys to everything, so
//! a session alone never yields its code: a page that opens the authorize URL in the
//! super-admin's browser must not get one back silently. The super-admin confirms on
//! `/login/confirm`, or, when the password was typed more than [`console::REAUTH_AFTER`]
//! ago, types it again on the login form.

use super::{console, LiveSession};
use super::{redirect_error, redirectable, start_interaction, to_interaction, AuthRequest};
use crate::error::OAuthError;
use crate::state::AppState;
use crate::store::now;
use axum::http::StatusCode;
use axum::response::Response;

/// Where the browser goes: the confirmation page or the login form (or, for `prompt=none`,
/// back to the console with `interaction_required` / `login_required`: never a code).
pub(super) async fn ask(
    s: &AppState,
    req: &AuthRequest,
    live: &LiveSession,
    prompt_none: bool,
) -> Response {
    let stale = now() - live.session.auth_time > console::REAUTH_AFTER;
    if prompt_none {
        let (error, description) = if stale {
            (
                "login_required",
                "the console needs the super-admin's password again",
            )
        } else {
            (
                "interaction_required",
                "the super-admin must confirm the console sign-in",
            )
        };
        let e = OAuthError::new(StatusCode::BAD_REQUEST, error, description);
        return redirect_error(s, redirectable(req, e));
    }
    let mut pending = req.clone();
    let page = if stale {
        pending.reauth_email = Some(live.email.clone());
        "/login"
    } else {
        pending.confirm_session = Some(live.session.id.clone());
        "/login/confirm"
    };
    match start_interaction(s, &pending).await {
        Ok(id) => to_interaction(s, &format!("{page}?interaction={id}"), &id),
        Err(e) => redirect_error(s, redirectable(req, e)),
    }
}
