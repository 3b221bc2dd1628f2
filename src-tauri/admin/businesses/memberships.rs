//! `/v1/memberships`: a user's role in one branch (or, with `branch_id: null`, in every
//! branch) of a business. Ids in the body that do not resolve are 422 naming the field.

use super::{admin_event, unique_or};
use crate::admin::{Admin, ApiJson};
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::businesses::{self, MembershipRow};
use crate::store::{now, users};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use tessera_proto::businesses::{CreateMembership, Membership, MembershipList};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Filter {
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    business_id: Option<String>,
}

/// The wire shape of a membership.
fn membership(m: &MembershipRow) -> Membership {
    Membership {
        id: m.id.clone(),
        user_id: m.user_id.clone(),
        business_id: m.business_id.clone(),
        branch_id: m.branch_id.clone(),
        role_id: m.role_id.clone(),
        created_at: m.created_at,
    }
}

/// Checks that every id in the body resolves and that branch and role belong to the business.
async fn check_refs(s: &Shared, b: &CreateMembership) -> Result<(), ApiError> {
    let db = &s.db.read;
    if users::find_user(db, &b.user_id).await?.is_none() {
        return Err(ApiError::invalid_field("user_id", "no such user"));
    }
    if businesses::find_business(db, &b.business_id)
        .await?
        .is_none()
    {
        return Err(ApiError::invalid_field("business_id", "no such business"));
    }
    if let Some(branch) = &b.branch_id {
        let ok = businesses::find_branch(db, branch)
            .await?
            .is_some_and(|x| x.business_id == b.business_id);
        if !ok {
            return Err(ApiError::invalid_field(
                "branch_id",
                "no such branch in this business",
            ));
        }
    }
    let ok = businesses::find_role(db, &b.role_id)
        .await?
        .is_some_and(|r| r.business_id == b.business_id);
    if !ok {
        return Err(ApiError::invalid_field(
            "role_id",
            "no such role in this business",
        ));
    }
    Ok(())
}

#[utoipa::path(
    post, path = "/memberships", tag = "memberships",
    operation_id = "memberships_create",
    request_body = CreateMembership,
    responses((status = 201, description = "The created membership", body = Membership))
)]
pub async fn create(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    ApiJson(body): ApiJson<CreateMembership>,
) -> Result<(StatusCode, Json<Membership>), ApiError> {
    check_refs(&s, &body).await?;
    let row = MembershipRow {
        id: uuid::Uuid::now_v7().to_string(),
        user_id: body.user_id,
        business_id: body.business_id,
        branch_id: body.branch_id,
        role_id: body.role_id,
        created_at: now(),
    };
    let mut tx = s.db.begin().await?;
    businesses::insert_membership(&mut tx, &row)
        .await
        .map_err(|e| unique_or(e, "the user already holds this role there"))?;
    let mut event = admin_event("admin.membership.created", &admin, &meta)
        .subject(&row.user_id)
        .org(&row.business_id)
        .detail(json!({"membership_id": row.id, "role_id": row.role_id}));
    if let Some(b) = &row.branch_id {
        event = event.branch(b);
    }
    event.write(&mut tx).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(membership(&row))))
}

#[utoipa::path(
    get, path = "/memberships", tag = "memberships",
    operation_id = "memberships_list",
    params(("user_id" = Option<String>, Query, description = "Only this user's memberships"), ("business_id" = Option<String>, Query, description = "Only this business's memberships")),
    responses((status = 200, description = "Memberships", body = MembershipList))
)]
pub async fn list(
    State(s): State<Shared>,
    _admin: Admin,
    RawQuery(q): RawQuery,
) -> Result<Json<MembershipList>, ApiError> {
    let f: Filter = serde_urlencoded::from_str(q.as_deref().unwrap_or("")).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            format!("bad query: {e}"),
        )
    })?;
    let all = businesses::list_memberships(
        &s.db.read,
        f.user_id.as_deref().filter(|v| !v.is_empty()),
        f.business_id.as_deref().filter(|v| !v.is_empty()),
    )
    .await?;
    Ok(Json(MembershipList {
        memberships: all.iter().map(membership).collect(),
    }))
}

#[utoipa::path(
    get, path = "/memberships/{id}", tag = "memberships",
    operation_id = "memberships_show",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 200, description = "The membership", body = Membership))
)]
pub async fn show(
    State(s): State<Shared>,
    _admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<Membership>, ApiError> {
    let m = businesses::find_membership(&s.db.read, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("membership"))?;
    Ok(Json(membership(&m)))
}

#[utoipa::path(
    delete, path = "/memberships/{id}", tag = "memberships",
    operation_id = "memberships_remove",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 204, description = "The membership is deleted"))
)]
pub async fn remove(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let mut tx = s.db.begin().await?;
    let m = businesses::delete_membership(&mut tx, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("membership"))?;
    let mut event = admin_event("admin.membership.deleted", &admin, &meta)
        .subject(&m.user_id)
        .org(&m.business_id)
        .detail(json!({"membership_id": m.id, "role_id": m.role_id}));
    if let Some(b) = &m.branch_id {
        event = event.branch(b);
    }
    event.write(&mut tx).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
