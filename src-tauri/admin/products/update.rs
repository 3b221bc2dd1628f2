//! `PATCH /v1/products/{id}`: the product's name, scopes, audience, token lifetimes and
//! the scopes of its server client. Clears the client cache after it commits.

use super::rules::{check_mfa, check_scopes, check_scopes_unique, check_ttl, check_uri, dedup};
use super::rules::{check_resources, check_resources_unique};
use super::rules::{FAMILY_TTL_MAX, FAMILY_TTL_MIN};
use super::web_client;
use crate::admin::input::not_null;
use crate::admin::{clean_name, Admin, ApiJson};
use crate::audit::Event;
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::clients::{self, edit, ProductRow};
use crate::store::{from_json_list, now, to_json_list, Tx};
use axum::extract::{Path, State};
use axum::Json;
use serde_json::json;
use tessera_proto::products::{Product, UpdateProduct, WebClientSettings};

pub const PRODUCT_UPDATED: &str = "admin.product.updated";

/// A patch, checked: everything that needs no stored state. `None` leaves a field as it is.
struct Patch {
    name: Option<String>,
    /// Without repeats.
    scopes: Option<Vec<String>>,
    /// `Some(None)` clears the audience.
    audience: Option<Option<String>>,
    /// RFC 8707 resources, without repeats.
    resources: Option<Vec<String>>,
    access_ttl: Option<i64>,
    refresh_ttl: Option<i64>,
    family_ttl: Option<i64>,
    /// Without repeats.
    server_scopes: Option<Vec<String>>,
    /// Token exchange for the server client.
    server_exchange: Option<bool>,
    /// `optional` or `required`.
    mfa: Option<String>,
    self_registration: Option<bool>,
    /// Changes to the web client's settings (merged with its stored ones under the lock).
    web_client: Option<WebClientSettings>,
}

/// A lifetime field: absent stays, `null` is refused, a value must lie within bounds.
fn ttl(field: &str, v: Option<Option<i64>>, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
    not_null(field, v)?
        .map(|v| check_ttl(field, Some(v), 0, min, max))
        .transpose()
}

/// Checks the body field by field, in the order its errors are reported.
fn patch(body: UpdateProduct) -> Result<Patch, ApiError> {
    let name = not_null("name", body.name)?
        .map(|n| clean_name("name", &n))
        .transpose()?;
    let scopes = not_null("scopes", body.scopes)?;
    if let Some(sc) = &scopes {
        check_scopes(sc)?;
    }
    let audience = body
        .audience
        .map(|a| a.map(|a| clean_name("audience", &a)).transpose())
        .transpose()?;
    let resources = not_null("resources", body.resources)?
        .map(|r| check_resources(&r, None))
        .transpose()?;
    Ok(Patch {
        name,
        scopes: scopes.map(|sc| dedup(&sc)),
        audience,
        resources,
        access_ttl: ttl("access_token_ttl", body.access_token_ttl, 60, 86_400)?,
        refresh_ttl: ttl(
            "refresh_token_ttl",
            body.refresh_token_ttl,
            300,
            365 * 86_400,
        )?,
        family_ttl: ttl(
            "refresh_family_ttl",
            body.refresh_family_ttl,
            FAMILY_TTL_MIN,
            FAMILY_TTL_MAX,
        )?,
        server_scopes: not_null("server_client_scopes", body.server_client_scopes)?
            .map(|sc| dedup(&sc)),
        server_exchange: not_null(
            "server_client_token_exchange",
            body.server_client_token_exchange,
        )?,
        mfa: not_null("mfa", body.mfa)?
            .map(|m| check_mfa(&m))
            .transpose()?,
        self_registration: not_null("self_registration", body.self_registration)?,
        web_client: not_null("web_client", body.web_client)?,
    })
}

/// Applies the product's own settings to `p` (a rename renames its clients; new scopes
/// must not be declared by another product) and names each changed field in `changed`.
async fn apply_settings(
    tx: &mut Tx,
    p: &mut ProductRow,
    patch: &Patch,
    changed: &mut Vec<&'static str>,
) -> Result<(), ApiError> {
    if let Some(n) = &patch.name {
        edit::rename_product_clients(tx, &p.id, n).await?;
        p.name = n.clone();
        changed.push("name");
    }
    if let Some(sc) = &patch.scopes {
        check_scopes_unique(tx, sc, Some(&p.id)).await?;
        p.scopes = to_json_list(sc);
        changed.push("scopes");
    }
    if let Some(a) = &patch.audience {
        p.audience = a.clone();
        changed.push("audience");
    }
    if let Some(r) = &patch.resources {
        check_resources_unique(tx, r, Some(&p.id)).await?;
        p.resources = to_json_list(r);
        changed.push("resources");
    }
    if patch.resources.is_some() || patch.audience.is_some() {
        // A resource may not repeat the product's audience, whichever of them changed.
        check_resources(&from_json_list(&p.resources), p.audience.as_deref())?;
    }
    if let Some(v) = patch.access_ttl {
        p.access_token_ttl = v;
        changed.push("access_token_ttl");
    }
    if let Some(v) = patch.refresh_ttl {
        p.refresh_token_ttl = v;
        changed.push("refresh_token_ttl");
    }
    // Applies to sign-ins that start from now on; running families keep their end.
    if let Some(v) = patch.family_ttl {
        p.refresh_family_ttl = v;
        changed.push("refresh_family_ttl");
    }
    Ok(())
}

