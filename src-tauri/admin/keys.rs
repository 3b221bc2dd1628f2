//! `/v1/keys`: list, rotate, retire, delete expired signing keys. Public halves only.
//! `POST /v1/keys:rotate`, `POST /v1/keys/{kid}:retire` (stop publishing now),
//! `POST /v1/keys:delete-expired` (drop retired keys no longer published).

use super::Admin;
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::keys::rotation::{self, KeyChangeError};
use crate::state::Shared;
use crate::store::keys::{list_keys, KeyRow};
use crate::store::now;
use axum::extract::{Path, State};
use axum::Json;
use serde_json::Value;
use tessera_proto::keys::{DeletedKeys, Key, KeyList};
use utoipa_axum::{router::OpenApiRouter, routes};

/// The one axum route of `/keys/{kid}` (GET) and `/keys/{kid}:retire` (POST): see
/// `super::routes_at`.
const KID_ROUTE: &str = "/keys/{kid_action}";

pub(super) fn routes() -> OpenApiRouter<Shared> {
    let router = OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(rotate))
        .routes(routes!(delete_expired));
    super::routes_at(router, KID_ROUTE, routes!(show, action))
}

/// The wire shape of a key: `expires_at` is when a retired key stops being published.
fn key(k: &KeyRow, t: i64) -> Key {
    Key {
        kid: k.kid.clone(),
        alg: k.alg.clone(),
        status: k.status.clone(),
        created_at: k.created_at,
        retired_at: k.retired_at,
        expires_at: k.expires_at,
        published: k.status == "active" || k.expires_at.is_some_and(|e| t < e),
        public_jwk: serde_json::from_str(&k.public_jwk).unwrap_or(Value::Null),
    }
}

impl From<KeyChangeError> for ApiError {
    fn from(e: KeyChangeError) -> Self {
        match e {
            KeyChangeError::NotFound => ApiError::not_found("key"),
            KeyChangeError::Active => ApiError::conflict(
                "the active key cannot be retired; rotate to replace it (POST /v1/keys:rotate)",
            ),
            KeyChangeError::Db(e) => e.into(),
            KeyChangeError::Keys(m) => {
                tracing::error!(error = %m, "key change failed");
                ApiError::internal()
            }
        }
    }
}

#[utoipa::path(
    get, path = "/keys", tag = "keys",
    operation_id = "keys_list",
    responses((status = 200, description = "All signing keys", body = KeyList))
)]
pub async fn list(State(s): State<Shared>, _admin: Admin) -> Result<Json<KeyList>, ApiError> {
    let t = now();
    let rows = list_keys(&s.db.read).await?;
    Ok(Json(KeyList {
        keys: rows.iter().map(|k| key(k, t)).collect(),
    }))
}

#[utoipa::path(
    get, path = "/keys/{kid}", tag = "keys",
    operation_id = "keys_show",
    params(("kid" = String, Path, description = "The key id")),
    responses((status = 200, description = "The key", body = Key))
)]
pub async fn show(
    State(s): State<Shared>,
    _admin: Admin,
    Path(kid): Path<String>,
) -> Result<Json<Key>, ApiError> {
    let keys = list_keys(&s.db.read).await?;
    let found = keys
        .iter()
        .find(|k| k.kid == kid)
        .ok_or_else(|| ApiError::not_found("key"))?;
    Ok(Json(key(found, now())))
}

#[utoipa::path(
    post, path = "/keys:rotate", tag = "keys",
    operation_id = "keys_rotate",
    responses((status = 200, description = "The new active key", body = Key))
)]
pub async fn rotate(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
) -> Result<Json<Key>, ApiError> {
    let row = rotation::rotate(&s, admin.actor(), &meta, "admin").await?;
    Ok(Json(key(&row, now())))
}

/// `POST /v1/keys/{kid}:retire`: the only action on a single key.
#[utoipa::path(
    post, path = "/keys/{kid}:retire", tag = "keys",
    operation_id = "keys_action",
    params(("kid" = String, Path, description = "The key id")),
    responses((status = 200, description = "The retired key", body = Key))
)]
pub async fn action(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(kid_action): Path<String>,
) -> Result<Json<Key>, ApiError> {
    let Some(kid) = kid_action.strip_suffix(":retire") else {
        return Err(ApiError::not_found("endpoint"));
    };
    let row = rotation::retire(&s, kid, admin.actor(), &meta).await?;
    Ok(Json(key(&row, now())))
}

#[utoipa::path(
    post, path = "/keys:delete-expired", tag = "keys",
    operation_id = "keys_delete_expired",
    responses((status = 200, description = "The ids of the deleted keys", body = DeletedKeys))
)]
pub async fn delete_expired(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
) -> Result<Json<DeletedKeys>, ApiError> {
    let deleted = rotation::delete_expired(&s, admin.actor(), &meta).await?;
    Ok(Json(DeletedKeys { deleted }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `KID_ROUTE` is the only route of the documented `/keys/{kid}` and
    /// `/keys/{kid}:retire`: both are documented, and each is one segment under `/keys/`.
    #[test]
    fn the_kid_route_serves_its_documented_paths() {
        let doc = routes().into_openapi();
        let paths: Vec<&str> = doc.paths.paths.keys().map(String::as_str).collect();
        assert_eq!(
            paths,
            [
                "/keys",
                "/keys/{kid}",
                "/keys/{kid}:retire",
                "/keys:delete-expired",
                "/keys:rotate"
            ]
        );
        let (prefix, _) = KID_ROUTE.split_once('{').expect("a parameter");
        for documented in ["/keys/{kid}", "/keys/{kid}:retire"] {
            let rest = documented.strip_prefix(prefix).expect("under /keys/");
            assert!(!rest.contains('/'), "{documented} is one segment");
        }
    }
}
