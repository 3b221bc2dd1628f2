//! `/v1/users/{id}/sessions`: a user's SSO sessions.

use serde::{Deserialize, Serialize};

/// One SSO session of a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Session {
    /// The session id.
    pub id: String,
    /// Unix seconds.
    pub created_at: i64,
    /// When the user typed their password, unix seconds.
    pub auth_time: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// When the session was ended (sign-out, suspension, admin), unix seconds; or null.
    pub ended_at: Option<i64>,
    /// The client IP at sign-in, or null.
    pub ip: Option<String>,
    /// The browser's User-Agent at sign-in, or null.
    pub user_agent: Option<String>,
    /// Neither ended nor expired.
    pub active: bool,
}

/// A user's sessions, newest first (at most 500).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionList {
    /// The sessions.
    pub sessions: Vec<Session>,
}
