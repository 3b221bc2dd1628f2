//! `/v1/products`: register a product (its public web client and optional confidential
//! server client), list, read, rotate the server client's secret; changes in `edit`,
//! redirect URIs in `uris`.

pub mod edit;
pub mod uris;

use super::{clean_name, Admin, ApiJson};
use crate::audit::{kind, Event};
use crate::crypto::{random_token, sha256};
use crate::domain::{redirect, scope, RequestMeta};
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::clients::{self, ClientKind, NewClient, NewProduct, ProductRow};
use crate::store::Reader;
use crate::store::{from_json_list, now, to_json_list};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one, edit::update, edit::delete))
        .routes(routes!(rotate_secret))
        .routes(routes!(edit::add_server_client, edit::delete_server_client))
        .routes(routes!(uris::add_redirect_uri, uris::remove_redirect_uri))
        .routes(routes!(uris::add_logout_uri, uris::remove_logout_uri))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProduct {
    name: String,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    server_client: bool,
    #[serde(default)]
    audience: Option<String>,
    #[serde(default)]
    access_token_ttl: Option<i64>,
    #[serde(default)]
    refresh_token_ttl: Option<i64>,
    /// How long one sign-in may be kept alive by refreshing (seconds, default 90 days):
    /// rotation never extends it.
    #[serde(default)]
    refresh_family_ttl: Option<i64>,
}

/// Bounds of a product's refresh-family lifetime: 1 hour to 2 years.
const FAMILY_TTL_MIN: i64 = 3600;
const FAMILY_TTL_MAX: i64 = 730 * 86_400;

/// Scopes a product may not declare: they belong to OIDC or to Tessera itself.
const RESERVED_SCOPES: [&str; 5] = ["openid", "profile", "email", "offline_access", "admin"];

fn check_uris(field: &str, uris: &[String]) -> Result<(), ApiError> {
    if uris.len() > 50 {
        return Err(ApiError::invalid_field(field, "at most 50 URIs"));
    }
    for uri in uris {
        redirect::validate_registration(uri)
            .map_err(|why| ApiError::invalid_field(field, format!("{uri:?} {why}")))?;
    }
    Ok(())
}

fn check_scopes(scopes: &[String]) -> Result<(), ApiError> {
    if scopes.len() > 100 {
        return Err(ApiError::invalid_field("scopes", "at most 100 scopes"));
    }
    for s in scopes {
        if !scope::is_scope_token(s) {
            return Err(ApiError::invalid_field(
                "scopes",
                format!("{s:?} is not a valid scope (no spaces or quotes, 1-128 characters)"),
            ));
        }
        if RESERVED_SCOPES.contains(&s.as_str()) {
            return Err(ApiError::invalid_field(
                "scopes",
                format!("{s:?} is reserved"),
            ));
        }
    }
    Ok(())
}

/// 409 when another product already declares one of `scopes`.
async fn check_scopes_unique(
    tx: &mut crate::store::Tx,
    scopes: &[String],
    except_product: Option<&str>,
) -> Result<(), ApiError> {
    match clients::edit::scope_declared_elsewhere(tx, scopes, except_product).await? {
        Some((scope, product)) => Err(ApiError::conflict(format!(
            "scope {scope:?} is already declared by the product {product:?}: each scope \
             belongs to one product (roles and tokens name scopes without their product); \
             pick a name prefixed with this product's, e.g. \"shop:{scope}\""
        ))),
        None => Ok(()),
    }
}

