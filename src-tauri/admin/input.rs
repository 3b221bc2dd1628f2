//! Request-input helpers shared by the resources: nullable JSON fields (read by
//! `tessera_proto::nullable`, with the patch types; `not_null` here) and strict query
//! strings (unknown or repeated parameters are refused with a 422).

use crate::error::ApiError;
use std::collections::HashMap;

/// A field that may be absent but not `null`.
pub fn not_null<T>(field: &str, v: Option<Option<T>>) -> Result<Option<T>, ApiError> {
    match v {
        Some(None) => Err(ApiError::invalid_field(field, "must not be null")),
        Some(Some(x)) => Ok(Some(x)),
        None => Ok(None),
    }
}

/// Parses a query string, allowing only `allowed` names, each at most once.
pub fn query_params(
    raw: Option<&str>,
    allowed: &[&str],
) -> Result<HashMap<String, String>, ApiError> {
    let mut out = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        if !allowed.contains(&k.as_ref()) {
            return Err(ApiError::invalid_field(
                &k,
                "is not a known query parameter",
            ));
        }
        if out.insert(k.to_string(), v.into_owned()).is_some() {
            return Err(ApiError::invalid_field(&k, "must not be repeated"));
        }
    }
    Ok(out)
}

/// A list's `limit` query parameter: an integer 1-200, `default` when absent.
pub fn page_limit(p: &HashMap<String, String>, default: i64) -> Result<i64, ApiError> {
    match p.get("limit") {
        None => Ok(default),
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=200).contains(l))
            .ok_or_else(|| ApiError::invalid_field("limit", "must be an integer 1-200")),
    }
}
