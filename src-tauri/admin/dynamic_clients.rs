//! `/v1/dynamic-clients`: the clients registered through `/oauth/register`, newest first
//! (the initial access token that admitted each, its last use, consents); disable (unknown
//! to every protocol endpoint until enabled), enable, delete (tokens revoked; codes,
//! families and consents go with it). `POST /dynamic-clients/{client_id}:disable` and
//! `:enable` share one axum route with `DELETE /dynamic-clients/{client_id}` (see
//! `super::routes_at`).

use super::Admin;
use crate::audit::Event;
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::oauth::register::metadata::Described;
use crate::state::Shared;
use crate::store::registration::{self, ListedClient};
use crate::store::{from_json_list, now};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::json;
use tessera_proto::registration::{DynamicClient, DynamicClientList};
use utoipa_axum::{router::OpenApiRouter, routes};

pub const CLIENT_DISABLED: &str = "dynamic_client.disabled";
pub const CLIENT_ENABLED: &str = "dynamic_client.enabled";
pub const CLIENT_DELETED: &str = "dynamic_client.deleted";

/// The one axum route of `/dynamic-clients/{client_id}` (DELETE) and its `:disable` and
/// `:enable` actions (POST).
const CLIENT_ROUTE: &str = "/dynamic-clients/{client_action}";

pub(super) fn routes() -> OpenApiRouter<Shared> {
    let router = OpenApiRouter::new().routes(routes!(list));
    let router = super::routes_at(router, CLIENT_ROUTE, routes!(delete, disable));
    // `disable` serves both actions; `enable` is routed through it, documented here.
    super::documented_at(router, routes!(enable))
}

/// The wire shape of a listed client.
fn wire((row, redirect_uris): (ListedClient, Vec<String>)) -> DynamicClient {
    let described: Described = row
        .metadata
        .as_deref()
        .and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or_default();
    DynamicClient {
        client_id: row.client_id,
        client_name: described.client_name,
        logo_uri: described.logo_uri,
        client_uri: described.client_uri,
        token_endpoint_auth_method: row
            .token_endpoint_auth_method
            .unwrap_or_else(|| "none".into()),
        application_type: row.application_type,
        redirect_uris,
        scopes: from_json_list(&row.scopes),
        registration_token_id: row.registered_via,
        registration_token_name: row.token_name,
        software_id: described.software_id,
        software_version: described.software_version,
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        disabled_at: row.disabled_at,
        consents: row.consents,
    }
}

#[utoipa::path(
    get, path = "/dynamic-clients", tag = "registration",
    operation_id = "dynamic_clients_list",
    responses((status = 200, description = "Dynamically registered clients, newest first", body = DynamicClientList))
)]
pub async fn list(
    State(s): State<Shared>,
    _admin: Admin,
) -> Result<Json<DynamicClientList>, ApiError> {
    let rows = registration::list_dynamic_clients(&s.db.read, None).await?;
    Ok(Json(DynamicClientList {
        dynamic_clients: rows.into_iter().map(wire).collect(),
    }))
}

/// The client id of a plain `/dynamic-clients/{client_id}` path: an action suffix there
/// (e.g. `DELETE .../x:disable`) is no endpoint.
fn plain(client_action: &str) -> Result<&str, ApiError> {
    match client_action.contains(':') {
        true => Err(ApiError::not_found("endpoint")),
        false => Ok(client_action),
    }
}

#[utoipa::path(
    delete, path = "/dynamic-clients/{client_id}", tag = "registration",
    operation_id = "dynamic_clients_delete",
    params(("client_id" = String, Path, description = "The client id")),
    responses((status = 204, description = "The client is deleted and its tokens revoked"))
)]
pub async fn delete(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(client_action): Path<String>,
) -> Result<StatusCode, ApiError> {
    let client_id = plain(&client_action)?;
    let mut tx = s.db.begin().await?;
    let families = registration::delete_dynamic_client(&mut tx, client_id, "client_deleted", now())
        .await?
        .ok_or_else(|| ApiError::not_found("dynamic client"))?;
    Event::success(CLIENT_DELETED)
        .meta(&meta)
        .actor(admin.actor())
        .subject(client_id)
        .client(client_id)
        .detail(json!({"families_revoked": families}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    s.clients.clear();
    s.audit.ring();
    Ok(StatusCode::NO_CONTENT)
}

/// Disables (`:disable`) or enables (`:enable`) a dynamic client; any other suffix is
/// no endpoint.
async fn switch(
    s: Shared,
    admin: Admin,
    meta: RequestMeta,
    client_action: String,
) -> Result<Json<DynamicClient>, ApiError> {
    let (client_id, disabled_at, event) = match client_action.rsplit_once(':') {
        Some((id, "disable")) => (id, Some(now()), CLIENT_DISABLED),
        Some((id, "enable")) => (id, None, CLIENT_ENABLED),
        _ => return Err(ApiError::not_found("endpoint")),
    };
    let mut tx = s.db.begin().await?;
    if !registration::set_disabled(&mut tx, client_id, disabled_at).await? {
        return Err(ApiError::not_found("dynamic client"));
    }
    Event::success(event)
        .meta(&meta)
        .actor(admin.actor())
        .subject(client_id)
        .client(client_id)
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    // Every node forgets the client now (the change is announced), so a disabled client
    // is refused at once, and the origins it allowed go with it.
    s.clients.clear();
    s.audit.ring();
    let mut rows = registration::list_dynamic_clients(&s.db.read, Some(client_id)).await?;
    rows.pop()
        .map(|row| Json(wire(row)))
        .ok_or_else(|| ApiError::not_found("dynamic client"))
}

#[utoipa::path(
    post, path = "/dynamic-clients/{client_id}:disable", tag = "registration",
    operation_id = "dynamic_clients_disable",
    params(("client_id" = String, Path, description = "The client id")),
    responses((status = 200, description = "The disabled client: unknown to the protocol endpoints", body = DynamicClient))
)]
pub async fn disable(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(client_action): Path<String>,
) -> Result<Json<DynamicClient>, ApiError> {
    switch(s, admin, meta, client_action).await
}

#[utoipa::path(
    post, path = "/dynamic-clients/{client_id}:enable", tag = "registration",
    operation_id = "dynamic_clients_enable",
    params(("client_id" = String, Path, description = "The client id")),
    responses((status = 200, description = "The enabled client", body = DynamicClient))
)]
pub async fn enable(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(client_action): Path<String>,
) -> Result<Json<DynamicClient>, ApiError> {
    switch(s, admin, meta, client_action).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `CLIENT_ROUTE` serves the documented client paths, each one segment under
    /// `/dynamic-clients/`.
    #[test]
    fn the_client_route_serves_its_documented_paths() {
        let doc = routes().into_openapi();
        let paths: Vec<&str> = doc.paths.paths.keys().map(String::as_str).collect();
        assert_eq!(
            paths,
            [
                "/dynamic-clients",
                "/dynamic-clients/{client_id}",
                "/dynamic-clients/{client_id}:disable",
                "/dynamic-clients/{client_id}:enable",
            ]
        );
    }
}
