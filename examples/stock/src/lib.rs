//! # tessera-example-stock
//!
//! The second service of the example product (see `examples/orders`): a resource server
//! that answers stock levels to other services. It never talks to Tessera per request:
//! access tokens are validated locally by the SDK's [`Verifier`] (RS256 signature against
//! the cached JWKS, `typ: at+jwt`, `iss`, `aud`, `exp`), and `GET /stock/{sku}` needs the
//! scope `stock:read` ([`Verifier::require_scope`]: 401 `invalid_token` without a valid
//! token, 403 `insufficient_scope` without the scope, both with `WWW-Authenticate`).
//!
//! The orders app calls it with a client_credentials token of its product's server
//! client, so the super-admin decides in Tessera whether that call is allowed.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use tessera_example_stock::{parse_levels, router};
//! let verifier = tessera_sdk::Verifier::new("http://127.0.0.1:7470", "shop-api")?;
//! let app = router(verifier, parse_levels("FLOUR-25=40,SUGAR-10=12")?);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:7472").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{FromRef, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tessera_sdk::{Caller, Verifier};

/// The scope `GET /stock/{sku}` requires.
pub const STOCK_SCOPE: &str = "stock:read";

/// Stock levels by SKU.
pub type Levels = BTreeMap<String, u64>;

/// Command line and environment of the stock service.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "tessera-example-stock",
    about = "Example resource server: stock levels for callers holding stock:read"
)]
pub struct Config {
    /// The Tessera issuer URL tokens must come from.
    #[arg(long, env = "TESSERA_ISSUER")]
    pub issuer: String,
    /// The audience tokens must name (the product's `audience`, or the calling server
    /// client's id when the product has none).
    #[arg(long, env = "STOCK_AUDIENCE")]
    pub audience: String,
    /// Address to listen on.
    #[arg(long, env = "STOCK_LISTEN", default_value = "127.0.0.1:7472")]
    pub listen: SocketAddr,
    /// Stock levels as `SKU=COUNT,SKU=COUNT`.
    #[arg(
        long,
        env = "STOCK_LEVELS",
        default_value = "FLOUR-25=40,SUGAR-10=12,YEAST-500=7"
    )]
    pub levels: String,
}

/// Parses `SKU=COUNT,SKU=COUNT` (spaces around items are ignored; an empty string is no
/// stock at all). A repeated SKU, an empty SKU or a count that is not a whole number is
/// an error.
pub fn parse_levels(spec: &str) -> Result<Levels, String> {
    let mut levels = Levels::new();
    for item in spec.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (sku, count) = item
            .split_once('=')
            .ok_or_else(|| format!("{item:?} is not SKU=COUNT"))?;
        let sku = sku.trim();
        if sku.is_empty() {
            return Err(format!("{item:?} has an empty SKU"));
        }
        let count: u64 = count
            .trim()
            .parse()
            .map_err(|_| format!("{item:?}: the count is not a whole number"))?;
        if levels.insert(sku.to_string(), count).is_some() {
            return Err(format!("SKU {sku} is listed twice"));
        }
    }
    Ok(levels)
}

#[derive(Clone, FromRef)]
struct AppState {
    verifier: Verifier,
    levels: Arc<Levels>,
}

/// The service's routes: `GET /stock/{sku}` (scope `stock:read`) and `GET /health`.
pub fn router(verifier: Verifier, levels: Levels) -> Router {
    let stock = get(stock_level).route_layer(verifier.require_scope(STOCK_SCOPE));
    Router::new()
        .route("/stock/{sku}", stock)
        .route("/health", get(|| async { "ok" }))
        .with_state(AppState {
            verifier,
            levels: Arc::new(levels),
        })
}

/// `200 {"sku", "available", "caller"}` or `404 {"error": "unknown_sku"}`. The caller
/// (the token's `sub`: a server client id for client_credentials tokens) is echoed so the
/// calling side can show who the stock service believes it is.
async fn stock_level(
    State(levels): State<Arc<Levels>>,
    caller: Caller,
    Path(sku): Path<String>,
) -> Response {
    match levels.get(&sku) {
        Some(available) => Json(json!({
            "sku": sku,
            "available": available,
            "caller": caller.subject,
        }))
        .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({
                "error": "unknown_sku",
                "error_description": format!("no stock record for {sku}"),
            })),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    #[test]
    fn levels_parse_and_refuse_nonsense() {
        let levels = parse_levels(" FLOUR-25=40, SUGAR-10 = 12 ,").unwrap();
        assert_eq!(levels.get("FLOUR-25"), Some(&40));
        assert_eq!(levels.get("SUGAR-10"), Some(&12));
        assert_eq!(levels.len(), 2);
        assert!(parse_levels("").unwrap().is_empty());
        for bad in ["FLOUR", "=3", "A=-1", "A=x", "A=1,A=2"] {
            assert!(parse_levels(bad).is_err(), "{bad} accepted");
        }
    }

    #[tokio::test]
    async fn no_token_is_401_with_a_bearer_challenge() {
        // The verifier refuses a missing token before it ever fetches keys.
        let verifier = Verifier::new("http://127.0.0.1:9", "shop-api").unwrap();
        let app = router(verifier, parse_levels("A=1").unwrap());
        let resp = app
            .oneshot(
                Request::get("/stock/A")
                    .header("authorization", "Basic Zm9vOmJhcg==")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        let challenge = resp.headers()["www-authenticate"].to_str().unwrap();
        assert!(challenge.starts_with("Bearer"), "{challenge}");
        assert!(challenge.contains("invalid_token"), "{challenge}");
    }
}
