//! Second factors: TOTP factors, recovery codes (hashed), what a user has enrolled (with
//! the passkeys count), the MFA policy columns, and the pending-interaction and session
//! updates of a multi-factor sign-in.

use super::changes::Topic;
use super::sessions::SessionRow;
use super::sql::{q, scalar};
use super::{Reader, Result, Tx};

/// A user's TOTP factor.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TotpRow {
    /// Sealed with the key-encryption key (aad `totp:` + user id).
    pub secret: Vec<u8>,
    /// The last time step accepted (a code is good only for a later step).
    pub last_step: i64,
}

/// The confirmed TOTP factor of a user, inside a write transaction.
pub async fn find_totp_tx(tx: &mut Tx, user_id: &str) -> Result<Option<TotpRow>> {
    q("SELECT secret, last_step FROM totp_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL")
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await
}

/// Records `step` as accepted, only if it is later than the last accepted step: false
/// when another request spent this step (or a later one) first.
pub async fn accept_totp_step(tx: &mut Tx, user_id: &str, step: i64, now: i64) -> Result<bool> {
    Ok(q("UPDATE totp_factors SET last_step = $1, last_used_at = $2
          WHERE user_id = $3 AND confirmed_at IS NOT NULL AND last_step < $1")
    .bind(step)
    .bind(now)
    .bind(user_id)
    .execute(&mut *tx)
    .await?
        == 1)
}

/// Stores a confirmed TOTP factor (its first code's `step` already spent); false when the
/// user already has a confirmed one (enrolled meanwhile elsewhere).
pub async fn confirm_totp(
    tx: &mut Tx,
    user_id: &str,
    sealed: &[u8],
    step: i64,
    now: i64,
) -> Result<bool> {
    Ok(q(
        "INSERT INTO totp_factors (user_id, secret, confirmed_at, last_step, created_at, last_used_at)
         VALUES ($1, $2, $3, $4, $3, $3)
         ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret,
             confirmed_at = excluded.confirmed_at, last_step = excluded.last_step,
             created_at = excluded.created_at, last_used_at = excluded.last_used_at
         WHERE totp_factors.confirmed_at IS NULL",
    )
    .bind(user_id)
    .bind(sealed)
    .bind(now)
    .bind(step)
    .execute(&mut *tx)
    .await?
        == 1)
}

/// Starts an enrollment on the account page: the sealed secret, unconfirmed (a new start
/// replaces an unconfirmed one); false when the user already has a confirmed factor.
pub async fn start_totp(tx: &mut Tx, user_id: &str, sealed: &[u8], now: i64) -> Result<bool> {
    Ok(q(
        "INSERT INTO totp_factors (user_id, secret, confirmed_at, last_step, created_at)
         VALUES ($1, $2, NULL, 0, $3)
         ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at
         WHERE totp_factors.confirmed_at IS NULL",
    )
    .bind(user_id)
    .bind(sealed)
    .bind(now)
    .execute(&mut *tx)
    .await?
        == 1)
}

/// The sealed secret of a user's unconfirmed enrollment, if any.
pub async fn pending_totp(pool: &Reader, user_id: &str) -> Result<Option<Vec<u8>>> {
    scalar("SELECT secret FROM totp_factors WHERE user_id = $1 AND confirmed_at IS NULL")
        .bind(user_id)
        .fetch_optional(pool)
        .await
}

/// Removes a user's authenticator app and its recovery codes; returns whether there was
/// a confirmed one.
pub async fn remove_totp(tx: &mut Tx, user_id: &str) -> Result<bool> {
    let removed = q("DELETE FROM totp_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    q("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    Ok(removed == 1)
}

/// Replaces every recovery code of a user with `hashes`.
pub async fn replace_recovery_codes(
    tx: &mut Tx,
    user_id: &str,
    hashes: &[Vec<u8>],
    now: i64,
) -> Result<()> {
    q("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    for h in hashes {
        q("INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)")
            .bind(user_id)
            .bind(h.as_slice())
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Spends an unused recovery code; false when there is none with this hash.
pub async fn use_recovery_code(tx: &mut Tx, user_id: &str, hash: &[u8], now: i64) -> Result<bool> {
    Ok(q("UPDATE recovery_codes SET used_at = $1
          WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL")
    .bind(now)
    .bind(user_id)
    .bind(hash)
    .execute(&mut *tx)
    .await?
        == 1)
}

/// What a user has enrolled.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Factors {
    pub user_id: String,
    pub totp: i64,
    pub passkeys: i64,
    pub recovery_codes_left: i64,
}

impl Factors {
    /// Whether the user has any second factor (a confirmed TOTP or a passkey).
    pub fn any(&self) -> bool {
        self.totp > 0 || self.passkeys > 0
    }
}

const FACTORS: &str = "SELECT u.id AS user_id,
    (SELECT count(*) FROM totp_factors t WHERE t.user_id = u.id AND t.confirmed_at IS NOT NULL) AS totp,
    (SELECT count(*) FROM passkeys p WHERE p.user_id = u.id) AS passkeys,
    (SELECT count(*) FROM recovery_codes r WHERE r.user_id = u.id AND r.used_at IS NULL) AS recovery_codes_left
    FROM users u";

/// A user's factors (all zero for an unknown user).
pub async fn factors(pool: &Reader, user_id: &str) -> Result<Factors> {
    let found: Option<Factors> = q(format!("{FACTORS} WHERE u.id = $1"))
        .bind(user_id)
        .fetch_optional(pool)
        .await?;
    Ok(found.unwrap_or_default())
}

/// The factors of several users (one query; users not found are left out).
pub async fn factors_of(pool: &Reader, user_ids: &[String]) -> Result<Vec<Factors>> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = serde_json::to_string(user_ids).unwrap_or_else(|_| "[]".into());
    let filter = pool.engine().pick(
        " WHERE u.id IN (SELECT value FROM json_each($1))",
        " WHERE u.id IN (SELECT jsonb_array_elements_text($1::jsonb))",
    );
    q(format!("{FACTORS}{filter}"))
        .bind(ids)
        .fetch_all(pool)
        .await
}

/// Removes every second factor of a user (TOTP, recovery codes, passkeys); returns how
/// many of each went.
pub async fn reset(tx: &mut Tx, user_id: &str) -> Result<(u64, u64, u64)> {
    let mut counts = [0u64; 3];
    for (i, table) in ["totp_factors", "recovery_codes", "passkeys"]
        .iter()
        .enumerate()
    {
        counts[i] = q(format!("DELETE FROM {table} WHERE user_id = $1"))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
    }
    Ok((counts[0], counts[1], counts[2]))
}

/// Sets `users.mfa_required`; false when there is no such user.
pub async fn set_user_required(
    tx: &mut Tx,
    user_id: &str,
    required: bool,
    now: i64,
) -> Result<bool> {
    Ok(
        q("UPDATE users SET mfa_required = $1, updated_at = $2 WHERE id = $3")
            .bind(required)
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            == 1,
    )
}

/// Sets a product's MFA policy (`optional` or `required`); its clients change, so the
/// cluster is told.
pub async fn set_product_policy(tx: &mut Tx, product_id: &str, mfa: &str) -> Result<()> {
    tx.announce(Topic::Clients).await?;
    q("UPDATE products SET mfa = $1 WHERE id = $2")
        .bind(mfa)
        .bind(product_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Rewrites a pending interaction's request (a second factor moved on); false when the
/// interaction is gone.
pub async fn set_interaction_request(tx: &mut Tx, id: &str, request: &str) -> Result<bool> {
    Ok(q("UPDATE interactions SET request = $1 WHERE id = $2")
        .bind(request)
        .bind(id)
        .execute(&mut *tx)
        .await?
        == 1)
}

/// Step-up: the live session `session_id` of `user_id` now counts `amr`, as of
/// `auth_time`; `None` when it ended meanwhile.
pub async fn upgrade_session(
    tx: &mut Tx,
    session_id: &str,
    user_id: &str,
    amr: &str,
    auth_time: i64,
) -> Result<Option<SessionRow>> {
    q("UPDATE sso_sessions SET amr = $1, auth_time = $2
       WHERE id = $3 AND user_id = $4 AND ended_at IS NULL AND expires_at > $2
       RETURNING id, user_id, auth_time, expires_at, ended_at, amr")
    .bind(amr)
    .bind(auth_time)
    .bind(session_id)
    .bind(user_id)
    .fetch_optional(&mut *tx)
    .await
}
