//! Error types per layer and their one mapping to the wire: the OAuth shape
//! `{"error","error_description"}` on `/oauth/*`, the `/v1` envelope on `/v1/*`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot use data dir {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Database(#[from] StoreError),
    #[error("signing keys: {0}")]
    Keys(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("configuration: {0}")]
    Config(String),
    #[error(
        "another Tessera server is using data dir {path}{pid}: stop it first (or give this one \
         its own --data-dir)"
    )]
    InUse { path: String, pid: String },
}

pub use crate::store::StoreError;

/// An OAuth 2.0 error response (RFC 6749 §5.2, RFC 6750 §3).
#[derive(Debug)]
pub struct OAuthError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
    pub www_authenticate: Option<Box<str>>,
    /// `Retry-After` seconds (throttled or busy answers); u16 keeps the error small.
    pub retry_after: Option<u16>,
    /// A fresh `DPoP-Nonce` (RFC 9449 §8) for the client's next proof (a thin box: the
    /// error travels in `Result`s and must stay small).
    #[allow(clippy::box_collection)]
    pub dpop_nonce: Option<Box<String>>,
}

impl OAuthError {
    pub fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status,
            error,
            description: description.into(),
            www_authenticate: None,
            retry_after: None,
            dpop_nonce: None,
        }
    }
    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", d)
    }
    pub fn invalid_grant(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", d)
    }
    pub fn invalid_scope(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", d)
    }
    pub fn unauthorized_client(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unauthorized_client", d)
    }
    pub fn unsupported_grant_type(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unsupported_grant_type", d)
    }
    /// 401 with a `Basic` challenge, as RFC 6749 §5.2 asks for failed client auth.
    pub fn invalid_client(d: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::UNAUTHORIZED, "invalid_client", d);
        e.www_authenticate = Some("Basic realm=\"tessera\"".into());
        e
    }
    /// 401 for a bad bearer token (RFC 6750 §3.1).
    pub fn invalid_token(d: impl Into<String>) -> Self {
        let d = d.into();
        let mut e = Self::new(StatusCode::UNAUTHORIZED, "invalid_token", d.clone());
        e.www_authenticate = Some(
            format!(
                "Bearer realm=\"tessera\", error=\"invalid_token\", error_description=\"{}\"",
                d.replace('"', "'")
            )
            .into(),
        );
        e
    }
    pub fn server_error() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "the server could not complete the request",
        )
    }
    /// 429 for a client throttled after failed client authentications.
    pub fn client_throttled(retry_after: i64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "invalid_client",
            format!("too many failed client authentications: try again in {retry_after} seconds"),
        );
        e.retry_after = Some(retry_after.clamp(1, i64::from(u16::MAX)) as u16);
        e
    }
}

impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        if let StoreError::Invalid(m) = e {
            return OAuthError::invalid_request(m);
        }
        tracing::error!(error = %e, "storage failure on an OAuth endpoint");
        OAuthError::server_error()
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.error, "error_description": self.description});
        let mut res = (self.status, axum::Json(body)).into_response();
        let headers = res.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(v) = self
            .www_authenticate
            .and_then(|v| HeaderValue::from_str(&v).ok())
        {
            headers.insert(header::WWW_AUTHENTICATE, v);
        }
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        insert_dpop_nonce(headers, self.dpop_nonce.as_deref().map(String::as_str));
        res
    }
}

/// A `/v1` admin API error: `{"error": {"code", "message", "type"}}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    /// `Retry-After` seconds (busy answers).
    pub retry_after: Option<u16>,
    /// The challenge of a 401 (default: `Bearer realm="tessera"`), e.g. a DPoP one.
    pub www_authenticate: Option<String>,
    /// A fresh `DPoP-Nonce` (RFC 9449 §9) for the client's next proof.
    pub dpop_nonce: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after: None,
            www_authenticate: None,
            dpop_nonce: None,
        }
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }
    /// 422 naming the offending field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            format!("{field}: {}", message.into()),
        );
        e.field = Some(field.to_string());
        e
    }
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server could not complete the request",
        )
    }
    /// 503: password hashing is at its bound; try again shortly.
    pub fn busy(retry_after: u16) -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "the server is busy: try again in a moment",
        );
        e.retry_after = Some(retry_after);
        e
    }

    fn error_type(&self) -> &'static str {
        match self.status.as_u16() {
            401 => "authentication_error",
            403 => "permission_error",
            404 => "not_found_error",
            409 => "conflict_error",
            429 => "rate_limit_error",
            400..=499 => "invalid_request_error",
            _ => "api_error",
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => ApiError::conflict(m),
            StoreError::Unsupported(m) => ApiError::conflict(m),
            StoreError::Invalid(m) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", m)
            }
            other => {
                tracing::error!(error = %other, "storage failure on the admin API");
                ApiError::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut inner =
            json!({"code": self.code, "message": self.message, "type": self.error_type()});
        if let Some(f) = &self.field {
            inner["field"] = json!(f);
        }
        let mut res = (self.status, axum::Json(json!({ "error": inner }))).into_response();
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            let challenge = self
                .www_authenticate
                .and_then(|v| HeaderValue::from_str(&v).ok())
                .unwrap_or(HeaderValue::from_static("Bearer realm=\"tessera\""));
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge);
        }
        insert_dpop_nonce(res.headers_mut(), self.dpop_nonce.as_deref());
        res
    }
}

fn insert_dpop_nonce(headers: &mut axum::http::HeaderMap, nonce: Option<&str>) {
    if let Some(v) = nonce.and_then(|v| HeaderValue::from_str(v).ok()) {
        headers.insert("dpop-nonce", v);
    }
}