/// Sets the server client's scopes (each must be one of the product's, as `p` now has
/// them), or narrows them to the product's new scopes.
async fn apply_server_scopes(
    tx: &mut Tx,
    p: &ProductRow,
    patch: &Patch,
    changed: &mut Vec<&'static str>,
) -> Result<(), ApiError> {
    let product_scopes = from_json_list(&p.scopes);
    match (
        &patch.server_scopes,
        edit::server_client_scopes(tx, &p.id).await?,
    ) {
        (Some(_), None) => Err(ApiError::invalid_field(
            "server_client_scopes",
            "the product has no server client",
        )),
        (Some(wanted), Some(_)) => {
            if let Some(bad) = wanted.iter().find(|x| !product_scopes.contains(x)) {
                return Err(ApiError::invalid_field(
                    "server_client_scopes",
                    format!("{bad:?} is not one of the product's scopes"),
                ));
            }
            edit::set_server_client_scopes(tx, &p.id, &to_json_list(wanted)).await?;
            changed.push("server_client_scopes");
            Ok(())
        }
        // Narrowing the product's scopes narrows what its server client was granted.
        (None, Some(granted)) if patch.scopes.is_some() => {
            let kept: Vec<String> = from_json_list(&granted)
                .into_iter()
                .filter(|x| product_scopes.contains(x))
                .collect();
            edit::set_server_client_scopes(tx, &p.id, &to_json_list(&kept)).await?;
            Ok(())
        }
        _ => Ok(()),
    }
}

#[utoipa::path(
    patch, path = "/products/{id}", tag = "products",
    operation_id = "products_update",
    params(("id" = String, Path, description = "The resource id")),
    request_body = UpdateProduct,
    responses((status = 200, description = "The updated product", body = Product),
              (status = 409, description = "Another product already declares one of the scopes"))
)]
pub async fn update(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateProduct>,
) -> Result<Json<Product>, ApiError> {
    // Everything that needs no stored state is checked before taking the write lock.
    let patch = patch(body)?;
    let mut changed: Vec<&str> = Vec::new();
    let mut tx = s.db.begin().await?;
    let mut p = edit::find_product_tx(&mut tx, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("product"))?;
    apply_settings(&mut tx, &mut p, &patch, &mut changed).await?;
    apply_server_scopes(&mut tx, &p, &patch, &mut changed).await?;
    if patch.scopes.is_some() {
        super::agents::narrow_to_product(&mut tx, &p).await?;
    }
    if let Some(on) = patch.server_exchange {
        if !edit::set_server_token_exchange(&mut tx, &p.id, on).await? {
            return Err(ApiError::invalid_field(
                "server_client_token_exchange",
                "the product has no server client",
            ));
        }
        changed.push("server_client_token_exchange");
    }
    if let Some(m) = patch.mfa.as_ref().filter(|m| **m != p.mfa) {
        crate::store::mfa::set_product_policy(&mut tx, &p.id, m).await?;
        p.mfa = m.clone();
        changed.push("mfa");
    }
    if let Some(on) = patch
        .self_registration
        .filter(|on| *on != p.self_registration)
    {
        crate::store::auth_api::set_self_registration(&mut tx, &p.id, on).await?;
        p.self_registration = on;
        changed.push("self_registration");
    }
    let web_secret = apply_web_client(&mut tx, &p, &patch, &mut changed).await?;
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
    let mut out = super::product(&s.db.read, &p).await?;
    if let Some(client) = out.web_client.as_mut() {
        client.client_secret = web_secret;
    }
    Ok(Json(out))
}

/// Merges the patch's web client settings with the stored ones and stores them; returns
/// a secret minted by a change to a secret method (shown once in the answer).
async fn apply_web_client(
    tx: &mut Tx,
    p: &ProductRow,
    patch: &Patch,
    changed: &mut Vec<&'static str>,
) -> Result<Option<String>, ApiError> {
    let Some(body) = &patch.web_client else {
        return Ok(None);
    };
    let client_id = edit::product_client_id(tx, &p.id, "web")
        .await?
        .ok_or_else(|| ApiError::invalid_field("web_client", "the product has no web client"))?;
    let old = clients::find_client_tx(tx, &client_id)
        .await?
        .ok_or_else(ApiError::internal)?
        .app;
    let new = web_client::merge(body, &old)?;
    if new == old {
        return Ok(None);
    }
    if new.application_type != old.application_type {
        // A web app may not keep a native app's private-use schemes.
        for uri in edit::all_redirect_uris(tx, &client_id).await? {
            check_uri("web_client.application_type", &uri, new.application_type)?;
        }
    }
    changed.push("web_client");
    web_client::store(tx, &client_id, &old, &new, now()).await
}
