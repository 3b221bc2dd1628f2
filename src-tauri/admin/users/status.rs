//! A user's status: suspend (ends the SSO sessions, blocks the tokens) and unsuspend.

use super::user_json;
use crate::admin::Admin;
use crate::audit::{kind, Event};
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::users;
use crate::store::{now, sessions};
use axum::extract::{Path, State};
use axum::Json;
use serde_json::json;
use tessera_proto::users::User;

pub const USER_UNSUSPENDED: &str = "admin.user.unsuspended";

#[utoipa::path(
    post, path = "/users/{id}/suspend", tag = "users",
    operation_id = "users_suspend",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 200, description = "The suspended user", body = User))
)]
pub async fn suspend(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Json<User>, ApiError> {
    let now = now();
    let mut tx = s.db.begin().await?;
    let suspended = users::set_user_status(&mut tx, &id, "suspended", now)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    let ended = sessions::end_user_sessions(&mut tx, &id, now).await?;
    Event::success(kind::USER_SUSPENDED)
        .meta(&meta)
        .actor(admin.actor())
        .subject(&id)
        .detail(json!({"sessions_ended": ended}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    user_json(&s, &suspended).await
}

/// Lifts a suspension. Suspension blocked (never revoked) the user's tokens, so refresh
/// tokens that have not expired work again; the SSO sessions it ended stay ended.
#[utoipa::path(
    post, path = "/users/{id}/unsuspend", tag = "users",
    operation_id = "users_unsuspend",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 200, description = "The active user", body = User))
)]
pub async fn unsuspend(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Json<User>, ApiError> {
    let mut tx = s.db.begin().await?;
    let active = users::set_user_status(&mut tx, &id, "active", now())
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    Event::success(USER_UNSUSPENDED)
        .meta(&meta)
        .actor(admin.actor())
        .subject(&id)
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    user_json(&s, &active).await
}
