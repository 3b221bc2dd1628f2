//! `GET /v1/stats`: what the console's dashboard shows.

use crate::audit::AuditEvent;
use serde::{Deserialize, Serialize};

/// Server facts, counts, tokens issued per hour and the newest audit events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stats {
    /// Facts about the running server.
    pub server: ServerFacts,
    /// Row counts.
    pub counts: Counts,
    /// `token.issued` events per hour for the last 25 hours, oldest first; the last
    /// bucket is the current hour.
    pub tokens_per_hour: Vec<HourCount>,
    /// Up to 10 newest audit events.
    pub recent_events: Vec<AuditEvent>,
}

/// Facts about the running server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServerFacts {
    /// The issuer URL.
    pub issuer: String,
    /// The listen address (`host:port`).
    pub listen: String,
    /// The server's version.
    pub version: String,
    /// Unix seconds.
    pub started_at: i64,
    /// Seconds since the start.
    pub uptime_seconds: i64,
}

/// Row counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Counts {
    /// Products.
    pub products: i64,
    /// Users.
    pub users: i64,
    /// Businesses.
    pub businesses: i64,
    /// Signing keys (active and retired).
    pub signing_keys: i64,
}

/// Events in one hour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HourCount {
    /// The hour's start, unix seconds.
    pub hour_start: i64,
    /// Events in that hour.
    pub count: i64,
}
