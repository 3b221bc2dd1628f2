//! `/v1/businesses`: a business is created, listed, read, renamed and deleted here; its
//! branches, its roles and `/v1/memberships` (a user's role in it) each in their own file.
//! Every change is audited in its own transaction.

mod branches;
mod memberships;
mod roles;

use super::{clean_name, Admin, ApiJson};
use crate::audit::Event;
use crate::domain::RequestMeta;
use crate::error::{ApiError, StoreError};
use crate::state::Shared;
use crate::store::businesses::{self, BusinessRow};
use crate::store::now;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::json;
use tessera_proto::businesses::{Business, BusinessList, NameBody};
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, remove))
        .routes(routes!(branches::list, branches::create))
        .routes(routes!(branches::show, branches::update, branches::remove))
        .routes(routes!(roles::list, roles::create))
        .routes(routes!(roles::show, roles::update, roles::remove))
        .routes(routes!(memberships::list, memberships::create))
        .routes(routes!(memberships::show, memberships::remove))
}

/// The wire shape of a business.
fn business(b: &BusinessRow) -> Business {
    Business {
        id: b.id.clone(),
        name: b.name.clone(),
        created_at: b.created_at,
        updated_at: b.updated_at,
    }
}

/// The business or 404.
pub(super) async fn business_or_404(s: &Shared, id: &str) -> Result<BusinessRow, ApiError> {
    businesses::find_business(&s.db.read, id)
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
    responses((status = 201, description = "The created business", body = Business))
)]
pub async fn create(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    ApiJson(body): ApiJson<NameBody>,
) -> Result<(StatusCode, Json<Business>), ApiError> {
    let name = clean_name("name", &body.name)?;
    let id = uuid::Uuid::now_v7().to_string();
    let now = now();
    let mut tx = s.db.begin().await?;
    businesses::insert_business(&mut tx, &id, &name, now).await?;
    admin_event("admin.business.created", &admin, &meta)
        .subject(&id)
        .org(&id)
        .detail(json!({"name": name}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    let b = business_or_404(&s, &id).await?;
    Ok((StatusCode::CREATED, Json(business(&b))))
}

#[utoipa::path(
    get, path = "/businesses", tag = "businesses",
    operation_id = "businesses_list",
    responses((status = 200, description = "All businesses", body = BusinessList))
)]
pub async fn list(State(s): State<Shared>, _admin: Admin) -> Result<Json<BusinessList>, ApiError> {
    let all = businesses::list_businesses(&s.db.read).await?;
    Ok(Json(BusinessList {
        businesses: all.iter().map(business).collect(),
    }))
}

#[utoipa::path(
    get, path = "/businesses/{id}", tag = "businesses",
    operation_id = "businesses_show",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 200, description = "The business", body = Business))
)]
pub async fn show(
    State(s): State<Shared>,
    _admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<Business>, ApiError> {
    Ok(Json(business(&business_or_404(&s, &id).await?)))
}

#[utoipa::path(
    patch, path = "/businesses/{id}", tag = "businesses",
    operation_id = "businesses_update",
    params(("id" = String, Path, description = "The resource id")),
    request_body = NameBody,
    responses((status = 200, description = "The renamed business", body = Business))
)]
pub async fn update(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NameBody>,
) -> Result<Json<Business>, ApiError> {
    let name = clean_name("name", &body.name)?;
    let mut tx = s.db.begin().await?;
    let b = businesses::rename_business(&mut tx, &id, &name, now())
        .await?
        .ok_or_else(|| ApiError::not_found("business"))?;
    admin_event("admin.business.updated", &admin, &meta)
        .subject(&id)
        .org(&id)
        .detail(json!({"name": name}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(Json(business(&b)))
}

#[utoipa::path(
    delete, path = "/businesses/{id}", tag = "businesses",
    operation_id = "businesses_remove",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 204, description = "The business is deleted"))
)]
pub async fn remove(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let mut tx = s.db.begin().await?;
    if !businesses::delete_business(&mut tx, &id).await? {
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
