//! `/v1/users`: create and suspend (more in the admin API issue).

use super::{clean_name, Admin, ApiJson};
use crate::audit::{kind, Event};
use crate::crypto::hash_password;
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::users::{self, NewUser, UserRow};
use crate::store::{now, sessions};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
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
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|_| ApiError::internal())?;
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
}
