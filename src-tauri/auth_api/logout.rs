//! `POST /v1/auth/logout`: ends the caller's session (named by the body's refresh token,
//! the `tessera_rt` cookie, or the access token's `sid`) and revokes its refresh families
//! with their access tokens, in one transaction with its `logout` event; 204, and the
//! cookies cleared when the call came by cookie. Nothing to end is still 204.

use super::answer::{self, REFRESH_COOKIE};
use super::caller;
use super::{product_client, refuse, Answer, Refusal};
use crate::audit::{kind, Event};
use crate::crypto::sha256;
use crate::domain::RequestMeta;
use crate::oauth::bearer::Presentation;
use crate::state::Shared;
use crate::store::sessions::{end_user_session, revoke_user_families};
use crate::store::{now, tokens, Tx};
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tessera_proto::auth::Logout;

/// The session a logout ends.
struct Target {
    user_id: String,
    client_id: String,
    /// The SSO session, or (a family without one) the family alone.
    session_id: Option<String>,
    family_id: Option<String>,
    by_cookie: bool,
}

#[utoipa::path(
    post, path = "/auth/logout", tag = "auth",
    operation_id = "auth_logout", security((), ("user_bearer" = []), ("user_cookie" = [])),
    request_body(content = Option<Logout>, description = "Optional: a refresh token of the session to end"),
    responses(
        (status = 204, description = "The session is ended (cookie mode: the cookies are cleared)"),
        (status = 401, description = "`unauthenticated`: nothing names a session (no refresh token, no access token)", body = tessera_proto::error::ErrorEnvelope),
        (status = 403, description = "`origin_not_allowed` (by cookie, from another origin)", body = tessera_proto::error::ErrorEnvelope),
    )
)]
pub async fn logout(
    State(s): State<Shared>,
    meta: RequestMeta,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Answer<Response> {
    let body: Logout = if body.iter().all(u8::is_ascii_whitespace) {
        Logout::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                format!("the body does not have the expected shape: {e}"),
            )
        })?
    };
    let target = target(&s, &headers, uri.path(), body.refresh_token).await?;
    let mut tx = s.db.begin().await?;
    end(&mut tx, &meta, &target).await?;
    tx.commit().await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    if target.by_cookie {
        answer::clear_cookies(&s, &mut res);
    }
    Ok(res)
}

/// What the request names: a refresh token (body, else cookie), else the access token.
async fn target(
    s: &Shared,
    headers: &HeaderMap,
    path: &str,
    refresh: Option<String>,
) -> Answer<Target> {
    let refresh = match refresh {
        Some(t) => Some((t, false)),
        None => crate::oauth::cookie(headers, REFRESH_COOKIE).map(|t| (t, true)),
    };
    if let Some((token, by_cookie)) = refresh {
        let record = tokens::find_refresh(&s.db.read, &sha256(&token))
            .await?
            .ok_or_else(|| unauthenticated("the refresh token is unknown"))?;
        let client = product_client(s, &record.client_id)
            .await
            .map_err(|_| unauthenticated("the refresh token is unknown"))?;
        if by_cookie {
            super::origin::check(s, &client, headers).await?;
        }
        return Ok(Target {
            user_id: record.user_id,
            client_id: client.client_id.clone(),
            session_id: record.session_id,
            family_id: Some(record.family_id),
            by_cookie,
        });
    }
    let presented = caller::presented(headers)
        .ok_or_else(|| unauthenticated("a refresh token or an access token is required"))?;
    let request = Presentation {
        scheme: presented.1,
        method: "POST",
        path,
        headers,
    };
    let c = caller::authenticate(s, &request, &presented.0, true).await?;
    Ok(Target {
        user_id: c.claims.sub.clone(),
        client_id: c.client.client_id.clone(),
        session_id: c.claims.sid.clone(),
        family_id: None,
        by_cookie: c.by_cookie,
    })
}

fn unauthenticated(message: &str) -> Refusal {
    refuse(StatusCode::UNAUTHORIZED, "unauthenticated", message)
}

/// Ends the target's session and revokes its families (or its one family), audited.
async fn end(tx: &mut Tx, meta: &RequestMeta, t: &Target) -> Answer<()> {
    let at = now();
    let families = match (&t.session_id, &t.family_id) {
        (Some(sid), _) => {
            end_user_session(tx, &t.user_id, sid, at).await?;
            revoke_user_families(tx, &t.user_id, Some(sid), "logout", at).await?
        }
        (None, Some(family)) => {
            tokens::revoke_family(tx, family, "logout", at).await?;
            1
        }
        (None, None) => 0,
    };
    Event::success(kind::LOGOUT)
        .meta(meta)
        .actor(&t.user_id)
        .subject(&t.user_id)
        .client(&t.client_id)
        .detail(json!({
            "initiated_by": "auth_api",
            "session_id": t.session_id,
            "families_revoked": families,
        }))
        .write(tx)
        .await?;
    Ok(())
}
