//! `/v1/products/{id}/agents`: a product's agents, confidential clients (`agt_...`) that
//! use client_credentials and token exchange (RFC 8693) to act for the product's users.
//! A secret is shown once (creation, rotation) and stored only as a hash; deleting an
//! agent revokes its tokens.

use super::require_product;
use crate::admin::{clean_name, Admin, ApiJson};
use crate::audit::{kind, Event};
use crate::crypto::{random_token, sha256};
use crate::domain::{scope, RequestMeta};
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::clients::agents::{self, AgentRow};
use crate::store::clients::{self, edit, ClientKind, NewClient, ProductRow};
use crate::store::{from_json_list, now, to_json_list, Tx};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::json;
use tessera_proto::agents::{Agent, AgentList, NewAgent};

pub const AGENT_CREATED: &str = "admin.agent.created";
pub const AGENT_DELETED: &str = "admin.agent.deleted";
/// The most agents one product may have.
const MAX_AGENTS: i64 = 100;

/// The wire shape of an agent; `client_secret` only where it was just minted.
fn wire(row: AgentRow, secret: Option<String>) -> Agent {
    Agent {
        client_id: row.client_id,
        client_secret: secret,
        name: row.name,
        scopes: from_json_list(&row.scopes),
        created_at: row.created_at,
    }
}

/// The agent's scopes: each one the product declares, or an OIDC scope; without repeats.
fn check_scopes(wanted: &[String], product: &ProductRow) -> Result<Vec<String>, ApiError> {
    let declared = from_json_list(&product.scopes);
    if wanted.len() > 100 {
        return Err(ApiError::invalid_field("scopes", "at most 100 scopes"));
    }
    let foreign = wanted
        .iter()
        .find(|s| !declared.contains(s) && !scope::OIDC_SCOPES.contains(&s.as_str()));
    if let Some(bad) = foreign {
        return Err(ApiError::invalid_field(
            "scopes",
            format!("{bad:?} is not one of the product's scopes (nor an OIDC scope)"),
        ));
    }
    Ok(super::rules::dedup(wanted))
}

/// Narrows every agent of product `p` to the scopes the product still declares (and the
/// OIDC scopes), as a product's server client is narrowed.
pub(super) async fn narrow_to_product(tx: &mut Tx, p: &ProductRow) -> Result<(), ApiError> {
    let declared = from_json_list(&p.scopes);
    for agent in agents::list_in(tx, &p.id).await? {
        let held = from_json_list(&agent.scopes);
        let kept: Vec<String> = held
            .iter()
            .filter(|s| declared.contains(s) || scope::OIDC_SCOPES.contains(&s.as_str()))
            .cloned()
            .collect();
        if kept != held {
            agents::set_scopes(tx, &agent.client_id, &to_json_list(&kept)).await?;
        }
    }
    Ok(())
}

/// The product (locked in `tx`) or 404.
async fn product_in(tx: &mut Tx, id: &str) -> Result<ProductRow, ApiError> {
    edit::find_product_tx(tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("product"))
}

/// The product's agent `client_id` (locked in `tx`) or 404.
async fn agent_in(tx: &mut Tx, id: &str, client_id: &str) -> Result<AgentRow, ApiError> {
    product_in(tx, id).await?;
    agents::find(tx, id, client_id)
        .await?
        .ok_or_else(|| ApiError::not_found("agent"))
}

#[utoipa::path(
    post, path = "/products/{id}/agents", tag = "products",
    operation_id = "products_create_agent",
    params(("id" = String, Path, description = "The product id")),
    request_body = NewAgent,
    responses((status = 201, description = "The agent and its secret, shown once", body = Agent))
)]
pub async fn create_agent(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewAgent>,
) -> Result<(StatusCode, Json<Agent>), ApiError> {
    let name = clean_name("name", &body.name)?;
    let mut tx = s.db.begin().await?;
    let product = product_in(&mut tx, &id).await?;
    let scopes = check_scopes(&body.scopes, &product)?;
    if agents::count(&mut tx, &id).await? >= MAX_AGENTS {
        return Err(ApiError::conflict(format!(
            "the product already has {MAX_AGENTS} agents: delete one first"
        )));
    }
    let (client_id, secret, now) = (format!("agt_{}", random_token(16)), random_token(32), now());
    let scopes_json = to_json_list(&scopes);
    let new = NewClient {
        client_id: &client_id,
        product_id: Some(&id),
        kind: ClientKind::Agent,
        name: &name,
        secret_hash: Some(&sha256(&secret)),
        scopes_json: &scopes_json,
        now,
    };
    clients::insert_client(&mut tx, &new).await?;
    Event::success(AGENT_CREATED)
        .meta(&meta)
        .actor(admin.actor())
        .subject(&id)
        .client(&client_id)
        .detail(json!({"name": name, "scopes": scopes}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    s.clients.clear();
    let row = AgentRow {
        client_id,
        name,
        scopes: scopes_json,
        created_at: now,
    };
    Ok((StatusCode::CREATED, Json(wire(row, Some(secret)))))
}

#[utoipa::path(
    get, path = "/products/{id}/agents", tag = "products",
    operation_id = "products_list_agents",
    params(("id" = String, Path, description = "The product id")),
    responses((status = 200, description = "The product's agents, oldest first", body = AgentList))
)]
pub async fn list_agents(
    State(s): State<Shared>,
    _admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<AgentList>, ApiError> {
    require_product(&s, &id).await?;
    let rows = agents::list(&s.db.read, &id).await?;
    let agents = rows.into_iter().map(|r| wire(r, None)).collect();
    Ok(Json(AgentList { agents }))
}

#[utoipa::path(
    delete, path = "/products/{id}/agents/{client_id}", tag = "products",
    operation_id = "products_delete_agent",
    params(("id" = String, Path, description = "The product id"),
           ("client_id" = String, Path, description = "The agent's client id")),
    responses((status = 204, description = "The agent is deleted and its tokens revoked"))
)]
pub async fn delete_agent(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path((id, client_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let now = now();
    let mut tx = s.db.begin().await?;
    let agent = agent_in(&mut tx, &id, &client_id).await?;
    // Its exchanged tokens have rows under its id; its own client tokens end with the row.
    edit::revoke_client_tokens(&mut tx, &client_id, "client_deleted", now).await?;
    edit::delete_client(&mut tx, &client_id).await?;
    Event::success(AGENT_DELETED)
        .meta(&meta)
        .actor(admin.actor())
        .subject(&id)
        .client(&client_id)
        .detail(json!({"name": agent.name}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    s.clients.clear();
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post, path = "/products/{id}/agents/{client_id}/secret:rotate", tag = "products",
    operation_id = "products_rotate_agent_secret",
    params(("id" = String, Path, description = "The product id"),
           ("client_id" = String, Path, description = "The agent's client id")),
    responses((status = 200, description = "The agent and its new secret, shown once", body = Agent))
)]
pub async fn rotate_agent_secret(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path((id, client_id)): Path<(String, String)>,
) -> Result<Json<Agent>, ApiError> {
    let mut tx = s.db.begin().await?;
    let agent = agent_in(&mut tx, &id, &client_id).await?;
    let secret = random_token(32);
    if !edit::rotate_secret(&mut tx, &client_id, "agent", &sha256(&secret), now()).await? {
        return Err(ApiError::internal());
    }
    Event::success(kind::SECRET_ROTATED)
        .meta(&meta)
        .actor(admin.actor())
        .subject(&id)
        .client(&client_id)
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    s.clients.clear();
    Ok(Json(wire(agent, Some(secret))))
}
