//! Request-input helpers shared by the user and product handlers: nullable JSON fields
//! and strict query strings (unknown or repeated parameters are refused with a 422).

use crate::error::ApiError;
use serde::{Deserialize, Deserializer};
use std::collections::HashMap;

/// For `#[serde(default, deserialize_with = "nullable")]`: absent -> `None`,
/// `null` -> `Some(None)`, a value -> `Some(Some(v))`.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

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
