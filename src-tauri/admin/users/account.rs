//! A user's account: set the password, unsuspend, delete, list and end SSO sessions.
//! Ending sessions (and a password change) also revokes the user's refresh families.

use super::{user_json, validate_password};
use crate::admin::{Admin, ApiJson};
use crate::audit::Event;
use crate::crypto::hash_password;
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::users;
use crate::store::{now, sessions};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

pub const PASSWORD_SET: &str = "admin.user.password_set";
pub const USER_UNSUSPENDED: &str = "admin.user.unsuspended";
pub const USER_DELETED: &str = "admin.user.deleted";
pub const SESSIONS_REVOKED: &str = "admin.user.sessions_revoked";
/// The most sessions one listing returns (newest first).
const MAX_SESSIONS: i64 = 500;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    password: String,
}

async fn require_user(s: &Shared, id: &str) -> Result<users::UserRow, ApiError> {
    users::find_user(&s.db.read, id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))
}

#[utoipa::path(
    post, path = "/users/{id}/password", tag = "users",
    operation_id = "users_set_password",
    params(("id" = String, Path, description = "The resource id")),
    request_body = SetPassword,
    responses((status = 204, description = "The password is set"))
)]
pub async fn set_password(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SetPassword>,
) -> Result<StatusCode, ApiError> {
    validate_password(&body.password)?;
    // Hashing is slow on purpose: check the id first so a typo costs nothing.
    require_user(&s, &id).await?;
    let password = body.password;
    let hash = crate::throttle::hash_bounded(&s, &meta, move || hash_password(&password)).await?;
    let now = now();
    let mut tx = s.db.begin().await?;
    if !users::set_password_hash(&mut tx, &id, &hash, now).await? {
        return Err(ApiError::not_found("user"));
    }
    sign_out_everywhere(
        &mut tx,
        &meta,
        &admin,
        &id,
        PASSWORD_SET,
        "password_changed",
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lifts a suspension. Suspension blocked (never revoked) the user's tokens, so refresh
/// tokens that have not expired work again; the SSO sessions it ended stay ended.
#[utoipa::path(
    post, path = "/users/{id}/unsuspend", tag = "users",
    operation_id = "users_unsuspend",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 200, description = "The active user", body = serde_json::Value))
)]
pub async fn unsuspend(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut tx = s.db.begin().await?;
    let user = users::set_user_status(&mut tx, &id, "active", now())
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    Event::success(USER_UNSUSPENDED)
        .meta(&meta)
        .actor(admin.actor())
        .subject(&id)
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(Json(user_json(&user)))
}

/// Deletes the user; sessions, codes, refresh families and memberships cascade, and
/// access tokens stop being active because their subject no longer exists.
#[utoipa::path(
    delete, path = "/users/{id}", tag = "users",
    operation_id = "users_delete",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 204, description = "The user is deleted"))
)]
pub async fn delete(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let now = now();
    let mut tx = s.db.begin().await?;
    // Revoke first so the access-token rows stay marked after the families are gone.
    sessions::revoke_user_families(&mut tx, &id, None, "user_deleted", now).await?;
    let email = users::delete_user(&mut tx, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    Event::success(USER_DELETED)
        .meta(&meta)
        .actor(admin.actor())
        .subject(&id)
        .detail(json!({ "email": email }))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get, path = "/users/{id}/sessions", tag = "users",
    operation_id = "users_list_sessions",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 200, description = "The user's sessions", body = serde_json::Value))
)]
pub async fn list_sessions(
    State(s): State<Shared>,
    _admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    require_user(&s, &id).await?;
    let now = now();
    let rows = sessions::list_user_sessions(&s.db.read, &id, MAX_SESSIONS).await?;
    let list: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "id": r.id, "created_at": r.created_at, "auth_time": r.auth_time,
                "expires_at": r.expires_at, "ended_at": r.ended_at, "ip": r.ip,
                "user_agent": r.user_agent,
                "active": r.ended_at.is_none() && r.expires_at > now,
            })
        })
        .collect();
    Ok(Json(json!({ "sessions": list })))
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
async fn sign_out_everywhere(
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
