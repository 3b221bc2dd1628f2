//! Signing key rows (private halves encrypted by `keys::`).

use super::changes::Topic;
use super::Tx;
use crate::store::sql::{q, scalar};
use crate::store::{Reader, Result};

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
pub async fn published_keys(pool: &Reader, now: i64) -> Result<Vec<KeyRow>> {
    q("SELECT * FROM signing_keys
         WHERE status = 'active' OR (expires_at IS NOT NULL AND expires_at > $1)
         ORDER BY status = 'active' DESC, created_at DESC")
    .bind(now)
    .fetch_all(pool)
    .await
}

pub async fn insert_key(tx: &mut Tx, k: &KeyRow) -> Result<()> {
    tx.announce(Topic::Keys).await?;
    q(
        "INSERT INTO signing_keys (kid, alg, public_jwk, private_enc, status, created_at, retired_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&k.kid)
    .bind(&k.alg)
    .bind(&k.public_jwk)
    .bind(&k.private_enc)
    .bind(&k.status)
    .bind(k.created_at)
    .bind(k.retired_at)
    .bind(k.expires_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Every key row, newest first (the admin list; private halves stay sealed).
pub async fn list_keys(pool: &Reader) -> Result<Vec<KeyRow>> {
    q("SELECT * FROM signing_keys ORDER BY created_at DESC, kid")
        .fetch_all(pool)
        .await
}

pub async fn find_key(tx: &mut Tx, kid: &str) -> Result<Option<KeyRow>> {
    q("SELECT * FROM signing_keys WHERE kid = $1")
        .bind(kid)
        .fetch_optional(&mut *tx)
        .await
}

/// The key that signs now (read inside the writer's transaction before replacing it).
pub async fn active_key(tx: &mut Tx) -> Result<Option<KeyRow>> {
    q("SELECT * FROM signing_keys WHERE status = 'active' ORDER BY created_at DESC LIMIT 1")
        .fetch_optional(&mut *tx)
        .await
}

/// The key that signs now, from a read connection (the rotation schedule's check).
pub async fn active_key_created_at(pool: &Reader) -> Result<Option<i64>> {
    scalar("SELECT max(created_at) FROM signing_keys WHERE status = 'active'")
        .fetch_one(pool)
        .await
}

/// Marks a key retired (keeping the first retirement time) and published until `expires_at`.
pub async fn retire_key(tx: &mut Tx, kid: &str, now: i64, expires_at: i64) -> Result<()> {
    tx.announce(Topic::Keys).await?;
    q(
        "UPDATE signing_keys SET status = 'retired', retired_at = coalesce(retired_at, $1),
                expires_at = $2 WHERE kid = $3",
    )
    .bind(now)
    .bind(expires_at)
    .bind(kid)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Deletes retired keys no longer published; returns their kids.
pub async fn delete_expired_keys(tx: &mut Tx, now: i64) -> Result<Vec<String>> {
    tx.announce(Topic::Keys).await?;
    scalar(
        "DELETE FROM signing_keys WHERE status = 'retired' AND expires_at IS NOT NULL
         AND expires_at <= $1 RETURNING kid",
    )
    .bind(now)
    .fetch_all(&mut *tx)
    .await
}

/// The longest access/ID token lifetime any product issues (None without products).
pub async fn longest_token_ttl(tx: &mut Tx) -> Result<Option<i64>> {
    scalar("SELECT max(access_token_ttl) FROM products")
        .fetch_one(&mut *tx)
        .await
}
