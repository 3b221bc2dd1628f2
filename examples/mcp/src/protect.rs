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
    let Some(token) = header.and_then(bearer_token).map(str::to_string) else {
        return Refusal::NoToken.answer(&app);
    };
    let caller = match app.verifier.verify(&token).await {
        Ok(caller) => caller,
        Err(TokenRejection::KeysUnavailable(_)) => {
            let why = "the issuer's keys cannot be fetched right now; try again later";
            let body = json!({"error": "temporarily_unavailable", "error_description": why});
            return (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
        }
        Err(rejection) => return Refusal::InvalidToken(rejection.to_string()).answer(&app),
    };
    let (parts, body) = request.into_parts();
    let body = if parts.method == Method::POST {
        let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
            let why = "the request body is too large or unreadable";
            let body = json!({"error": "invalid_request", "error_description": why});
            return (StatusCode::PAYLOAD_TOO_LARGE, Json(body)).into_response();
        };
        if let Some(scope) = crate::tools::missing_scope(&bytes, &caller) {
            return Refusal::InsufficientScope(scope).answer(&app);
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

/// Why `/mcp` refuses a request; answered with an RFC 6750 §3 challenge that carries
/// `resource_metadata` (RFC 9728 §5.1), and the error as JSON.
enum Refusal {
    /// No bearer token: 401 without an error code (RFC 6750 §3.1).
    NoToken,
    /// The token does not verify (malformed, expired, another issuer or audience): 401.
    InvalidToken(String),
    /// A tool needs this scope, which the token lacks: 403 naming it, so the client can
    /// ask the user for it.
    InsufficientScope(&'static str),
}

impl Refusal {
    fn answer(self, app: &Shared) -> Response {
        let (status, error, description, scope) = match self {
            Refusal::NoToken => {
                let why = "this MCP server needs a Tessera access token (see resource_metadata)";
                (StatusCode::UNAUTHORIZED, None, why.to_string(), None)
            }
            Refusal::InvalidToken(why) => {
                (StatusCode::UNAUTHORIZED, Some("invalid_token"), why, None)
            }
            Refusal::InsufficientScope(scope) => {
                let why = format!("this tool needs the scope {scope}");
                (
                    StatusCode::FORBIDDEN,
                    Some("insufficient_scope"),
                    why,
                    Some(scope),
                )
            }
        };
        let mut params = Vec::new();
        if let Some(error) = error {
            params.push(format!("error=\"{error}\""));
            params.push(format!("error_description=\"{}\"", quotable(&description)));
        }
        if let Some(scope) = scope {
            params.push(format!("scope=\"{scope}\""));
        }
        params.push(format!("resource_metadata=\"{}\"", app.metadata_url));
        let body = json!({"error": error, "error_description": description});
        let mut response = (status, Json(body)).into_response();
        if let Ok(value) = HeaderValue::from_str(&format!("Bearer {}", params.join(", "))) {
            response.headers_mut().insert(WWW_AUTHENTICATE, value);
        }
        response
    }
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
