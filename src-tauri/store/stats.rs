//! Counts and hourly token figures for the console's dashboard (`GET /v1/stats`).

use crate::store::sql::q;
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
    q("SELECT (SELECT COUNT(*) FROM products) AS products,
                (SELECT COUNT(*) FROM users) AS users,
                (SELECT COUNT(*) FROM businesses) AS businesses,
                (SELECT COUNT(*) FROM signing_keys) AS signing_keys")
    .fetch_one(pool)
    .await
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
    q(
        "SELECT (at / 3600000) * 3600 AS hour, COUNT(*) AS n FROM audit_events
         WHERE type = $1 AND at >= $2 AND at < $3 GROUP BY at / 3600000",
    )
    .bind(kind)
    .bind(from_ms)
    .bind(until_ms)
    .fetch_all(pool)
    .await
}

/// The first-run checklist's figures. A product's sign-in clients are its clients but its
/// server client (the console and admin clients belong to no product).
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Setup {
    /// The oldest product with a sign-in client.
    pub first_product_id: Option<String>,
    /// The `at` (ms) of the oldest `token.issued` event of a product's sign-in client.
    pub first_product_token_at: Option<i64>,
    /// 1 when some membership names a branch, else 0.
    pub branch_membership: bool,
}

/// Cheap enough for every dashboard refresh: products and clients are few; per sign-in
/// client one seek into the `(client_id, at)` index that stops at its first
/// `token.issued`; the membership check stops at the first row with a branch.
pub async fn setup(pool: &Reader) -> Result<Setup> {
    q("SELECT
           (SELECT p.id FROM products p
             WHERE EXISTS (SELECT 1 FROM clients c
                            WHERE c.product_id = p.id AND c.kind <> 'server')
             ORDER BY p.created_at, p.rowid LIMIT 1) AS first_product_id,
           (SELECT MIN((SELECT e.at FROM audit_events e
                         WHERE e.client_id = c.client_id AND e.type = 'token.issued'
                         ORDER BY e.at LIMIT 1))
              FROM clients c
             WHERE c.product_id IS NOT NULL AND c.kind <> 'server') AS first_product_token_at,
           EXISTS (SELECT 1 FROM memberships WHERE branch_id IS NOT NULL) AS branch_membership")
    .fetch_one(pool)
    .await
}
