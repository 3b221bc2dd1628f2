//! `/v1/registration-tokens`: initial access tokens for dynamic client registration
//! (RFC 7591 §3). Create (the token is in that answer only, never stored by the
//! idempotency middleware), list with each one's status, revoke (the row stays, shown
//! revoked). Stored as SHA-256 hashes.

use super::idempotency::ShowsSecret;
use super::{clean_name, Admin, ApiJson};
use crate::audit::Event;
use crate::crypto::{random_token, sha256};
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::now;
use crate::store::registration::{self, NewToken, TokenRow};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use tessera_proto::registration::{NewRegistrationToken, RegistrationToken, RegistrationTokenList};
use utoipa_axum::{router::OpenApiRouter, routes};

pub const TOKEN_CREATED: &str = "registration_token.created";
pub const TOKEN_REVOKED: &str = "registration_token.revoked";

/// Lifetime bounds: a minute to a year; uses: 1 to 10 000.
const EXPIRES_IN: std::ops::RangeInclusive<i64> = 60..=31_536_000;
const MAX_USES: std::ops::RangeInclusive<i64> = 1..=10_000;
const DEFAULT_NAME: &str = "Registration token";

pub(super) fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(revoke))
}

/// The wire shape of a token row (without the token).
fn wire(row: TokenRow, t: i64) -> RegistrationToken {
    let status = row.status(t).as_str().to_string();
    RegistrationToken {
        id: row.id,
        token: None,
        name: row.name,
        created_by: row.created_by,
        created_at: row.created_at,
        expires_at: row.expires_at,
        max_uses: row.max_uses,
        uses: row.uses,
        last_used_at: row.last_used_at,
        revoked_at: row.revoked_at,
        status,
    }
}

#[utoipa::path(
    get, path = "/registration-tokens", tag = "registration",
    operation_id = "registration_tokens_list",
    responses((status = 200, description = "Initial access tokens, newest first", body = RegistrationTokenList))
)]
pub async fn list(
    State(s): State<Shared>,
    _admin: Admin,
) -> Result<Json<RegistrationTokenList>, ApiError> {
    let t = now();
    let rows = registration::list_tokens(&s.db.read).await?;
    Ok(Json(RegistrationTokenList {
        registration_tokens: rows.into_iter().map(|r| wire(r, t)).collect(),
    }))
}

#[utoipa::path(
    post, path = "/registration-tokens", tag = "registration",
    operation_id = "registration_tokens_create",
    request_body = NewRegistrationToken,
    responses((status = 201, description = "The new token (shown once)", body = RegistrationToken))
)]
pub async fn create(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    ApiJson(body): ApiJson<NewRegistrationToken>,
) -> Result<Response, ApiError> {
    let name = match &body.name {
        Some(n) => clean_name("name", n)?,
        None => DEFAULT_NAME.to_string(),
    };
    if !EXPIRES_IN.contains(&body.expires_in) {
        return Err(ApiError::invalid_field(
            "expires_in",
            "must be between 60 and 31536000 seconds",
        ));
    }
    if !MAX_USES.contains(&body.max_uses) {
        return Err(ApiError::invalid_field(
            "max_uses",
            "must be between 1 and 10000",
        ));
    }
    let (token, t) = (random_token(32), now());
    let stored = TokenRow {
        id: uuid::Uuid::now_v7().to_string(),
        name,
        created_by: Some(admin.actor().to_string()),
        created_at: t,
        expires_at: t + body.expires_in,
        max_uses: body.max_uses,
        uses: 0,
        last_used_at: None,
        revoked_at: None,
    };
    let mut tx = s.db.begin().await?;
    let new = NewToken {
        id: &stored.id,
        token_hash: &sha256(&token),
        name: &stored.name,
        created_by: admin.actor(),
        created_at: t,
        expires_at: stored.expires_at,
        max_uses: stored.max_uses,
    };
    registration::insert_token(&mut tx, &new).await?;
    Event::success(TOKEN_CREATED)
        .meta(&meta)
        .actor(admin.actor())
        .subject(&stored.id)
        .detail(json!({"name": stored.name, "expires_at": stored.expires_at,
                       "max_uses": stored.max_uses}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    s.audit.ring();
    let out = RegistrationToken {
        token: Some(token),
        ..wire(stored, t)
    };
    // The token is in this answer only: an Idempotency-Key replay must not show it again.
    let mut res = (StatusCode::CREATED, Json(out)).into_response();
    res.extensions_mut().insert(ShowsSecret);
    Ok(res)
}

#[utoipa::path(
    delete, path = "/registration-tokens/{id}", tag = "registration",
    operation_id = "registration_tokens_revoke",
    params(("id" = String, Path, description = "The token's id")),
    responses((status = 204, description = "The token is revoked (still listed, as revoked)"))
)]
pub async fn revoke(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let mut tx = s.db.begin().await?;
    let row = registration::revoke_token(&mut tx, &id, now())
        .await?
        .ok_or_else(|| ApiError::not_found("registration token"))?;
    Event::success(TOKEN_REVOKED)
        .meta(&meta)
        .actor(admin.actor())
        .subject(&id)
        .detail(json!({"name": row.name, "uses": row.uses}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    s.audit.ring();
    Ok(StatusCode::NO_CONTENT)
}
