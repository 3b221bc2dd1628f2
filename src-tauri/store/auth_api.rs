//! The first-party auth API's own rows: pending second factors (`mfa_token`s, stored
//! hashed) and the products' sign-up switch.

use super::Tx;
use crate::store::sql::{q, scalar};
use crate::store::{Reader, Result};

/// A sign-in waiting for its second factor.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MfaTokenRow {
    pub user_id: String,
    pub client_id: String,
    /// The scope the sign-in asked for.
    pub scope: String,
    /// The branch chosen at the first factor, if any.
    pub branch: Option<String>,
    /// The methods used so far (`AuthMethods` stored text).
    pub amr: String,
    pub expires_at: i64,
}

pub struct NewMfaToken<'a> {
    pub token_hash: &'a [u8],
    pub user_id: &'a str,
    pub client_id: &'a str,
    pub scope: &'a str,
    pub branch: Option<&'a str>,
    pub amr: &'a str,
    pub now: i64,
    pub expires_at: i64,
}

/// Stores a pending second factor (expired ones are swept on the way in).
pub async fn insert_mfa_token(tx: &mut Tx, t: &NewMfaToken<'_>) -> Result<()> {
    q("DELETE FROM auth_mfa_tokens WHERE expires_at <= $1")
        .bind(t.now)
        .execute(&mut *tx)
        .await?;
    q(
        "INSERT INTO auth_mfa_tokens (token_hash, user_id, client_id, scope, branch, amr, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(t.token_hash)
    .bind(t.user_id)
    .bind(t.client_id)
    .bind(t.scope)
    .bind(t.branch)
    .bind(t.amr)
    .bind(t.now)
    .bind(t.expires_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The live pending second factor behind a token hash.
pub async fn find_mfa_token(
    pool: &Reader,
    token_hash: &[u8],
    now: i64,
) -> Result<Option<MfaTokenRow>> {
    q(
        "SELECT user_id, client_id, scope, branch, amr, expires_at FROM auth_mfa_tokens
         WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(pool)
    .await
}

/// Spends a pending second factor inside the sign-in's transaction; false when it was
/// spent (or expired) meanwhile, so two correct codes cannot both sign in.
pub async fn spend_mfa_token(tx: &mut Tx, token_hash: &[u8], now: i64) -> Result<bool> {
    let n = q("DELETE FROM auth_mfa_tokens WHERE token_hash = $1 AND expires_at > $2")
        .bind(token_hash)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    Ok(n == 1)
}

/// Sets whether a product lets people sign up on their own.
pub async fn set_self_registration(tx: &mut Tx, product_id: &str, on: bool) -> Result<()> {
    tx.announce(super::changes::Topic::Clients).await?;
    q("UPDATE products SET self_registration = $1 WHERE id = $2")
        .bind(on)
        .bind(product_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The live (not ended, not expired) session `sid` of `user_id`, if any.
pub async fn live_session_of(pool: &Reader, user_id: &str, sid: &str, now: i64) -> Result<bool> {
    let found: Option<String> = scalar(
        "SELECT id FROM sso_sessions
         WHERE id = $1 AND user_id = $2 AND ended_at IS NULL AND expires_at > $3",
    )
    .bind(sid)
    .bind(user_id)
    .bind(now)
    .fetch_optional(pool)
    .await?;
    Ok(found.is_some())
}
