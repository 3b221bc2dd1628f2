//! # tessera-example-mcp
//!
//! A small [Model Context Protocol](https://modelcontextprotocol.io) server whose tools
//! need a Tessera access token, built on the official Rust MCP SDK (`rmcp`, its
//! Streamable HTTP transport mounted in axum) and `tessera-sdk`:
//!
//! - **Protected resource** (MCP authorization, RFC 9728): `/mcp` answers a request without
//!   a valid bearer token with 401 and
//!   `WWW-Authenticate: Bearer resource_metadata="<public>/.well-known/oauth-protected-resource/mcp"`
//!   (plus `error="invalid_token"` when a token was sent and is bad). That document names
//!   the resource (`<public>/mcp`) and Tessera as its authorization server, so an MCP
//!   client discovers Tessera (RFC 8414), registers itself (RFC 7591), signs the user in
//!   with code + PKCE and asks for a token with `resource=<public>/mcp` (RFC 8707).
//! - **Local token verification** ([`tessera_sdk::Verifier`]): RS256 `at+jwt` from the
//!   issuer, `aud` = this server's resource URL, not expired.
//! - **Tools**: `whoami` (the caller's `sub`, scopes, branch and `act` chain, from the
//!   verified token) and `list_orders`, which needs `orders:read` (a token without it is
//!   refused with 403 `insufficient_scope` and `scope="orders:read"` before the tool runs)
//!   and calls the orders product's API **on the user's behalf**: the server holds the
//!   credentials of an agent (a Tessera client of kind `agent`), exchanges the user's
//!   token for one with the API's audience (RFC 8693 token exchange) and calls
//!   `GET <orders>/api/orders` with it. The new token keeps the user's `sub` and branch and
//!   carries `act: {"sub": "<agent client id>"}`, which the API reports back.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use clap::Parser;
//! let config = tessera_example_mcp::Config::parse();
//! let listener = tokio::net::TcpListener::bind(config.listen).await?;
//! let public_url = config.public_url(listener.local_addr()?);
//! let app = tessera_example_mcp::App::new(&config, &public_url).await?;
//! axum::serve(listener, app.router()).await?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod protect;
mod tools;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tessera_sdk::{Discovery, ServiceClient, Verifier};

/// `list_orders` needs this scope in the user's token, and asks the token exchange for it.
pub const ORDERS_SCOPE: &str = "orders:read";
/// The scopes this server's tools use: `scopes_supported` of its metadata, which MCP
/// clients ask for when they register and sign in.
pub const SCOPES_SUPPORTED: [&str; 1] = [ORDERS_SCOPE];
/// Where the MCP endpoint is mounted.
pub const MCP_PATH: &str = "/mcp";
/// Where the RFC 9728 metadata of the `/mcp` resource is served (the path-aware well-known
/// URL of RFC 9728 §3.1; the bare `/.well-known/oauth-protected-resource` serves it too).
pub const METADATA_PATH: &str = "/.well-known/oauth-protected-resource/mcp";

/// Command line and environment of the MCP server.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "tessera-example-mcp",
    about = "Example MCP server protected by Tessera: tools need a Tessera access token; list_orders calls the orders API on the user's behalf through token exchange"
)]
pub struct Config {
    /// The Tessera issuer URL (the authorization server MCP clients are sent to).
    #[arg(long, env = "TESSERA_ISSUER")]
    pub issuer: String,
    /// Address to listen on (port 0: any free port).
    #[arg(long, env = "MCP_LISTEN", default_value = "127.0.0.1:7473")]
    pub listen: SocketAddr,
    /// The URL clients reach the server at (default `http://<listen>`): the MCP endpoint is
    /// `<public url>/mcp`, which must be a resource (or the audience) of a Tessera product.
    #[arg(long, env = "MCP_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Client id of the agent the server exchanges user tokens with (an agent of the
    /// product whose resources list `<public url>/mcp`).
    #[arg(long, env = "TESSERA_AGENT_ID")]
    pub agent_id: String,
    /// The agent's client secret.
    #[arg(long, env = "TESSERA_AGENT_SECRET", hide_env_values = true)]
    pub agent_secret: String,
    /// Base URL of the orders app (`examples/orders`), whose `/api/orders` `list_orders` calls.
    #[arg(long, env = "ORDERS_API", default_value = "http://127.0.0.1:7471")]
    pub orders_api: String,
    /// The audience the orders API accepts (the product's `audience`): the exchanged token's `aud`.
    #[arg(long, env = "ORDERS_AUDIENCE", default_value = "shop-api")]
    pub orders_audience: String,
}

impl Config {
    /// The URL clients reach the server at, without a trailing slash: `--public-url`, else
    /// `http://<the address the listener is bound to>`.
    pub fn public_url(&self, bound: SocketAddr) -> String {
        let url = self.public_url.as_deref().map(str::to_string);
        let url = url.unwrap_or_else(|| format!("http://{bound}"));
        url.trim_end_matches('/').into()
    }
}

