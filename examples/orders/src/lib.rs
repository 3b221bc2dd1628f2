//! # tessera-example-orders
//!
//! A tiny product built on `tessera-sdk`, to show (and test) what a real product does
//! with Tessera:
//!
//! - **Sign-in** (`/login` → Tessera's hosted login → `/callback`): the SDK's
//!   [`Client::begin_login`] /
//!   [`complete_login`](Client::complete_login) (code + PKCE, ID token
//!   verified). The browser only holds a random session cookie (HttpOnly, SameSite=Lax);
//!   the tokens stay server-side in an in-memory map ([`sessions`]).
//! - **Orders of the active branch only** (`/`): the page calls the product's own JSON API
//!   `/api/orders` as the user ([`AuthorizedClient`](tessera_sdk::AuthorizedClient)); the
//!   API verifies the access token locally ([`Verifier`]) and
//!   answers the orders of the token's `branch` claim, never another branch's.
//! - **Scopes**: listing needs `orders:read`, creating (`POST /api/orders`, or the page's
//!   form, which goes through the API) needs `orders:write`; without it the API answers
//!   403 `insufficient_scope` with a `WWW-Authenticate` challenge.
//! - **Branch switch** (`POST /switch-branch`): [`Session::switch_branch`](tessera_sdk::Session::switch_branch);
//!   a branch where the user holds no role is refused and the session stays where it was.
//! - **Service to service**: the page asks the stock service (`examples/stock`,
//!   `GET {STOCK_URL}/stock/{sku}`) with a client_credentials token of the product's
//!   server client ([`ServiceClient`], narrowest scope
//!   `stock:read`, cached until 30 s before expiry).
//! - **Sign-out** (`POST /logout`): forgets the session and sends the browser to Tessera's
//!   RP-initiated logout, which comes back to `/`.
//!
//! Orders live in memory, seeded from a JSON data file that names the branches
//! ([`data::DataFile`]).
//!
//! ## Revoking the stock scope: when does it bite?
//! The stock service validates tokens locally, so a service token that was issued with
//! `stock:read` keeps working until it expires, even after the super-admin took the scope
//! away. The app does not bypass the SDK's cache for that: the next token request (at the
//! latest 30 s before the cached token expires) is refused with `invalid_scope`, and the
//! page shows that. Keep the product's `access_token_ttl` short when revocation must bite
//! fast; the end-to-end test uses the minimum, 60 s.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use clap::Parser;
//! let config = tessera_example_orders::Config::parse();
//! let app = tessera_example_orders::App::new(&config).await?;
//! let listener = tokio::net::TcpListener::bind(config.listen).await?;
//! axum::serve(listener, app.router()).await?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod api;
pub mod data;
pub mod html;
pub mod sessions;
mod web;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::FromRef;
use axum::routing::{get, post};
use axum::Router;
use tessera_sdk::{Client, Discovery, ServiceClient, Verifier};

use crate::data::OrderStore;
use crate::sessions::Sessions;

/// Listing orders needs this scope.
pub const READ_SCOPE: &str = "orders:read";
/// Creating orders needs this scope.
pub const WRITE_SCOPE: &str = "orders:write";
/// The only scope the server client asks for (the stock call).
pub const STOCK_SCOPE: &str = "stock:read";
/// Scopes asked for at sign-in; the token gets those the user's role grants in the
/// chosen branch (never more).
pub const LOGIN_SCOPES: [&str; 5] = ["openid", "profile", "email", READ_SCOPE, WRITE_SCOPE];

/// Command line and environment of the orders app.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "tessera-example-orders",
    about = "Example product: sign in with Tessera, orders of the active branch, stock via a service token"
)]
pub struct Config {
    /// The Tessera issuer URL.
    #[arg(long, env = "TESSERA_ISSUER")]
    pub issuer: String,
    /// The product's public web client (sign-in with PKCE).
    #[arg(long, env = "ORDERS_WEB_CLIENT_ID")]
    pub web_client_id: String,
    /// The product's server client (client_credentials, for the stock call).
    #[arg(long, env = "ORDERS_CLIENT_ID")]
    pub client_id: String,
    /// The server client's secret.
    #[arg(long, env = "ORDERS_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: String,
    /// The audience access tokens for `/api/orders` must name: the product's `audience`,
    /// or the web client id when the product has none (the default).
    #[arg(long, env = "ORDERS_AUDIENCE")]
    pub audience: Option<String>,
    /// Address to listen on.
    #[arg(long, env = "ORDERS_LISTEN", default_value = "127.0.0.1:7471")]
    pub listen: SocketAddr,
    /// The URL browsers reach the app at (default `http://<listen>`). Register
    /// `<public url>/callback` as a redirect URI and `<public url>/` as a post-logout
    /// redirect URI of the product. The page also calls its own API there.
    #[arg(long, env = "ORDERS_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The stock service's base URL.
    #[arg(long, env = "STOCK_URL", default_value = "http://127.0.0.1:7472")]
    pub stock_url: String,
    /// The data file: branches (Tessera branch ids and names) and their seed orders; see
    /// [`data::DataFile`].
    #[arg(long, env = "ORDERS_DATA")]
    pub data: PathBuf,
}

