//! The audit event of `/v1/audit-events` and its stream (`tessera_proto::audit`) and what
//! the console reads off it, the known event types with their plain names, the filters and
//! how they become a query string, and a small cache the inspector reads when an event is
//! opened from the feed.

use std::cell::RefCell;

use serde_json::Value;
pub use tessera_proto::audit::{AuditEvent, AuditPage};

use crate::api;

/// What the console reads off an audit event (`id` is a decimal string; `at_ms` Unix
/// milliseconds).
pub trait EventExt {
    /// Unix seconds.
    fn at_secs(&self) -> i64;
    /// The numeric id (events are numbered in commit order).
    fn num(&self) -> i64;
    fn ok(&self) -> bool;
    /// The claims the event recorded for an issued token, if any.
    fn recorded_claims(&self) -> Option<&serde_json::Map<String, Value>>;
    /// The JWS header the event recorded for an issued token, if any.
    fn recorded_header(&self) -> Option<&serde_json::Map<String, Value>>;
}

impl EventExt for AuditEvent {
    fn at_secs(&self) -> i64 {
        self.at_ms.div_euclid(1000)
    }

    fn num(&self) -> i64 {
        self.id.parse().unwrap_or(0)
    }

    fn ok(&self) -> bool {
        self.outcome != "failure"
    }

    fn recorded_claims(&self) -> Option<&serde_json::Map<String, Value>> {
        self.detail.as_ref()?.get("claims")?.as_object()
    }

    fn recorded_header(&self) -> Option<&serde_json::Map<String, Value>> {
        self.detail.as_ref()?.get("header")?.as_object()
    }
}

/// Every event type the server writes, with the name people read.
pub const KNOWN_TYPES: &[(&str, &str)] = &[
    ("token.issued", "Token issued"),
    ("token.refreshed", "Token refreshed"),
    ("token.revoked", "Token revoked"),
    ("token.refused", "Token refused"),
    ("token.reuse_detected", "Refresh token reused"),
    ("code.replayed", "Authorization code replayed"),
    ("login.succeeded", "Sign-in succeeded"),
    ("login.failed", "Sign-in failed"),
    ("login.throttled", "Sign-in paused (too many failures)"),
    ("client.throttled", "Client paused (wrong secrets)"),
    ("logout", "Signed out"),
    ("branch.switched", "Branch switched"),
    ("key.rotated", "Signing key rotated"),
    ("key.retired", "Signing key retired"),
    ("key.deleted", "Signing key deleted"),
    ("audit.pruned", "Old events pruned"),
    ("admin.product.created", "Product created"),
    ("admin.product.updated", "Product updated"),
    ("admin.product.deleted", "Product deleted"),
    ("admin.product.secret_rotated", "Product secret rotated"),
    ("admin.redirect_uri.added", "Redirect URI added"),
    ("admin.redirect_uri.removed", "Redirect URI removed"),
    ("admin.server_client.created", "Server client created"),
    ("admin.server_client.deleted", "Server client deleted"),
    ("admin.user.created", "User created"),
    ("admin.user.updated", "User updated"),
    ("admin.user.suspended", "User suspended"),
    ("admin.user.unsuspended", "User unsuspended"),
    ("admin.user.password_set", "User password set"),
    ("admin.user.sessions_revoked", "User sessions revoked"),
    ("admin.user.deleted", "User deleted"),
    ("admin.business.created", "Business created"),
    ("admin.business.updated", "Business updated"),
    ("admin.business.deleted", "Business deleted"),
    ("admin.branch.created", "Branch created"),
    ("admin.branch.updated", "Branch updated"),
    ("admin.branch.deleted", "Branch deleted"),
    ("admin.role.created", "Role created"),
    ("admin.role.updated", "Role updated"),
    ("admin.role.deleted", "Role deleted"),
    ("admin.membership.created", "Membership created"),
    ("admin.membership.deleted", "Membership deleted"),
    ("admin.superadmin.created", "Super-admin created"),
    ("admin.admin_client.created", "Admin client created"),
    (
        "admin.admin_client.secret_rotated",
        "Admin client secret rotated",
    ),
    ("admin.settings.updated", "Settings updated"),
    ("admin.backup.created", "Backup created"),
    ("admin.throttle.cleared", "Throttle cleared"),
    ("admin.settings.email_updated", "Email settings changed"),
    ("admin.settings.email_tested", "Test email sent"),
    ("mfa.enrolled", "Second factor enrolled"),
    ("mfa.verified", "Second factor passed"),
    ("mfa.failed", "Second factor failed"),
    ("mfa.reset", "Second factors reset"),
    ("mfa.removed", "Authenticator app removed"),
    ("mfa.recovery_codes_replaced", "Recovery codes replaced"),
    ("passkey.registered", "Passkey added"),
    ("passkey.used", "Passkey used"),
    ("passkey.removed", "Passkey removed"),
    ("account.session_ended", "Session ended by its user"),
    ("account.password_changed", "Password changed by its user"),
    ("auth.refused", "Auth API call refused"),
    ("auth.session_read", "Auth API session read"),
    ("auth.session_ended", "Session ended through the auth API"),
    ("admin.user.mfa_required", "User MFA requirement changed"),
    ("user.registered", "User signed up"),
    ("user.invited", "User invited"),
    ("user.invitation_accepted", "Invitation accepted"),
    ("password.reset_requested", "Password reset asked for"),
    ("password.reset", "Password reset"),
    ("email.verified", "Email confirmed"),
    ("token.exchanged", "Token exchanged (acting for a user)"),
    ("consent.granted", "App allowed by its user"),
    ("consent.denied", "App denied by its user"),
    ("consent.revoked", "App access removed"),
    ("client.registered", "App registered itself"),
    ("client.registration_refused", "App registration refused"),
    (
        "client.registration_updated",
        "App updated its registration",
    ),
    (
        "client.registration_deleted",
        "App deleted its registration",
    ),
    ("registration_token.created", "Registration token created"),
    ("registration_token.revoked", "Registration token revoked"),
    ("dynamic_client.disabled", "Registered app disabled"),
    ("dynamic_client.enabled", "Registered app enabled"),
    ("dynamic_client.deleted", "Registered app deleted"),
    ("admin.agent.created", "Agent created"),
    ("admin.agent.deleted", "Agent deleted"),
];

