//! Ending one of the user's own SSO sessions from the account page.

use super::{signin, view, Change};
use crate::audit::kind;
use crate::domain::RequestMeta;
use crate::error::StoreError;
use crate::oauth::authorize::see_other;
use crate::state::Shared;
use crate::store::now;
use crate::store::sessions::{end_user_session, revoke_user_families};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

/// `POST /account/sessions/end` (`session_id`): ends one of the user's sessions and
/// revokes the refresh families started in it (with their access tokens), audited; a
/// session of someone else is not found. Ending the page's own session signs it out.
pub async fn end(
    State(s): State<Shared>,
    meta: RequestMeta,
    Change(account, p): Change,
) -> Response {
    let session_id = p
        .get("session_id")
        .unwrap_or("")
        .chars()
        .take(64)
        .collect::<String>();
    let user_id = &account.user.id;
    let ended: Result<bool, StoreError> = async {
        let t = now();
        let mut tx = s.db.begin().await?;
        if !end_user_session(&mut tx, user_id, &session_id, t).await? {
            return Ok(false);
        }
        let families =
            revoke_user_families(&mut tx, user_id, Some(&session_id), "session_ended", t).await?;
        account
            .event(kind::ACCOUNT_SESSION_ENDED, &meta)
            .detail(json!({"session_id": session_id, "families_revoked": families}))
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
    .await;
    match ended {
        Ok(true) if session_id == account.session_id() => {
            let mut res = see_other("/account/", None);
            signin::forget(&s, &mut res);
            res
        }
        Ok(true) => see_other("/account/?done=session_ended", None),
        Ok(false) => {
            let notice = view::Notice::error(StatusCode::NOT_FOUND, "There is no such session.");
            view::render(&s, &account, notice).await
        }
        Err(_) => crate::pages::server_error(),
    }
}
