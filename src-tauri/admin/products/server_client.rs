//! A product's confidential server client: minted (its secret shown once, stored only as
//! a hash), added to a product that has none, deleted (revoking its tokens).

use crate::admin::Admin;
use crate::audit::Event;
use crate::crypto::{random_token, sha256};
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::clients::{self, edit, ClientKind, NewClient};
use crate::store::{from_json_list, now, Tx};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use tessera_proto::products::ServerClient;

pub const SERVER_CLIENT_CREATED: &str = "admin.server_client.created";
pub const SERVER_CLIENT_DELETED: &str = "admin.server_client.deleted";

/// The wire shape of a server client; `client_secret` only where it was just minted.
pub(super) fn wire(
    client_id: String,
    scopes_json: &str,
    token_exchange: bool,
    secret: Option<String>,
) -> ServerClient {
    ServerClient {
        client_id,
        client_secret: secret,
        token_endpoint_auth_method: "client_secret_basic".into(),
        scopes: from_json_list(scopes_json),
        token_exchange,
    }
}

/// Mints a confidential server client for a product (granted `scopes_json`) inside `tx`;
/// returns its client_id and the secret, which is stored only as a hash.
pub(super) async fn insert_server_client(
    tx: &mut Tx,
    product_id: &str,
    name: &str,
    scopes_json: &str,
    now: i64,
) -> Result<(String, String), ApiError> {
    let client_id = format!("srv_{}", random_token(16));
    let secret = random_token(32);
    let hash = sha256(&secret);
    clients::insert_client(
        tx,
        &NewClient {
            client_id: &client_id,
            product_id: Some(product_id),
            kind: ClientKind::Server,
            name,
            secret_hash: Some(&hash),
            scopes_json,
            now,
        },
    )
    .await?;
    Ok((client_id, secret))
}

#[utoipa::path(
    post, path = "/products/{id}/server-client", tag = "products",
    operation_id = "products_add_server_client",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 201, description = "The server client and its secret, shown once", body = ServerClient))
)]
pub async fn add_server_client(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<ServerClient>), ApiError> {
    let mut tx = s.db.begin().await?;
    let p = edit::find_product_tx(&mut tx, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("product"))?;
    if edit::product_client_id(&mut tx, &id, "server")
        .await?
        .is_some()
    {
        return Err(ApiError::conflict(
            "the product already has a server client",
        ));
    }
    let (client_id, secret) = insert_server_client(&mut tx, &id, &p.name, &p.scopes, now()).await?;
    Event::success(SERVER_CLIENT_CREATED)
        .meta(&meta)
        .actor(admin.actor())
        .subject(&id)
        .client(&client_id)
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    s.clients.clear();
    let out = wire(client_id, &p.scopes, false, Some(secret));
    Ok((StatusCode::CREATED, Json(out)))
}

#[utoipa::path(
    delete, path = "/products/{id}/server-client", tag = "products",
    operation_id = "products_delete_server_client",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 204, description = "The server client is deleted"))
)]
pub async fn delete_server_client(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let now = now();
    let mut tx = s.db.begin().await?;
    edit::find_product_tx(&mut tx, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("product"))?;
    let client_id = edit::product_client_id(&mut tx, &id, "server")
        .await?
        .ok_or_else(|| ApiError::not_found("server client"))?;
    edit::revoke_client_tokens(&mut tx, &client_id, "client_deleted", now).await?;
    edit::delete_client(&mut tx, &client_id).await?;
    edit::touch_product(&mut tx, &id, now).await?;
    Event::success(SERVER_CLIENT_DELETED)
        .meta(&meta)
        .actor(admin.actor())
        .subject(&id)
        .client(&client_id)
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    s.clients.clear();
    Ok(StatusCode::NO_CONTENT)
}
