//! The rules a product's settings follow, checked on create and on update: redirect URIs,
//! scopes (valid, not reserved, declared by one product only) and token lifetimes.

use crate::domain::{redirect, scope};
use crate::error::ApiError;
use crate::oauth::resource::{self, MAX_RESOURCES};
use crate::store::clients::{self, ApplicationType};

/// Bounds of a product's refresh-family lifetime: 1 hour to 2 years.
pub const FAMILY_TTL_MIN: i64 = 3600;
pub const FAMILY_TTL_MAX: i64 = 730 * 86_400;

/// Scopes a product may not declare: they belong to OIDC or to Tessera itself.
const RESERVED_SCOPES: [&str; 5] = ["openid", "profile", "email", "offline_access", "admin"];

/// Redirect URIs of a web client of `app_type` (native apps may use private-use schemes).
pub fn check_uris(field: &str, uris: &[String], app_type: ApplicationType) -> Result<(), ApiError> {
    if uris.len() > 50 {
        return Err(ApiError::invalid_field(field, "at most 50 URIs"));
    }
    for uri in uris {
        check_uri(field, uri, app_type)?;
    }
    Ok(())
}

/// One redirect URI of a web client of `app_type`; a refusal names it.
pub fn check_uri(field: &str, uri: &str, app_type: ApplicationType) -> Result<(), ApiError> {
    redirect::validate_registration(uri, app_type)
        .map_err(|why| ApiError::invalid_field(field, format!("{uri:?} {why}")))
}

pub fn check_scopes(scopes: &[String]) -> Result<(), ApiError> {
    if scopes.len() > 100 {
        return Err(ApiError::invalid_field("scopes", "at most 100 scopes"));
    }
    for s in scopes {
        if !scope::is_scope_token(s) {
            return Err(ApiError::invalid_field(
                "scopes",
                format!("{s:?} is not a valid scope (no spaces or quotes, 1-128 characters)"),
            ));
        }
        if RESERVED_SCOPES.contains(&s.as_str()) {
            return Err(ApiError::invalid_field(
                "scopes",
                format!("{s:?} is reserved"),
            ));
        }
    }
    Ok(())
}

/// 409 when another product already declares one of `scopes`.
pub async fn check_scopes_unique(
    tx: &mut crate::store::Tx,
    scopes: &[String],
    except_product: Option<&str>,
) -> Result<(), ApiError> {
    match clients::edit::scope_declared_elsewhere(tx, scopes, except_product).await? {
        Some((scope, product)) => Err(ApiError::conflict(format!(
            "scope {scope:?} is already declared by the product {product:?}: each scope \
             belongs to one product (roles and tokens name scopes without their product); \
             pick a name prefixed with this product's, e.g. \"shop:{scope}\""
        ))),
        None => Ok(()),
    }
}

/// A product's RFC 8707 resources: absolute URIs without fragment, at most
/// [`MAX_RESOURCES`], none its own `audience`; returned without repeats.
pub fn check_resources(
    resources: &[String],
    audience: Option<&str>,
) -> Result<Vec<String>, ApiError> {
    let field = "resources";
    if resources.len() > MAX_RESOURCES {
        return Err(ApiError::invalid_field(
            field,
            format!("at most {MAX_RESOURCES} resources"),
        ));
    }
    for uri in resources {
        if let Some(why) = resource::syntax_problem(uri) {
            return Err(ApiError::invalid_field(field, format!("{uri:?} {why}")));
        }
        if audience == Some(uri.as_str()) {
            return Err(ApiError::invalid_field(
                field,
                format!("{uri:?} is already the product's audience"),
            ));
        }
    }
    Ok(dedup(resources))
}

/// 409 when another product already serves one of `resources` (as its audience or one
/// of its resources): a resource names one product's API.
pub async fn check_resources_unique(
    tx: &mut crate::store::Tx,
    resources: &[String],
    except_product: Option<&str>,
) -> Result<(), ApiError> {
    match clients::edit::target_served_elsewhere(tx, resources, except_product).await? {
        Some((uri, product)) => Err(ApiError::conflict(format!(
            "resource {uri:?} is already served by the product {product:?}: each resource \
             names one product's API"
        ))),
        None => Ok(()),
    }
}

pub fn check_ttl(
    field: &str,
    value: Option<i64>,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, ApiError> {
    let v = value.unwrap_or(default);
    if !(min..=max).contains(&v) {
        return Err(ApiError::invalid_field(
            field,
            format!("must be between {min} and {max} seconds"),
        ));
    }
    Ok(v)
}

/// `items` without repeats, in first-seen order.
pub fn dedup(items: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for s in items {
        if !out.contains(s) {
            out.push(s.clone());
        }
    }
    out
}

/// A product's MFA policy: `optional` or `required`.
pub fn check_mfa(value: &str) -> Result<String, ApiError> {
    match value {
        "optional" | "required" => Ok(value.to_string()),
        _ => Err(ApiError::invalid_field(
            "mfa",
            "must be optional or required",
        )),
    }
}
