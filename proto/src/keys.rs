//! `/v1/keys`: signing keys (public halves only).

use serde::{Deserialize, Serialize};

/// A signing key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Key {
    /// The key id (RFC 7638 thumbprint).
    pub kid: String,
    /// The signing algorithm (`RS256`).
    pub alg: String,
    /// `active` or `retired`.
    pub status: String,
    /// Unix seconds.
    pub created_at: i64,
    /// When the key was retired, unix seconds; or null.
    pub retired_at: Option<i64>,
    /// When a retired key stops being published, unix seconds; or null.
    pub expires_at: Option<i64>,
    /// Whether the key is in the JWKS now.
    pub published: bool,
    /// The public key as a JWK.
    pub public_jwk: serde_json::Value,
}

/// All signing keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyList {
    /// The keys.
    pub keys: Vec<Key>,
}

/// The answer of `POST /v1/keys:delete-expired`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeletedKeys {
    /// The ids of the deleted keys.
    pub deleted: Vec<String>,
}
