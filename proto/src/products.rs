//! `/v1/products`: a product with its public web client and optional confidential server
//! client, the create and update bodies, and the answers that show a server secret once.

use serde::{Deserialize, Serialize};

/// A product as the admin API shows it (a server secret only in the answer that mints it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Product {
    /// The product id (a UUID v7: ordered by creation).
    pub id: String,
    /// The product's name, also the name of its clients.
    pub name: String,
    /// The scopes the product declares (each belongs to this product only).
    pub scopes: Vec<String>,
    /// The `aud` of the product's access tokens, or null.
    pub audience: Option<String>,
    /// RFC 8707 resource indicators the product serves besides its `audience` (absolute
    /// URIs): a `resource` naming one of them makes it the access token's `aud`.
    #[serde(default)]
    pub resources: Vec<String>,
    /// Access-token lifetime in seconds.
    pub access_token_ttl: i64,
    /// Refresh-token lifetime in seconds.
    pub refresh_token_ttl: i64,
    /// How long one sign-in may be kept alive by refreshing, in seconds.
    pub refresh_family_ttl: i64,
    /// `optional` (a user with a factor enrolled is still asked for it) or `required`
    /// (every user signing in to this product must use a second factor).
    pub mfa: String,
    /// Whether people may sign up on their own (`POST /v1/auth/register`, the hosted
    /// sign-up page); default false.
    #[serde(default)]
    pub self_registration: bool,
    /// The public web client (authorization code + PKCE), or null.
    pub web_client: Option<WebClient>,
    /// The confidential server client (client credentials), or null.
    pub server_client: Option<ServerClient>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// A product's web client: the sign-in client of its browser, server-side web or native
/// app (authorization code + PKCE, public or confidential).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebClient {
    /// The OAuth client id (`web_...`).
    pub client_id: String,
    /// The client secret of a `client_secret_basic`/`_post` client, shown once: only in
    /// the answer that mints it (creation, a change to a secret method, rotation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// `none` (public: PKCE only), `client_secret_basic`, `client_secret_post` or
    /// `private_key_jwt`.
    pub token_endpoint_auth_method: String,
    /// `web` or `native` (RFC 8252: private-use scheme and any-port loopback redirects).
    #[serde(default = "default_application_type")]
    pub application_type: String,
    /// The registered redirect URIs (matched exactly; loopback ones of a native client
    /// on any port).
    pub redirect_uris: Vec<String>,
    /// The registered post-logout redirect URIs (matched exactly).
    pub post_logout_redirect_uris: Vec<String>,
    /// Browser origins CORS allows on the token, userinfo, revoke and `/v1/auth/*`
    /// endpoints; null = the origins of the redirect URIs.
    #[serde(default)]
    pub allowed_origins: Option<Vec<String>>,
    /// Whether authorization requests must be pushed first (RFC 9126).
    #[serde(default)]
    pub require_pushed_authorization_requests: bool,
    /// Whether access tokens must be bound to a DPoP key (RFC 9449).
    #[serde(default)]
    pub dpop_bound_access_tokens: bool,
    /// `private_key_jwt`: the client's public keys as a JWK Set, or null.
    #[serde(default)]
    pub jwks: Option<serde_json::Value>,
    /// `private_key_jwt`: where the client's JWK Set is fetched (https), or null.
    #[serde(default)]
    pub jwks_uri: Option<String>,
}

fn default_application_type() -> String {
    "web".into()
}

/// The web client's settings in `POST /v1/products` (absent = the default) and
/// `PATCH /v1/products/{id}` (absent = unchanged; `allowed_origins`, `jwks` and
/// `jwks_uri` may be null, which clears them).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebClientSettings {
    /// `none` (default), `client_secret_basic`, `client_secret_post` or
    /// `private_key_jwt` (then `jwks` or `jwks_uri`). Changing to a secret method mints a
    /// secret, shown once in the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_method: Option<String>,
    /// `web` (default) or `native`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_type: Option<String>,
    /// Browser origins (`scheme://host[:port]`, at most 20); null = the redirect URIs'.
    #[serde(
        default,
        deserialize_with = "crate::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub allowed_origins: Option<Option<Vec<String>>>,
    /// Require PAR (RFC 9126) for this client's authorization requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_pushed_authorization_requests: Option<bool>,
    /// Require DPoP-bound access tokens (RFC 9449).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_bound_access_tokens: Option<bool>,
    /// The client's public keys (a JWK Set with public keys only), for `private_key_jwt`.
    #[serde(
        default,
        deserialize_with = "crate::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub jwks: Option<Option<serde_json::Value>>,
    /// An https URL of the client's JWK Set, for `private_key_jwt`.
    #[serde(
        default,
        deserialize_with = "crate::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub jwks_uri: Option<Option<String>>,
}

