//! `Idempotency-Key` records: claim a (subject, key) before running a /v1 write, then store
//! its answer (or drop the claim); rows live 24 h and expired ones are pruned on each claim.

use super::Db;
use crate::store::sql::q;
use crate::store::Result;

/// How long a record is kept: a retry with the same key after this is a fresh request.
pub const TTL_SECS: i64 = 24 * 3600;
/// A `pending` row this old belongs to a request that never finished (crash): a retry takes it over.
pub const ABANDONED_SECS: i64 = 300;

/// A stored answer.
#[derive(Debug)]
pub struct Stored {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// What a claim found.
#[derive(Debug)]
pub enum Claim {
    /// No live record: this request now owns the key and must `finish` or `release` it.
    Fresh,
    /// Same key, same request, answered: replay this.
    Replay(Stored),
    /// Same key, another method, path or body.
    Mismatch,
    /// Same key, same request, still running.
    InProgress,
    /// Same key, same request, answered with a secret that was not stored.
    SecretShown,
}

type Row = (
    Vec<u8>,
    String,
    Option<i64>,
    Option<String>,
    Option<Vec<u8>>,
    i64,
);

/// Prunes expired rows, then looks up (subject, key) and claims it when free.
pub async fn claim(
    db: &Db,
    subject: &str,
    key: &str,
    fingerprint: &[u8],
    now: i64,
) -> Result<Claim> {
    let mut tx = db.begin().await?;
    q("DELETE FROM idempotency_keys WHERE created_at <= $1")
        .bind(now - TTL_SECS)
        .execute(&mut tx)
        .await?;
    let row: Option<Row> = q(
        "SELECT fingerprint, state, status, content_type, body, created_at
           FROM idempotency_keys WHERE subject = $1 AND key = $2",
    )
    .bind(subject)
    .bind(key)
    .fetch_optional(&mut tx)
    .await?;
    let found = match row {
        None => None,
        Some((fp, ..)) if fp != fingerprint => Some(Claim::Mismatch),
        Some((_, state, _, _, _, at)) if state == "pending" && at > now - ABANDONED_SECS => {
            Some(Claim::InProgress)
        }
        Some((_, state, ..)) if state == "pending" => None,
        Some((_, state, ..)) if state == "secret_shown" => Some(Claim::SecretShown),
        Some((_, _, status, content_type, body, _)) => Some(Claim::Replay(Stored {
            status: status.and_then(|s| u16::try_from(s).ok()).unwrap_or(200),
            content_type,
            body: body.unwrap_or_default(),
        })),
    };
    if let Some(found) = found {
        tx.rollback().await?;
        return Ok(found);
    }
    q(
        "INSERT INTO idempotency_keys (subject, key, fingerprint, state, created_at)
         VALUES ($1, $2, $3, 'pending', $4)
         ON CONFLICT (subject, key) DO UPDATE SET
           fingerprint = excluded.fingerprint, state = 'pending', status = NULL,
           content_type = NULL, body = NULL, created_at = excluded.created_at",
    )
    .bind(subject)
    .bind(key)
    .bind(fingerprint)
    .bind(now)
    .execute(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(Claim::Fresh)
}

/// Stores the answer of a claimed key; `body: None` records that a secret was shown.
pub async fn finish(
    db: &Db,
    subject: &str,
    key: &str,
    status: u16,
    content_type: Option<&str>,
    body: Option<&[u8]>,
) -> Result<()> {
    let state = if body.is_some() {
        "done"
    } else {
        "secret_shown"
    };
    let mut tx = db.begin().await?;
    q(
        "UPDATE idempotency_keys SET state = $1, status = $2, content_type = $3, body = $4
          WHERE subject = $5 AND key = $6 AND state = 'pending'",
    )
    .bind(state)
    .bind(i64::from(status))
    .bind(content_type)
    .bind(body)
    .bind(subject)
    .bind(key)
    .execute(&mut tx)
    .await?;
    tx.commit().await
}

/// Drops a claim whose request failed (5xx) or never finished, so a retry runs again.
pub async fn release(db: &Db, subject: &str, key: &str) -> Result<()> {
    let mut tx = db.begin().await?;
    q("DELETE FROM idempotency_keys WHERE subject = $1 AND key = $2 AND state = 'pending'")
        .bind(subject)
        .bind(key)
        .execute(&mut tx)
        .await?;
    tx.commit().await
}
