//! Pushed authorization requests (RFC 9126): stored under the SHA-256 of their
//! request_uri, spent once at `/oauth/authorize`.

use super::sql::{q, scalar};
use super::{Db, Result, Tx};

/// Stores a pushed request (`params` is a JSON object of its parameters).
pub async fn insert(
    tx: &mut Tx,
    request_hash: &[u8],
    client_id: &str,
    params: &str,
    expires_at: i64,
) -> Result<()> {
    q(
        "INSERT INTO par_requests (request_hash, client_id, params, expires_at)
       VALUES ($1, $2, $3, $4)",
    )
    .bind(request_hash)
    .bind(client_id)
    .bind(params)
    .bind(expires_at)
    .execute(tx)
    .await?;
    Ok(())
}

/// Spends the pushed request of `client_id` stored under `request_hash` and returns its
/// parameters; `None` when there is none, it expired, belongs to another client, or was
/// already used. One conditional statement, so two requests (or nodes) cannot both win.
pub async fn spend(
    tx: &mut Tx,
    request_hash: &[u8],
    client_id: &str,
    now: i64,
) -> Result<Option<String>> {
    scalar(
        "UPDATE par_requests SET used_at = $3
         WHERE request_hash = $1 AND client_id = $2 AND used_at IS NULL AND expires_at > $3
         RETURNING params",
    )
    .bind(request_hash)
    .bind(client_id)
    .bind(now)
    .fetch_optional(tx)
    .await
}

/// Forgets expired pushed requests (the maintenance job).
pub async fn prune(db: &Db, now: i64) -> Result<u64> {
    let mut tx = db.begin().await?;
    let n = q("DELETE FROM par_requests WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(n)
}
