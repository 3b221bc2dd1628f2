//! Deleting a product: its clients go with it and their tokens are revoked.

use crate::admin::Admin;
use crate::audit::Event;
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::clients::edit;
use crate::store::now;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::json;

pub const PRODUCT_DELETED: &str = "admin.product.deleted";

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
