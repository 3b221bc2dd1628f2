//! Counts and hourly token figures for the console's dashboard (`GET /v1/stats`).

use crate::store::{Reader, Result};

/// How many rows the main tables hold.
#[derive(Debug, Clone, Copy, Default, sqlx::FromRow)]
pub struct Counts {
    pub products: i64,
    pub users: i64,
    pub businesses: i64,
    pub signing_keys: i64,
}

pub async fn counts(pool: &Reader) -> Result<Counts> {
    Ok(sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM products) AS products,
                (SELECT COUNT(*) FROM users) AS users,
                (SELECT COUNT(*) FROM businesses) AS businesses,
                (SELECT COUNT(*) FROM signing_keys) AS signing_keys",
    )
    .fetch_one(pool.pool())
    .await?)
}

/// `(hour start in unix seconds, events)` of audit events of type `kind` with
/// `from_ms <= at < until_ms`, for the hours that have any. A range scan of the
/// `(type, at)` index: no table rows are read.
pub async fn events_per_hour(
    pool: &Reader,
    kind: &str,
    from_ms: i64,
    until_ms: i64,
) -> Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT (at / 3600000) * 3600 AS hour, COUNT(*) AS n FROM audit_events
         WHERE type = ? AND at >= ? AND at < ? GROUP BY at / 3600000",
    )
    .bind(kind)
    .bind(from_ms)
    .bind(until_ms)
    .fetch_all(pool.pool())
    .await?)
}
