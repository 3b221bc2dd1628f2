//! Audit events: a builder that records who did what, appended in the same
//! transaction as the change it describes. Never holds a token, secret or password.

use crate::domain::RequestMeta;
use crate::store::audit::{insert_event, AuditRow};
use crate::store::{now_ms, Tx};

/// Event types (PRODUCT.md "Audit events").
pub mod kind {
    pub const TOKEN_ISSUED: &str = "token.issued";
    pub const TOKEN_REFRESHED: &str = "token.refreshed";
    pub const TOKEN_REVOKED: &str = "token.revoked";
    pub const TOKEN_REFUSED: &str = "token.refused";
    pub const TOKEN_REUSE_DETECTED: &str = "token.reuse_detected";
    pub const CODE_REPLAYED: &str = "code.replayed";
    pub const LOGIN_SUCCEEDED: &str = "login.succeeded";
    pub const LOGIN_FAILED: &str = "login.failed";
    pub const LOGOUT: &str = "logout";
    pub const USER_CREATED: &str = "admin.user.created";
    pub const USER_SUSPENDED: &str = "admin.user.suspended";
    pub const PRODUCT_CREATED: &str = "admin.product.created";
    pub const SECRET_ROTATED: &str = "admin.product.secret_rotated";
    pub const ADMIN_CLIENT_CREATED: &str = "admin.admin_client.created";
    pub const SUPERADMIN_CREATED: &str = "admin.superadmin.created";
}

/// One audit event being built.
#[derive(Debug, Clone)]
pub struct Event(AuditRow);

impl Event {
    pub fn success(kind: &str) -> Self {
        Self::new(kind, "success")
    }
    pub fn failure(kind: &str) -> Self {
        Self::new(kind, "failure")
    }
    fn new(kind: &str, outcome: &str) -> Self {
        Event(AuditRow {
            at: now_ms(),
            kind: kind.to_string(),
            outcome: outcome.to_string(),
            ..AuditRow::default()
        })
    }
    pub fn actor(mut self, v: impl Into<String>) -> Self {
        self.0.actor = Some(v.into());
        self
    }
    pub fn subject(mut self, v: impl Into<String>) -> Self {
        self.0.subject = Some(v.into());
        self
    }
    pub fn client(mut self, v: impl Into<String>) -> Self {
        self.0.client_id = Some(v.into());
        self
    }
    pub fn jti(mut self, v: impl Into<String>) -> Self {
        self.0.jti = Some(v.into());
        self
    }
    pub fn meta(mut self, m: &RequestMeta) -> Self {
        self.0.ip = m.ip.clone();
        self.0.user_agent = m.user_agent.clone();
        self
    }
    /// Structured detail, e.g. the issued token's claims or the refusal reason.
    pub fn detail(mut self, v: serde_json::Value) -> Self {
        self.0.detail = Some(v.to_string());
        self
    }

    /// Appends the event inside `tx`; it commits or rolls back with the change.
    pub async fn write(self, tx: &mut Tx) -> Result<i64, sqlx::Error> {
        insert_event(tx, &self.0).await
    }
}
