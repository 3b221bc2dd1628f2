//! A user's second factors: their passkeys (names and use), require MFA of the user (or
//! lift that), and reset every factor (TOTP, recovery codes, passkeys) when they lost
//! them. Sessions are left alone.

use super::{require_user, user_json};
use crate::admin::{Admin, ApiJson};
use crate::audit::{kind, Event};
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::{mfa, now};
use axum::body::Body;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::json;
use tessera_proto::users::{RequireMfa, User, UserPasskey, UserPasskeys};

pub const MFA_REQUIRED_SET: &str = "admin.user.mfa_required";

/// An optional JSON body: none (or an empty one) is `T::default()`, else as [`ApiJson`].
pub(super) async fn optional_body<T: serde::de::DeserializeOwned + Default>(
    req: Request,
) -> Result<T, ApiError> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the request body is larger than 64 KiB",
        )
    })?;
    if bytes.is_empty() {
        return Ok(T::default());
    }
    let req = Request::from_parts(parts, Body::from(bytes));
    Ok(ApiJson::<T>::from_request(req, &()).await?.0)
}

#[utoipa::path(
    post, path = "/users/{id}/mfa:require", tag = "users",
    operation_id = "users_require_mfa",
    params(("id" = String, Path, description = "The resource id")),
    request_body(content = RequireMfa, description = "Optional; no body requires MFA"),
    responses((status = 200, description = "The user", body = User))
)]
pub async fn require(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
    req: Request,
) -> Result<Json<User>, ApiError> {
    let body: RequireMfa = optional_body(req).await?;
    let required = body.required.unwrap_or(true);
    let mut tx = s.db.begin().await?;
    if !mfa::set_user_required(&mut tx, &id, required, now()).await? {
        return Err(ApiError::not_found("user"));
    }
    Event::success(MFA_REQUIRED_SET)
        .meta(&meta)
        .actor(admin.actor())
        .subject(&id)
        .detail(json!({"required": required}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    user_json(&s, &require_user(&s, &id).await?).await
}

#[utoipa::path(
    get, path = "/users/{id}/passkeys", tag = "users",
    operation_id = "users_passkeys",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 200, description = "The user's passkeys (names and use, never a key)", body = UserPasskeys))
)]
pub async fn passkeys(
    State(s): State<Shared>,
    _admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<UserPasskeys>, ApiError> {
    require_user(&s, &id).await?;
    let rows = crate::store::passkeys::user_passkeys(&s.db.read, &id).await?;
    let passkeys = rows
        .into_iter()
        .map(|r| UserPasskey {
            id: r.id,
            name: r.name,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
        })
        .collect();
    Ok(Json(UserPasskeys { passkeys }))
}

#[utoipa::path(
    post, path = "/users/{id}/mfa:reset", tag = "users",
    operation_id = "users_reset_mfa",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 200, description = "The user, without second factors", body = User))
)]
pub async fn reset(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Json<User>, ApiError> {
    let mut tx = s.db.begin().await?;
    if crate::store::users::user_status(&mut tx, &id)
        .await?
        .is_none()
    {
        return Err(ApiError::not_found("user"));
    }
    let (totp, recovery_codes, passkeys) = mfa::reset(&mut tx, &id).await?;
    Event::success(kind::MFA_RESET)
        .meta(&meta)
        .actor(admin.actor())
        .subject(&id)
        .detail(json!({"totp": totp > 0, "recovery_codes": recovery_codes, "passkeys": passkeys}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    user_json(&s, &require_user(&s, &id).await?).await
}
