//! Changing and deleting products and their clients, and admin-client secrets; every
//! function runs inside the caller's transaction (callers clear the `ClientCache` after).

use super::super::Tx;
use super::ProductRow;
use crate::error::StoreError;
use crate::store::{Reader, Result};

pub async fn find_product_tx(tx: &mut Tx, id: &str) -> Result<Option<ProductRow>> {
    Ok(sqlx::query_as("SELECT * FROM products WHERE id = ?")
        .bind(id)
        .fetch_optional(tx.conn())
        .await?)
}

/// Writes every settable column of a product (the caller merged the change).
pub async fn update_product(tx: &mut Tx, p: &ProductRow) -> Result<()> {
    sqlx::query(
        "UPDATE products SET name = ?, scopes = ?, audience = ?, access_token_ttl = ?,
                             refresh_token_ttl = ?, refresh_family_ttl = ?, updated_at = ?
         WHERE id = ?",
    )
    .bind(&p.name)
    .bind(&p.scopes)
    .bind(&p.audience)
    .bind(p.access_token_ttl)
    .bind(p.refresh_token_ttl)
    .bind(p.refresh_family_ttl)
    .bind(p.updated_at)
    .bind(&p.id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Marks a product changed (e.g. after a redirect URI change).
pub async fn touch_product(tx: &mut Tx, id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE products SET updated_at = ? WHERE id = ?")
        .bind(now)
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Client display names follow the product's name.
pub async fn rename_product_clients(tx: &mut Tx, product_id: &str, name: &str) -> Result<()> {
    sqlx::query("UPDATE clients SET name = ? WHERE product_id = ?")
        .bind(name)
        .bind(product_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// The client id of a product's client of `kind` ("web" or "server").
pub async fn product_client_id(
    tx: &mut Tx,
    product_id: &str,
    kind: &str,
) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT client_id FROM clients WHERE product_id = ? AND kind = ?")
            .bind(product_id)
            .bind(kind)
            .fetch_optional(tx.conn())
            .await?,
    )
}

/// The scopes (JSON list) granted to a product's server client, if it has one.
pub async fn server_client_scopes(tx: &mut Tx, product_id: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT scopes FROM clients WHERE product_id = ? AND kind = 'server'")
            .bind(product_id)
            .fetch_optional(tx.conn())
            .await?,
    )
}

pub async fn set_server_client_scopes(
    tx: &mut Tx,
    product_id: &str,
    scopes_json: &str,
) -> Result<()> {
    sqlx::query("UPDATE clients SET scopes = ? WHERE product_id = ? AND kind = 'server'")
        .bind(scopes_json)
        .bind(product_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Revokes every refresh family of a client and every access token row it has; its
/// client_credentials tokens (which have no row) die when the client row is deleted.
pub async fn revoke_client_tokens(
    tx: &mut Tx,
    client_id: &str,
    reason: &str,
    now: i64,
) -> Result<u64> {
    let families = sqlx::query(
        "UPDATE refresh_families SET revoked_at = ?, revoked_reason = ?
         WHERE client_id = ? AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(reason)
    .bind(client_id)
    .execute(tx.conn())
    .await?
    .rows_affected();
    sqlx::query(
        "UPDATE access_tokens SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(client_id)
    .execute(tx.conn())
    .await?;
    Ok(families)
}

/// Deletes a product; its clients, redirect URIs, codes and refresh families cascade.
pub async fn delete_product(tx: &mut Tx, id: &str) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM products WHERE id = ?")
        .bind(id)
        .execute(tx.conn())
        .await?
        .rows_affected()
        == 1)
}

pub async fn delete_client(tx: &mut Tx, client_id: &str) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM clients WHERE client_id = ?")
        .bind(client_id)
        .execute(tx.conn())
        .await?
        .rows_affected()
        == 1)
}

/// Removes one registered URI; false when it was not registered.
pub async fn delete_redirect_uri(
    tx: &mut Tx,
    client_id: &str,
    kind: &str,
    uri: &str,
) -> Result<bool> {
    Ok(
        sqlx::query(
            "DELETE FROM client_redirect_uris WHERE client_id = ? AND kind = ? AND uri = ?",
        )
        .bind(client_id)
        .bind(kind)
        .bind(uri)
        .execute(tx.conn())
        .await?
        .rows_affected()
            == 1,
    )
}

pub async fn count_redirect_uris(tx: &mut Tx, client_id: &str, kind: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM client_redirect_uris WHERE client_id = ? AND kind = ?",
    )
    .bind(client_id)
    .bind(kind)
    .fetch_one(tx.conn())
    .await?)
}

/// Replaces an admin client's secret hash; false when no admin client has that id.
pub async fn rotate_admin_secret(
    tx: &mut Tx,
    client_id: &str,
    secret_hash: &[u8],
    now: i64,
) -> Result<bool, StoreError> {
    Ok(sqlx::query(
        "UPDATE clients SET secret_hash = ?, secret_rotated_at = ?
         WHERE client_id = ? AND kind = 'admin'",
    )
    .bind(secret_hash)
    .bind(now)
    .bind(client_id)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AdminClientRow {
    pub client_id: String,
    pub name: String,
    pub created_at: i64,
    pub secret_rotated_at: Option<i64>,
}

pub async fn list_admin_clients(pool: &Reader) -> Result<Vec<AdminClientRow>> {
    Ok(sqlx::query_as(
        "SELECT client_id, name, created_at, secret_rotated_at FROM clients
         WHERE kind = 'admin' ORDER BY created_at, client_id",
    )
    .fetch_all(pool.pool())
    .await?)
}

/// The first of `scopes` that another product (not `except_product`) already declares,
/// with that product's name. Scope names are global in tokens and roles, so each belongs
/// to one product; the single writer makes check-then-write race-free.
pub async fn scope_declared_elsewhere(
    tx: &mut Tx,
    scopes: &[String],
    except_product: Option<&str>,
) -> Result<Option<(String, String)>> {
    if scopes.is_empty() {
        return Ok(None);
    }
    let wanted = serde_json::to_string(scopes).unwrap_or_else(|_| "[]".into());
    Ok(sqlx::query_as(
        "SELECT d.value, p.name FROM products p, json_each(p.scopes) d
         WHERE d.value IN (SELECT value FROM json_each(?))
           AND (? IS NULL OR p.id <> ?)
         ORDER BY p.created_at LIMIT 1",
    )
    .bind(wanted)
    .bind(except_product)
    .bind(except_product)
    .fetch_optional(tx.conn())
    .await?)
}
