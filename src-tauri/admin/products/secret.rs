//! Rotating the secret of a product's server client, or of its confidential web client
//! (`client_secret_basic`/`_post`): the new one is shown once, the old one stops working
//! at once.

use crate::admin::Admin;
use crate::audit::{kind, Event};
use crate::crypto::{random_token, sha256};
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::clients::{self, edit};
use crate::store::{now, Tx};
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
    rotated(&s, tx, (&admin, &meta), &id, client_id, secret).await
}

#[utoipa::path(
    post, path = "/products/{id}/web-client/secret:rotate", tag = "products",
    operation_id = "products_rotate_web_secret",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 200, description = "The web client's new secret, shown once", body = RotatedSecret),
              (status = 409, description = "The web client uses no secret (its token_endpoint_auth_method is none or private_key_jwt)"))
)]
pub async fn rotate_web_secret(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Json<RotatedSecret>, ApiError> {
    let mut tx = s.db.begin().await?;
    let client_id = web_client_with_secret(&mut tx, &id).await?;
    let secret = random_token(32);
    if !edit::rotate_secret(&mut tx, &client_id, "web", &sha256(&secret), now()).await? {
        return Err(ApiError::internal());
    }
    rotated(&s, tx, (&admin, &meta), &id, client_id, secret).await
}

/// The product's web client when it authenticates with a secret; 404 without a product
/// or web client, 409 when its method uses no secret.
async fn web_client_with_secret(tx: &mut Tx, product_id: &str) -> Result<String, ApiError> {
    let client_id = super::uris::web_client(tx, product_id).await?;
    let method = clients::find_client_tx(tx, &client_id)
        .await?
        .ok_or_else(ApiError::internal)?
        .app
        .token_auth;
    if !method.uses_secret() {
        return Err(ApiError::conflict(format!(
            "the web client uses no secret (token_endpoint_auth_method {}): set \
             client_secret_basic or client_secret_post first, which shows its first secret",
            method.as_str()
        )));
    }
    Ok(client_id)
}

/// Records the rotation of `client_id`'s secret, commits, and shows the secret once.
async fn rotated(
    s: &Shared,
    mut tx: Tx,
    (admin, meta): (&Admin, &RequestMeta),
    product_id: &str,
    client_id: String,
    secret: String,
) -> Result<Json<RotatedSecret>, ApiError> {
    Event::success(kind::SECRET_ROTATED)
        .meta(meta)
        .actor(admin.actor())
        .subject(product_id)
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
