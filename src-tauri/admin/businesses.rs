//! `/v1/businesses` and their branches; roles and `/v1/memberships` live in the
//! submodules. Every change is audited in its own transaction.

pub(super) mod memberships;
pub(super) mod roles;

use super::{clean_name, Admin, ApiJson};
use crate::audit::Event;
use crate::domain::RequestMeta;
use crate::error::{ApiError, StoreError};
use crate::state::Shared;
use crate::store::now;
use crate::store::orgs::{self, BranchRow, BusinessRow};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, remove))
        .routes(routes!(list_branches, create_branch))
        .routes(routes!(show_branch, update_branch, remove_branch))
        .merge(roles::routes())
        .merge(memberships::routes())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NameBody {
    name: String,
}

fn business_json(b: &BusinessRow) -> Value {
    json!({"id": b.id, "name": b.name, "created_at": b.created_at, "updated_at": b.updated_at})
}

fn branch_json(b: &BranchRow) -> Value {
    json!({
        "id": b.id, "business_id": b.business_id, "name": b.name,
        "created_at": b.created_at, "updated_at": b.updated_at,
    })
}

/// The business or 404.
pub(super) async fn business_or_404(s: &Shared, id: &str) -> Result<BusinessRow, ApiError> {
    orgs::find_business(&s.db.read, id)
        .await?
        .ok_or_else(|| ApiError::not_found("business"))
}

/// Maps a UNIQUE violation to 409 with `what`, other errors to 500.
pub(super) fn unique_or(e: StoreError, what: &str) -> ApiError {
    if e.is_unique_violation() {
        ApiError::conflict(what.to_string())
    } else {
        e.into()
    }
}

/// An audit event for an admin change, stamped with actor and request metadata.
pub(super) fn admin_event(kind: &str, admin: &Admin, meta: &RequestMeta) -> Event {
    Event::success(kind).meta(meta).actor(admin.actor())
}

#[utoipa::path(
    post, path = "/businesses", tag = "businesses",
    operation_id = "businesses_create",
    request_body = NameBody,
    responses((status = 201, description = "The created business", body = serde_json::Value))
)]
async fn create(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    ApiJson(body): ApiJson<NameBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let name = clean_name("name", &body.name)?;
    let id = uuid::Uuid::now_v7().to_string();
    let now = now();
    let mut tx = s.db.begin().await?;
    orgs::insert_business(&mut tx, &id, &name, now).await?;
    admin_event("admin.business.created", &admin, &meta)
        .subject(&id)
        .org(&id)
        .detail(json!({"name": name}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    let b = business_or_404(&s, &id).await?;
    Ok((StatusCode::CREATED, Json(business_json(&b))))
}

#[utoipa::path(
    get, path = "/businesses", tag = "businesses",
    operation_id = "businesses_list",
    responses((status = 200, description = "All businesses", body = serde_json::Value))
)]
async fn list(State(s): State<Shared>, _admin: Admin) -> Result<Json<Value>, ApiError> {
    let all = orgs::list_businesses(&s.db.read).await?;
    let items: Vec<Value> = all.iter().map(business_json).collect();
    Ok(Json(json!({ "businesses": items })))
}

#[utoipa::path(
    get, path = "/businesses/{id}", tag = "businesses",
    operation_id = "businesses_show",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 200, description = "The business", body = serde_json::Value))
)]
async fn show(
    State(s): State<Shared>,
    _admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(business_json(&business_or_404(&s, &id).await?)))
}

