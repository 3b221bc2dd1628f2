//! Identifiers that may be used once: a client assertion's `jti` (RFC 7523 §3 item 7), a
//! DPoP proof's `jti` (RFC 9449 §11.1). Each is kept until the token that carried it
//! expires; after that the token itself is refused, so the row can go.

use super::sql::q;
use super::{Db, Result, Tx};

/// What kind of identifier a row is (the `purpose` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    ClientAssertion,
    DpopProof,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::ClientAssertion => "client_assertion",
            Purpose::DpopProof => "dpop_proof",
        }
    }
}

/// Records `key` as used until `expires_at`; `false` when it was already used and has
/// not expired yet (a replay). Decided by one statement inside the caller's transaction,
/// so two nodes (or two requests) presenting the same identifier cannot both win.
pub async fn spend(
    tx: &mut Tx,
    purpose: Purpose,
    key: &str,
    expires_at: i64,
    now: i64,
) -> Result<bool> {
    let n = q(
        "INSERT INTO used_jtis (purpose, key, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (purpose, key) DO UPDATE SET expires_at = excluded.expires_at
         WHERE used_jtis.expires_at <= $4",
    )
    .bind(purpose.as_str())
    .bind(key)
    .bind(expires_at)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(n == 1)
}

/// Forgets identifiers whose tokens have expired (the maintenance job).
pub async fn prune(db: &Db, now: i64) -> Result<u64> {
    let mut tx = db.begin().await?;
    let n = q("DELETE FROM used_jtis WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(n)
}
