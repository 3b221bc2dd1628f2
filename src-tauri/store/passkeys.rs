//! WebAuthn credentials (passkeys) and the ceremonies in flight between a challenge and
//! the browser's answer. The credential record is stored sealed (`webauthn::seal`); this
//! module only moves bytes.

use super::Tx;
use crate::store::sql::{q, scalar, Exec};
use crate::store::{Reader, Result};

/// A passkey as stored; `passkey` is the sealed credential record.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PasskeyRow {
    pub id: String,
    pub user_id: String,
    pub credential_id: Vec<u8>,
    pub name: String,
    pub passkey: Vec<u8>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

const COLUMNS: &str = "id, user_id, credential_id, name, passkey, created_at, last_used_at";

pub async fn insert_passkey(tx: &mut Tx, row: &PasskeyRow) -> Result<()> {
    q(
        "INSERT INTO passkeys (id, user_id, credential_id, name, passkey, created_at, last_used_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&row.id)
    .bind(&row.user_id)
    .bind(&row.credential_id)
    .bind(&row.name)
    .bind(&row.passkey)
    .bind(row.created_at)
    .bind(row.last_used_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A user's passkeys, oldest first (a user holds at most a few).
pub async fn user_passkeys(pool: &Reader, user_id: &str) -> Result<Vec<PasskeyRow>> {
    q(format!(
        "SELECT {COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY created_at, id LIMIT 100"
    ))
    .bind(user_id)
    .fetch_all(pool)
    .await
}

/// How many passkeys a user holds (on the reader or inside a transaction).
pub async fn count_user_passkeys<'a>(on: impl Exec<'a>, user_id: &str) -> Result<i64> {
    scalar("SELECT COUNT(*) FROM passkeys WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(on)
        .await
}

/// The passkey with this credential id (credential ids are unique across users).
pub async fn find_by_credential(pool: &Reader, credential_id: &[u8]) -> Result<Option<PasskeyRow>> {
    q(format!(
        "SELECT {COLUMNS} FROM passkeys WHERE credential_id = $1"
    ))
    .bind(credential_id)
    .fetch_optional(pool)
    .await
}

/// Records a use: the updated (sealed) record and the time.
pub async fn record_use(tx: &mut Tx, id: &str, passkey: &[u8], now: i64) -> Result<()> {
    q("UPDATE passkeys SET passkey = $1, last_used_at = $2 WHERE id = $3")
        .bind(passkey)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Renames one of the user's passkeys; false when the user has no such passkey.
pub async fn rename_passkey(tx: &mut Tx, user_id: &str, id: &str, name: &str) -> Result<bool> {
    Ok(
        q("UPDATE passkeys SET name = $1 WHERE id = $2 AND user_id = $3")
            .bind(name)
            .bind(id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            == 1,
    )
}

/// Removes one of the user's passkeys; false when the user has no such passkey.
pub async fn delete_passkey(tx: &mut Tx, user_id: &str, id: &str) -> Result<bool> {
    Ok(q("DELETE FROM passkeys WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        == 1)
}

/// A ceremony in flight: the library's state between the options and the answer.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CeremonyRow {
    pub id: String,
    pub user_id: Option<String>,
    pub kind: String,
    pub state: Vec<u8>,
    pub expires_at: i64,
}

/// Stores a ceremony, sweeping the expired ones on the way in (the table stays small).
pub async fn insert_ceremony(tx: &mut Tx, row: &CeremonyRow, now: i64) -> Result<()> {
    q("DELETE FROM webauthn_ceremonies WHERE expires_at < $1")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    q(
        "INSERT INTO webauthn_ceremonies (id, user_id, kind, state, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&row.id)
    .bind(&row.user_id)
    .bind(&row.kind)
    .bind(&row.state)
    .bind(row.expires_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Takes (deletes and returns) a live ceremony of `kind`: each is answered at most once.
pub async fn take_ceremony(
    tx: &mut Tx,
    id: &str,
    kind: &str,
    now: i64,
) -> Result<Option<CeremonyRow>> {
    let row: Option<CeremonyRow> = q("DELETE FROM webauthn_ceremonies WHERE id = $1 AND kind = $2
         RETURNING id, user_id, kind, state, expires_at")
    .bind(id)
    .bind(kind)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.filter(|r| r.expires_at > now))
}
