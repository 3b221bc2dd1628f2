//! Run-time settings an admin may change, as key/value rows (defaults when absent).

use super::Tx;
use crate::store::sql::{q, Exec};
use crate::store::{from_json_list, to_json_list, Reader, Result};

/// The admin-changeable settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Rotate the signing key when the active one is older; 0 = never.
    pub key_rotation_days: i64,
    /// Delete audit events older than this.
    pub audit_retention_days: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            key_rotation_days: 90,
            audit_retention_days: 90,
        }
    }
}

/// The shortest audit retention: an incident is often found weeks later, and a short
/// retention would let whoever holds the admin API erase their own trail within a day.
pub const MIN_AUDIT_RETENTION_DAYS: i64 = 30;

const KEY_ROTATION_DAYS: &str = "key_rotation_days";
const AUDIT_RETENTION_DAYS: &str = "audit_retention_days";

const SELECT_ALL: &str = "SELECT key, value FROM settings";

pub async fn load(pool: &Reader) -> Result<Settings> {
    Ok(from_rows(q(SELECT_ALL).fetch_all(pool).await?))
}

/// [`load`] inside a write transaction.
pub async fn load_in(tx: &mut Tx) -> Result<Settings> {
    Ok(from_rows(q(SELECT_ALL).fetch_all(&mut *tx).await?))
}

fn from_rows(rows: Vec<(String, String)>) -> Settings {
    let mut s = Settings::default();
    for (key, value) in rows {
        // Other rows (SMTP, open registration) are read by their own functions.
        if key != KEY_ROTATION_DAYS && key != AUDIT_RETENTION_DAYS {
            continue;
        }
        let Ok(v) = value.parse::<i64>() else {
            tracing::warn!(%key, "ignoring an unreadable setting");
            continue;
        };
        match key.as_str() {
            KEY_ROTATION_DAYS => s.key_rotation_days = v,
            // A value stored before the minimum existed is raised to it.
            AUDIT_RETENTION_DAYS => s.audit_retention_days = v.max(MIN_AUDIT_RETENTION_DAYS),
            _ => {}
        }
    }
    s
}

pub async fn save(tx: &mut Tx, s: &Settings, now: i64) -> Result<()> {
    for (key, value) in [
        (KEY_ROTATION_DAYS, s.key_rotation_days),
        (AUDIT_RETENTION_DAYS, s.audit_retention_days),
    ] {
        put(tx, key, &value.to_string(), now).await?;
    }
    Ok(())
}

/// Writes one key/value row.
async fn put(tx: &mut Tx, key: &str, value: &str, now: i64) -> Result<()> {
    q(
        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(value)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Open dynamic client registration (`/oauth/register` without an initial access token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRegistration {
    pub enabled: bool,
    /// The scopes an openly registered client may ask for.
    pub scopes: Vec<String>,
}

impl Default for OpenRegistration {
    fn default() -> Self {
        OpenRegistration {
            enabled: false,
            scopes: crate::domain::scope::OIDC_SCOPES.map(String::from).to_vec(),
        }
    }
}

const OPEN_REGISTRATION: &str = "open_registration";
const OPEN_REGISTRATION_SCOPES: &str = "open_registration_scopes";

/// The open registration settings (defaults when never set: off, the OIDC scopes).
pub async fn load_open_registration<'a>(on: impl Exec<'a>) -> Result<OpenRegistration> {
    let rows: Vec<(String, String)> = q("SELECT key, value FROM settings WHERE key IN ($1, $2)")
        .bind(OPEN_REGISTRATION)
        .bind(OPEN_REGISTRATION_SCOPES)
        .fetch_all(on)
        .await?;
    let mut out = OpenRegistration::default();
    for (key, value) in rows {
        match key.as_str() {
            OPEN_REGISTRATION => out.enabled = value == "true",
            _ => out.scopes = from_json_list(&value),
        }
    }
    Ok(out)
}

pub async fn save_open_registration(tx: &mut Tx, o: &OpenRegistration, now: i64) -> Result<()> {
    let enabled = if o.enabled { "true" } else { "false" };
    put(tx, OPEN_REGISTRATION, enabled, now).await?;
    put(tx, OPEN_REGISTRATION_SCOPES, &to_json_list(&o.scopes), now).await
}
