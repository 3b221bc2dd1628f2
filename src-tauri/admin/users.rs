//! `/v1/users`: create, read, list (search + cursor), update the profile, suspend;
//! password, unsuspend, delete and SSO sessions in `account`.

pub mod account;

use super::input::{not_null, nullable, query_params};
use super::{clean_name, Admin, ApiJson};
use crate::audit::{kind, Event};
use crate::crypto::hash_password;
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::users::{self, NewUser, UserRow};
use crate::store::{now, sessions};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one, update, account::delete))
        .routes(routes!(suspend))
        .routes(routes!(account::unsuspend))
        .routes(routes!(account::set_password))
        .routes(routes!(account::list_sessions, account::end_sessions))
        .routes(routes!(account::end_session))
}

pub const USER_UPDATED: &str = "admin.user.updated";

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    email: String,
    password: String,
    #[serde(default)]
    name: Option<String>,
}

/// The public shape of a user (never the password hash).
pub fn user_json(u: &UserRow) -> Value {
    json!({
        "id": u.id, "email": u.email, "name": u.name, "given_name": u.given_name,
        "family_name": u.family_name, "locale": u.locale, "email_verified": u.email_verified,
        "status": u.status, "is_superadmin": u.is_superadmin,
        "created_at": u.created_at, "updated_at": u.updated_at,
    })
}

/// A plausible email address: one `@`, non-empty parts, a dot in the domain, no spaces.
pub fn validate_email(raw: &str) -> Result<String, ApiError> {
    let email = raw.trim();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && local.len() <= 64
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
    if valid {
        Ok(email.to_string())
    } else {
        Err(ApiError::invalid_field(
            "email",
            "is not a valid email address",
        ))
    }
}

pub fn validate_password(password: &str) -> Result<(), ApiError> {
    let n = password.chars().count();
    if n < 8 {
        return Err(ApiError::invalid_field(
            "password",
            "must be at least 8 characters",
        ));
    }
    if n > 1024 {
        return Err(ApiError::invalid_field(
            "password",
            "must be at most 1024 characters",
        ));
    }
    Ok(())
}

#[utoipa::path(
    post, path = "/users", tag = "users",
    operation_id = "users_create",
    request_body = CreateUser,
    responses((status = 201, description = "The created user", body = serde_json::Value))
)]
pub async fn create(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let email = validate_email(&body.email)?;
    validate_password(&body.password)?;
    let name = body
        .name
        .as_deref()
        .map(|n| clean_name("name", n))
        .transpose()?;
    let password = body.password;
    let hash = crate::throttle::hash_bounded(&s, &meta, move || hash_password(&password)).await?;
    let id = uuid::Uuid::now_v7().to_string();
    let now = now();
    let mut tx = s.db.begin().await?;
    users::insert_user(
        &mut tx,
        &NewUser {
            id: &id,
            email: &email,
            name: name.as_deref(),
            password_hash: &hash,
            is_superadmin: false,
            now,
        },
    )
    .await?;
    Event::success(kind::USER_CREATED)
        .meta(&meta)
        .actor(admin.actor())
        .subject(&id)
        .detail(json!({"email": email}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    let user = users::find_user(&s.db.read, &id)
        .await?
        .ok_or_else(ApiError::internal)?;
    Ok((StatusCode::CREATED, Json(user_json(&user))))
}

#[utoipa::path(
    post, path = "/users/{id}/suspend", tag = "users",
    operation_id = "users_suspend",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 200, description = "The suspended user", body = serde_json::Value))
)]
pub async fn suspend(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let now = now();
    let mut tx = s.db.begin().await?;
    let user = users::set_user_status(&mut tx, &id, "suspended", now)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    let ended = sessions::end_user_sessions(&mut tx, &id, now).await?;
    Event::success(kind::USER_SUSPENDED)
        .meta(&meta)
        .actor(admin.actor())
        .subject(&id)
        .detail(json!({"sessions_ended": ended}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(Json(user_json(&user)))
}

#[utoipa::path(
    get, path = "/users/{id}", tag = "users",
    operation_id = "users_get_one",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 200, description = "The user", body = serde_json::Value))
)]
pub async fn get_one(
    State(s): State<Shared>,
    _admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = users::find_user(&s.db.read, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    Ok(Json(user_json(&user)))
}

/// `GET /v1/users?q=&status=&limit=&cursor=`: ordered by id (creation order); the
/// cursor is the last id of the previous page.
#[utoipa::path(
    get, path = "/users", tag = "users",
    operation_id = "users_list",
    params(("q" = Option<String>, Query, description = "Search e-mail and names"), ("status" = Option<String>, Query, description = "active or suspended"), ("limit" = Option<i64>, Query, description = "Page size"), ("cursor" = Option<String>, Query, description = "next_cursor of the previous page")),
    responses((status = 200, description = "A page of users", body = serde_json::Value))
)]
pub async fn list(
    State(s): State<Shared>,
    _admin: Admin,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let p = query_params(raw.as_deref(), &["q", "status", "limit", "cursor"])?;
    let q = p.get("q").map(|q| q.trim()).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::invalid_field(
            "q",
            "must be at most 200 characters",
        ));
    }
    let status = p.get("status").map(String::as_str);
    if status.is_some_and(|st| st != "active" && st != "suspended") {
        return Err(ApiError::invalid_field(
            "status",
            "must be active or suspended",
        ));
    }
    let limit = match p.get("limit") {
        None => 50,
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=200).contains(l))
            .ok_or_else(|| ApiError::invalid_field("limit", "must be an integer 1-200"))?,
    };
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
    let next = more.then(|| rows.last().map(|u| u.id.clone())).flatten();
    let list: Vec<Value> = rows.iter().map(user_json).collect();
    Ok(Json(json!({"users": list, "next_cursor": next})))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[serde(default, deserialize_with = "nullable")]
    name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    given_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    family_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    locale: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    email_verified: Option<Option<bool>>,
}

