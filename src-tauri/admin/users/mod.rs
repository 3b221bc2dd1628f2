//! `/v1/users`: read and list here; the account (create, delete), invitations by email,
//! its profile, status (suspend, unsuspend), password, SSO sessions and consents to
//! third-party apps each in their own file.

mod account;
mod consents;
mod invitation;
mod mfa;
mod password;
mod profile;
mod sessions;
mod status;

pub use password::validate_password;
pub use profile::validate_email;

use super::input::{page_limit, query_params};
use super::Admin;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::mfa::{self as mfa_store, Factors};
use crate::store::users::{self, UserRow};
use axum::extract::{Path, RawQuery, State};
use axum::Json;
use tessera_proto::users::{User, UserMfa, UserPage};
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list, account::create))
        .routes(routes!(get_one, profile::update, account::delete))
        .routes(routes!(status::suspend))
        .routes(routes!(status::unsuspend))
        .routes(routes!(password::set_password))
        .routes(routes!(sessions::list_sessions, sessions::end_sessions))
        .routes(routes!(sessions::end_session))
        .routes(routes!(mfa::require))
        .routes(routes!(mfa::reset))
        .routes(routes!(mfa::passkeys))
        .routes(routes!(invitation::resend))
        .routes(routes!(consents::list_consents))
        .routes(routes!(consents::revoke_consent))
}

/// The wire shape of a user with the factors it has (never the password hash, never a
/// secret).
fn user(u: &UserRow, f: &Factors) -> User {
    User {
        id: u.id.clone(),
        email: u.email.clone(),
        name: u.name.clone(),
        given_name: u.given_name.clone(),
        family_name: u.family_name.clone(),
        locale: u.locale.clone(),
        email_verified: u.email_verified,
        status: u.shown_status().to_string(),
        is_superadmin: u.is_superadmin,
        mfa: UserMfa {
            totp: f.totp > 0,
            passkeys: f.passkeys,
            recovery_codes_left: f.recovery_codes_left,
            required: u.mfa_required,
        },
        created_at: u.created_at,
        updated_at: u.updated_at,
    }
}

/// The answer naming one user, with its factors read.
async fn user_json(s: &Shared, u: &UserRow) -> Result<Json<User>, ApiError> {
    let f = mfa_store::factors(&s.db.read, &u.id).await?;
    Ok(Json(user(u, &f)))
}

/// The user or 404.
async fn require_user(s: &Shared, id: &str) -> Result<UserRow, ApiError> {
    users::find_user(&s.db.read, id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))
}

#[utoipa::path(
    get, path = "/users/{id}", tag = "users",
    operation_id = "users_get_one",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 200, description = "The user", body = User))
)]
pub async fn get_one(
    State(s): State<Shared>,
    _admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<User>, ApiError> {
    user_json(&s, &require_user(&s, &id).await?).await
}

/// `GET /v1/users?q=&status=&limit=&cursor=`: ordered by id (creation order); the
/// cursor is the last id of the previous page.
#[utoipa::path(
    get, path = "/users", tag = "users",
    operation_id = "users_list",
    params(("q" = Option<String>, Query, description = "Search e-mail and names"), ("status" = Option<String>, Query, description = "active, suspended or invited"), ("limit" = Option<i64>, Query, description = "Page size"), ("cursor" = Option<String>, Query, description = "next_cursor of the previous page")),
    responses((status = 200, description = "A page of users", body = UserPage))
)]
pub async fn list(
    State(s): State<Shared>,
    _admin: Admin,
    RawQuery(raw): RawQuery,
) -> Result<Json<UserPage>, ApiError> {
    let p = query_params(raw.as_deref(), &["q", "status", "limit", "cursor"])?;
    let q = p.get("q").map(|q| q.trim()).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::invalid_field(
            "q",
            "must be at most 200 characters",
        ));
    }
    let status = p.get("status").map(String::as_str);
    if status.is_some_and(|st| !["active", "suspended", "invited"].contains(&st)) {
        return Err(ApiError::invalid_field(
            "status",
            "must be active, suspended or invited",
        ));
    }
    let limit = page_limit(&p, 50)?;
    let cursor = p.get("cursor").map(String::as_str);
    if cursor.is_some_and(|c| c.is_empty() || c.len() > 100) {
        return Err(ApiError::invalid_field(
            "cursor",
            "is not a cursor from this list",
        ));
    }
    let mut rows = users::list_users(&s.db.read, q, status, cursor, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = more.then(|| rows.last().map(|u| u.id.clone())).flatten();
    let ids: Vec<String> = rows.iter().map(|u| u.id.clone()).collect();
    let factors = mfa_store::factors_of(&s.db.read, &ids).await?;
    let of = |id: &str| {
        factors
            .iter()
            .find(|f| f.user_id == id)
            .cloned()
            .unwrap_or_default()
    };
    Ok(Json(UserPage {
        users: rows.iter().map(|u| user(u, &of(&u.id))).collect(),
        next_cursor,
    }))
}
