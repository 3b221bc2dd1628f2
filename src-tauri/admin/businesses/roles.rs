//! `/v1/businesses/{id}/roles`: named sets of product scopes, unique by name per business.

use super::{admin_event, business_or_404, unique_or};
use crate::admin::{clean_name, Admin, ApiJson};
use crate::domain::{scope, RequestMeta};
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::businesses::{self, RoleRow};
use crate::store::{now, to_json_list};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::json;
use tessera_proto::businesses::{CreateRole, Role, RoleList, UpdateRole};

/// The wire shape of a role.
fn role(r: &RoleRow) -> Role {
    Role {
        id: r.id.clone(),
        business_id: r.business_id.clone(),
        name: r.name.clone(),
        scopes: r.scope_list(),
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

/// Scopes must be valid tokens that some product declares; duplicates are dropped.
async fn check_scopes(s: &Shared, scopes: &[String]) -> Result<Vec<String>, ApiError> {
    if scopes.len() > 100 {
        return Err(ApiError::invalid_field("scopes", "at most 100 scopes"));
    }
    let declared = businesses::declared_product_scopes(&s.db.read).await?;
    let mut out: Vec<String> = Vec::with_capacity(scopes.len());
    for sc in scopes {
        if !scope::is_scope_token(sc) {
            return Err(ApiError::invalid_field(
                "scopes",
                format!("{sc:?} is not a valid scope"),
            ));
        }
        if !declared.contains(sc) {
            return Err(ApiError::invalid_field(
                "scopes",
                format!("{sc:?} is not declared by any product"),
            ));
        }
        if !out.contains(sc) {
            out.push(sc.clone());
        }
    }
    Ok(out)
}

const DUPLICATE: &str = "this business already has a role with that name";

#[utoipa::path(
    post, path = "/businesses/{id}/roles", tag = "businesses",
    operation_id = "roles_create",
    params(("id" = String, Path, description = "The resource id")),
    request_body = CreateRole,
    responses((status = 201, description = "The created role", body = Role))
)]
pub async fn create(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(business_id): Path<String>,
    ApiJson(body): ApiJson<CreateRole>,
) -> Result<(StatusCode, Json<Role>), ApiError> {
    business_or_404(&s, &business_id).await?;
    let name = clean_name("name", &body.name)?;
    let scopes = check_scopes(&s, &body.scopes).await?;
    let now = now();
    let row = RoleRow {
        id: uuid::Uuid::now_v7().to_string(),
        business_id: business_id.clone(),
        name,
        scopes: to_json_list(&scopes),
        created_at: now,
        updated_at: now,
    };
    let mut tx = s.db.begin().await?;
    businesses::insert_role(&mut tx, &row)
        .await
        .map_err(|e| unique_or(e, DUPLICATE))?;
    admin_event("admin.role.created", &admin, &meta)
        .subject(&row.id)
        .org(&business_id)
        .detail(json!({"name": row.name, "scopes": scopes}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(role(&row))))
}

async fn find(s: &Shared, business_id: &str, id: &str) -> Result<RoleRow, ApiError> {
    businesses::find_role(&s.db.read, id)
        .await?
        .filter(|r| r.business_id == business_id)
        .ok_or_else(|| ApiError::not_found("role"))
}

#[utoipa::path(
    get, path = "/businesses/{id}/roles", tag = "businesses",
    operation_id = "roles_list",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 200, description = "The business's roles", body = RoleList))
)]
pub async fn list(
    State(s): State<Shared>,
    _admin: Admin,
    Path(business_id): Path<String>,
) -> Result<Json<RoleList>, ApiError> {
    business_or_404(&s, &business_id).await?;
    let all = businesses::list_roles(&s.db.read, &business_id).await?;
    Ok(Json(RoleList {
        roles: all.iter().map(role).collect(),
    }))
}

#[utoipa::path(
    get, path = "/businesses/{id}/roles/{role_id}", tag = "businesses",
    operation_id = "roles_show",
    params(("id" = String, Path, description = "The resource id"), ("role_id" = String, Path, description = "The role id")),
    responses((status = 200, description = "The role", body = Role))
)]
pub async fn show(
    State(s): State<Shared>,
    _admin: Admin,
    Path((business_id, id)): Path<(String, String)>,
) -> Result<Json<Role>, ApiError> {
    Ok(Json(role(&find(&s, &business_id, &id).await?)))
}

#[utoipa::path(
    patch, path = "/businesses/{id}/roles/{role_id}", tag = "businesses",
    operation_id = "roles_update",
    params(("id" = String, Path, description = "The resource id"), ("role_id" = String, Path, description = "The role id")),
    request_body = UpdateRole,
    responses((status = 200, description = "The updated role", body = Role))
)]
pub async fn update(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path((business_id, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<UpdateRole>,
) -> Result<Json<Role>, ApiError> {
    let current = find(&s, &business_id, &id).await?;
    let name = match &body.name {
        Some(n) => clean_name("name", n)?,
        None => current.name.clone(),
    };
    let scopes = match &body.scopes {
        Some(list) => check_scopes(&s, list).await?,
        None => current.scope_list(),
    };
    let mut tx = s.db.begin().await?;
    let row = businesses::update_role(&mut tx, &business_id, &id, &name, &scopes, now())
        .await
        .map_err(|e| unique_or(e, DUPLICATE))?
        .ok_or_else(|| ApiError::not_found("role"))?;
    admin_event("admin.role.updated", &admin, &meta)
        .subject(&id)
        .org(&business_id)
        .detail(json!({"name": name, "scopes": scopes}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(Json(role(&row)))
}

#[utoipa::path(
    delete, path = "/businesses/{id}/roles/{role_id}", tag = "businesses",
    operation_id = "roles_remove",
    params(("id" = String, Path, description = "The resource id"), ("role_id" = String, Path, description = "The role id")),
    responses((status = 204, description = "The role is deleted"))
)]
pub async fn remove(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path((business_id, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let mut tx = s.db.begin().await?;
    if !businesses::delete_role(&mut tx, &business_id, &id).await? {
        return Err(ApiError::not_found("role"));
    }
    admin_event("admin.role.deleted", &admin, &meta)
        .subject(&id)
        .org(&business_id)
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
