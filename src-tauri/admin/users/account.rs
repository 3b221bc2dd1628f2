//! A user's account: created with a password, deleted with everything that hangs on it.

use super::password::validate_password;
use super::profile::validate_email;
use super::user;
use crate::admin::{clean_name, Admin, ApiJson};
use crate::audit::{kind, Event};
use crate::crypto::hash_password;
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::mfa::Factors;
use crate::store::users::{self, NewUser};
use crate::store::{now, sessions};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::json;
use tessera_proto::users::{CreateUser, User};

pub const USER_DELETED: &str = "admin.user.deleted";

#[utoipa::path(
    post, path = "/users", tag = "users",
    operation_id = "users_create",
    request_body = CreateUser,
    responses((status = 201, description = "The created user", body = User))
)]
pub async fn create(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let email = validate_email(&body.email)?;
    validate_password(&body.password)?;
    let name = body
        .name
        .as_deref()
        .map(|n| clean_name("name", n))
        .transpose()?;
    let password = body.password;
    let hash = crate::throttle::hash_bounded(&s, &meta, move || hash_password(&password)).await?;
    let id = uuid::Uuid::now_v7().to_string();
    let now = now();
    let mut tx = s.db.begin().await?;
    users::insert_user(
        &mut tx,
        &NewUser {
            id: &id,
            email: &email,
            name: name.as_deref(),
            password_hash: &hash,
            is_superadmin: false,
            now,
        },
    )
    .await?;
    Event::success(kind::USER_CREATED)
        .meta(&meta)
        .actor(admin.actor())
        .subject(&id)
        .detail(json!({"email": email}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    let created = users::find_user(&s.db.read, &id)
        .await?
        .ok_or_else(ApiError::internal)?;
    Ok((
        StatusCode::CREATED,
        Json(user(&created, &Factors::default())),
    ))
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
