//! Authorization codes, refresh-token families and access-token revocation state.

use super::Tx;
use crate::store::sql::q;
use crate::store::{Reader, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CodeRow {
    pub code_hash: Vec<u8>,
    pub client_id: String,
    pub user_id: String,
    pub session_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub auth_time: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub family_id: Option<String>,
    /// Active business and branch chosen at sign-in, if any.
    pub org: Option<String>,
    pub branch: Option<String>,
    /// How the sign-in authenticated (`domain::amr::AuthMethods`, stored text).
    pub amr: String,
    /// The RFC 8707 resource the authorization request named: the tokens' `aud`.
    pub resource: Option<String>,
}

pub async fn insert_code(tx: &mut Tx, c: &CodeRow, now: i64) -> Result<()> {
    q("DELETE FROM authorization_codes WHERE expires_at < $1")
        .bind(now - 3600)
        .execute(&mut *tx)
        .await?;
    q(
        "INSERT INTO authorization_codes (code_hash, client_id, user_id, session_id, redirect_uri, scope,
            nonce, code_challenge, auth_time, created_at, expires_at, org, branch, amr, resource)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&c.code_hash)
    .bind(&c.client_id)
    .bind(&c.user_id)
    .bind(&c.session_id)
    .bind(&c.redirect_uri)
    .bind(&c.scope)
    .bind(&c.nonce)
    .bind(&c.code_challenge)
    .bind(c.auth_time)
    .bind(now)
    .bind(c.expires_at)
    .bind(&c.org)
    .bind(&c.branch)
    .bind(&c.amr)
    .bind(&c.resource)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Reads a code inside the redeeming transaction (used or not: the caller decides).
pub async fn find_code(tx: &mut Tx, code_hash: &[u8]) -> Result<Option<CodeRow>> {
    q(
        "SELECT code_hash, client_id, user_id, session_id, redirect_uri, scope, nonce, code_challenge,
                auth_time, expires_at, used_at, family_id, org, branch, amr, resource
         FROM authorization_codes WHERE code_hash = $1",
    )
    .bind(code_hash)
    .fetch_optional(&mut *tx)
    .await
}

/// Marks a code used and links the family it produced.
pub async fn mark_code_used(
    tx: &mut Tx,
    code_hash: &[u8],
    family_id: Option<&str>,
    now: i64,
) -> Result<bool> {
    Ok(q(
        "UPDATE authorization_codes SET used_at = $1, family_id = $2 WHERE code_hash = $3 AND used_at IS NULL",
    )
    .bind(now)
    .bind(family_id)
    .bind(code_hash)
    .execute(&mut *tx)
    .await?
        == 1)
}

pub struct NewFamily<'a> {
    pub id: &'a str,
    pub client_id: &'a str,
    pub user_id: &'a str,
    pub session_id: Option<&'a str>,
    pub scope: &'a str,
    pub auth_time: i64,
    pub org: Option<&'a str>,
    pub branch: Option<&'a str>,
    /// The absolute end of the family: no rotation extends it.
    pub expires_at: i64,
    /// How the sign-in authenticated (`domain::amr::AuthMethods`, stored text).
    pub amr: &'a str,
    /// The DPoP key (thumbprint) every refresh of the family must prove (RFC 9449 §5).
    pub dpop_jkt: Option<&'a str>,
    /// The RFC 8707 resource every access token of the family is for (its `aud`).
    pub resource: Option<&'a str>,
}

