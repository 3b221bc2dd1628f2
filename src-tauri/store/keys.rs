//! Signing key rows (private halves encrypted by `keys::`).

use super::Tx;
use sqlx::SqlitePool;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyRow {
    pub kid: String,
    pub alg: String,
    pub public_jwk: String,
    pub private_enc: Vec<u8>,
    pub status: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
    pub expires_at: Option<i64>,
}

/// The active key and retired keys still published (not yet expired).
pub async fn published_keys(pool: &SqlitePool, now: i64) -> Result<Vec<KeyRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT * FROM signing_keys
         WHERE status = 'active' OR (expires_at IS NOT NULL AND expires_at > ?)
         ORDER BY status = 'active' DESC, created_at DESC",
    )
    .bind(now)
    .fetch_all(pool)
    .await
}

pub async fn insert_key(tx: &mut Tx, k: &KeyRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO signing_keys (kid, alg, public_jwk, private_enc, status, created_at, retired_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&k.kid)
    .bind(&k.alg)
    .bind(&k.public_jwk)
    .bind(&k.private_enc)
    .bind(&k.status)
    .bind(k.created_at)
    .bind(k.retired_at)
    .bind(k.expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
