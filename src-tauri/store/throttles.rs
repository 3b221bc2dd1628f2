//! Throttle counters (`throttles`): one indexed read per sign-in attempt, one atomic upsert
//! per failure. Every rule is computed inside the statement (no read-modify-write), so the
//! nodes sharing one PostgreSQL database count together.

use super::sql::q;
use super::{Db, Tx};
use crate::domain::throttle::{
    Counter, Rule, Scope, BASE_BACKOFF_SECS, FORGET_AFTER_SECS, MAX_BACKOFF_SECS,
};
use crate::store::{Reader, Result};

/// A stored counter found for one of the keys asked about.
#[derive(Debug, Clone)]
pub struct Found {
    pub scope: Scope,
    pub key: String,
    pub failures: i64,
    pub until: i64,
}

/// The counters of `keys` (at most one row each, by primary key).
pub async fn find(pool: &Reader, keys: &[(Scope, &str)]) -> Result<Vec<Found>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = q("");
    for (i, (scope, key)) in keys.iter().enumerate() {
        if i > 0 {
            q.push(" UNION ALL ");
        }
        q.push("SELECT scope, key, failures, until FROM throttles WHERE scope = ")
            .push_bind(scope.as_str())
            .push(" AND key = ")
            .push_bind(*key);
    }
    let rows: Vec<(String, String, i64, i64)> = q.fetch_all(pool).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(scope, key, failures, until)| {
            Some(Found {
                scope: Scope::parse(&scope)?,
                key,
                failures,
                until,
            })
        })
        .collect())
}

/// The same rule as [`Counter::fail`], in one statement. `restart`: the row is idle
/// (forgotten) or its window is over; `trip`: this failure reaches the limit while the
/// key is not throttled; `$backoff` the backoff expression (engines name `min` differently).
/// `$3` now, `$4` window, `$5` limit, `$6` forget after, `$7`
/// base backoff, `$8` max backoff.
macro_rules! record_failure {
    ($backoff:literal) => {
        concat!(
            "
INSERT INTO throttles AS t (scope, key, failures, window_start, strikes, until, throttled_at,
                       tripped, updated_at)
VALUES ($1, $2, 1, $3, 0, 0, 0, FALSE, $3)
ON CONFLICT (scope, key) DO UPDATE SET
  failures = CASE WHEN $3 - t.updated_at >= $6 OR $3 - t.window_start >= $4 THEN 1
                  ELSE t.failures + 1 END,
  window_start = CASE WHEN $3 - t.updated_at >= $6 OR $3 - t.window_start >= $4 THEN $3
                      ELSE t.window_start END,
  strikes = CASE WHEN $3 - t.updated_at >= $6 THEN 0
                 WHEN $3 - t.window_start < $4 AND t.failures + 1 >= $5 AND t.until <= $3
                   THEN t.strikes + 1
                 ELSE t.strikes END,
  until = CASE WHEN $3 - t.updated_at >= $6 THEN 0
               WHEN $3 - t.window_start < $4 AND t.failures + 1 >= $5 AND t.until <= $3
                 THEN $3 + ",
            $backoff,
            "
               ELSE t.until END,
  throttled_at = CASE WHEN $3 - t.updated_at >= $6 THEN 0
                      WHEN $3 - t.window_start < $4 AND t.failures + 1 >= $5 AND t.until <= $3
                        THEN $3
                      ELSE t.throttled_at END,
  tripped = ($3 - t.updated_at < $6 AND $3 - t.window_start < $4 AND t.failures + 1 >= $5
             AND t.until <= $3),
  updated_at = $3
RETURNING failures, window_start, strikes, until, throttled_at, tripped, updated_at"
        )
    };
}

const RECORD_FAILURE_SQLITE: &str = record_failure!("min($7 << min(max(t.strikes, 0), 10), $8)");
const RECORD_FAILURE_POSTGRES: &str =
    record_failure!("LEAST($7 << LEAST(GREATEST(t.strikes, 0), 10)::int, $8)");

