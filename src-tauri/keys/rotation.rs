//! Key lifecycle: rotate (the new key signs at once; the old one stays published until
//! every token it signed has expired), retire now, delete expired, and the schedule.
//! Each change commits together with its audit event, then the in-memory ring reloads.

use crate::audit::{kind, Event};
use crate::domain::RequestMeta;
use crate::state::Shared;
use crate::store::keys::{self as key_store, KeyRow};
use crate::store::StoreError;
use crate::store::{now, settings};
use serde_json::json;

/// Lifetime assumed for tokens of clients without a product (admin clients): the default.
pub const DEFAULT_TOKEN_TTL: i64 = 600;
/// Clock skew allowed to relying parties when a retired key stops being published.
pub const LEEWAY_SECS: i64 = 60;

/// Why a key change was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyChangeError {
    #[error("no such key")]
    NotFound,
    #[error("the active key cannot be retired: rotate first")]
    Active,
    #[error("database: {0}")]
    Db(#[from] StoreError),
    #[error("signing keys: {0}")]
    Keys(String),
}

impl From<crate::error::StartError> for KeyChangeError {
    fn from(e: crate::error::StartError) -> Self {
        KeyChangeError::Keys(e.to_string())
    }
}

/// Generates a new key, makes it the active one and retires the previous active key,
/// published until `now + longest token lifetime + leeway`. Returns the new key.
pub async fn rotate(
    state: &Shared,
    actor: &str,
    meta: &RequestMeta,
    reason: &str,
) -> Result<KeyRow, KeyChangeError> {
    let ring = state.clone();
    // RSA generation takes ~100 ms of CPU: keep it off the async workers.
    let row = tokio::task::spawn_blocking(move || ring.keys.new_key_row())
        .await
        .map_err(|e| KeyChangeError::Keys(e.to_string()))??;
    let t = now();
    let mut tx = state.db.begin().await?;
    let previous = key_store::active_key(&mut tx).await?;
    let ttl = key_store::longest_token_ttl(&mut tx)
        .await?
        .unwrap_or(DEFAULT_TOKEN_TTL)
        .max(DEFAULT_TOKEN_TTL);
    let expires_at = t + ttl + LEEWAY_SECS;
    if let Some(p) = &previous {
        key_store::retire_key(&mut tx, &p.kid, t, expires_at).await?;
    }
    key_store::insert_key(&mut tx, &row).await?;
    Event::success(kind::KEY_ROTATED)
        .actor(actor)
        .meta(meta)
        .detail(json!({
            "kid": row.kid,
            "previous_kid": previous.as_ref().map(|p| &p.kid),
            "previous_expires_at": previous.as_ref().map(|_| expires_at),
            "reason": reason,
        }))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    state.audit.ring();
    state.keys.reload(&state.db).await?;
    Ok(row)
}

/// Stops publishing a retired key now (tokens it signed stop verifying). The active key
/// cannot be retired: rotate instead. Returns the updated row.
pub async fn retire(
    state: &Shared,
    kid: &str,
    actor: &str,
    meta: &RequestMeta,
) -> Result<KeyRow, KeyChangeError> {
    let t = now();
    let mut tx = state.db.begin().await?;
    let key = key_store::find_key(&mut tx, kid)
        .await?
        .ok_or(KeyChangeError::NotFound)?;
    if key.status == "active" {
        return Err(KeyChangeError::Active);
    }
    let expires_at = key.expires_at.map_or(t, |e| e.min(t));
    key_store::retire_key(&mut tx, kid, t, expires_at).await?;
    Event::success(kind::KEY_RETIRED)
        .actor(actor)
        .meta(meta)
        .detail(json!({"kid": kid, "expires_at": expires_at}))
        .write(&mut tx)
        .await?;
    let row = key_store::find_key(&mut tx, kid)
        .await?
        .ok_or(KeyChangeError::NotFound)?;
    tx.commit().await?;
    state.audit.ring();
    state.keys.reload(&state.db).await?;
    Ok(row)
}

/// Deletes retired keys whose publication ended; one `key.deleted` event per key.
pub async fn delete_expired(
    state: &Shared,
    actor: &str,
    meta: &RequestMeta,
) -> Result<Vec<String>, KeyChangeError> {
    let mut tx = state.db.begin().await?;
    let kids = key_store::delete_expired_keys(&mut tx, now()).await?;
    for kid in &kids {
        Event::success(kind::KEY_DELETED)
            .actor(actor)
            .meta(meta)
            .detail(json!({ "kid": kid }))
            .write(&mut tx)
            .await?;
    }
    tx.commit().await?;
    if !kids.is_empty() {
        state.audit.ring();
    }
    Ok(kids)
}

/// True when the active key is older than `days` (0 = scheduled rotation off).
pub fn rotation_due(active_created_at: Option<i64>, now: i64, days: i64) -> bool {
    days > 0 && active_created_at.is_some_and(|c| now - c >= days * 86_400)
}

/// Rotates when the `key_rotation_days` setting says the active key is too old.
pub async fn rotate_if_due(state: &Shared) -> Result<Option<String>, KeyChangeError> {
    let s = settings::load(&state.db.read).await?;
    let created = key_store::active_key_created_at(&state.db.read).await?;
    if !rotation_due(created, now(), s.key_rotation_days) {
        return Ok(None);
    }
    let meta = RequestMeta::default();
    let row = rotate(state, "system", &meta, "scheduled").await?;
    Ok(Some(row.kid))
}

#[cfg(test)]
mod tests {
    use super::rotation_due;

    #[test]
    fn rotation_is_due_only_past_the_period_and_never_when_off() {
        let day = 86_400;
        assert!(!rotation_due(Some(0), 89 * day, 90));
        assert!(rotation_due(Some(0), 90 * day, 90));
        assert!(!rotation_due(Some(0), 1000 * day, 0));
        assert!(!rotation_due(None, 1000 * day, 1));
    }
}
