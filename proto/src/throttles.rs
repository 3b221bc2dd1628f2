//! `/v1/throttles`: sign-in keys throttled right now.

use serde::{Deserialize, Serialize};

/// A throttled key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Throttle {
    /// `account`, `ip` or `client`.
    pub scope: String,
    /// The key (user id, IP, client id or email key); clear it with this.
    pub key: String,
    /// The account's email; null for an IP, a client or an email no user has.
    pub email: Option<String>,
    /// The client id for scope `client`, else null.
    pub client_id: Option<String>,
    /// Failures counted in the current window.
    pub failures: i64,
    /// Throttled until, unix seconds.
    pub until: i64,
    /// Seconds until the throttle ends (at least 1).
    pub retry_after: i64,
}

/// Keys throttled now, the most recently throttled first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ThrottleList {
    /// The throttled keys.
    pub throttles: Vec<Throttle>,
}