#[utoipa::path(
    patch, path = "/businesses/{id}", tag = "businesses",
    operation_id = "businesses_update",
    params(("id" = String, Path, description = "The resource id")),
    request_body = NameBody,
    responses((status = 200, description = "The renamed business", body = serde_json::Value))
)]
async fn update(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NameBody>,
) -> Result<Json<Value>, ApiError> {
    let name = clean_name("name", &body.name)?;
    let mut tx = s.db.begin().await?;
    let b = orgs::rename_business(&mut tx, &id, &name, now())
        .await?
        .ok_or_else(|| ApiError::not_found("business"))?;
    admin_event("admin.business.updated", &admin, &meta)
        .subject(&id)
        .org(&id)
        .detail(json!({"name": name}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(Json(business_json(&b)))
}

#[utoipa::path(
    delete, path = "/businesses/{id}", tag = "businesses",
    operation_id = "businesses_remove",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 204, description = "The business is deleted"))
)]
async fn remove(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let mut tx = s.db.begin().await?;
    if !orgs::delete_business(&mut tx, &id).await? {
        return Err(ApiError::not_found("business"));
    }
    admin_event("admin.business.deleted", &admin, &meta)
        .subject(&id)
        .org(&id)
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post, path = "/businesses/{id}/branches", tag = "businesses",
    operation_id = "businesses_create_branch",
    params(("id" = String, Path, description = "The resource id")),
    request_body = NameBody,
    responses((status = 201, description = "The created branch", body = serde_json::Value))
)]
async fn create_branch(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(business_id): Path<String>,
    ApiJson(body): ApiJson<NameBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
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
    orgs::insert_branch(&mut tx, &row)
        .await
        .map_err(|e| unique_or(e, "this business already has a branch with that name"))?;
    admin_event("admin.branch.created", &admin, &meta)
        .subject(&row.id)
        .org(&business_id)
        .branch(&row.id)
        .detail(json!({"name": row.name}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(branch_json(&row))))
}

#[utoipa::path(
    get, path = "/businesses/{id}/branches", tag = "businesses",
    operation_id = "businesses_list_branches",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 200, description = "The business's branches", body = serde_json::Value))
)]
async fn list_branches(
    State(s): State<Shared>,
    _admin: Admin,
    Path(business_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    business_or_404(&s, &business_id).await?;
    let all = orgs::list_branches(&s.db.read, &business_id).await?;
    let items: Vec<Value> = all.iter().map(branch_json).collect();
    Ok(Json(json!({ "branches": items })))
}

#[utoipa::path(
    get, path = "/businesses/{id}/branches/{branch_id}", tag = "businesses",
    operation_id = "businesses_show_branch",
    params(("id" = String, Path, description = "The resource id"), ("branch_id" = String, Path, description = "The branch id")),
    responses((status = 200, description = "The branch", body = serde_json::Value))
)]
async fn show_branch(
    State(s): State<Shared>,
    _admin: Admin,
    Path((business_id, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let b = orgs::find_branch(&s.db.read, &id)
        .await?
        .filter(|b| b.business_id == business_id)
        .ok_or_else(|| ApiError::not_found("branch"))?;
    Ok(Json(branch_json(&b)))
}

#[utoipa::path(
    patch, path = "/businesses/{id}/branches/{branch_id}", tag = "businesses",
    operation_id = "businesses_update_branch",
    params(("id" = String, Path, description = "The resource id"), ("branch_id" = String, Path, description = "The branch id")),
    request_body = NameBody,
    responses((status = 200, description = "The renamed branch", body = serde_json::Value))
)]
async fn update_branch(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path((business_id, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<NameBody>,
) -> Result<Json<Value>, ApiError> {
    let name = clean_name("name", &body.name)?;
    let mut tx = s.db.begin().await?;
    let b = orgs::rename_branch(&mut tx, &business_id, &id, &name, now())
        .await
        .map_err(|e| unique_or(e, "this business already has a branch with that name"))?
        .ok_or_else(|| ApiError::not_found("branch"))?;
    admin_event("admin.branch.updated", &admin, &meta)
        .subject(&id)
        .org(&business_id)
        .branch(&id)
        .detail(json!({"name": name}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(Json(branch_json(&b)))
}

#[utoipa::path(
    delete, path = "/businesses/{id}/branches/{branch_id}", tag = "businesses",
    operation_id = "businesses_remove_branch",
    params(("id" = String, Path, description = "The resource id"), ("branch_id" = String, Path, description = "The branch id")),
    responses((status = 204, description = "The branch is deleted"))
)]
async fn remove_branch(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path((business_id, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let mut tx = s.db.begin().await?;
    if !orgs::delete_branch(&mut tx, &business_id, &id).await? {
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
