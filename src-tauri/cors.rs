//! CORS for apps in a browser (PRODUCT.md "Kinds of apps"): the token, userinfo and
//! revocation endpoints and `/v1/auth/*` answer the origins some product's web client
//! allows ([`for_clients`], a predicate over the in-memory origin set, so a request costs
//! no read; dynamic clients' redirect-URI origins included); discovery and the JWKS answer
//! any origin ([`for_anyone`]), and so does registration ([`for_registration`]). The `/v1` admin API
//! never gets CORS headers: the console is served from the issuer's own origin.
//! No credentials either way: tokens travel in headers and bodies, not cookies.
//! The token endpoint also refuses an `Origin` its client does not allow
//! ([`origin_allowed`]), so one product's page cannot use another product's client.

use crate::domain::redirect::origin_of;
use crate::state::{AppState, Shared};
use axum::http::{header, HeaderMap, HeaderName, Method};
use std::time::Duration;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

/// How long a browser may cache a preflight's answer.
const MAX_AGE: Duration = Duration::from_secs(600);
const DPOP: HeaderName = HeaderName::from_static("dpop");
const DPOP_NONCE: HeaderName = HeaderName::from_static("dpop-nonce");

/// The origins of products' web clients, on the endpoints a browser app calls.
pub fn for_clients(state: &Shared) -> CorsLayer {
    let state = state.clone();
    let allowed = AllowOrigin::async_predicate(move |origin, _| {
        let state = state.clone();
        async move {
            let Ok(origin) = origin.to_str() else {
                return false;
            };
            match state.clients.origins(&state.db.read).await {
                Ok(all) => all.any_allows(origin),
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the clients' origins");
                    false
                }
            }
        }
    });
    CorsLayer::new()
        .allow_origin(allowed)
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, DPOP])
        .expose_headers([DPOP_NONCE, header::WWW_AUTHENTICATE])
        .max_age(MAX_AGE)
}

/// Any origin, for public metadata (discovery, JWKS): `*`, never with credentials.
pub fn for_anyone() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET])
        .max_age(MAX_AGE)
}

/// Any origin, for dynamic client registration (RFC 7591/7592): browser-based clients
/// (MCP clients) register from their own origin. Bearer tokens in headers, never
/// credentials, so `*` exposes nothing a cookie would carry.
pub fn for_registration() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([header::WWW_AUTHENTICATE, header::RETRY_AFTER])
        .max_age(MAX_AGE)
}

/// Whether a token request may come from its `Origin`: none (not a browser), the issuer's
/// own origin (the console, and its "Try sign-in") or the desktop console's loopback
/// origin, or one `client_id` allows. Several `Origin` headers are refused.
pub async fn origin_allowed(
    s: &AppState,
    client_id: &str,
    headers: &HeaderMap,
) -> Result<bool, crate::error::StoreError> {
    let mut all = headers.get_all(header::ORIGIN).iter();
    let origin = match (all.next(), all.next()) {
        (None, _) => return Ok(true),
        (Some(v), None) => v.to_str().unwrap_or(""),
        (Some(_), Some(_)) => return Ok(false),
    };
    if origin_of(&s.issuer).as_deref() == Some(origin) {
        return Ok(true);
    }
    if let Some(port) = s.console_loopback_port {
        let console = [
            format!("http://127.0.0.1:{port}"),
            format!("http://[::1]:{port}"),
        ];
        if console.iter().any(|c| c == origin) {
            return Ok(true);
        }
    }
    let origins = s.clients.origins(&s.db.read).await?;
    Ok(origins.client_allows(client_id, origin))
}
