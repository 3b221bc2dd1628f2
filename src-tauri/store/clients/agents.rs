//! A product's agents (clients of kind `agent`): listed, found and counted here; created
//! with `insert_client`, deleted and rotated with `edit`.

use super::super::Tx;
use crate::store::changes::Topic;
use crate::store::sql::{q, scalar};
use crate::store::{Reader, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgentRow {
    pub client_id: String,
    pub name: String,
    /// JSON list of the scopes it may hold.
    pub scopes: String,
    pub created_at: i64,
}

const SELECT: &str = "SELECT client_id, name, scopes, created_at FROM clients
     WHERE product_id = $1 AND kind = 'agent'";

/// The product's agents, oldest first.
pub async fn list(pool: &Reader, product_id: &str) -> Result<Vec<AgentRow>> {
    q(format!("{SELECT} ORDER BY created_at, client_id"))
        .bind(product_id)
        .fetch_all(pool)
        .await
}

/// The product's agents, inside a write transaction.
pub async fn list_in(tx: &mut Tx, product_id: &str) -> Result<Vec<AgentRow>> {
    q(format!("{SELECT} ORDER BY created_at, client_id"))
        .bind(product_id)
        .fetch_all(&mut *tx)
        .await
}

/// Replaces an agent's scopes (JSON list).
pub async fn set_scopes(tx: &mut Tx, client_id: &str, scopes_json: &str) -> Result<()> {
    tx.announce(Topic::Clients).await?;
    q("UPDATE clients SET scopes = $1 WHERE client_id = $2 AND kind = 'agent'")
        .bind(scopes_json)
        .bind(client_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The product's agent `client_id`, inside a write transaction.
pub async fn find(tx: &mut Tx, product_id: &str, client_id: &str) -> Result<Option<AgentRow>> {
    q(format!("{SELECT} AND client_id = $2"))
        .bind(product_id)
        .bind(client_id)
        .fetch_optional(&mut *tx)
        .await
}

/// How many agents the product has.
pub async fn count(tx: &mut Tx, product_id: &str) -> Result<i64> {
    scalar("SELECT COUNT(*) FROM clients WHERE product_id = $1 AND kind = 'agent'")
        .bind(product_id)
        .fetch_one(&mut *tx)
        .await
}
