//! Dynamic client registration (PRODUCT.md "Agents, token exchange, dynamic
//! registration"): RFC 7591 at `POST /oauth/register` (`endpoint`), RFC 7592 read, update
//! and delete at `/oauth/register/{client_id}` with the registration access token
//! (`management`), what admits a registration (`admission`: an initial access token or
//! open registration) and the metadata rules (`metadata`). Registered clients are of kind
//! `dynamic`: third-party (their users see the consent page), no product.

pub mod admission;
pub mod endpoint;
pub mod management;
pub mod metadata;

use crate::crypto::{random_token, sha256};
use crate::error::OAuthError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use metadata::Metadata;
use serde_json::{Map, Value};

/// Audit event types of registration.
pub mod kind {
    pub const CLIENT_REGISTERED: &str = "client.registered";
    pub const CLIENT_REGISTRATION_REFUSED: &str = "client.registration_refused";
    pub const CLIENT_UPDATED: &str = "client.registration_updated";
    pub const CLIENT_DELETED: &str = "client.registration_deleted";
}

/// The largest registration or update body.
const MAX_BODY_BYTES: usize = 16 * 1024;

/// The JSON object of a registration or update request: 415 unless the body is JSON,
/// 413 over 16 KiB, 400 `invalid_client_metadata` when it is not a JSON object.
fn json_object(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Map<String, Value>, OAuthError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(OAuthError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_request",
            "the body must be application/json",
        ));
    }
    let too_large = || {
        OAuthError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request",
            "the body is larger than 16 KiB",
        )
    };
    let bytes = body.map_err(|r| match r.status() {
        StatusCode::PAYLOAD_TOO_LARGE => too_large(),
        _ => OAuthError::invalid_request("the body could not be read"),
    })?;
    if bytes.len() > MAX_BODY_BYTES {
        return Err(too_large());
    }
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(metadata::invalid_metadata("the body must be a JSON object")),
    }
}

/// A client's new secret (shown once) and its SHA-256 (stored), as for products' clients.
fn mint_secret() -> (String, Vec<u8>) {
    let secret = random_token(32);
    let hash = sha256(&secret);
    (secret, hash)
}

/// The client information response (RFC 7591 §3.2.1, RFC 7592 §3).
struct Information<'a> {
    client_id: &'a str,
    issued_at: i64,
    /// The secret to show: a new one, or the one an update presented; never read back.
    secret: Option<&'a str>,
    registration_access_token: &'a str,
    metadata: &'a Metadata,
}

/// Answers `info` with `status`, never cached.
fn respond(s: &AppState, status: StatusCode, info: &Information<'_>) -> Response {
    let mut body = info.metadata.to_json();
    body.insert("client_id".into(), info.client_id.into());
    body.insert("client_id_issued_at".into(), info.issued_at.into());
    if info.metadata.auth_method.uses_secret() {
        body.insert("client_secret_expires_at".into(), 0.into());
    }
    if let Some(secret) = info.secret {
        body.insert("client_secret".into(), secret.into());
    }
    body.insert(
        "registration_access_token".into(),
        info.registration_access_token.into(),
    );
    body.insert(
        "registration_client_uri".into(),
        s.url(&format!("/oauth/register/{}", info.client_id)).into(),
    );
    no_store(status, Json(body))
}

/// `Cache-Control: no-store` (and `Pragma: no-cache`): answers that hold credentials.
fn no_store(status: StatusCode, body: impl IntoResponse) -> Response {
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        body,
    )
        .into_response()
}
