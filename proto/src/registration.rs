//! Dynamic client registration as the admin API shows it: initial access tokens
//! (`/v1/registration-tokens`) and the clients registered through `/oauth/register`
//! (`/v1/dynamic-clients`). The RFC 7591 request and answer themselves are the standard's
//! JSON, not these types.

use serde::{Deserialize, Serialize};

/// `POST /v1/registration-tokens`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewRegistrationToken {
    /// What it is for, shown in the console (at most 200 characters); default
    /// "Registration token".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Seconds until it expires: 60 to 31 536 000 (a year).
    pub expires_in: i64,
    /// How many clients it may register: 1 to 10 000.
    pub max_uses: i64,
}

/// An initial access token (its secret only in the answer that creates it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistrationToken {
    /// The token's id (not the token).
    pub id: String,
    /// The token to send as `Authorization: Bearer` to `/oauth/register`, shown once: only
    /// in the answer of `POST /v1/registration-tokens`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// What it is for.
    pub name: String,
    /// Who created it (a user id or an admin client id), or null.
    pub created_by: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// How many clients it may register.
    pub max_uses: i64,
    /// How many it has registered.
    pub uses: i64,
    /// When it last registered a client, unix seconds; or null.
    pub last_used_at: Option<i64>,
    /// When it was revoked, unix seconds; or null.
    pub revoked_at: Option<i64>,
    /// `active`, `expired`, `used_up` or `revoked`.
    pub status: String,
}

/// Initial access tokens, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistrationTokenList {
    /// The tokens.
    pub registration_tokens: Vec<RegistrationToken>,
}

/// A client registered through `/oauth/register` (RFC 7591): third-party, no product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DynamicClient {
    /// The OAuth client id (`dyn_...`).
    pub client_id: String,
    /// `client_name` as registered (untrusted text), or null.
    pub client_name: Option<String>,
    /// `logo_uri` as registered (untrusted), or null.
    pub logo_uri: Option<String>,
    /// `client_uri` as registered (untrusted), or null.
    pub client_uri: Option<String>,
    /// `none` (public) or `client_secret_basic`/`client_secret_post`.
    pub token_endpoint_auth_method: String,
    /// `web` or `native`.
    pub application_type: String,
    /// The registered redirect URIs.
    pub redirect_uris: Vec<String>,
    /// The scopes it registered for.
    pub scopes: Vec<String>,
    /// The initial access token that admitted it (id), or null for open registration.
    pub registration_token_id: Option<String>,
    /// That token's name, or null.
    pub registration_token_name: Option<String>,
    /// `software_id` / `software_version` as registered, or null.
    pub software_id: Option<String>,
    /// `software_version` as registered, or null.
    pub software_version: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// When a token was last issued to it, unix seconds (to the minute); or null.
    pub last_used_at: Option<i64>,
    /// When it was disabled, unix seconds; or null (enabled).
    pub disabled_at: Option<i64>,
    /// How many users have a remembered consent for it.
    pub consents: i64,
}

/// Dynamically registered clients, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DynamicClientList {
    /// The clients.
    pub dynamic_clients: Vec<DynamicClient>,
}