impl Config {
    /// The URL browsers reach the app at, without a trailing slash.
    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
            .trim_end_matches('/')
            .to_string()
    }
}

/// Why the app could not start.
#[derive(Debug)]
pub struct StartError(String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

/// What every handler shares.
pub(crate) struct Shared {
    client: Client,
    service: ServiceClient,
    store: OrderStore,
    sessions: Sessions,
    http: reqwest::Client,
    /// `<public url>/callback`.
    redirect_uri: String,
    /// `<public url>/`.
    home_url: String,
    /// `<public url>/api/orders`.
    api_url: String,
    stock_url: url::Url,
    secure_cookies: bool,
}

#[derive(Clone, FromRef)]
pub(crate) struct AppState {
    verifier: Verifier,
    shared: Arc<Shared>,
}

/// The orders app: build it with [`App::new`], serve [`App::router`].
pub struct App {
    state: AppState,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("issuer", &self.state.shared.client.issuer())
            .field("public_url", &self.state.shared.home_url)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Reads the data file and discovers the issuer (Tessera must be up).
    pub async fn new(config: &Config) -> Result<App, StartError> {
        let store = OrderStore::from_file(&config.data).map_err(StartError)?;
        App::with_store(config, store).await
    }

    /// Like [`App::new`] with an already loaded store (`config.data` is not read).
    pub async fn with_store(config: &Config, store: OrderStore) -> Result<App, StartError> {
        let public = config.public_url();
        let public_url = url::Url::parse(&public)
            .map_err(|e| StartError(format!("public URL {public:?}: {e}")))?;
        if !matches!(public_url.scheme(), "http" | "https") {
            return Err(StartError(format!("public URL {public:?} is not http(s)")));
        }
        let mut stock_url = url::Url::parse(&config.stock_url)
            .map_err(|e| StartError(format!("STOCK_URL {:?}: {e}", config.stock_url)))?;
        if stock_url.cannot_be_a_base() {
            return Err(StartError(format!(
                "STOCK_URL {:?} is not a base URL",
                config.stock_url
            )));
        }
        // `/stock/{sku}` is appended as path segments; drop a trailing empty segment.
        if let Ok(mut segments) = stock_url.path_segments_mut() {
            segments.pop_if_empty();
        }
        let discovery = Discovery::fetch(&config.issuer).await.map_err(|e| {
            StartError(format!("cannot discover the issuer {}: {e}", config.issuer))
        })?;
        let audience = config
            .audience
            .clone()
            .unwrap_or_else(|| config.web_client_id.clone());
        let shared = Shared {
            client: Client::new(discovery.clone(), &config.web_client_id),
            service: ServiceClient::new(
                discovery.clone(),
                &config.client_id,
                &config.client_secret,
                &[STOCK_SCOPE],
            ),
            store,
            sessions: Sessions::default(),
            http: discovery.http().clone(),
            redirect_uri: format!("{public}/callback"),
            home_url: format!("{public}/"),
            api_url: format!("{public}/api/orders"),
            stock_url,
            secure_cookies: public_url.scheme() == "https",
        };
        Ok(App {
            state: AppState {
                verifier: discovery.verifier(&audience),
                shared: Arc::new(shared),
            },
        })
    }

    /// The routes: the pages (`/`, `/login`, `/callback`, `/switch-branch`, `/orders`,
    /// `/logout`), the JSON API (`/api/orders`) and `/health`.
    pub fn router(&self) -> Router {
        let verifier = &self.state.verifier;
        let api_orders = get(api::list)
            .route_layer(verifier.require_scope(READ_SCOPE))
            .merge(post(api::create).route_layer(verifier.require_scope(WRITE_SCOPE)));
        Router::new()
            .route("/", get(web::index))
            .route("/login", get(web::login))
            .route("/callback", get(web::callback))
            .route("/switch-branch", post(web::switch_branch))
            .route("/orders", post(web::create_order))
            .route("/logout", post(web::logout))
            .route("/api/orders", api_orders)
            .route("/health", get(|| async { "ok" }))
            .with_state(self.state.clone())
    }

    /// The orders, by branch.
    pub fn store(&self) -> &OrderStore {
        &self.state.shared.store
    }
}
