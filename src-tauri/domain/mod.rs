//! Protocol rules with no HTTP and no SQL: scopes, PKCE, redirect URIs, claims.

pub mod amr;
pub mod branch;
pub mod claims;
pub mod pkce;
pub mod redirect;
pub mod scope;
pub mod throttle;

/// Who sent a request, for the audit log.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}
