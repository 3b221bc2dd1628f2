//! Registering a product: its public web client always, a confidential server client on
//! request (its secret is in the answer, once).

use super::rules::{check_mfa, check_scopes, check_scopes_unique, check_ttl, check_uris, dedup};
use super::rules::{check_resources, check_resources_unique};
use super::rules::{FAMILY_TTL_MAX, FAMILY_TTL_MIN};
use super::server_client::insert_server_client;
use super::web_client;
use crate::admin::{clean_name, Admin, ApiJson};
use crate::audit::{kind, Event};
use crate::crypto::random_token;
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::clients::{self, AppSettings, ClientKind, NewClient, NewProduct};
use crate::store::{now, to_json_list, Tx};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::json;
use tessera_proto::products::{CreateProduct, Product};

/// A create body's settings, checked (everything that needs no stored state).
struct Settings {
    name: String,
    /// Without repeats.
    scopes: Vec<String>,
    audience: Option<String>,
    /// RFC 8707 resources, without repeats.
    resources: Vec<String>,
    access_ttl: i64,
    refresh_ttl: i64,
    family_ttl: i64,
    /// `optional` or `required`.
    mfa: String,
    /// The web client's settings.
    app: AppSettings,
}

/// Checks the body field by field, in the order its errors are reported.
fn settings(body: &CreateProduct) -> Result<Settings, ApiError> {
    let name = clean_name("name", &body.name)?;
    let default = AppSettings::default_for(ClientKind::Web);
    let app = match &body.web_client {
        Some(w) => web_client::merge(w, &default)?,
        None => default,
    };
    let kind = app.application_type;
    check_uris("redirect_uris", &body.redirect_uris, kind)?;
    check_uris(
        "post_logout_redirect_uris",
        &body.post_logout_redirect_uris,
        kind,
    )?;
    check_scopes(&body.scopes)?;
    let audience = body
        .audience
        .as_deref()
        .map(|a| clean_name("audience", a))
        .transpose()?;
    let resources = check_resources(&body.resources, audience.as_deref())?;
    if body.server_client_token_exchange && !body.server_client {
        return Err(ApiError::invalid_field(
            "server_client_token_exchange",
            "needs a server client (server_client: true)",
        ));
    }
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
    let mfa = check_mfa(body.mfa.as_deref().unwrap_or("optional"))?;
    Ok(Settings {
        mfa,
        app,
        name,
        scopes: dedup(&body.scopes),
        audience,
        resources,
        access_ttl,
        refresh_ttl,
        family_ttl,
    })
}

/// The secrets minted by a create: the web client's (a confidential web client) and the
/// server client's id and secret.
struct Minted {
    web_secret: Option<String>,
    server: Option<(String, String)>,
}

/// Inserts the product, its web client with the body's URIs and settings and, when the
/// body asks for one, its server client (granted all the product's scopes).
async fn insert(
    tx: &mut Tx,
    (id, web_id): (&str, &str),
    set: &Settings,
    body: &CreateProduct,
    now: i64,
) -> Result<Minted, ApiError> {
    let scopes_json = to_json_list(&set.scopes);
    let resources_json = to_json_list(&set.resources);
    let product = NewProduct {
        id,
        name: &set.name,
        scopes_json: &scopes_json,
        audience: set.audience.as_deref(),
        resources_json: &resources_json,
        access_token_ttl: set.access_ttl,
        refresh_token_ttl: set.refresh_ttl,
        refresh_family_ttl: set.family_ttl,
        now,
    };
    clients::insert_product(tx, &product).await?;
    if set.mfa != "optional" {
        crate::store::mfa::set_product_policy(tx, id, &set.mfa).await?;
    }
    if body.self_registration == Some(true) {
        crate::store::auth_api::set_self_registration(tx, id, true).await?;
    }
    let web = NewClient {
        client_id: web_id,
        product_id: Some(id),
        kind: ClientKind::Web,
        name: &set.name,
        secret_hash: None,
        scopes_json: "[]",
        now,
    };
    clients::insert_client(tx, &web).await?;
    for uri in &body.redirect_uris {
        clients::insert_redirect_uri(tx, web_id, "login", uri).await?;
    }
    for uri in &body.post_logout_redirect_uris {
        clients::insert_redirect_uri(tx, web_id, "post_logout", uri).await?;
    }
    let public = AppSettings::default_for(ClientKind::Web);
    let web_secret = web_client::store(tx, web_id, &public, &set.app, now).await?;
    let server = match body.server_client {
        true => Some(insert_server_client(tx, id, &set.name, &scopes_json, now).await?),
        false => None,
    };
    if body.server_client_token_exchange {
        clients::edit::set_server_token_exchange(tx, id, true).await?;
    }
    Ok(Minted { web_secret, server })
}

#[utoipa::path(
    post, path = "/products", tag = "products",
    operation_id = "products_create",
    request_body = CreateProduct,
    responses((status = 201, description = "The created product (with a server secret, shown once)", body = Product),
              (status = 409, description = "Another product already declares one of the scopes"))
)]
pub async fn create(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    ApiJson(body): ApiJson<CreateProduct>,
) -> Result<(StatusCode, Json<Product>), ApiError> {
    let set = settings(&body)?;
    let now = now();
    let id = uuid::Uuid::now_v7().to_string();
    let web_id = format!("web_{}", random_token(16));

    let mut tx = s.db.begin().await?;
    check_scopes_unique(&mut tx, &set.scopes, None).await?;
    check_resources_unique(&mut tx, &set.resources, None).await?;
    let minted = insert(&mut tx, (&id, &web_id), &set, &body, now).await?;
    Event::success(kind::PRODUCT_CREATED)
        .meta(&meta)
        .actor(admin.actor())
        .subject(&id)
        .client(&web_id)
        .detail(json!({
            "name": set.name,
            "server_client": minted.server.is_some(),
            "server_client_token_exchange": body.server_client_token_exchange,
            "resources": set.resources,
            "token_endpoint_auth_method": set.app.token_auth.as_str(),
            "application_type": set.app.application_type.as_str(),
        }))
        .write(&mut tx)
        .await?;
    tx.commit().await?;

    let row = clients::find_product(&s.db.read, &id)
        .await?
        .ok_or_else(ApiError::internal)?;
    let mut out = super::product(&s.db.read, &row).await?;
    if let (Some(client), Some((_, secret))) = (out.server_client.as_mut(), minted.server) {
        client.client_secret = Some(secret);
    }
    if let Some(client) = out.web_client.as_mut() {
        client.client_secret = minted.web_secret;
    }
    Ok((StatusCode::CREATED, Json(out)))
}
