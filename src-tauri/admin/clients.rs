//! `GET /v1/clients/{client_id}`: names any OAuth client (a product's web or server
//! client, an agent, a dynamically registered app, an admin client), so the console can
//! say who a token's `client_id` or `act` chain is.

use super::Admin;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::clients::info::client_info;
use axum::extract::{Path, State};
use axum::Json;
use tessera_proto::clients::ClientInfo;
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new().routes(routes!(get_client))
}

#[utoipa::path(
    get, path = "/clients/{client_id}", tag = "clients",
    operation_id = "clients_get",
    params(("client_id" = String, Path, description = "The OAuth client id")),
    responses((status = 200, description = "The client", body = ClientInfo))
)]
pub async fn get_client(
    State(s): State<Shared>,
    _admin: Admin,
    Path(client_id): Path<String>,
) -> Result<Json<ClientInfo>, ApiError> {
    let row = client_info(&s.db.read, &client_id)
        .await?
        .ok_or_else(|| ApiError::not_found("client"))?;
    Ok(Json(ClientInfo {
        client_id: row.client_id,
        kind: row.kind,
        name: row.name,
        product_id: row.product_id,
        product_name: row.product_name,
    }))
}
