//! A user's password: the length rule, and setting it (which signs the user out
//! everywhere).

use super::require_user;
use super::sessions::sign_out_everywhere;
use crate::admin::{Admin, ApiJson};
use crate::crypto::hash_password;
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::now;
use crate::store::users;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use tessera_proto::users::SetPassword;

pub const PASSWORD_SET: &str = "admin.user.password_set";

/// The password rules (`selfservice::password_problem`, the one rule everywhere) as the
/// admin API's 422.
pub fn validate_password(password: &str) -> Result<(), ApiError> {
    match crate::selfservice::password_problem(password) {
        Some(problem) => Err(ApiError::invalid_field("password", problem)),
        None => Ok(()),
    }
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
    // A pending invitation's link stops working: the password is chosen.
    crate::store::email::end_links(&mut tx, &id, crate::store::email::LinkKind::Invite, now)
        .await?;
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