pub async fn insert_family(tx: &mut Tx, f: &NewFamily<'_>, now: i64) -> Result<()> {
    q(
        "INSERT INTO refresh_families (id, client_id, user_id, session_id, scope, auth_time, created_at,
            org, branch, expires_at, amr, dpop_jkt, resource)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(f.id)
    .bind(f.client_id)
    .bind(f.user_id)
    .bind(f.session_id)
    .bind(f.scope)
    .bind(f.auth_time)
    .bind(now)
    .bind(f.org)
    .bind(f.branch)
    .bind(f.expires_at)
    .bind(f.amr)
    .bind(f.dpop_jkt)
    .bind(f.resource)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Revokes a refresh family and every access token issued in it.
pub async fn revoke_family(tx: &mut Tx, family_id: &str, reason: &str, now: i64) -> Result<()> {
    q(
        "UPDATE refresh_families SET revoked_at = $1, revoked_reason = $2 WHERE id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(reason)
    .bind(family_id)
    .execute(&mut *tx)
    .await?;
    q("UPDATE access_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(family_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

pub async fn insert_refresh_token(
    tx: &mut Tx,
    token_hash: &[u8],
    family_id: &str,
    scope: &str,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    q(
        "INSERT INTO refresh_tokens (token_hash, family_id, scope, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(family_id)
    .bind(scope)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A refresh token with its family, as the refresh grant and introspection need it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshRecord {
    pub family_id: String,
    pub scope: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub issued_at: i64,
    pub family_revoked_at: Option<i64>,
    pub client_id: String,
    pub user_id: String,
    pub session_id: Option<String>,
    pub auth_time: i64,
    /// The family's active business and branch.
    pub org: Option<String>,
    pub branch: Option<String>,
    /// When the family (the whole sign-in) ends.
    pub family_expires_at: i64,
    /// How the sign-in authenticated (`domain::amr::AuthMethods`, stored text).
    pub amr: String,
    /// The DPoP key a refresh must prove, when the family is bound.
    pub dpop_jkt: Option<String>,
    /// The family's RFC 8707 resource (its tokens' `aud`).
    pub resource: Option<String>,
}

const REFRESH_SELECT: &str =
    "SELECT t.family_id, t.scope, t.expires_at, t.used_at, t.created_at AS issued_at,
            f.revoked_at AS family_revoked_at, f.client_id, f.user_id, f.session_id, f.auth_time,
            f.org, f.branch, f.expires_at AS family_expires_at, f.amr, f.dpop_jkt,
            f.resource
     FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id
     WHERE t.token_hash = $1";

pub async fn find_refresh_in_tx(tx: &mut Tx, token_hash: &[u8]) -> Result<Option<RefreshRecord>> {
    q(REFRESH_SELECT)
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await
}

pub async fn find_refresh(pool: &Reader, token_hash: &[u8]) -> Result<Option<RefreshRecord>> {
    q(REFRESH_SELECT)
        .bind(token_hash)
        .fetch_optional(pool)
        .await
}

pub async fn mark_refresh_used(tx: &mut Tx, token_hash: &[u8], now: i64) -> Result<bool> {
    Ok(
        q("UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL")
            .bind(now)
            .bind(token_hash)
            .execute(&mut *tx)
            .await?
            == 1,
    )
}

pub struct NewAccessToken<'a> {
    pub jti: &'a str,
    pub family_id: Option<&'a str>,
    pub client_id: &'a str,
    pub user_id: Option<&'a str>,
    pub expires_at: i64,
}

pub async fn insert_access_token(tx: &mut Tx, t: &NewAccessToken<'_>) -> Result<()> {
    q("DELETE FROM access_tokens WHERE expires_at < $1")
        .bind(t.expires_at - 86_400)
        .execute(&mut *tx)
        .await?;
    q(
        "INSERT INTO access_tokens (jti, family_id, client_id, user_id, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(t.jti)
    .bind(t.family_id)
    .bind(t.client_id)
    .bind(t.user_id)
    .bind(t.expires_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Records an access token as revoked (inserting a row for tokens that had none).
pub async fn revoke_access_token(tx: &mut Tx, t: &NewAccessToken<'_>, now: i64) -> Result<()> {
    q(
        "INSERT INTO access_tokens (jti, family_id, client_id, user_id, expires_at, revoked_at)
         VALUES ($1, NULL, $2, $3, $4, $5)
         ON CONFLICT(jti) DO UPDATE SET revoked_at = COALESCE(access_tokens.revoked_at, excluded.revoked_at)",
    )
    .bind(t.jti)
    .bind(t.client_id)
    .bind(t.user_id)
    .bind(t.expires_at)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// What the store knows of an access token (by jti): whether it was revoked directly or
/// through its family, and its family. A token without a row (client_credentials) is not
/// revoked and has no family.
pub async fn access_token_state(pool: &Reader, jti: &str) -> Result<(bool, Option<String>)> {
    let row: Option<(bool, Option<String>)> = q(
        "SELECT a.revoked_at IS NOT NULL OR COALESCE(f.revoked_at IS NOT NULL, FALSE), a.family_id
         FROM access_tokens a LEFT JOIN refresh_families f ON f.id = a.family_id
         WHERE a.jti = $1",
    )
    .bind(jti)
    .fetch_optional(pool)
    .await?;
    Ok(row.unwrap_or((false, None)))
}

/// Moves a refresh family to another branch (a branch switch).
pub async fn set_family_branch(
    tx: &mut Tx,
    family_id: &str,
    org: &str,
    branch: &str,
) -> Result<()> {
    q("UPDATE refresh_families SET org = $1, branch = $2 WHERE id = $3")
        .bind(org)
        .bind(branch)
        .bind(family_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}
