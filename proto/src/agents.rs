//! `/v1/products/{id}/agents`: a product's agents, confidential clients that use
//! client_credentials and token exchange (RFC 8693) to act for users.

use serde::{Deserialize, Serialize};

/// `POST /v1/products/{id}/agents`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAgent {
    /// The agent's name (1 to 200 characters), shown in `act` explanations.
    pub name: String,
    /// Scopes it may hold (each declared by the product, or an OIDC scope); an exchanged
    /// token never has more.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// An agent (its secret only in the answer that mints it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Agent {
    /// The OAuth client id (`agt_...`).
    pub client_id: String,
    /// The client secret (`client_secret_basic` or `_post`), shown once: only in the
    /// answer that creates the agent or rotates its secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// The agent's name.
    pub name: String,
    /// The scopes it may hold.
    pub scopes: Vec<String>,
    /// Unix seconds.
    pub created_at: i64,
}

/// A product's agents, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentList {
    /// The agents.
    pub agents: Vec<Agent>,
}