/// The plain name of an event type ("token.issued" → "Token issued").
pub fn type_label(kind: &str) -> String {
    if let Some((_, label)) = KNOWN_TYPES.iter().find(|(k, _)| *k == kind) {
        return (*label).to_owned();
    }
    // Unknown (newer) types: "foo.bar_baz" → "Foo bar baz".
    let words = kind.replace(['.', '_'], " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The filters of the feed, as typed (times as `datetime-local` values, local time).
/// `user`, `product` and `business` take what a person knows (an email, a name) or an id;
/// `subject`, `client` and `branch` are ids, set only from the page's URL.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filters {
    pub kind: String,
    pub outcome: String,
    pub user: String,
    pub product: String,
    pub business: String,
    pub subject: String,
    pub client: String,
    pub branch: String,
    pub since: String,
    pub until: String,
}

impl Filters {
    /// The filters a link to the audit page carries (`/console/audit?user=…`), each
    /// under its API name.
    pub fn from_url() -> Filters {
        let get = |name: &str| crate::app::query_param(name).unwrap_or_default();
        Filters {
            kind: get("type"),
            outcome: get("outcome"),
            user: get("user"),
            product: get("product"),
            business: get("business"),
            subject: get("subject"),
            client: get("client_id"),
            branch: get("branch"),
            ..Filters::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Filters::default()
    }

    /// `&type=...&subject=...` (leading `&`, empty when nothing is set); both endpoints
    /// accept the same filters.
    pub fn query(&self) -> String {
        let mut q = String::new();
        let mut add = |name: &str, value: &str| {
            let value = value.trim();
            if !value.is_empty() {
                q.push('&');
                q.push_str(name);
                q.push('=');
                q.push_str(&api::enc(value));
            }
        };
        add("type", &self.kind);
        add("outcome", &self.outcome);
        add("user", &self.user);
        add("product", &self.product);
        add("business", &self.business);
        add("subject", &self.subject);
        add("client_id", &self.client);
        add("branch", &self.branch);
        if let Some(t) = local_input_to_rfc3339(&self.since) {
            add("since", &t);
        }
        if let Some(t) = local_input_to_rfc3339(&self.until) {
            add("until", &t);
        }
        q
    }
}

/// A `datetime-local` value ("2026-01-31T12:00", local time) as RFC 3339 UTC.
fn local_input_to_rfc3339(v: &str) -> Option<String> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(v));
    if date.get_time().is_nan() {
        return None;
    }
    Some(String::from(date.to_iso_string()))
}

thread_local! {
    /// Events the feed showed recently, so "Open in inspector" needs no extra request.
    static SEEN: RefCell<Vec<AuditEvent>> = const { RefCell::new(Vec::new()) };
}

/// Keeps `event` for [`recall`] (the last few only).
pub fn remember(event: &AuditEvent) {
    SEEN.with(|seen| {
        let mut seen = seen.borrow_mut();
        seen.retain(|e| e.id != event.id);
        seen.push(event.clone());
        let len = seen.len();
        if len > 20 {
            seen.drain(..len - 20);
        }
    });
}

/// An event kept by [`remember`].
pub fn recall(id: &str) -> Option<AuditEvent> {
    SEEN.with(|seen| seen.borrow().iter().find(|e| e.id == id).cloned())
}