/// A product's confidential server client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServerClient {
    /// The OAuth client id (`srv_...`).
    pub client_id: String,
    /// The client secret, shown once: only in the answer that mints it (product creation
    /// with a server client, or adding one), absent everywhere else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Always `client_secret_basic`.
    pub token_endpoint_auth_method: String,
    /// The product scopes the server client is granted.
    pub scopes: Vec<String>,
    /// Whether it may use token exchange (RFC 8693) to act for users whose tokens are
    /// addressed to the product.
    #[serde(default)]
    pub token_exchange: bool,
}

/// All products.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductList {
    /// The products.
    pub products: Vec<Product>,
}

/// The answer of `POST /v1/products/{id}/secret:rotate`: the new secret, shown once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RotatedSecret {
    /// The server client's id.
    pub client_id: String,
    /// The new client secret (the old one stops working at once).
    pub client_secret: String,
}

/// `POST /v1/products`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateProduct {
    /// The product's name (at most 200 characters).
    pub name: String,
    /// Redirect URIs of the web client (at most 50).
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URIs of the web client (at most 50).
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Scopes the product declares (at most 100; not an OIDC or Tessera scope, not declared
    /// by another product).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Whether to mint a confidential server client too (its secret is in the answer).
    #[serde(default)]
    pub server_client: bool,
    /// The `aud` of the product's access tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// RFC 8707 resources the product serves besides its audience (absolute URIs without
    /// fragment, at most 20, each unknown to every other product).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// Whether the server client may use token exchange (RFC 8693); default false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub server_client_token_exchange: bool,
    /// Access-token lifetime, 60 to 86400 seconds (default 600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_ttl: Option<i64>,
    /// Refresh-token lifetime, 300 seconds to 365 days (default 30 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_ttl: Option<i64>,
    /// How long one sign-in may be kept alive by refreshing (seconds, 1 hour to 2 years,
    /// default 90 days): rotation never extends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_family_ttl: Option<i64>,
    /// `optional` (default) or `required`: whether every sign-in needs a second factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa: Option<String>,
    /// Whether people may sign up on their own through `POST /v1/auth/register` (and the
    /// hosted sign-up page); default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_registration: Option<bool>,
    /// The web client's settings (what kind of app signs in with it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_client: Option<WebClientSettings>,
}

/// `PATCH /v1/products/{id}`: absent fields stay; only `audience` may be null (clears it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateProduct {
    /// A new name (also of the product's clients); not null.
    #[serde(
        default,
        deserialize_with = "crate::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<Option<String>>,
    /// The declared scopes, replaced as a whole (the server client keeps only those still
    /// declared); not null.
    #[serde(
        default,
        deserialize_with = "crate::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub scopes: Option<Option<Vec<String>>>,
    /// The `aud` of the product's access tokens; null clears it.
    #[serde(
        default,
        deserialize_with = "crate::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub audience: Option<Option<String>>,
    /// The RFC 8707 resources, replaced as a whole; not null.
    #[serde(
        default,
        deserialize_with = "crate::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub resources: Option<Option<Vec<String>>>,
    /// Access-token lifetime, 60 to 86400 seconds; not null.
    #[serde(
        default,
        deserialize_with = "crate::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub access_token_ttl: Option<Option<i64>>,
    /// Refresh-token lifetime, 300 seconds to 365 days; not null.
    #[serde(
        default,
        deserialize_with = "crate::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub refresh_token_ttl: Option<Option<i64>>,
    /// Refresh-family lifetime, 1 hour to 2 years, for sign-ins that start from now on;
    /// not null.
    #[serde(
        default,
        deserialize_with = "crate::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub refresh_family_ttl: Option<Option<i64>>,
    /// The scopes granted to the server client (each one of the product's); not null.
    #[serde(
        default,
        deserialize_with = "crate::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub server_client_scopes: Option<Option<Vec<String>>>,
    /// Whether the server client may use token exchange (RFC 8693); not null.
    #[serde(
        default,
        deserialize_with = "crate::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub server_client_token_exchange: Option<Option<bool>>,
    /// `optional` or `required`; not null.
    #[serde(
        default,
        deserialize_with = "crate::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub mfa: Option<Option<String>>,
    /// Whether people may sign up on their own; not null.
    #[serde(
        default,
        deserialize_with = "crate::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub self_registration: Option<Option<bool>>,
    /// Changes to the web client's settings (absent fields stay); not null.
    #[serde(
        default,
        deserialize_with = "crate::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub web_client: Option<Option<WebClientSettings>>,
}

/// `POST /v1/products/{id}/redirect-uris` and `.../post-logout-redirect-uris`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddUri {
    /// The URI to register (RFC 9700 rules: https, or http on a loopback host, no fragment).
    pub uri: String,
}
