//! A user's account: created with a password or invited by email (`invitation`),
//! deleted with everything that hangs on it.

use super::password::validate_password;
use super::profile::validate_email;
use super::{invitation, user};
use crate::admin::{clean_name, Admin, ApiJson};
use crate::audit::{kind, Event};
use crate::crypto::hash_password;
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::mfa::Factors;
use crate::store::users::{self, NewUser};
use crate::store::{now, sessions, Tx};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::json;
use tessera_proto::error::ErrorEnvelope;
use tessera_proto::users::{CreateUser, User};

pub const USER_DELETED: &str = "admin.user.deleted";

#[utoipa::path(
    post, path = "/users", tag = "users",
    operation_id = "users_create",
    request_body = CreateUser,
    responses(
        (status = 201, description = "The created user (`invited` with `invite: true`)", body = User),
        (status = 409, description = "`email_unavailable`: `invite` while email is off",
            body = ErrorEnvelope),
    )
)]
pub async fn create(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let email = validate_email(&body.email)?;
    let name = body
        .name
        .as_deref()
        .map(|n| clean_name("name", n))
        .transpose()?;
    let new = Created {
        admin: &admin,
        meta: &meta,
        id: uuid::Uuid::now_v7().to_string(),
        email,
        name,
    };
    let id = match (body.password, body.invite) {
        (Some(password), false) => {
            if body.client_id.is_some() {
                return Err(ApiError::invalid_field(
                    "client_id",
                    "is only for invite: true",
                ));
            }
            with_password(&s, &new, password).await?
        }
        (None, true) => invitation::create_invited(&s, &new, body.client_id.as_deref()).await?,
        (Some(_), true) => {
            return Err(ApiError::invalid_field(
                "password",
                "must not be sent with invite: true (the invited user chooses it)",
            ))
        }
        (None, false) => {
            return Err(ApiError::invalid_field(
                "password",
                "is required, unless invite: true emails the user an invitation",
            ))
        }
    };
    let created = users::find_user(&s.db.read, &id)
        .await?
        .ok_or_else(ApiError::internal)?;
    Ok((
        StatusCode::CREATED,
        Json(user(&created, &Factors::default())),
    ))
}

/// A user about to be created, and who creates it.
pub(super) struct Created<'a> {
    pub admin: &'a Admin,
    pub meta: &'a RequestMeta,
    pub id: String,
    pub email: String,
    pub name: Option<String>,
}

/// Creates a user with a password; returns its id.
async fn with_password(
    s: &Shared,
    new: &Created<'_>,
    password: String,
) -> Result<String, ApiError> {
    validate_password(&password)?;
    let hash = crate::throttle::hash_bounded(s, new.meta, move || hash_password(&password)).await?;
    let mut tx = s.db.begin().await?;
    insert(&mut tx, new, &hash).await?;
    tx.commit().await?;
    Ok(new.id.clone())
}

/// Inserts the user and its `admin.user.created` event into `tx`. An invited user's hash
/// is empty: no password matches it (`crypto::verify_password`).
pub(super) async fn insert(tx: &mut Tx, new: &Created<'_>, hash: &str) -> Result<(), ApiError> {
    users::insert_user(
        tx,
        &NewUser {
            id: &new.id,
            email: &new.email,
            name: new.name.as_deref(),
            password_hash: hash,
            is_superadmin: false,
            now: now(),
        },
    )
    .await?;
    let mut detail = json!({ "email": new.email });
    if hash.is_empty() {
        detail["invited"] = json!(true);
    }
    Event::success(kind::USER_CREATED)
        .meta(new.meta)
        .actor(new.admin.actor())
        .subject(&new.id)
        .detail(detail)
        .write(tx)
        .await?;
    Ok(())
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
