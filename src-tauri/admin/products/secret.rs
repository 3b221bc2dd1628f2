//! Rotating the secret of a product's server client: the new one is shown once, the old
//! one stops working at once.

use crate::admin::Admin;
use crate::audit::{kind, Event};
use crate::crypto::{random_token, sha256};
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::clients;
use crate::store::now;
use axum::extract::{Path, State};
use axum::Json;
use tessera_proto::products::RotatedSecret;

#[utoipa::path(
    post, path = "/products/{id}/secret:rotate", tag = "products",
    operation_id = "products_rotate_secret",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 200, description = "The new server secret, shown once", body = RotatedSecret))
)]
pub async fn rotate_secret(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Json<RotatedSecret>, ApiError> {
    let secret = random_token(32);
    let mut tx = s.db.begin().await?;
    let client_id = clients::rotate_server_secret(&mut tx, &id, &sha256(&secret), now())
        .await?
        .ok_or_else(|| ApiError::not_found("product with a server client"))?;
    Event::success(kind::SECRET_ROTATED)
        .meta(&meta)
        .actor(admin.actor())
        .subject(&id)
        .client(&client_id)
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    s.clients.clear();
    Ok(Json(RotatedSecret {
        client_id,
        client_secret: secret,
    }))
}
