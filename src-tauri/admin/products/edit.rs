//! Changing a product: PATCH its settings, delete it (revoking its tokens), add or remove
//! its server client. Every change clears the client cache after it commits.

use super::{
    check_scopes, check_scopes_unique, check_ttl, product_json, FAMILY_TTL_MAX, FAMILY_TTL_MIN,
};
use crate::admin::input::{not_null, nullable};
use crate::admin::{clean_name, Admin, ApiJson};
use crate::audit::Event;
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::clients::edit;
use crate::store::{from_json_list, now, to_json_list};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

pub const PRODUCT_UPDATED: &str = "admin.product.updated";
pub const PRODUCT_DELETED: &str = "admin.product.deleted";
pub const SERVER_CLIENT_CREATED: &str = "admin.server_client.created";
pub const SERVER_CLIENT_DELETED: &str = "admin.server_client.deleted";

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProduct {
    #[serde(default, deserialize_with = "nullable")]
    name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    scopes: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "nullable")]
    audience: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    access_token_ttl: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    refresh_token_ttl: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    refresh_family_ttl: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    server_client_scopes: Option<Option<Vec<String>>>,
}

fn dedup(items: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for s in items {
        if !out.contains(s) {
            out.push(s.clone());
        }
    }
    out
}

#[utoipa::path(
    patch, path = "/products/{id}", tag = "products",
    operation_id = "products_update",
    params(("id" = String, Path, description = "The resource id")),
    request_body = UpdateProduct,
    responses((status = 200, description = "The updated product", body = serde_json::Value),
              (status = 409, description = "Another product already declares one of the scopes"))
)]
pub async fn update(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateProduct>,
) -> Result<Json<Value>, ApiError> {
    // Everything that needs no stored state is checked before taking the write lock.
    let name = not_null("name", body.name)?
        .map(|n| clean_name("name", &n))
        .transpose()?;
    let scopes = not_null("scopes", body.scopes)?;
    if let Some(sc) = &scopes {
        check_scopes(sc)?;
    }
    let scopes = scopes.map(|sc| dedup(&sc));
    let audience = body
        .audience
        .map(|a| a.map(|a| clean_name("audience", &a)).transpose())
        .transpose()?;
    let access_ttl = not_null("access_token_ttl", body.access_token_ttl)?
        .map(|v| check_ttl("access_token_ttl", Some(v), 0, 60, 86_400))
        .transpose()?;
    let refresh_ttl = not_null("refresh_token_ttl", body.refresh_token_ttl)?
        .map(|v| check_ttl("refresh_token_ttl", Some(v), 0, 300, 365 * 86_400))
        .transpose()?;
    let family_ttl = not_null("refresh_family_ttl", body.refresh_family_ttl)?
        .map(|v| {
            check_ttl(
                "refresh_family_ttl",
                Some(v),
                0,
                FAMILY_TTL_MIN,
                FAMILY_TTL_MAX,
            )
        })
        .transpose()?;
    let server_scopes =
        not_null("server_client_scopes", body.server_client_scopes)?.map(|sc| dedup(&sc));

    let mut changed: Vec<&str> = Vec::new();
    let mut tx = s.db.begin().await?;
    let mut p = edit::find_product_tx(&mut tx, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("product"))?;
    if let Some(n) = name {
        edit::rename_product_clients(&mut tx, &id, &n).await?;
        p.name = n;
        changed.push("name");
    }
    if let Some(sc) = &scopes {
        check_scopes_unique(&mut tx, sc, Some(&id)).await?;
        p.scopes = to_json_list(sc);
        changed.push("scopes");
    }
    if let Some(a) = audience {
        p.audience = a;
        changed.push("audience");
    }
    if let Some(v) = access_ttl {
        p.access_token_ttl = v;
        changed.push("access_token_ttl");
    }
    if let Some(v) = refresh_ttl {
        p.refresh_token_ttl = v;
        changed.push("refresh_token_ttl");
    }
    // Applies to sign-ins that start from now on; running families keep their end.
    if let Some(v) = family_ttl {
        p.refresh_family_ttl = v;
        changed.push("refresh_family_ttl");
    }
    let product_scopes = from_json_list(&p.scopes);
    let current = edit::server_client_scopes(&mut tx, &id).await?;
    match (server_scopes, current) {
        (Some(_), None) => {
            return Err(ApiError::invalid_field(
                "server_client_scopes",
                "the product has no server client",
            ))
        }
        (Some(wanted), Some(_)) => {
            if let Some(bad) = wanted.iter().find(|x| !product_scopes.contains(x)) {
                return Err(ApiError::invalid_field(
                    "server_client_scopes",
                    format!("{bad:?} is not one of the product's scopes"),
                ));
            }
            edit::set_server_client_scopes(&mut tx, &id, &to_json_list(&wanted)).await?;
            changed.push("server_client_scopes");
        }
        // Narrowing the product's scopes narrows what its server client was granted.
        (None, Some(granted)) if scopes.is_some() => {
            let kept: Vec<String> = from_json_list(&granted)
                .into_iter()
                .filter(|x| product_scopes.contains(x))
                .collect();
            edit::set_server_client_scopes(&mut tx, &id, &to_json_list(&kept)).await?;
        }
        _ => {}
    }
    if !changed.is_empty() {
        p.updated_at = now();
        edit::update_product(&mut tx, &p).await?;
        Event::success(PRODUCT_UPDATED)
            .meta(&meta)
            .actor(admin.actor())
            .subject(&id)
            .detail(json!({ "fields": changed }))
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        s.clients.clear();
    }
    Ok(Json(product_json(&s.db.read, &p).await?))
}

#[utoipa::path(
    delete, path = "/products/{id}", tag = "products",
    operation_id = "products_delete",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 204, description = "The product is deleted"))
)]
pub async fn delete(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let now = now();
    let mut tx = s.db.begin().await?;
    let p = edit::find_product_tx(&mut tx, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("product"))?;
    let mut families = 0;
    let mut client_ids = Vec::new();
    for kind in ["web", "server"] {
        if let Some(c) = edit::product_client_id(&mut tx, &id, kind).await? {
            families += edit::revoke_client_tokens(&mut tx, &c, "product_deleted", now).await?;
            client_ids.push(c);
        }
    }
    edit::delete_product(&mut tx, &id).await?;
    Event::success(PRODUCT_DELETED)
        .meta(&meta)
        .actor(admin.actor())
        .subject(&id)
        .detail(json!({"name": p.name, "clients": client_ids, "families_revoked": families}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    s.clients.clear();
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post, path = "/products/{id}/server-client", tag = "products",
    operation_id = "products_add_server_client",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 201, description = "The server client and its secret, shown once", body = serde_json::Value))
)]
pub async fn add_server_client(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
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
    let (client_id, secret) =
        super::insert_server_client(&mut tx, &id, &p.name, &p.scopes, now()).await?;
    Event::success(SERVER_CLIENT_CREATED)
        .meta(&meta)
        .actor(admin.actor())
        .subject(&id)
        .client(&client_id)
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    s.clients.clear();
    let out = json!({
        "client_id": client_id, "client_secret": secret,
        "token_endpoint_auth_method": "client_secret_basic",
        "scopes": from_json_list(&p.scopes),
    });
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
