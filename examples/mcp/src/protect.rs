//! The protected-resource side of MCP authorization: the RFC 9728 metadata document and
//! the middleware in front of `/mcp` that admits only Tessera access tokens for this
//! resource (401 / 403 with an RFC 6750 challenge carrying `resource_metadata` otherwise).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use tessera_sdk::{Caller, TokenRejection};
use tower_http::cors::{Any, CorsLayer};

use crate::{Shared, SCOPES_SUPPORTED};

/// The largest JSON-RPC message the middleware reads to find the tool called (the same
/// bound rmcp applies to a request body).
const MAX_BODY: usize = 4 * 1024 * 1024;

/// What the middleware hands the tools, in the request's extensions (rmcp passes them on
/// in `http::request::Parts`).
#[derive(Clone)]
pub(crate) struct Authenticated {
    /// The verified token's caller.
    pub(crate) caller: Caller,
    /// The bearer token itself: the subject token of a token exchange.
    pub(crate) token: String,
}

/// `GET /.well-known/oauth-protected-resource[/mcp]`: RFC 9728 §2 metadata of `/mcp`.
pub(crate) async fn metadata(State(app): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({
        "resource": app.resource,
        "authorization_servers": [app.issuer],
        "scopes_supported": SCOPES_SUPPORTED,
        "bearer_methods_supported": ["header"],
        "resource_name": "Tessera MCP example",
    }))
}

/// Middleware: a valid bearer token for this resource, and on `tools/call` the scope the
/// tool needs; else the challenge. Puts [`Authenticated`] in the request's extensions.
pub(crate) async fn require_token(
    State(app): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let header = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    // No bearer token at all: RFC 6750 §3.1, a challenge without an error code.
    let Some(token) = header.and_then(bearer_token).map(str::to_string) else {
        return challenge(&app, StatusCode::UNAUTHORIZED, None);
    };
    let caller = match app.verifier.verify(&token).await {
        Ok(caller) => caller,
        Err(TokenRejection::KeysUnavailable(_)) => {
            let why = "the issuer's keys cannot be fetched right now; try again later";
            return error_body(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                why,
            );
        }
        Err(rejection) => {
            let error = ("invalid_token", rejection.to_string());
            return challenge(&app, StatusCode::UNAUTHORIZED, Some(error));
        }
    };
    let (parts, body) = request.into_parts();
    let body = if parts.method == Method::POST {
        let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
            let why = "the request body is too large or unreadable";
            return error_body(StatusCode::PAYLOAD_TOO_LARGE, "invalid_request", why);
        };
        if let Some(scope) = crate::tools::missing_scope(&bytes, &caller) {
            let why = format!("this tool needs the scope {scope}");
            return challenge(
                &app,
                StatusCode::FORBIDDEN,
                Some(("insufficient_scope", why)),
            );
        }
        Body::from(bytes)
    } else {
        body
    };
    let mut request = Request::from_parts(parts, body);
    request
        .extensions_mut()
        .insert(Authenticated { caller, token });
    next.run(request).await
}

/// The token of an `Authorization: Bearer <token>` value (scheme case-insensitive).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// 401 or 403 with `WWW-Authenticate: Bearer [error=..., error_description=..., scope=...,]
/// resource_metadata="..."` (RFC 6750 §3, RFC 9728 §5.1) and the error as JSON.
fn challenge(app: &Shared, status: StatusCode, error: Option<(&str, String)>) -> Response {
    let mut params = Vec::new();
    if let Some((code, description)) = &error {
        params.push(format!("error=\"{code}\""));
        params.push(format!("error_description=\"{}\"", quotable(description)));
        if *code == "insufficient_scope" {
            params.push(format!("scope=\"{}\"", SCOPES_SUPPORTED.join(" ")));
        }
    }
    params.push(format!("resource_metadata=\"{}\"", app.metadata_url));
    let (code, description) = error.unwrap_or_else(|| {
        let why = "this MCP server needs a Tessera access token (see resource_metadata)";
        ("invalid_request", why.to_string())
    });
    let mut response = error_body(status, code, &description);
    if let Ok(value) = HeaderValue::from_str(&format!("Bearer {}", params.join(", "))) {
        response.headers_mut().insert(WWW_AUTHENTICATE, value);
    }
    response
}

fn error_body(status: StatusCode, error: &str, description: &str) -> Response {
    let body = json!({"error": error, "error_description": description});
    (status, Json(body)).into_response()
}

/// `text` fit for an RFC 6750 quoted string: printable ASCII without `"` and `\`.
fn quotable(text: &str) -> String {
    text.chars()
        .filter(|c| (' '..='~').contains(c) && *c != '"' && *c != '\\')
        .collect()
}

/// CORS for browser-based MCP clients (e.g. the MCP Inspector in direct mode): any origin,
/// no credentials (tokens travel in `Authorization`, never in cookies), the MCP headers,
/// and `WWW-Authenticate` / `Mcp-Session-Id` readable by the page.
pub(crate) fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers(Any)
        .expose_headers([
            WWW_AUTHENTICATE,
            axum::http::HeaderName::from_static("mcp-session-id"),
            axum::http::HeaderName::from_static("mcp-protocol-version"),
        ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_read_case_insensitively() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearer"), None);
    }

    #[test]
    fn descriptions_are_safe_in_a_quoted_string() {
        assert_eq!(quotable("bad \"x\" \\ y\nz é"), "bad x  yz ");
    }
}