/// What the middleware, the metadata route and the tools share.
pub(crate) struct Shared {
    /// Access tokens for this server: `aud` = [`Shared::resource`].
    verifier: Verifier,
    /// `<public>/mcp`: this protected resource's identifier (RFC 9728 `resource`).
    resource: String,
    /// `<public>/.well-known/oauth-protected-resource/mcp`.
    metadata_url: String,
    /// The authorization server (RFC 9728 `authorization_servers`).
    issuer: String,
    /// The agent: exchanges the user's token (RFC 8693) with its own credentials.
    agent: ServiceClient,
    /// The SDK's HTTP client, to call the orders API with.
    http: reqwest::Client,
    /// `<orders>/api/orders`.
    orders_url: url::Url,
    /// `aud` of the exchanged token.
    orders_audience: String,
}

/// The MCP server: build it with [`App::new`], serve [`App::router`].
pub struct App {
    shared: Arc<Shared>,
    allowed_hosts: Vec<String>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("issuer", &self.shared.issuer)
            .field("resource", &self.shared.resource)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Discovers the issuer (Tessera must be up) and prepares the server for clients that
    /// reach it at `public_url` (see [`Config::public_url`]); the error says what is wrong.
    pub async fn new(config: &Config, public_url: &str) -> Result<App, String> {
        let public = http_url("public URL", public_url)?;
        let mut orders_url = http_url("ORDERS_API", &config.orders_api)?;
        if orders_url.cannot_be_a_base() {
            return Err(format!(
                "ORDERS_API {:?} is not a base URL",
                config.orders_api
            ));
        }
        if let Ok(mut segments) = orders_url.path_segments_mut() {
            segments.pop_if_empty().extend(["api", "orders"]);
        }
        let discovery = Discovery::fetch(&config.issuer)
            .await
            .map_err(|e| format!("cannot discover the issuer {}: {e}", config.issuer))?;
        let base = public_url.trim_end_matches('/');
        let resource = format!("{base}{MCP_PATH}");
        let shared = Shared {
            verifier: discovery.verifier(&resource),
            metadata_url: format!("{base}{METADATA_PATH}"),
            resource,
            issuer: discovery.issuer().to_string(),
            http: discovery.http().clone(),
            agent: ServiceClient::new(
                discovery.clone(),
                &config.agent_id,
                &config.agent_secret,
                &[] as &[&str],
            ),
            orders_url,
            orders_audience: config.orders_audience.clone(),
        };
        Ok(App {
            shared: Arc::new(shared),
            allowed_hosts: allowed_hosts(&public),
        })
    }

    /// The MCP endpoint's URL: the resource its tokens must name (`aud`).
    pub fn resource(&self) -> &str {
        &self.shared.resource
    }

    /// The routes: `/mcp` (Streamable HTTP, bearer token required), the RFC 9728 metadata
    /// at `/.well-known/oauth-protected-resource/mcp` and `/.well-known/oauth-protected-resource`,
    /// and `/health`.
    pub fn router(&self) -> Router {
        self.router_with_shutdown(std::future::pending())
    }

    /// [`App::router`] whose open MCP streams (SSE) end when `shutdown` resolves, so a
    /// graceful shutdown does not wait for clients that never hang up.
    pub fn router_with_shutdown(
        &self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Router {
        let config =
            StreamableHttpServerConfig::default().with_allowed_hosts(self.allowed_hosts.clone());
        let streams = config.cancellation_token.clone();
        tokio::spawn(async move {
            shutdown.await;
            streams.cancel();
        });
        let shared = self.shared.clone();
        let mcp = StreamableHttpService::new(
            move || Ok(tools::Tools::new(shared.clone())),
            Arc::new(LocalSessionManager::default()),
            config,
        );
        let protected =
            Router::new()
                .nest_service(MCP_PATH, mcp)
                .layer(axum::middleware::from_fn_with_state(
                    self.shared.clone(),
                    protect::require_token,
                ));
        let metadata = Router::new()
            .route(METADATA_PATH, get(protect::metadata))
            .route(
                "/.well-known/oauth-protected-resource",
                get(protect::metadata),
            )
            .with_state(self.shared.clone());
        protected
            .merge(metadata)
            .layer(protect::cors())
            .route("/health", get(|| async { "ok" }))
    }
}

/// Parses an http(s) URL given in the configuration.
fn http_url(what: &str, value: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(value).map_err(|e| format!("{what} {value:?}: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{what} {value:?} is not http(s)"));
    }
    Ok(url)
}

/// `Host` values the MCP endpoint accepts (rmcp refuses others, against DNS rebinding):
/// the loopback names and the public URL's host.
fn allowed_hosts(public: &url::Url) -> Vec<String> {
    let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"].map(String::from).into();
    if let Some(host) = public.host_str() {
        hosts.push(host.to_string());
    }
    hosts
}
