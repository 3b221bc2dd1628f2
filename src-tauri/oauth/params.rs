//! Request parameters of the OAuth endpoints: form bodies and query strings parsed
//! into a map, refusing repeated parameters (RFC 6749 §3.1) and non-form bodies.

use crate::error::OAuthError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use std::collections::HashMap;

/// Parsed parameters; empty values count as absent (RFC 6749 §3.1). Serialized as a JSON
/// object (a pushed authorization request keeps its parameters so).
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct Params(HashMap<String, String>);

impl Params {
    pub fn parse(raw: &[u8]) -> Result<Params, OAuthError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(raw).map_err(|_| {
            OAuthError::invalid_request("the parameters are not valid form encoding")
        })?;
        let mut map = HashMap::with_capacity(pairs.len());
        for (k, v) in pairs {
            if v.is_empty() {
                continue;
            }
            if map.insert(k.clone(), v).is_some() {
                return Err(OAuthError::invalid_request(format!(
                    "parameter {k} is repeated"
                )));
            }
        }
        Ok(Params(map))
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Sets `key` (a non-empty value; an empty one removes it, as if absent).
    pub fn set(&mut self, key: &str, value: &str) {
        if value.is_empty() {
            self.0.remove(key);
        } else {
            self.0.insert(key.to_string(), value.to_string());
        }
    }

    /// A required parameter, or `invalid_request` naming it.
    pub fn require(&self, key: &str) -> Result<&str, OAuthError> {
        self.get(key)
            .ok_or_else(|| OAuthError::invalid_request(format!("{key} is required")))
    }
}

/// A form-encoded body (`application/x-www-form-urlencoded`) as [`Params`].
pub struct Form(pub Params);

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = OAuthError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                m.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !is_form {
            return Err(OAuthError::invalid_request(
                "the body must be application/x-www-form-urlencoded",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                OAuthError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "invalid_request",
                    "the request body is too large",
                )
            } else {
                OAuthError::invalid_request("the request body could not be read")
            }
        })?;
        Params::parse(&bytes).map(Form)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_empty_parameters() {
        assert!(Params::parse(b"a=1&a=2").is_err());
        let p = Params::parse(b"a=1&b=&c=x%20y").unwrap();
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), None);
        assert_eq!(p.get("c"), Some("x y"));
        assert!(p.require("b").is_err());
    }
}
