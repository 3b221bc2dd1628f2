//! Shared state handed to every request handler.

use crate::audit::AuditSink;
use crate::keys::KeyRing;
use crate::store::Db;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub struct AppState {
    pub db: Db,
    pub keys: KeyRing,
    /// Group-committing writer for events that stand alone.
    pub audit: AuditSink,
    /// Client rows for client authentication; clear it after changing a client.
    pub clients: crate::store::clients::ClientCache,
    /// Clients recently found not throttled (skips a read per token request).
    pub client_hints: crate::throttle::client_hint::ClientHints,
    /// `private_key_jwt` clients' fetched `jwks_uri` key sets.
    pub client_jwks: crate::oauth::client_jwks::JwksCache,
    /// Public issuer URL, no trailing slash.
    pub issuer: String,
    pub listen: SocketAddr,
    /// The data dir (database, `master.key`, `settings.json`).
    pub data_dir: PathBuf,
    pub started_at: i64,
    /// Cookies get `Secure` and the `__Host-` prefix (and responses HSTS) when the issuer
    /// is https.
    pub secure_cookies: bool,
    /// In the desktop build, the port the console window signs in on
    /// (`http://127.0.0.1:{port}/console/callback`); `None` for `tessera serve`.
    pub console_loopback_port: Option<u16>,
    /// Turns true when the server starts shutting down: long-lived responses (the audit
    /// stream) and background jobs end on it.
    pub stopping: tokio::sync::watch::Receiver<bool>,
    /// Wakes the maintenance job now (retention or rotation settings changed).
    pub maintenance: tokio::sync::Notify,
    /// Every password hash runs through this bound (memory and CPU).
    pub hashing: crate::throttle::hashing::HashLimiter,
    /// SMTP settings in force and the outbox sender's wake-up.
    pub mail: crate::mail::Mail,
    /// Proxies whose `X-Forwarded-For` names the client IP.
    pub trusted_proxies: crate::throttle::client_ip::TrustedProxies,
    /// DPoP proof checks' settings (server nonces).
    pub dpop: crate::oauth::dpop::Dpop,
}

pub type Shared = Arc<AppState>;

impl AppState {
    /// An absolute URL under the issuer.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path)
    }
}
