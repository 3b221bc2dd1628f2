//! Step-up: a live single-factor (`aal1`) SSO session meeting a request that needs `aal2`
//! (`acr_values=aal2`, a product or a user requiring MFA). The user is asked for the
//! second factor of that session (or to enroll one) without the password again; the
//! session's `amr` and `auth_time` change in the transaction that issues the code.

use super::{redirect_error, redirectable, start_interaction, to_interaction, AuthRequest};
use super::{Client, LiveSession};
use crate::domain::amr::AuthMethods;
use crate::error::OAuthError;
use crate::mfa::{self, PendingMfa, Stage};
use crate::state::AppState;
use crate::store::mfa as store;
use axum::http::StatusCode;
use axum::response::Response;

/// Whether the request needs a second factor the session has not shown.
pub(super) fn needed(client: &Client, req: &AuthRequest, live: &LiveSession) -> bool {
    mfa::aal2_required(client.mfa_required, live.mfa_required, &req.acr_values)
        && !AuthMethods::parse(&live.session.amr).is_multi_factor()
}

/// The second-factor page (or enrollment) for the live session; `prompt=none` gets
/// `interaction_required`.
pub(super) async fn ask(
    s: &AppState,
    req: &AuthRequest,
    live: &LiveSession,
    prompt_none: bool,
) -> Response {
    if prompt_none {
        let e = OAuthError::new(
            StatusCode::BAD_REQUEST,
            "interaction_required",
            "the user must use a second factor",
        );
        return redirect_error(s, redirectable(req, e));
    }
    let user_id = &live.session.user_id;
    let stage = match store::factors(&s.db.read, user_id).await {
        Ok(f) if f.any() => Stage::Verify,
        Ok(_) => Stage::Enroll,
        Err(e) => return redirect_error(s, redirectable(req, e.into())),
    };
    let mut pending = req.clone();
    pending.mfa = Some(PendingMfa {
        user_id: user_id.clone(),
        stage,
        amr: live.session.amr.clone(),
        session_id: Some(live.session.id.clone()),
        sealed_secret: None,
    });
    let page = crate::pages::mfa_page(stage);
    match start_interaction(s, &pending).await {
        Ok(id) => to_interaction(s, &format!("{page}?interaction={id}"), &id),
        Err(e) => redirect_error(s, redirectable(req, e)),
    }
}
