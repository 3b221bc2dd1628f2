//! What the audit filters' names stand for: the ids of a user by email, of a product and
//! its clients by name, of a business by name (or each by its id). Exact matches only
//! (case-insensitive), every value a bound parameter: no pattern, nothing to escape.

use crate::store::sql::{q, scalar};
use crate::store::{Reader, Result};

/// Most ids one name may stand for; a name matching more is refused by the caller.
pub const NAME_MATCHES_MAX: i64 = 50;

/// Ids of the user with this email (any case) or id: at most one row each.
pub async fn user_ids(pool: &Reader, value: &str) -> Result<Vec<String>> {
    scalar(pool.engine().pick(
        "SELECT id FROM users WHERE email = $1 OR id = $1 LIMIT $2",
        "SELECT id FROM users WHERE lower(email) = lower($1) OR id = $1 LIMIT $2",
    ))
    .bind(value)
    .bind(NAME_MATCHES_MAX + 1)
    .fetch_all(pool)
    .await
}

/// `(product id, client id)` of every client of the products with this id or name (a
/// product without clients once, with `None`).
pub async fn product_ids(pool: &Reader, value: &str) -> Result<Vec<(String, Option<String>)>> {
    q(pool.engine().pick(
        "SELECT p.id, c.client_id FROM products p LEFT JOIN clients c ON c.product_id = p.id
         WHERE p.id = $1 OR p.name = $1 COLLATE NOCASE LIMIT $2",
        "SELECT p.id, c.client_id FROM products p LEFT JOIN clients c ON c.product_id = p.id
         WHERE p.id = $1 OR lower(p.name) = lower($1) LIMIT $2",
    ))
    .bind(value)
    .bind(NAME_MATCHES_MAX + 1)
    .fetch_all(pool)
    .await
}

/// Ids of the businesses with this id or name.
pub async fn business_ids(pool: &Reader, value: &str) -> Result<Vec<String>> {
    scalar(pool.engine().pick(
        "SELECT id FROM businesses WHERE id = $1 OR name = $1 COLLATE NOCASE LIMIT $2",
        "SELECT id FROM businesses WHERE id = $1 OR lower(name) = lower($1) LIMIT $2",
    ))
    .bind(value)
    .bind(NAME_MATCHES_MAX + 1)
    .fetch_all(pool)
    .await
}
