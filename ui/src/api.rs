//! The `/v1` admin API as the pages use it: JSON in and out, the access token attached
//! (refreshed first when it is about to expire, and once more after a 401), and the
//! `{"error": {...}}` envelope turned into [`ApiError`]. Also `GET /health` for the
//! sign-in landing page, and the small fetch helpers `auth` shares.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tessera_proto::error::ErrorEnvelope;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::auth;

/// A failed API call: the HTTP status (0 when the server could not be reached), the
/// envelope's machine `code` and its human `message` (what the pages show).
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
        }
    }

    /// The server did not answer (or the browser refused the request).
    pub fn network(detail: &JsValue) -> Self {
        Self::new(
            0,
            "network",
            format!("Cannot reach the server ({})", js_error_text(detail)),
        )
    }
}

pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let text = call("GET", path, None).await?;
    parse(&text)
}

pub async fn post<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiError> {
    let text = call("POST", path, Some(to_json(body)?)).await?;
    parse(&text)
}

pub async fn patch<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiError> {
    let text = call("PATCH", path, Some(to_json(body)?)).await?;
    parse(&text)
}

pub async fn put<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiError> {
    let text = call("PUT", path, Some(to_json(body)?)).await?;
    parse(&text)
}

pub async fn delete(path: &str) -> Result<(), ApiError> {
    call("DELETE", path, None).await.map(drop)
}

#[allow(dead_code)] // part of the pages' API (see the console contract)
pub async fn delete_with<B: Serialize>(path: &str, body: &B) -> Result<(), ApiError> {
    call("DELETE", path, Some(to_json(body)?)).await.map(drop)
}

/// A fresh access token (refreshed first when less than 60 s are left), for requests the
/// helpers above do not cover (SSE over fetch, desktop commands).
pub async fn access_token() -> Result<String, ApiError> {
    auth::access_token().await
}

/// `encodeURIComponent`, for path segments and query values.
pub fn enc(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}

fn to_json<B: Serialize>(body: &B) -> Result<String, ApiError> {
    serde_json::to_string(body).map_err(|e| ApiError::new(0, "client", e.to_string()))
}

fn parse<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    // An empty body (204) reads as `null`, so `()` and `Option<_>` work.
    let text = if text.trim().is_empty() { "null" } else { text };
    serde_json::from_str(text).map_err(|e| {
        ApiError::new(
            0,
            "unexpected_response",
            format!("Unexpected answer from the server: {e}"),
        )
    })
}

/// One authorized request, retried once with a refreshed token after a 401. Returns the
/// body text of a 2xx answer.
async fn call(method: &str, path: &str, body: Option<String>) -> Result<String, ApiError> {
    let response = send(method, path, body.as_deref()).await?;
    let response = if response.status() == 401 {
        auth::refresh().await?;
        send(method, path, body.as_deref()).await?
    } else {
        response
    };
    let status = response.status();
    let text = response_text(&response).await?;
    if (200..300).contains(&status) {
        Ok(text)
    } else {
        if status == 401 {
            auth::session_lost();
        }
        Err(error_from(status, &text))
    }
}

/// An authorized request whose answer the caller reads itself (a file download).
pub async fn send(
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Result<web_sys::Response, ApiError> {
    let token = auth::access_token().await?;
    let mut headers = vec![
        ("Authorization", format!("Bearer {token}")),
        ("Accept", "application/json".to_owned()),
    ];
    if body.is_some() {
        headers.push(("Content-Type", "application/json".to_owned()));
    }
    fetch(method, path, &headers, body.map(JsValue::from_str)).await
}

/// A plain same-origin fetch (no token): used by `auth` for discovery and the token
/// endpoint, and for `/health`.
pub async fn fetch(
    method: &str,
    url: &str,
    headers: &[(&str, String)],
    body: Option<JsValue>,
) -> Result<web_sys::Response, ApiError> {
    let window = web_sys::window().ok_or_else(|| ApiError::new(0, "client", "no window"))?;
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_cache(web_sys::RequestCache::NoStore);
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    let h = web_sys::Headers::new().map_err(|e| ApiError::network(&e))?;
    for (name, value) in headers {
        h.set(name, value).map_err(|e| ApiError::network(&e))?;
    }
    init.set_headers(&h);
    if let Some(body) = body {
        init.set_body(&body);
    }
    let response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|e| ApiError::network(&e))?;
    response
        .dyn_into::<web_sys::Response>()
        .map_err(|e| ApiError::network(&e))
}

pub async fn response_text(response: &web_sys::Response) -> Result<String, ApiError> {
    let promise = response.text().map_err(|e| ApiError::network(&e))?;
    Ok(JsFuture::from(promise)
        .await
        .map_err(|e| ApiError::network(&e))?
        .as_string()
        .unwrap_or_default())
}

/// The `/v1` error envelope (`tessera_proto::error`) → ApiError; anything else → a message
/// with the status.
pub fn error_from(status: u16, text: &str) -> ApiError {
    match serde_json::from_str::<ErrorEnvelope>(text) {
        Ok(ErrorEnvelope { error }) if !error.message.is_empty() => ApiError {
            status,
            code: error.code,
            message: error.message,
        },
        _ => ApiError::new(status, "http", format!("The server answered HTTP {status}")),
    }
}

/// What the sign-in landing page shows about the server (`GET /health`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServerStatus {
    pub up: bool,
    pub issuer: Option<String>,
    pub port: Option<u16>,
    pub version: Option<String>,
    /// Unix seconds.
    pub started_at: Option<u64>,
    pub error: Option<String>,
}

/// The body of `GET /health`.
#[derive(Deserialize)]
struct Health {
    status: String,
    issuer: String,
    listen: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    started_at: Option<u64>,
}

pub async fn fetch_health() -> ServerStatus {
    let result = async {
        let response = fetch("GET", "/health", &[], None).await?;
        if !response.ok() {
            return Err(ApiError::new(
                response.status(),
                "http",
                format!("/health answered HTTP {}", response.status()),
            ));
        }
        let text = response_text(&response).await?;
        serde_json::from_str::<Health>(&text).map_err(|e| {
            ApiError::new(
                0,
                "unexpected_response",
                format!("unexpected /health answer: {e}"),
            )
        })
    }
    .await;
    match result {
        Ok(health) => ServerStatus {
            up: health.status == "ok",
            port: port_of(&health.listen),
            issuer: Some(health.issuer),
            version: health.version,
            started_at: health.started_at,
            error: None,
        },
        Err(error) => ServerStatus {
            up: false,
            error: Some(error.message),
            ..ServerStatus::default()
        },
    }
}

pub fn port_of(listen: &str) -> Option<u16> {
    listen.rsplit_once(':')?.1.parse().ok()
}

pub fn js_error_text(value: &JsValue) -> String {
    if let Some(error) = value.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    if let Some(text) = value.as_string() {
        return text;
    }
    // Tauri rejections are `{"message": "..."}`.
    if let Ok(message) = js_sys::Reflect::get(value, &JsValue::from_str("message")) {
        if let Some(text) = message.as_string() {
            return text;
        }
    }
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| "unknown error".to_owned())
}