/// A BCP 47-looking language tag: `en`, `de-CH`, `zh-Hant-TW`.
fn validate_locale(raw: &str) -> Result<String, ApiError> {
    let tag = raw.trim();
    let mut parts = tag.split('-');
    let lang_ok = parts
        .next()
        .is_some_and(|l| (2..=8).contains(&l.len()) && l.chars().all(|c| c.is_ascii_alphabetic()));
    let rest_ok =
        parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if lang_ok && rest_ok && tag.len() <= 35 {
        Ok(tag.to_string())
    } else {
        Err(ApiError::invalid_field(
            "locale",
            "must be a language tag such as en or de-CH",
        ))
    }
}

fn optional_name(
    field: &str,
    v: Option<Option<String>>,
) -> Result<Option<Option<String>>, ApiError> {
    v.map(|n| n.map(|n| clean_name(field, &n)).transpose())
        .transpose()
}

/// `PATCH /v1/users/{id}`: absent fields stay, `null` clears the optional ones. A new
/// email is unverified unless `email_verified` is sent with it.
#[utoipa::path(
    patch, path = "/users/{id}", tag = "users",
    operation_id = "users_update",
    params(("id" = String, Path, description = "The resource id")),
    request_body = UpdateUser,
    responses((status = 200, description = "The updated user", body = serde_json::Value))
)]
pub async fn update(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateUser>,
) -> Result<Json<Value>, ApiError> {
    let mut change = users::ProfileChange {
        name: optional_name("name", body.name)?,
        given_name: optional_name("given_name", body.given_name)?,
        family_name: optional_name("family_name", body.family_name)?,
        locale: body
            .locale
            .map(|l| l.map(|l| validate_locale(&l)).transpose())
            .transpose()?,
        email: not_null("email", body.email)?
            .map(|e| validate_email(&e))
            .transpose()?,
        email_verified: not_null("email_verified", body.email_verified)?,
    };
    let current = users::find_user(&s.db.read, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    let email_changed = change
        .email
        .as_deref()
        .is_some_and(|e| !e.eq_ignore_ascii_case(&current.email));
    if email_changed && change.email_verified.is_none() {
        change.email_verified = Some(false);
    }
    let mut fields = Vec::new();
    for (f, set) in [
        ("name", change.name.is_some()),
        ("given_name", change.given_name.is_some()),
        ("family_name", change.family_name.is_some()),
        ("locale", change.locale.is_some()),
        ("email", change.email.is_some()),
        ("email_verified", change.email_verified.is_some()),
    ] {
        if set {
            fields.push(f);
        }
    }
    if fields.is_empty() {
        return Ok(Json(user_json(&current)));
    }
    let mut tx = s.db.begin().await?;
    let user = users::update_profile(&mut tx, &id, &change, now())
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    Event::success(USER_UPDATED)
        .meta(&meta)
        .actor(admin.actor())
        .subject(&id)
        .detail(json!({"fields": fields}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(Json(user_json(&user)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_rules() {
        assert!(validate_email("a@b.co").is_ok());
        assert!(validate_email(" a@b.co ").is_ok());
        assert!(validate_email("a@b").is_err());
        assert!(validate_email("a b@c.de").is_err());
        assert!(validate_email("@c.de").is_err());
        assert!(validate_email("a@@c.de").is_err());
    }

    #[test]
    fn locale_rules() {
        assert!(validate_locale("en").is_ok());
        assert!(validate_locale("de-CH").is_ok());
        assert!(validate_locale("zh-Hant-TW").is_ok());
        assert!(validate_locale("e").is_err());
        assert!(validate_locale("en_US").is_err());
        assert!(validate_locale("en-").is_err());
    }
}
