//! A user's SSO sessions: list them, end one or all. Ending sessions (and a password
//! change) also revokes the user's refresh families.

use super::require_user;
use crate::admin::Admin;
use crate::audit::Event;
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::sessions::{self, SessionInfo};
use crate::store::{now, users};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::json;
use tessera_proto::sessions::{Session, SessionList};

pub const SESSIONS_REVOKED: &str = "admin.user.sessions_revoked";
/// The most sessions one listing returns (newest first).
const MAX_SESSIONS: i64 = 500;

/// The wire shape of a session at `now`.
fn session(r: &SessionInfo, now: i64) -> Session {
    Session {
        id: r.id.clone(),
        created_at: r.created_at,
        auth_time: r.auth_time,
        expires_at: r.expires_at,
        ended_at: r.ended_at,
        ip: r.ip.clone(),
        user_agent: r.user_agent.clone(),
        active: r.ended_at.is_none() && r.expires_at > now,
    }
}

#[utoipa::path(
    get, path = "/users/{id}/sessions", tag = "users",
    operation_id = "users_list_sessions",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 200, description = "The user's sessions", body = SessionList))
)]
pub async fn list_sessions(
    State(s): State<Shared>,
    _admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<SessionList>, ApiError> {
    require_user(&s, &id).await?;
    let now = now();
    let rows = sessions::list_user_sessions(&s.db.read, &id, MAX_SESSIONS).await?;
    Ok(Json(SessionList {
        sessions: rows.iter().map(|r| session(r, now)).collect(),
    }))
}

/// Ends every SSO session of the user and revokes all of the user's refresh families.
#[utoipa::path(
    delete, path = "/users/{id}/sessions", tag = "users",
    operation_id = "users_end_sessions",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 204, description = "All the user's sessions are ended"))
)]
pub async fn end_sessions(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let now = now();
    let mut tx = s.db.begin().await?;
    if users::user_status(&mut tx, &id).await?.is_none() {
        return Err(ApiError::not_found("user"));
    }
    sign_out_everywhere(
        &mut tx,
        &meta,
        &admin,
        &id,
        SESSIONS_REVOKED,
        "sessions_revoked",
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends one SSO session and revokes the refresh families started in it.
#[utoipa::path(
    delete, path = "/users/{id}/sessions/{session_id}", tag = "users",
    operation_id = "users_end_session",
    params(("id" = String, Path, description = "The resource id"), ("session_id" = String, Path, description = "The session id")),
    responses((status = 204, description = "The session is ended"))
)]
pub async fn end_session(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path((id, session_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let now = now();
    let mut tx = s.db.begin().await?;
    if !sessions::end_user_session(&mut tx, &id, &session_id, now).await? {
        return Err(ApiError::not_found("session"));
    }
    let families =
        sessions::revoke_user_families(&mut tx, &id, Some(&session_id), "session_revoked", now)
            .await?;
    Event::success(SESSIONS_REVOKED)
        .meta(&meta)
        .actor(admin.actor())
        .subject(&id)
        .detail(json!({"session_id": session_id, "families_revoked": families}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends every SSO session of the user and revokes all their refresh families (and the
/// access tokens issued in them), recording `event` in the same transaction.
pub(super) async fn sign_out_everywhere(
    tx: &mut crate::store::Tx,
    meta: &RequestMeta,
    admin: &Admin,
    id: &str,
    event: &str,
    reason: &str,
    now: i64,
) -> Result<(), ApiError> {
    let ended = sessions::end_user_sessions(tx, id, now).await?;
    let families = sessions::revoke_user_families(tx, id, None, reason, now).await?;
    Event::success(event)
        .meta(meta)
        .actor(admin.actor())
        .subject(id)
        .detail(json!({"sessions_ended": ended, "families_revoked": families}))
        .write(tx)
        .await?;
    Ok(())
}
