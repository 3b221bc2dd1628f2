//! Third-party consent: what a user approved for a dynamically registered client
//! (`/v1/users/{id}/consents`, and the account page).

use serde::{Deserialize, Serialize};

/// A remembered consent of one user for one client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Consent {
    /// The client.
    pub client_id: String,
    /// Its registered name (untrusted text), or null.
    pub client_name: Option<String>,
    /// The scopes the user approved.
    pub scopes: Vec<String>,
    /// When the user first approved, unix seconds.
    pub created_at: i64,
    /// When the user last approved more, unix seconds.
    pub updated_at: i64,
}

/// A user's remembered consents, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentList {
    /// The consents.
    pub consents: Vec<Consent>,
}
