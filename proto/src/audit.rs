//! `/v1/audit-events`: the audit log.

use serde::{Deserialize, Serialize};

/// One audit event (also the `data` of an `audit` server-sent event).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEvent {
    /// The event id (a decimal number, ascending in commit order).
    pub id: String,
    /// When it happened, RFC 3339.
    pub at: Option<String>,
    /// When it happened, unix milliseconds.
    pub at_ms: i64,
    /// The event type, e.g. `token.issued`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `success` or `failure`.
    pub outcome: String,
    /// Who acted (user or client id), or null.
    pub actor: Option<String>,
    /// Whom it concerns (usually a user id), or null.
    pub subject: Option<String>,
    /// The client involved, or null.
    pub client_id: Option<String>,
    /// The business id, or null.
    pub org: Option<String>,
    /// The branch id, or null.
    pub branch: Option<String>,
    /// The token id, or null.
    pub jti: Option<String>,
    /// The client IP, or null.
    pub ip: Option<String>,
    /// The User-Agent, or null.
    pub user_agent: Option<String>,
    /// Type-specific details, or null.
    pub detail: Option<serde_json::Value>,
    /// What a person reads for `actor`: the user's email or the client's name (see
    /// `client_label`); null when unknown (e.g. a deleted user).
    pub actor_label: Option<String>,
    /// What a person reads for `subject`: a user's email, or the name of the product,
    /// client, business, branch or role it names; null when unknown or gone.
    pub subject_label: Option<String>,
    /// What a person reads for `client_id`: its product's name (`Shop` for the web
    /// client, `Shop (server)` for the server client), `Tessera console`, or an admin
    /// client's name; null when unknown or gone.
    pub client_label: Option<String>,
    /// The business's name for `org`, or null.
    pub org_label: Option<String>,
    /// The branch's name for `branch`, or null.
    pub branch_label: Option<String>,
}

/// A page of audit events, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    /// The events of this page.
    pub events: Vec<AuditEvent>,
    /// The `cursor` of the next page; null on the last page.
    pub next_cursor: Option<String>,
}
