//! `/v1/throttles`: the sign-in keys (accounts, client IPs, clients) throttled right now,
//! and clearing one (its failures and backoff are forgotten; audited).

use super::Admin;
use crate::audit::{kind, Event};
use crate::domain::throttle::{retry_after, Scope};
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::now;
use crate::store::throttles::{self, Listed};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::json;
use tessera_proto::error::ErrorEnvelope;
use tessera_proto::throttles::{Throttle, ThrottleList};
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(clear))
}

/// The wire shape of a throttled key. `email` is the account's (null for an IP, a client
/// or an email no user has); `until` is unix seconds.
fn throttle(row: &Listed, t: i64) -> Throttle {
    let client_id = (row.scope == Scope::Client.as_str()).then(|| row.key.clone());
    Throttle {
        scope: row.scope.clone(),
        key: row.key.clone(),
        email: row.email.clone(),
        client_id,
        failures: row.failures,
        until: row.until,
        retry_after: retry_after(row.until, t).unwrap_or(1),
    }
}

#[utoipa::path(
    get, path = "/throttles", tag = "throttles",
    operation_id = "throttles_list",
    responses((status = 200, description = "Keys throttled now, the most recently throttled \
        first", body = ThrottleList))
)]
pub async fn list(State(s): State<Shared>, _admin: Admin) -> Result<Json<ThrottleList>, ApiError> {
    let t = now();
    let rows = throttles::list_throttled(&s.db.read, t).await?;
    Ok(Json(ThrottleList {
        throttles: rows.iter().map(|r| throttle(r, t)).collect(),
    }))
}

#[utoipa::path(
    delete, path = "/throttles/{scope}/{key}", tag = "throttles",
    operation_id = "throttles_clear",
    params(
        ("scope" = String, Path, description = "`account`, `ip` or `client`"),
        ("key" = String, Path, description = "The key as listed (user id, IP, client_id \
            or email key), percent-encoded"),
    ),
    responses(
        (status = 204, description = "Cleared: the key's failures and backoff are forgotten"),
        (status = 422, description = "Not a scope", body = ErrorEnvelope),
    )
)]
pub async fn clear(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path((scope, key)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let scope = Scope::parse(&scope)
        .ok_or_else(|| ApiError::invalid_field("scope", "must be account, ip or client"))?;
    let mut tx = s.db.begin().await?;
    if !throttles::clear(&mut tx, scope, &key).await? {
        return Err(ApiError::not_found("throttle"));
    }
    let mut event = Event::success(kind::THROTTLE_CLEARED)
        .actor(admin.actor())
        .meta(&meta)
        .detail(json!({"scope": scope.as_str(), "key": key}));
    match scope {
        Scope::Account if !key.starts_with("email:") => event = event.subject(&key),
        Scope::Client => event = event.client(&key),
        _ => {}
    }
    event.write(&mut tx).await?;
    tx.commit().await?;
    s.audit.ring();
    Ok(StatusCode::NO_CONTENT)
}
