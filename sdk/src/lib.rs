//! # tessera-sdk
//!
//! Everything a Rust product needs to work with a Tessera
//! identity provider, without hand-rolled OIDC plumbing:
//!
//! - **Sign users in** ([`Client`]): authorization code flow with PKCE S256, `state` and
//!   `nonce`, RFC 9207 `iss` check, ID token verification against the issuer's JWKS.
//!   The resulting [`Session`] refreshes its access token before expiry (one request
//!   even under concurrency, rotation-aware), switches branch
//!   ([`Session::switch_branch`]) and builds the logout URL.
//! - **Call APIs as the user** ([`AuthorizedClient`]): bearer token attached, one
//!   refresh-and-retry on 401.
//! - **Protect an API** ([`Verifier`], and with the `axum` feature the [`Caller`]
//!   extractor and [`require_scope`] layer): local validation of RFC 9068 access tokens
//!   (RS256 only, `typ: at+jwt`, `iss`, `aud`, `exp`/`nbf` with 60 s leeway).
//! - **Demand a second factor** ([`Caller::require_aal2`], [`RequireScopeLayer::and_aal2`]):
//!   a token from a one-factor sign-in (`acr`/`aal` not `aal2`) is refused with RFC 9470's
//!   `401 insufficient_user_authentication` and `acr_values="aal2"`, so the client signs
//!   the user in again with `acr_values=aal2` (step-up). [`Caller::amr`],
//!   [`Caller::acr`]/[`Caller::aal`] and [`Caller::auth_method`] tell how the user signed in.
//! - **Call other services** ([`ServiceClient`]): cached client_credentials tokens.
//! - **Act for a user** ([`ServiceClient::exchange_token`], RFC 8693): a product's agent
//!   (or a server client allowed token exchange) trades a user's access token addressed to
//!   its product for one acting for that user (same subject, a scope no wider, `act`
//!   naming the agent); an API sees who acts with [`Caller::act`] / [`Caller::actors`].
//!
//! Features: `axum` (default) for the extractor and layer; `tls` (default) for https
//! issuers (rustls with webpki roots).
//!
//! ## Example: a product that signs users in and serves a protected API
//!
//! ```no_run
//! use axum::extract::{FromRef, Query, State};
//! use axum::response::Redirect;
//! use axum::routing::{get, post};
//! use axum::Router;
//! use tessera_sdk::{AuthorizedClient, Caller, Client, ExchangeRequest, LoginOptions, ServiceClient, Verifier};
//!
//! #[derive(Clone, FromRef)]
//! struct App {
//!     client: Client,
//!     verifier: Verifier,
//! }
//!
//! // The protected API: any valid token may list, creating needs `orders:write`.
//! async fn list_orders(caller: Caller) -> String {
//!     // An agent acting for the user shows in `act` (outermost actor first).
//!     format!("orders of branch {:?} for {} (via {:?})", caller.branch, caller.subject, caller.actors())
//! }
//! async fn create_order(caller: Caller) -> Result<&'static str, tessera_sdk::AuthRejection> {
//!     caller.require_scope("orders:write")?;
//!     Ok("created")
//! }
//! // Refunds need a two-factor sign-in (aal2), else 401 insufficient_user_authentication.
//! async fn refund(caller: Caller) -> Result<String, tessera_sdk::AuthRejection> {
//!     caller.require_scope("orders:write")?;
//!     caller.require_aal2()?;
//!     Ok(format!("refunded by {} (amr {:?})", caller.subject, caller.amr()))
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let issuer = "http://127.0.0.1:7470";
//!     // Client side: discovery once, then one LoginRequest per sign-in.
//!     let client = Client::discover(issuer, "web-client-id").await?;
//!     let login = client.begin_login(LoginOptions {
//!         redirect_uri: "http://127.0.0.1:3000/callback".into(),
//!         scopes: vec!["openid".into(), "profile".into(), "orders:read".into()],
//!         branch: None,
//!         ..Default::default()
//!     })?;
//!     // Store `login` in the browser's server-side session and redirect to `login.url`;
//!     // when the browser comes back to /callback?code=...&state=...&iss=...:
//!     let callback = "http://127.0.0.1:3000/callback?code=...&state=...&iss=...";
//!     let session = client.complete_login(&login, callback).await?;
//!     println!("signed in as {:?} in branch {:?}", session.subject(), session.branch());
//!
//!     // Call an API as the user; tokens refresh by themselves.
//!     let api = AuthorizedClient::new(session.clone());
//!     let orders = api.send(api.get("http://127.0.0.1:3001/orders")).await?;
//!     println!("{}", orders.text().await?);
//!
//!     // Another branch; on `BranchRefused` the session is unchanged.
//!     session.switch_branch("branch-b-id").await?;
//!     let bye = session.logout_url(Some("http://127.0.0.1:3000/"), None)?;
//!     println!("sign out at {bye}");
//!
//!     // Service to service: narrowest scopes, cached until shortly before expiry.
//!     let stock = ServiceClient::new(client.discovery().clone(), "server-id", "secret", &["stock:read"]);
//!     let token = stock.access_token().await?;
//!     println!("service token {} bytes", token.len());
//!
//!     // An agent acting for the signed-in user (RFC 8693): same user, `act` = the agent.
//!     let agent = ServiceClient::new(client.discovery().clone(), "agt_id", "secret", &[] as &[&str]);
//!     let user_token = session.access_token().await?;
//!     let exchanged = agent
//!         .exchange_token(&user_token, ExchangeRequest { scope: vec!["orders:read".into()], ..Default::default() })
//!         .await?;
//!     println!("acting for the user with {}", exchanged.scope);
//!
//!     // Server side: verify access tokens for this API's audience.
//!     let verifier = Verifier::new(issuer, "orders-api")?;
//!     let app = Router::new()
//!         .route("/orders", get(list_orders))
//!         .route("/orders", post(create_order))
//!         .route("/refunds", post(refund))
//!         .route("/login", get(|State(c): State<Client>, Query(_q): Query<Vec<(String, String)>>| async move {
//!             let login = c.begin_login(LoginOptions {
//!                 redirect_uri: "http://127.0.0.1:3000/callback".into(),
//!                 ..Default::default()
//!             });
//!             login.map(|l| Redirect::to(&l.url)).map_err(|e| e.to_string())
//!         }))
//!         .with_state(App { client, verifier });
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:3001").await?;
//!     axum::serve(listener, app).await?;
//!     Ok(())
//! }
//! ```
#![deny(missing_docs)]

mod auth_api;
mod authorized;
#[cfg(feature = "axum")]
mod axum_support;
mod client;
mod discovery;
mod dpop;
mod error;
mod exchange;
mod jwks;
mod private_key_jwt;
mod service;
mod session;
mod token;
mod verifier;

pub use auth_api::{AuthApi, LoginOutcome};
pub use authorized::AuthorizedClient;
#[cfg(feature = "axum")]
pub use axum_support::{require_scope, AuthRejection, RequireScope, RequireScopeLayer};
pub use client::{Client, ClientSecret, LoginOptions, LoginRequest};
pub use discovery::{Discovery, ProviderMetadata};
pub use dpop::DpopKey;
pub use error::{Error, InsufficientAuthentication, TokenRejection};
pub use exchange::{ExchangeRequest, ExchangedToken, ACCESS_TOKEN_TYPE};
pub use private_key_jwt::PrivateKeyJwt;
pub use service::ServiceClient;
pub use session::Session;
pub use verifier::{Caller, Verifier, VerifierBuilder};

/// Tessera's token claim sets (`tessera-proto`): what [`Caller::typed_claims`] and
/// [`Session::profile`] return.
pub use tessera_proto::claims;
