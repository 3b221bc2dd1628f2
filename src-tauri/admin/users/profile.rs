//! A user's profile: name, given/family name, locale, email and its verification.

use super::user_json;
use crate::admin::input::not_null;
use crate::admin::{clean_name, Admin, ApiJson};
use crate::audit::Event;
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::now;
use crate::store::users;
use axum::extract::{Path, State};
use axum::Json;
use serde_json::json;
use tessera_proto::users::{UpdateUser, User};

pub const USER_UPDATED: &str = "admin.user.updated";

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

/// The checked change a patch asks for (the email not yet compared with the current one).
fn profile_change(body: UpdateUser) -> Result<users::ProfileChange, ApiError> {
    Ok(users::ProfileChange {
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
    })
}

/// The names of the fields a change sets, for the audit event.
fn changed_fields(change: &users::ProfileChange) -> Vec<&'static str> {
    [
        ("name", change.name.is_some()),
        ("given_name", change.given_name.is_some()),
        ("family_name", change.family_name.is_some()),
        ("locale", change.locale.is_some()),
        ("email", change.email.is_some()),
        ("email_verified", change.email_verified.is_some()),
    ]
    .into_iter()
    .filter_map(|(f, set)| set.then_some(f))
    .collect()
}

/// `PATCH /v1/users/{id}`: absent fields stay, `null` clears the optional ones. A new
/// email is unverified unless `email_verified` is sent with it.
#[utoipa::path(
    patch, path = "/users/{id}", tag = "users",
    operation_id = "users_update",
    params(("id" = String, Path, description = "The resource id")),
    request_body = UpdateUser,
    responses((status = 200, description = "The updated user", body = User))
)]
pub async fn update(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateUser>,
) -> Result<Json<User>, ApiError> {
    let mut change = profile_change(body)?;
    let current = super::require_user(&s, &id).await?;
    let email_changed = change
        .email
        .as_deref()
        .is_some_and(|e| !e.eq_ignore_ascii_case(&current.email));
    if email_changed && change.email_verified.is_none() {
        change.email_verified = Some(false);
    }
    let fields = changed_fields(&change);
    if fields.is_empty() {
        return user_json(&s, &current).await;
    }
    let mut tx = s.db.begin().await?;
    let updated = users::update_profile(&mut tx, &id, &change, now())
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
    user_json(&s, &updated).await
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
