//! Token claim sets: RFC 9068 access tokens and OIDC ID tokens.

use serde::{Deserialize, Serialize};

/// Claims of an access token (`typ: at+jwt`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessClaims {
    /// The issuer URL.
    pub iss: String,
    /// The user id, or the client id for a client_credentials token.
    pub sub: String,
    /// The audience: the product's API audience (`{issuer}/v1` for the console).
    pub aud: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// Expiry, unix seconds.
    pub exp: i64,
    /// Issued at, unix seconds.
    pub iat: i64,
    /// The token id (revocation and introspection look it up).
    pub jti: String,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// When the user typed their password, unix seconds (user tokens).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub auth_time: Option<i64>,
    /// The SSO session the token was issued in.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sid: Option<String>,
    /// The business id of the active context.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub org: Option<String>,
    /// The branch id of the active context.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub branch: Option<String>,
    /// How the user authenticated (RFC 8176: `pwd`, `otp`, `hwk`, `user`, `mfa`; user tokens).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub amr: Option<Vec<String>>,
    /// The assurance level reached: `aal1` (one factor) or `aal2` (two; user tokens).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub acr: Option<String>,
    /// The same as `acr` (IdentSphere's name).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub aal: Option<String>,
    /// The first factor: `password` or `passkey` (user tokens).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub auth_method: Option<String>,
    /// The key the token is bound to (RFC 9449 §6: DPoP), when it is.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cnf: Option<Confirmation>,
    /// Who acts for the subject (RFC 8693 §4.1): the client that exchanged the token,
    /// nested when that token already had an actor.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub act: Option<Actor>,
}

/// An actor (RFC 8693 §4.1): the party acting, and who acted before it, outermost first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Actor {
    /// The acting client's id.
    pub sub: String,
    /// The actor before it in the chain, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub act: Option<Box<Actor>>,
}

/// An access token's confirmation claim (RFC 7800 §3.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Confirmation {
    /// The RFC 7638 SHA-256 thumbprint of the DPoP key, base64url.
    pub jkt: String,
}

impl AccessClaims {
    /// `scope`, split on spaces.
    pub fn scopes(&self) -> Vec<String> {
        self.scope
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    }
}

/// Claims of an ID token.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdClaims {
    /// The issuer URL.
    pub iss: String,
    /// The user id.
    pub sub: String,
    /// The client id.
    pub aud: String,
    /// Expiry, unix seconds.
    pub exp: i64,
    /// Issued at, unix seconds.
    pub iat: i64,
    /// When the user typed their password, unix seconds.
    pub auth_time: i64,
    /// The `nonce` of the authorization request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// How the user authenticated (RFC 8176: `pwd`, `otp`, `hwk`, `user`, `mfa`).
    pub amr: Vec<String>,
    /// The assurance level reached: `aal1` (one factor) or `aal2` (two).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub acr: Option<String>,
    /// The same as `acr` (IdentSphere's name).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub aal: Option<String>,
    /// The first factor: `password` or `passkey`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub auth_method: Option<String>,
    /// The SSO session id (for logout).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The authorized party (the client id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    /// Role names held in the active branch; omitted when empty.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub groups: Option<Vec<String>>,
    /// The email and profile claims the granted scopes release.
    #[serde(flatten)]
    pub profile: UserClaims,
}

/// Email and profile claims, released by scope (OIDC Core §5.4).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserClaims {
    /// The user's email address (scope `email`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether the email address is verified (scope `email`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// Full name (scope `profile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Given name (scope `profile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Family name (scope `profile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// Language tag such as `en` or `de-CH` (scope `profile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}
