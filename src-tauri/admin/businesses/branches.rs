//! A business's branches: created, listed, read, renamed, deleted; names unique per
//! business.

use super::{admin_event, business_or_404, unique_or};
use crate::admin::{clean_name, Admin, ApiJson};
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::businesses::{self, BranchRow};
use crate::store::now;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::json;
use tessera_proto::businesses::{Branch, BranchList, NameBody};

const DUPLICATE: &str = "this business already has a branch with that name";

/// The wire shape of a branch.
fn branch(b: &BranchRow) -> Branch {
    Branch {
        id: b.id.clone(),
        business_id: b.business_id.clone(),
        name: b.name.clone(),
        created_at: b.created_at,
        updated_at: b.updated_at,
    }
}

#[utoipa::path(
    post, path = "/businesses/{id}/branches", tag = "businesses",
    operation_id = "businesses_create_branch",
    params(("id" = String, Path, description = "The resource id")),
    request_body = NameBody,
    responses((status = 201, description = "The created branch", body = Branch))
)]
pub async fn create(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(business_id): Path<String>,
    ApiJson(body): ApiJson<NameBody>,
) -> Result<(StatusCode, Json<Branch>), ApiError> {
    business_or_404(&s, &business_id).await?;
    let name = clean_name("name", &body.name)?;
    let now = now();
    let row = BranchRow {
        id: uuid::Uuid::now_v7().to_string(),
        business_id: business_id.clone(),
        name,
        created_at: now,
        updated_at: now,
    };
    let mut tx = s.db.begin().await?;
    businesses::insert_branch(&mut tx, &row)
        .await
        .map_err(|e| unique_or(e, DUPLICATE))?;
    admin_event("admin.branch.created", &admin, &meta)
        .subject(&row.id)
        .org(&business_id)
        .branch(&row.id)
        .detail(json!({"name": row.name}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(branch(&row))))
}

#[utoipa::path(
    get, path = "/businesses/{id}/branches", tag = "businesses",
    operation_id = "businesses_list_branches",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 200, description = "The business's branches", body = BranchList))
)]
pub async fn list(
    State(s): State<Shared>,
    _admin: Admin,
    Path(business_id): Path<String>,
) -> Result<Json<BranchList>, ApiError> {
    business_or_404(&s, &business_id).await?;
    let all = businesses::list_branches(&s.db.read, &business_id).await?;
    Ok(Json(BranchList {
        branches: all.iter().map(branch).collect(),
    }))
}

#[utoipa::path(
    get, path = "/businesses/{id}/branches/{branch_id}", tag = "businesses",
    operation_id = "businesses_show_branch",
    params(("id" = String, Path, description = "The resource id"), ("branch_id" = String, Path, description = "The branch id")),
    responses((status = 200, description = "The branch", body = Branch))
)]
pub async fn show(
    State(s): State<Shared>,
    _admin: Admin,
    Path((business_id, id)): Path<(String, String)>,
) -> Result<Json<Branch>, ApiError> {
    let b = businesses::find_branch(&s.db.read, &id)
        .await?
        .filter(|b| b.business_id == business_id)
        .ok_or_else(|| ApiError::not_found("branch"))?;
    Ok(Json(branch(&b)))
}

#[utoipa::path(
    patch, path = "/businesses/{id}/branches/{branch_id}", tag = "businesses",
    operation_id = "businesses_update_branch",
    params(("id" = String, Path, description = "The resource id"), ("branch_id" = String, Path, description = "The branch id")),
    request_body = NameBody,
    responses((status = 200, description = "The renamed branch", body = Branch))
)]
pub async fn update(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path((business_id, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<NameBody>,
) -> Result<Json<Branch>, ApiError> {
    let name = clean_name("name", &body.name)?;
    let mut tx = s.db.begin().await?;
    let b = businesses::rename_branch(&mut tx, &business_id, &id, &name, now())
        .await
        .map_err(|e| unique_or(e, DUPLICATE))?
        .ok_or_else(|| ApiError::not_found("branch"))?;
    admin_event("admin.branch.updated", &admin, &meta)
        .subject(&id)
        .org(&business_id)
        .branch(&id)
        .detail(json!({"name": name}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(Json(branch(&b)))
}

#[utoipa::path(
    delete, path = "/businesses/{id}/branches/{branch_id}", tag = "businesses",
    operation_id = "businesses_remove_branch",
    params(("id" = String, Path, description = "The resource id"), ("branch_id" = String, Path, description = "The branch id")),
    responses((status = 204, description = "The branch is deleted"))
)]
pub async fn remove(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path((business_id, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let mut tx = s.db.begin().await?;
    if !businesses::delete_branch(&mut tx, &business_id, &id).await? {
        return Err(ApiError::not_found("branch"));
    }
    admin_event("admin.branch.deleted", &admin, &meta)
        .subject(&id)
        .org(&business_id)
        .branch(&id)
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
