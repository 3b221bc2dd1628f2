//! The caller's own sign-in and sessions: `GET /v1/auth/session`, `GET
//! /v1/auth/sessions` (live ones, the current one marked) and `DELETE
//! /v1/auth/sessions/{sid}` (ends one of the caller's sessions and revokes its refresh
//! families with their access tokens; someone else's `sid` is 404).

use super::caller::Caller;
use super::{auth_user, refuse, Answer};
use crate::audit::Event;
use crate::domain::RequestMeta;
use crate::state::Shared;
use crate::store::sessions::{end_user_session, list_user_sessions, revoke_user_families};
use crate::store::{now, users};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use tessera_proto::auth::{Session, SessionInfo, UserSession, UserSessions};

/// Audit type of a session read through the API.
pub const SESSION_READ: &str = "auth.session_read";
/// Audit type of a session ended through the API.
pub const SESSION_ENDED: &str = "auth.session_ended";
/// At most this many sessions are listed.
const LIST_LIMIT: i64 = 100;

/// Records a successful call of `caller` (through the audit sink).
pub(super) async fn audit(
    s: &Shared,
    caller: &Caller,
    meta: &RequestMeta,
    kind: &'static str,
    detail: serde_json::Value,
) {
    let event = Event::success(kind)
        .meta(meta)
        .actor(caller.user_id())
        .subject(caller.user_id())
        .client(&caller.client.client_id)
        .detail(detail);
    if s.audit.append(event).await.is_err() {
        tracing::error!("cannot record an auth API call");
    }
}

#[utoipa::path(
    get, path = "/auth/session", tag = "auth",
    operation_id = "auth_session", security(("user_bearer" = []), ("user_cookie" = [])),
    responses(
        (status = 200, description = "The caller and its sign-in", body = Session),
        (status = 401, description = "`unauthenticated`: no access token, or not an active one of a product's web client", body = tessera_proto::error::ErrorEnvelope),
    )
)]
pub async fn session(
    State(s): State<Shared>,
    meta: RequestMeta,
    caller: Caller,
) -> Answer<Json<Session>> {
    let user = users::find_user(&s.db.read, caller.user_id())
        .await?
        .ok_or_else(|| {
            refuse(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "the user no longer exists",
            )
        })?;
    let c = &caller.claims;
    let answer = Session {
        user: auth_user(&user),
        session: SessionInfo {
            sid: c.sid.clone(),
            aal: c.aal.clone(),
            auth_method: c.auth_method.clone(),
            auth_time: c.auth_time,
            org: c.org.clone(),
            branch: c.branch.clone(),
        },
    };
    audit(&s, &caller, &meta, SESSION_READ, json!({"sid": c.sid})).await;
    Ok(Json(answer))
}

#[utoipa::path(
    get, path = "/auth/sessions", tag = "auth",
    operation_id = "auth_sessions_list", security(("user_bearer" = []), ("user_cookie" = [])),
    responses(
        (status = 200, description = "The caller's live sessions, newest first", body = UserSessions),
        (status = 401, description = "`unauthenticated`", body = tessera_proto::error::ErrorEnvelope),
    )
)]
pub async fn list(
    State(s): State<Shared>,
    meta: RequestMeta,
    caller: Caller,
) -> Answer<Json<UserSessions>> {
    let t = now();
    let current = caller.claims.sid.as_deref();
    let sessions = list_user_sessions(&s.db.read, caller.user_id(), LIST_LIMIT)
        .await?
        .into_iter()
        .filter(|r| r.ended_at.is_none() && r.expires_at > t)
        .map(|r| UserSession {
            current: current == Some(r.id.as_str()),
            sid: r.id,
            created_at: r.created_at,
            auth_time: r.auth_time,
            expires_at: r.expires_at,
            ip: r.ip,
            user_agent: r.user_agent,
        })
        .collect::<Vec<_>>();
    audit(
        &s,
        &caller,
        &meta,
        SESSION_READ,
        json!({"listed": sessions.len()}),
    )
    .await;
    Ok(Json(UserSessions { sessions }))
}

#[utoipa::path(
    delete, path = "/auth/sessions/{sid}", tag = "auth",
    operation_id = "auth_sessions_end", security(("user_bearer" = []), ("user_cookie" = [])),
    params(("sid" = String, Path, description = "One of the caller's session ids")),
    responses(
        (status = 204, description = "The session is ended, its refresh families and their access tokens revoked (ending the current one in cookie mode clears the cookies)"),
        (status = 401, description = "`unauthenticated`", body = tessera_proto::error::ErrorEnvelope),
        (status = 403, description = "`origin_not_allowed` (by cookie, from another origin)", body = tessera_proto::error::ErrorEnvelope),
        (status = 404, description = "`not_found`: the caller has no such session", body = tessera_proto::error::ErrorEnvelope),
    )
)]
pub async fn end(
    State(s): State<Shared>,
    meta: RequestMeta,
    caller: Caller,
    Path(sid): Path<String>,
) -> Answer<Response> {
    let sid: String = sid.chars().take(64).collect();
    let user_id = caller.user_id();
    let t = now();
    let mut tx = s.db.begin().await?;
    if !end_user_session(&mut tx, user_id, &sid, t).await? {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            "not_found",
            "session not found",
        ));
    }
    let families = revoke_user_families(&mut tx, user_id, Some(&sid), "session_ended", t).await?;
    Event::success(SESSION_ENDED)
        .meta(&meta)
        .actor(user_id)
        .subject(user_id)
        .client(&caller.client.client_id)
        .detail(json!({"session_id": sid, "families_revoked": families}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    if caller.by_cookie && caller.claims.sid.as_deref() == Some(sid.as_str()) {
        super::answer::clear_cookies(&s, &mut res);
    }
    Ok(res)
}
