//! SSO sessions (the browser's signed-in state) and pending login interactions.

use super::Tx;
use crate::store::sql::{q, scalar};
use crate::store::{Reader, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub auth_time: i64,
    pub expires_at: i64,
    pub ended_at: Option<i64>,
    /// How the sign-in authenticated (`domain::amr::AuthMethods`, stored text).
    pub amr: String,
}

pub struct NewSession<'a> {
    pub id: &'a str,
    pub token_hash: &'a [u8],
    pub user_id: &'a str,
    pub auth_time: i64,
    pub expires_at: i64,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    /// How the sign-in authenticated (`domain::amr::AuthMethods`, stored text).
    pub amr: &'a str,
}

pub async fn insert_session(tx: &mut Tx, s: &NewSession<'_>) -> Result<()> {
    q(
        "INSERT INTO sso_sessions (id, token_hash, user_id, auth_time, created_at, expires_at, ip, user_agent, amr)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(s.id)
    .bind(s.token_hash)
    .bind(s.user_id)
    .bind(s.auth_time)
    .bind(s.auth_time)
    .bind(s.expires_at)
    .bind(s.ip)
    .bind(s.user_agent)
    .bind(s.amr)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The live session behind a cookie token hash (not ended, not expired).
pub async fn find_live_session(
    pool: &Reader,
    token_hash: &[u8],
    now: i64,
) -> Result<Option<SessionRow>> {
    q(
        "SELECT id, user_id, auth_time, expires_at, ended_at, amr FROM sso_sessions
         WHERE token_hash = $1 AND ended_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(pool)
    .await
}

/// An SSO session just ended, with how many refresh families went with it.
#[derive(Debug, Clone)]
pub struct EndedSession {
    pub id: String,
    pub user_id: String,
    pub families_revoked: u64,
}

/// Ends the session behind a cookie token hash (unless already ended) and revokes the
/// refresh families started in it and their access tokens, inside the caller's
/// transaction: a sign-out never leaves a family alive that outlives its session.
pub async fn end_session_by_token(
    tx: &mut Tx,
    token_hash: &[u8],
    reason: &str,
    now: i64,
) -> Result<Option<EndedSession>> {
    let ended: Option<(String, String)> = q(
        "UPDATE sso_sessions SET ended_at = $1 WHERE token_hash = $2 AND ended_at IS NULL
         RETURNING id, user_id",
    )
    .bind(now)
    .bind(token_hash)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id, user_id)) = ended else {
        return Ok(None);
    };
    let families_revoked = revoke_user_families(tx, &user_id, Some(&id), reason, now).await?;
    Ok(Some(EndedSession {
        id,
        user_id,
        families_revoked,
    }))
}

pub async fn end_user_sessions(tx: &mut Tx, user_id: &str, now: i64) -> Result<u64> {
    q("UPDATE sso_sessions SET ended_at = $1 WHERE user_id = $2 AND ended_at IS NULL")
        .bind(now)
        .bind(user_id)
        .execute(&mut *tx)
        .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InteractionRow {
    pub id: String,
    pub csrf_token: String,
    pub client_id: String,
    pub request: String,
    pub expires_at: i64,
}

pub async fn insert_interaction(tx: &mut Tx, row: &InteractionRow, now: i64) -> Result<()> {
    // Expired interactions are swept on the way in, so the table stays small.
    q("DELETE FROM interactions WHERE expires_at < $1")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    q(
        "INSERT INTO interactions (id, csrf_token, client_id, request, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&row.id)
    .bind(&row.csrf_token)
    .bind(&row.client_id)
    .bind(&row.request)
    .bind(now)
    .bind(row.expires_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub async fn find_interaction(pool: &Reader, id: &str, now: i64) -> Result<Option<InteractionRow>> {
    q(
        "SELECT id, csrf_token, client_id, request, expires_at FROM interactions
         WHERE id = $1 AND expires_at > $2",
    )
    .bind(id)
    .bind(now)
    .fetch_optional(pool)
    .await
}

pub async fn delete_interaction(tx: &mut Tx, id: &str) -> Result<bool> {
    Ok(q("DELETE FROM interactions WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?
        == 1)
}

/// An SSO session as the admin API lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionInfo {
    pub id: String,
    pub created_at: i64,
    pub auth_time: i64,
    pub expires_at: i64,
    pub ended_at: Option<i64>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A user's SSO sessions, newest first (at most `limit`).
pub async fn list_user_sessions(
    pool: &Reader,
    user_id: &str,
    limit: i64,
) -> Result<Vec<SessionInfo>> {
    q(
        "SELECT id, created_at, auth_time, expires_at, ended_at, ip, user_agent
         FROM sso_sessions WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(user_id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Ends one session of a user; false when the user has no such session (ended or not).
pub async fn end_user_session(
    tx: &mut Tx,
    user_id: &str,
    session_id: &str,
    now: i64,
) -> Result<bool> {
    let found: Option<String> = scalar(
        "UPDATE sso_sessions SET ended_at = COALESCE(ended_at, $1)
         WHERE id = $2 AND user_id = $3 RETURNING id",
    )
    .bind(now)
    .bind(session_id)
    .bind(user_id)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(found.is_some())
}

/// Revokes every live refresh family of a user and all the user's access tokens; with a
/// session, only the families started in it and their access tokens. Returns the families.
pub async fn revoke_user_families(
    tx: &mut Tx,
    user_id: &str,
    session_id: Option<&str>,
    reason: &str,
    now: i64,
) -> Result<u64> {
    let n = q(
        "UPDATE refresh_families SET revoked_at = $1, revoked_reason = $2
         WHERE user_id = $3 AND ($4 IS NULL OR session_id = $5) AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(reason)
    .bind(user_id)
    .bind(session_id)
    .bind(session_id)
    .execute(&mut *tx)
    .await?;
    q(
        "UPDATE access_tokens SET revoked_at = $1
         WHERE revoked_at IS NULL AND (($3 IS NULL AND user_id = $2) OR family_id IN
             (SELECT id FROM refresh_families WHERE user_id = $2 AND ($3 IS NULL OR session_id = $3)))",
    )
    .bind(now)
    .bind(user_id)
    .bind(session_id)
    .execute(&mut *tx)
    .await?;
    Ok(n)
}
