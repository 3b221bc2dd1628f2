//! Changing and deleting products and their clients, and admin-client secrets; every
//! function runs inside the caller's transaction (callers clear the `ClientCache` after;
//! the changes announce themselves to the other nodes of a cluster).

use super::super::Tx;
use super::{AppSettings, ProductRow};
use crate::error::StoreError;
use crate::store::changes::Topic;
use crate::store::sql::{q, scalar};
use crate::store::{to_json_list, Reader, Result};

pub async fn find_product_tx(tx: &mut Tx, id: &str) -> Result<Option<ProductRow>> {
    q("SELECT * FROM products WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
}

/// Writes every settable column of a product (the caller merged the change).
pub async fn update_product(tx: &mut Tx, p: &ProductRow) -> Result<()> {
    tx.announce(Topic::Clients).await?;
    q(
        "UPDATE products SET name = $1, scopes = $2, audience = $3, access_token_ttl = $4,
                             refresh_token_ttl = $5, refresh_family_ttl = $6, updated_at = $7,
                             resources = $9
         WHERE id = $8",
    )
    .bind(&p.name)
    .bind(&p.scopes)
    .bind(&p.audience)
    .bind(p.access_token_ttl)
    .bind(p.refresh_token_ttl)
    .bind(p.refresh_family_ttl)
    .bind(p.updated_at)
    .bind(&p.id)
    .bind(&p.resources)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Marks a product changed (e.g. after a redirect URI change).
pub async fn touch_product(tx: &mut Tx, id: &str, now: i64) -> Result<()> {
    tx.announce(Topic::Clients).await?;
    q("UPDATE products SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Client display names follow the product's name (agents keep their own).
pub async fn rename_product_clients(tx: &mut Tx, product_id: &str, name: &str) -> Result<()> {
    tx.announce(Topic::Clients).await?;
    q("UPDATE clients SET name = $1 WHERE product_id = $2 AND kind IN ('web', 'server')")
        .bind(name)
        .bind(product_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The client id of a product's client of `kind` ("web" or "server").
pub async fn product_client_id(
    tx: &mut Tx,
    product_id: &str,
    kind: &str,
) -> Result<Option<String>> {
    scalar("SELECT client_id FROM clients WHERE product_id = $1 AND kind = $2")
        .bind(product_id)
        .bind(kind)
        .fetch_optional(&mut *tx)
        .await
}

/// The scopes (JSON list) granted to a product's server client, if it has one.
pub async fn server_client_scopes(tx: &mut Tx, product_id: &str) -> Result<Option<String>> {
    scalar("SELECT scopes FROM clients WHERE product_id = $1 AND kind = 'server'")
        .bind(product_id)
        .fetch_optional(&mut *tx)
        .await
}

pub async fn set_server_client_scopes(
    tx: &mut Tx,
    product_id: &str,
    scopes_json: &str,
) -> Result<()> {
    tx.announce(Topic::Clients).await?;
    q("UPDATE clients SET scopes = $1 WHERE product_id = $2 AND kind = 'server'")
        .bind(scopes_json)
        .bind(product_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Allows or forbids a product's server client token exchange (RFC 8693); false when
/// the product has no server client.
pub async fn set_server_token_exchange(tx: &mut Tx, product_id: &str, on: bool) -> Result<bool> {
    tx.announce(Topic::Clients).await?;
    Ok(
        q("UPDATE clients SET token_exchange = $1 WHERE product_id = $2 AND kind = 'server'")
            .bind(on)
            .bind(product_id)
            .execute(&mut *tx)
            .await?
            == 1,
    )
}

/// Revokes every refresh family of a client and every access token row it has; its
/// client_credentials tokens (which have no row) die when the client row is deleted.
pub async fn revoke_client_tokens(
    tx: &mut Tx,
    client_id: &str,
    reason: &str,
    now: i64,
) -> Result<u64> {
    let families = q(
        "UPDATE refresh_families SET revoked_at = $1, revoked_reason = $2
         WHERE client_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(reason)
    .bind(client_id)
    .execute(&mut *tx)
    .await?;
    q("UPDATE access_tokens SET revoked_at = $1 WHERE client_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(client_id)
        .execute(&mut *tx)
        .await?;
    Ok(families)
}

/// Deletes a product; its clients, redirect URIs, codes and refresh families cascade.
pub async fn delete_product(tx: &mut Tx, id: &str) -> Result<bool> {
    tx.announce(Topic::Clients).await?;
    Ok(q("DELETE FROM products WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?
        == 1)
}

pub async fn delete_client(tx: &mut Tx, client_id: &str) -> Result<bool> {
    tx.announce(Topic::Clients).await?;
    Ok(q("DELETE FROM clients WHERE client_id = $1")
        .bind(client_id)
        .execute(&mut *tx)
        .await?
        == 1)
}

/// Removes one registered URI; false when it was not registered.
pub async fn delete_redirect_uri(
    tx: &mut Tx,
    client_id: &str,
    kind: &str,
    uri: &str,
) -> Result<bool> {
    tx.announce(Topic::Clients).await?;
    Ok(
        q("DELETE FROM client_redirect_uris WHERE client_id = $1 AND kind = $2 AND uri = $3")
            .bind(client_id)
            .bind(kind)
            .bind(uri)
            .execute(&mut *tx)
            .await?
            == 1,
    )
}

pub async fn count_redirect_uris(tx: &mut Tx, client_id: &str, kind: &str) -> Result<i64> {
    scalar("SELECT COUNT(*) FROM client_redirect_uris WHERE client_id = $1 AND kind = $2")
        .bind(client_id)
        .bind(kind)
        .fetch_one(&mut *tx)
        .await
}

/// Replaces an admin client's secret hash; false when no admin client has that id.
pub async fn rotate_admin_secret(
    tx: &mut Tx,
    client_id: &str,
    secret_hash: &[u8],
    now: i64,
) -> Result<bool, StoreError> {
    rotate_secret(tx, client_id, "admin", secret_hash, now).await
}

/// Replaces the secret hash of the client `client_id` of `kind`; false when there is no
/// such client.
pub async fn rotate_secret(
    tx: &mut Tx,
    client_id: &str,
    kind: &str,
    secret_hash: &[u8],
    now: i64,
) -> Result<bool, StoreError> {
    tx.announce(Topic::Clients).await?;
    Ok(
        q("UPDATE clients SET secret_hash = $1, secret_rotated_at = $2
         WHERE client_id = $3 AND kind = $4")
        .bind(secret_hash)
        .bind(now)
        .bind(client_id)
        .bind(kind)
        .execute(&mut *tx)
        .await?
            == 1,
    )
}

/// Every redirect URI of a client, login and post-logout.
pub async fn all_redirect_uris(tx: &mut Tx, client_id: &str) -> Result<Vec<String>> {
    scalar("SELECT uri FROM client_redirect_uris WHERE client_id = $1 ORDER BY rowid")
        .bind(client_id)
        .fetch_all(&mut *tx)
        .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AdminClientRow {
    pub client_id: String,
    pub name: String,
    pub created_at: i64,
    pub secret_rotated_at: Option<i64>,
}

pub async fn list_admin_clients(pool: &Reader) -> Result<Vec<AdminClientRow>> {
    q(
        "SELECT client_id, name, created_at, secret_rotated_at FROM clients
         WHERE kind = 'admin' ORDER BY created_at, client_id",
    )
    .fetch_all(pool)
    .await
}

/// The first of `scopes` that another product (not `except_product`) already declares,
/// with that product's name. Scope names are global in tokens and roles, so each belongs
/// to one product; the single writer makes check-then-write race-free.
pub async fn scope_declared_elsewhere(
    tx: &mut Tx,
    scopes: &[String],
    except_product: Option<&str>,
) -> Result<Option<(String, String)>> {
    let sql = (
        "SELECT d.value, p.name FROM products p, json_each(p.scopes) d
         WHERE d.value IN (SELECT value FROM json_each($1))
           AND ($2 IS NULL OR p.id <> $3)
         ORDER BY p.created_at LIMIT 1",
        "SELECT d.value, p.name FROM products p, jsonb_array_elements_text(p.scopes::jsonb) d(value)
         WHERE d.value IN (SELECT jsonb_array_elements_text($1::jsonb))
           AND ($2::text IS NULL OR p.id <> $3)
         ORDER BY p.created_at LIMIT 1",
    );
    first_taken(tx, sql, scopes, except_product).await
}

/// The first of `targets` (RFC 8707 resources) that another product (not
/// `except_product`) already serves as its audience or one of its resources, with that
/// product's name: a resource names one product's API, so a token for it has one meaning.
pub async fn target_served_elsewhere(
    tx: &mut Tx,
    targets: &[String],
    except_product: Option<&str>,
) -> Result<Option<(String, String)>> {
    let sql = (
        "SELECT t.value, p.name FROM products p,
             (SELECT o.id AS pid, d.value AS value FROM products o, json_each(o.resources) d
              UNION ALL SELECT id, audience FROM products WHERE audience IS NOT NULL) t
         WHERE t.pid = p.id AND t.value IN (SELECT value FROM json_each($1))
           AND ($2 IS NULL OR p.id <> $3)
         ORDER BY p.created_at LIMIT 1",
        "SELECT t.value, p.name FROM products p,
             (SELECT o.id AS pid, d.value AS value
              FROM products o, jsonb_array_elements_text(o.resources::jsonb) d(value)
              UNION ALL SELECT id, audience FROM products WHERE audience IS NOT NULL) t
         WHERE t.pid = p.id AND t.value IN (SELECT jsonb_array_elements_text($1::jsonb))
           AND ($2::text IS NULL OR p.id <> $3)
         ORDER BY p.created_at LIMIT 1",
    );
    first_taken(tx, sql, targets, except_product).await
}

/// Runs a `(SQLite, PostgreSQL)` lookup of `values` (`$1`, a JSON list) in products other
/// than `except_product` (`$2`, `$3`): the first (value, product name) found.
async fn first_taken(
    tx: &mut Tx,
    (sqlite, postgres): (&'static str, &'static str),
    values: &[String],
    except_product: Option<&str>,
) -> Result<Option<(String, String)>> {
    if values.is_empty() {
        return Ok(None);
    }
    let wanted = serde_json::to_string(values).unwrap_or_else(|_| "[]".into());
    q(tx.engine().pick(sqlite, postgres))
        .bind(wanted)
        .bind(except_product)
        .bind(except_product)
        .fetch_optional(&mut *tx)
        .await
}

/// Stores a web client's app settings and, when `secret_hash` is `Some`, its new secret
/// hash (`Some(None)` drops the secret: the client no longer uses one). Announced to the
/// cluster so every node reloads the client.
pub async fn set_app_settings(
    tx: &mut Tx,
    client_id: &str,
    app: &AppSettings,
    secret_hash: Option<Option<&[u8]>>,
    now: i64,
) -> Result<()> {
    tx.announce(Topic::Clients).await?;
    q(
        "UPDATE clients SET token_endpoint_auth_method = $1, application_type = $2,
            allowed_origins = $3, require_par = $4, dpop_bound = $5, jwks = $6, jwks_uri = $7
         WHERE client_id = $8",
    )
    .bind(app.token_auth.as_str())
    .bind(app.application_type.as_str())
    .bind(app.allowed_origins.as_deref().map(to_json_list))
    .bind(app.require_par)
    .bind(app.dpop_bound)
    .bind(app.jwks.as_deref())
    .bind(app.jwks_uri.as_deref())
    .bind(client_id)
    .execute(&mut *tx)
    .await?;
    if let Some(hash) = secret_hash {
        q("UPDATE clients SET secret_hash = $1, secret_rotated_at = $2 WHERE client_id = $3")
            .bind(hash)
            .bind(now)
            .bind(client_id)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}
