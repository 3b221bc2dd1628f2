//! `/v1/settings`: the settings an admin may change, and the sign-in protection policy.

use serde::{Deserialize, Serialize};

/// The answer of `GET` and `PATCH /v1/settings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Settings {
    /// Rotate the signing key when the active one is older; 0 = never.
    pub key_rotation_days: i64,
    /// Delete audit events older than this many days.
    pub audit_retention_days: i64,
    /// The sign-in protection policy in force (read-only).
    pub throttle: ThrottlePolicy,
    /// Whether `/oauth/register` admits clients without an initial access token: only
    /// public clients with PKCE, loopback or https redirect URIs and the scopes below.
    #[serde(default)]
    pub open_registration: bool,
    /// The scopes an openly registered client may ask for.
    #[serde(default)]
    pub open_registration_scopes: Vec<String>,
}

/// The sign-in throttle policy and hashing bound in force (fixed; not stored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ThrottlePolicy {
    /// Password failures per account that trip a throttle.
    pub account_failures: i64,
    /// The window those failures are counted in, seconds.
    pub account_window_secs: i64,
    /// Password failures per client IP that trip a throttle.
    pub ip_failures: i64,
    /// The window those failures are counted in, seconds.
    pub ip_window_secs: i64,
    /// Client-secret failures per client that trip a throttle.
    pub client_failures: i64,
    /// The window those failures are counted in, seconds.
    pub client_window_secs: i64,
    /// The longest backoff, seconds.
    pub max_backoff_secs: i64,
    /// Password hashes computed at once.
    pub hash_concurrency: u64,
}

/// `PATCH /v1/settings`: any subset of the fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    /// 0 (never) to 3650 days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_rotation_days: Option<i64>,
    /// The minimum retention to 3650 days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_retention_days: Option<i64>,
    /// Turns open registration on or off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_registration: Option<bool>,
    /// The scopes an openly registered client may ask for (OIDC scopes or scopes some
    /// product declares; at most 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_registration_scopes: Option<Vec<String>>,
}
