//! `/v1/products`: list and read here, and the wire shape of a product; creating one
//! (its public web client and optional confidential server client), updating, deleting,
//! its server client and that client's secret, its redirect URIs and its agents each in
//! their own file; the checks create and update share in `rules`.

mod agents;
mod create;
mod delete;
mod rules;
mod secret;
mod server_client;
mod update;
mod uris;
mod web_client;

use super::Admin;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::clients::{self, ProductRow};
use crate::store::{from_json_list, Reader};
use axum::extract::{Path, State};
use axum::Json;
use tessera_proto::products::{Product, ProductList};
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list, create::create))
        .routes(routes!(get_one, update::update, delete::delete))
        .routes(routes!(secret::rotate_secret))
        .routes(routes!(secret::rotate_web_secret))
        .routes(routes!(
            server_client::add_server_client,
            server_client::delete_server_client
        ))
        .routes(routes!(uris::add_redirect_uri, uris::remove_redirect_uri))
        .routes(routes!(uris::add_logout_uri, uris::remove_logout_uri))
        .routes(routes!(agents::create_agent, agents::list_agents))
        .routes(routes!(agents::delete_agent))
        .routes(routes!(agents::rotate_agent_secret))
}

/// The wire shape of a product, without any secret.
async fn product(pool: &Reader, p: &ProductRow) -> Result<Product, ApiError> {
    let mut web = None;
    let mut server = None;
    for row in clients::product_clients(pool, &p.id).await? {
        match row.kind.as_str() {
            "web" => {
                let login = clients::redirect_uris(pool, &row.client_id, "login").await?;
                let logout = clients::redirect_uris(pool, &row.client_id, "post_logout").await?;
                let client_id = row.client_id.clone();
                web = Some(web_client::wire(
                    client_id,
                    login,
                    logout,
                    &row.app_settings()?,
                ));
            }
            "server" => {
                let exchange = row.token_exchange;
                server = Some(server_client::wire(
                    row.client_id,
                    &row.scopes,
                    exchange,
                    None,
                ));
            }
            _ => {}
        }
    }
    Ok(Product {
        id: p.id.clone(),
        name: p.name.clone(),
        scopes: from_json_list(&p.scopes),
        audience: p.audience.clone(),
        resources: from_json_list(&p.resources),
        access_token_ttl: p.access_token_ttl,
        refresh_token_ttl: p.refresh_token_ttl,
        refresh_family_ttl: p.refresh_family_ttl,
        mfa: p.mfa.clone(),
        self_registration: p.self_registration,
        web_client: web,
        server_client: server,
        created_at: p.created_at,
        updated_at: p.updated_at,
    })
}

/// The product (read after a change committed) or 404.
async fn require_product(s: &Shared, id: &str) -> Result<ProductRow, ApiError> {
    clients::find_product(&s.db.read, id)
        .await?
        .ok_or_else(|| ApiError::not_found("product"))
}

#[utoipa::path(
    get, path = "/products", tag = "products",
    operation_id = "products_list",
    responses((status = 200, description = "All products", body = ProductList))
)]
pub async fn list(State(s): State<Shared>, _admin: Admin) -> Result<Json<ProductList>, ApiError> {
    let rows = clients::list_products(&s.db.read).await?;
    let mut products = Vec::with_capacity(rows.len());
    for row in &rows {
        products.push(product(&s.db.read, row).await?);
    }
    Ok(Json(ProductList { products }))
}

#[utoipa::path(
    get, path = "/products/{id}", tag = "products",
    operation_id = "products_get_one",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 200, description = "The product", body = Product))
)]
pub async fn get_one(
    State(s): State<Shared>,
    _admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<Product>, ApiError> {
    let row = require_product(&s, &id).await?;
    Ok(Json(product(&s.db.read, &row).await?))
}
