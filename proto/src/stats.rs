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
    /// How far the first-run setup has come (the dashboard's checklist).
    pub setup: Setup,
}

/// The first-run checklist's figures: a product registered (`counts.products`), its sign-in
/// tried, a user given a role in a branch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Setup {
    /// The oldest product that has a sign-in client (every client of a product but its
    /// server client): where the checklist's "Try its sign-in" goes. `null`: none yet.
    pub first_product_id: Option<String>,
    /// When a product's sign-in client was first issued a token: the `at` (unix
    /// milliseconds) of the oldest `token.issued` event still kept for such a client.
    /// `null`: none (the console's own tokens and server or admin clients' tokens do not
    /// count).
    pub first_product_token_at_ms: Option<i64>,
    /// Whether some user holds a role in one particular branch (not only "every branch").
    pub branch_membership: bool,
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