/// Counts one failure for (scope, key) at `now`; returns the counter and whether this
/// failure began a throttle.
pub async fn record_failure(
    tx: &mut Tx,
    scope: Scope,
    key: &str,
    rule: Rule,
    now: i64,
) -> Result<(Counter, bool)> {
    let (failures, window_start, strikes, until, throttled_at, tripped, updated_at): (
        i64,
        i64,
        i64,
        i64,
        i64,
        bool,
        i64,
    ) = q(tx
        .engine()
        .pick(RECORD_FAILURE_SQLITE, RECORD_FAILURE_POSTGRES))
    .bind(scope.as_str())
    .bind(key)
    .bind(now)
    .bind(rule.window_secs)
    .bind(rule.failures)
    .bind(FORGET_AFTER_SECS)
    .bind(BASE_BACKOFF_SECS)
    .bind(MAX_BACKOFF_SECS)
    .fetch_one(&mut *tx)
    .await?;
    let counter = Counter {
        failures,
        window_start,
        strikes,
        until,
        throttled_at,
        updated_at,
    };
    Ok((counter, tripped))
}

/// Forgets (scope, key): failures and backoff. False when there was nothing to forget.
pub async fn clear(tx: &mut Tx, scope: Scope, key: &str) -> Result<bool> {
    let res = q("DELETE FROM throttles WHERE scope = $1 AND key = $2")
        .bind(scope.as_str())
        .bind(key)
        .execute(&mut *tx)
        .await?;
    Ok(res > 0)
}

/// A key throttled now, with the account's email when the key is a user id.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Listed {
    pub scope: String,
    pub key: String,
    pub email: Option<String>,
    pub failures: i64,
    pub until: i64,
}

/// The most keys one listing returns.
const MAX_LISTED: i64 = 1000;

/// Keys throttled at `now`, the most recently throttled first.
pub async fn list_throttled(pool: &Reader, now: i64) -> Result<Vec<Listed>> {
    q("SELECT t.scope, t.key, u.email, t.failures, t.until
           FROM throttles t
           LEFT JOIN users u ON t.scope = 'account' AND u.id = t.key
          WHERE t.until > $1
          ORDER BY t.throttled_at DESC, t.scope, t.key
          LIMIT $2")
    .bind(now)
    .bind(MAX_LISTED)
    .fetch_all(pool)
    .await
}

/// Deletes counters that are neither throttled nor recent enough to matter.
pub async fn prune(db: &Db, now: i64) -> Result<u64> {
    let mut tx = db.begin().await?;
    let res = q("DELETE FROM throttles WHERE until <= $1 AND updated_at <= $2")
        .bind(now)
        .bind(now - FORGET_AFTER_SECS)
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::throttle::{ACCOUNT, IP};

    /// The statement and the pure rule agree on a long irregular sequence of failures.
    #[tokio::test]
    async fn upsert_matches_the_rule() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Db::open(dir.path(), None).await.expect("open db");
        for (scope, rule) in [(Scope::Account, ACCOUNT), (Scope::Ip, IP)] {
            let mut model: Option<Counter> = None;
            let (mut trips, mut max_strikes) = (0, 0);
            let mut t = 1_000_000;
            // Bursts, pauses past a backoff or a window, and an idle hour.
            let mut gaps = Vec::new();
            for pause in [0, 61, 125, 3, 250, 490, 905, 3600] {
                gaps.push(pause);
                gaps.extend([0; 21]);
            }
            for (i, gap) in gaps.iter().cycle().take(500).enumerate() {
                t += gap + i64::from(i % 3 == 0);
                let (expected, expected_trip) = Counter::fail(model, rule, t);
                let mut tx = db.begin().await.expect("tx");
                let got = record_failure(&mut tx, scope, "k", rule, t)
                    .await
                    .expect("upsert");
                tx.commit().await.expect("commit");
                assert_eq!(got, (expected, expected_trip), "step {i} at {t}");
                trips += i32::from(expected_trip);
                max_strikes = max_strikes.max(expected.strikes);
                model = Some(expected);
            }
            // The sequence reaches throttles, growing backoffs and resets.
            assert!(
                trips >= 3 && max_strikes >= 2,
                "{trips} trips, {max_strikes} strikes"
            );
        }
        db.close().await;
    }
}
