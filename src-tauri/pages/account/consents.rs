//! "Apps with access": the third-party apps the user allowed (remembered consents), and
//! removing one's access.

use super::{view, Post};
use crate::domain::RequestMeta;
use crate::error::StoreError;
use crate::oauth::authorize::consent::CONSENT_REVOKED;
use crate::oauth::authorize::see_other;
use crate::state::Shared;
use crate::store::{consents, now};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

/// `POST /account/consents/remove` (`client_id`): forgets the user's consent for that app
/// and revokes what it holds for the user (refresh tokens, access tokens, unspent codes),
/// audited `consent.revoked`; the app asks again at its next sign-in.
///
/// Unlike the page's other changes this takes no fresh sign-in (`Post`, not `Change`):
/// removing access only takes power away from a third party, so someone at an unattended
/// browser gains nothing by it, and a user who just noticed an app they distrust should
/// not be held up by a password prompt.
pub async fn remove(
    State(s): State<Shared>,
    meta: RequestMeta,
    Post(account, p): Post,
) -> Response {
    let client_id: String = p.get("client_id").unwrap_or("").chars().take(200).collect();
    let removed: Result<bool, StoreError> = async {
        let mut tx = s.db.begin().await?;
        let Some(r) = consents::remove(&mut tx, &account.user.id, &client_id, now()).await? else {
            return Ok(false);
        };
        account
            .event(CONSENT_REVOKED, &meta)
            .client(&client_id)
            .detail(json!({"by": "user", "families_revoked": r.families_revoked}))
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
    .await;
    match removed {
        Ok(true) => see_other("/account/?done=consent_removed", None),
        Ok(false) => {
            let notice = view::Notice::error(StatusCode::NOT_FOUND, "That app has no access.");
            view::render(&s, &account, notice).await
        }
        Err(_) => crate::pages::server_error(),
    }
}
