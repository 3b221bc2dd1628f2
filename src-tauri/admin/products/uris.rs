//! A product's redirect URIs and post-logout redirect URIs, added and removed one at a
//! time (RFC 9700 rules in `domain::redirect`; matched exactly at use).

use super::{product, require_product};
use crate::admin::input::query_params;
use crate::admin::{Admin, ApiJson};
use crate::audit::Event;
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::clients::{self, edit};
use crate::store::{now, Tx};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::json;
use tessera_proto::products::{AddUri, Product};

pub const URI_ADDED: &str = "admin.redirect_uri.added";
pub const URI_REMOVED: &str = "admin.redirect_uri.removed";
/// The most URIs of one kind a client may hold (as at product creation).
const MAX_URIS: i64 = 50;

/// `login` or `post_logout`, and how the API names that list.
#[derive(Clone, Copy)]
struct Kind(&'static str, &'static str);
const LOGIN: Kind = Kind("login", "redirect_uris");
const LOGOUT: Kind = Kind("post_logout", "post_logout_redirect_uris");

/// The id of the product's web client; 404 for a missing product or client.
pub(super) async fn web_client(tx: &mut Tx, id: &str) -> Result<String, ApiError> {
    edit::find_product_tx(tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("product"))?;
    edit::product_client_id(tx, id, "web")
        .await?
        .ok_or_else(|| ApiError::not_found("web client"))
}

async fn add(
    s: Shared,
    admin: Admin,
    meta: RequestMeta,
    id: String,
    kind: Kind,
    uri: String,
) -> Result<(StatusCode, Json<Product>), ApiError> {
    let mut tx = s.db.begin().await?;
    let web = web_client(&mut tx, &id).await?;
    // The rules depend on the kind of app (native apps: private-use schemes).
    let app = clients::find_client_tx(&mut tx, &web)
        .await?
        .ok_or_else(ApiError::internal)?
        .app;
    super::rules::check_uri("uri", &uri, app.application_type)?;
    if edit::count_redirect_uris(&mut tx, &web, kind.0).await? >= MAX_URIS {
        return Err(ApiError::invalid_field(
            "uri",
            format!("{} already holds {MAX_URIS} URIs", kind.1),
        ));
    }
    clients::insert_redirect_uri(&mut tx, &web, kind.0, &uri).await?;
    edit::touch_product(&mut tx, &id, now()).await?;
    Event::success(URI_ADDED)
        .meta(&meta)
        .actor(admin.actor())
        .subject(&id)
        .client(&web)
        .detail(json!({"kind": kind.1, "uri": uri}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    s.clients.clear();
    let p = require_product(&s, &id).await?;
    Ok((StatusCode::CREATED, Json(product(&s.db.read, &p).await?)))
}

async fn remove(
    s: Shared,
    admin: Admin,
    meta: RequestMeta,
    id: String,
    kind: Kind,
    query: Option<String>,
) -> Result<StatusCode, ApiError> {
    let params = query_params(query.as_deref(), &["uri"])?;
    let uri = params
        .get("uri")
        .ok_or_else(|| ApiError::invalid_field("uri", "the query parameter is required"))?;
    let mut tx = s.db.begin().await?;
    let web = web_client(&mut tx, &id).await?;
    if !edit::delete_redirect_uri(&mut tx, &web, kind.0, uri).await? {
        return Err(ApiError::not_found("registered URI"));
    }
    edit::touch_product(&mut tx, &id, now()).await?;
    Event::success(URI_REMOVED)
        .meta(&meta)
        .actor(admin.actor())
        .subject(&id)
        .client(&web)
        .detail(json!({"kind": kind.1, "uri": uri}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    s.clients.clear();
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post, path = "/products/{id}/redirect-uris", tag = "products",
    operation_id = "products_add_redirect_uri",
    params(("id" = String, Path, description = "The resource id")),
    request_body = AddUri,
    responses((status = 201, description = "The product, with the URI added", body = Product))
)]
pub async fn add_redirect_uri(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AddUri>,
) -> Result<(StatusCode, Json<Product>), ApiError> {
    add(s, admin, meta, id, LOGIN, body.uri).await
}

#[utoipa::path(
    delete, path = "/products/{id}/redirect-uris", tag = "products",
    operation_id = "products_remove_redirect_uri",
    params(("id" = String, Path, description = "The resource id"), ("uri" = Option<String>, Query, description = "The URI to remove")),
    responses((status = 204, description = "The URI is removed"))
)]
pub async fn remove_redirect_uri(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<StatusCode, ApiError> {
    remove(s, admin, meta, id, LOGIN, q).await
}

#[utoipa::path(
    post, path = "/products/{id}/post-logout-redirect-uris", tag = "products",
    operation_id = "products_add_logout_uri",
    params(("id" = String, Path, description = "The resource id")),
    request_body = AddUri,
    responses((status = 201, description = "The product, with the URI added", body = Product))
)]
pub async fn add_logout_uri(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AddUri>,
) -> Result<(StatusCode, Json<Product>), ApiError> {
    add(s, admin, meta, id, LOGOUT, body.uri).await
}

#[utoipa::path(
    delete, path = "/products/{id}/post-logout-redirect-uris", tag = "products",
    operation_id = "products_remove_logout_uri",
    params(("id" = String, Path, description = "The resource id"), ("uri" = Option<String>, Query, description = "The URI to remove")),
    responses((status = 204, description = "The URI is removed"))
)]
pub async fn remove_logout_uri(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<StatusCode, ApiError> {
    remove(s, admin, meta, id, LOGOUT, q).await
}