fn check_ttl(
    field: &str,
    value: Option<i64>,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, ApiError> {
    let v = value.unwrap_or(default);
    if !(min..=max).contains(&v) {
        return Err(ApiError::invalid_field(
            field,
            format!("must be between {min} and {max} seconds"),
        ));
    }
    Ok(v)
}

#[utoipa::path(
    post, path = "/products", tag = "products",
    operation_id = "products_create",
    request_body = CreateProduct,
    responses((status = 201, description = "The created product (with a server secret, shown once)", body = serde_json::Value),
              (status = 409, description = "Another product already declares one of the scopes"))
)]
pub async fn create(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    ApiJson(body): ApiJson<CreateProduct>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let name = clean_name("name", &body.name)?;
    check_uris("redirect_uris", &body.redirect_uris)?;
    check_uris("post_logout_redirect_uris", &body.post_logout_redirect_uris)?;
    check_scopes(&body.scopes)?;
    let audience = body
        .audience
        .as_deref()
        .map(|a| clean_name("audience", a))
        .transpose()?;
    let access_ttl = check_ttl("access_token_ttl", body.access_token_ttl, 600, 60, 86_400)?;
    let refresh_ttl = check_ttl(
        "refresh_token_ttl",
        body.refresh_token_ttl,
        30 * 86_400,
        300,
        365 * 86_400,
    )?;
    let family_ttl = check_ttl(
        "refresh_family_ttl",
        body.refresh_family_ttl,
        clients::DEFAULT_REFRESH_FAMILY_TTL,
        FAMILY_TTL_MIN,
        FAMILY_TTL_MAX,
    )?;
    let mut product_scopes: Vec<String> = Vec::with_capacity(body.scopes.len());
    for s in &body.scopes {
        if !product_scopes.contains(s) {
            product_scopes.push(s.clone());
        }
    }
    let scopes_json = to_json_list(&product_scopes);

    let now = now();
    let id = uuid::Uuid::now_v7().to_string();
    let web_id = format!("web_{}", random_token(16));

    let mut tx = s.db.begin().await?;
    check_scopes_unique(&mut tx, &product_scopes, None).await?;
    clients::insert_product(
        &mut tx,
        &NewProduct {
            id: &id,
            name: &name,
            scopes_json: &scopes_json,
            audience: audience.as_deref(),
            access_token_ttl: access_ttl,
            refresh_token_ttl: refresh_ttl,
            refresh_family_ttl: family_ttl,
            now,
        },
    )
    .await?;
    clients::insert_client(
        &mut tx,
        &NewClient {
            client_id: &web_id,
            product_id: Some(&id),
            kind: ClientKind::Web,
            name: &name,
            secret_hash: None,
            scopes_json: "[]",
            now,
        },
    )
    .await?;
    for uri in &body.redirect_uris {
        clients::insert_redirect_uri(&mut tx, &web_id, "login", uri).await?;
    }
    for uri in &body.post_logout_redirect_uris {
        clients::insert_redirect_uri(&mut tx, &web_id, "post_logout", uri).await?;
    }
    let server = if body.server_client {
        Some(insert_server_client(&mut tx, &id, &name, &scopes_json, now).await?)
    } else {
        None
    };
    Event::success(kind::PRODUCT_CREATED)
        .meta(&meta)
        .actor(admin.actor())
        .subject(&id)
        .client(&web_id)
        .detail(json!({"name": name, "server_client": server.is_some()}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;

    let row = clients::find_product(&s.db.read, &id)
        .await?
        .ok_or_else(ApiError::internal)?;
    let mut out = product_json(&s.db.read, &row).await?;
    if let Some((_, secret)) = server {
        out["server_client"]["client_secret"] = json!(secret);
    }
    Ok((StatusCode::CREATED, Json(out)))
}

#[utoipa::path(
    get, path = "/products", tag = "products",
    operation_id = "products_list",
    responses((status = 200, description = "All products", body = serde_json::Value))
)]
pub async fn list(State(s): State<Shared>, _admin: Admin) -> Result<Json<Value>, ApiError> {
    let rows = clients::list_products(&s.db.read).await?;
    let mut products = Vec::with_capacity(rows.len());
    for row in &rows {
        products.push(product_json(&s.db.read, row).await?);
    }
    Ok(Json(json!({ "products": products })))
}

#[utoipa::path(
    get, path = "/products/{id}", tag = "products",
    operation_id = "products_get_one",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 200, description = "The product", body = serde_json::Value))
)]
pub async fn get_one(
    State(s): State<Shared>,
    _admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let row = clients::find_product(&s.db.read, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("product"))?;
    Ok(Json(product_json(&s.db.read, &row).await?))
}

#[utoipa::path(
    post, path = "/products/{id}/secret:rotate", tag = "products",
    operation_id = "products_rotate_secret",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 200, description = "The new server secret, shown once", body = serde_json::Value))
)]
pub async fn rotate_secret(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(
        json!({ "client_id": client_id, "client_secret": secret }),
    ))
}

/// Mints a confidential server client for a product (granted `scopes_json`) inside `tx`;
/// returns its client_id and the secret, which is stored only as a hash.
pub(super) async fn insert_server_client(
    tx: &mut crate::store::Tx,
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

/// The public shape of a product, without any secret.
async fn product_json(pool: &Reader, p: &ProductRow) -> Result<Value, ApiError> {
    let mut web = Value::Null;
    let mut server = Value::Null;
    for (client_id, kind, scopes) in clients::product_clients(pool, &p.id).await? {
        match kind.as_str() {
            "web" => {
                web = json!({
                    "client_id": client_id,
                    "token_endpoint_auth_method": "none",
                    "redirect_uris": clients::redirect_uris(pool, &client_id, "login").await?,
                    "post_logout_redirect_uris": clients::redirect_uris(pool, &client_id, "post_logout").await?,
                })
            }
            "server" => {
                server = json!({
                    "client_id": client_id,
                    "token_endpoint_auth_method": "client_secret_basic",
                    "scopes": from_json_list(&scopes),
                })
            }
            _ => {}
        }
    }
    Ok(json!({
        "id": p.id, "name": p.name, "scopes": from_json_list(&p.scopes), "audience": p.audience,
        "access_token_ttl": p.access_token_ttl, "refresh_token_ttl": p.refresh_token_ttl,
        "refresh_family_ttl": p.refresh_family_ttl,
        "web_client": web, "server_client": server,
        "created_at": p.created_at, "updated_at": p.updated_at,
    }))
}
