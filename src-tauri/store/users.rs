//! Users: create, look up, list, update, suspend, delete.

use super::Tx;
use crate::error::StoreError;
use crate::store::{is_unique, Reader, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub locale: Option<String>,
    pub email_verified: bool,
    pub password_hash: String,
    pub status: String,
    pub is_superadmin: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl UserRow {
    pub fn is_active(&self) -> bool {
        self.status == "active"
    }
}

pub struct NewUser<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub name: Option<&'a str>,
    pub password_hash: &'a str,
    pub is_superadmin: bool,
    pub now: i64,
}

pub async fn insert_user(tx: &mut Tx, u: &NewUser<'_>) -> Result<(), StoreError> {
    let res = sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, is_superadmin, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(u.id)
    .bind(u.email)
    .bind(u.name)
    .bind(u.password_hash)
    .bind(u.is_superadmin)
    .bind(u.now)
    .bind(u.now)
    .execute(tx.conn())
    .await;
    match res {
        Ok(_) => Ok(()),
        Err(e) if is_unique(&e) => Err(StoreError::Conflict(format!(
            "a user with email {} already exists",
            u.email
        ))),
        Err(e) => Err(e.into()),
    }
}

pub async fn find_user(pool: &Reader, id: &str) -> Result<Option<UserRow>> {
    Ok(sqlx::query_as("SELECT * FROM users WHERE id = ?")
        .bind(id)
        .fetch_optional(pool.pool())
        .await?)
}

pub async fn find_user_by_email(pool: &Reader, email: &str) -> Result<Option<UserRow>> {
    Ok(sqlx::query_as("SELECT * FROM users WHERE email = ?")
        .bind(email)
        .fetch_optional(pool.pool())
        .await?)
}

/// Sets the status and returns the updated row (None for an unknown id).
pub async fn set_user_status(
    tx: &mut Tx,
    id: &str,
    status: &str,
    now: i64,
) -> Result<Option<UserRow>> {
    Ok(
        sqlx::query_as("UPDATE users SET status = ?, updated_at = ? WHERE id = ? RETURNING *")
            .bind(status)
            .bind(now)
            .bind(id)
            .fetch_optional(tx.conn())
            .await?,
    )
}

/// Status of a user inside a transaction (for checks that must see committed state).
pub async fn user_status(tx: &mut Tx, id: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT status FROM users WHERE id = ?")
        .bind(id)
        .fetch_optional(tx.conn())
        .await?)
}

/// Profile changes; `None` leaves a column as it is, `Some(None)` clears it.
#[derive(Debug, Default)]
pub struct ProfileChange {
    pub name: Option<Option<String>>,
    pub given_name: Option<Option<String>>,
    pub family_name: Option<Option<String>>,
    pub locale: Option<Option<String>>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
}

/// Applies a profile change and returns the updated row (None for an unknown id);
/// a taken email is a `Conflict`.
pub async fn update_profile(
    tx: &mut Tx,
    id: &str,
    c: &ProfileChange,
    now: i64,
) -> Result<Option<UserRow>, StoreError> {
    let res = sqlx::query_as(
        "UPDATE users SET
            name = CASE WHEN ? THEN ? ELSE name END,
            given_name = CASE WHEN ? THEN ? ELSE given_name END,
            family_name = CASE WHEN ? THEN ? ELSE family_name END,
            locale = CASE WHEN ? THEN ? ELSE locale END,
            email = COALESCE(?, email),
            email_verified = COALESCE(?, email_verified),
            updated_at = ?
         WHERE id = ? RETURNING *",
    )
    .bind(c.name.is_some())
    .bind(c.name.clone().flatten())
    .bind(c.given_name.is_some())
    .bind(c.given_name.clone().flatten())
    .bind(c.family_name.is_some())
    .bind(c.family_name.clone().flatten())
    .bind(c.locale.is_some())
    .bind(c.locale.clone().flatten())
    .bind(c.email.as_deref())
    .bind(c.email_verified)
    .bind(now)
    .bind(id)
    .fetch_optional(tx.conn())
    .await;
    match res {
        Ok(row) => Ok(row),
        Err(e) if is_unique(&e) => Err(StoreError::Conflict(
            "a user with this email already exists".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Replaces the password hash; false for an unknown id.
pub async fn set_password_hash(tx: &mut Tx, id: &str, hash: &str, now: i64) -> Result<bool> {
    Ok(
        sqlx::query("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?")
            .bind(hash)
            .bind(now)
            .bind(id)
            .execute(tx.conn())
            .await?
            .rows_affected()
            == 1,
    )
}

/// Deletes a user; sessions, codes, refresh families and memberships go with it
/// (foreign keys cascade). Returns the deleted user's email (None for an unknown id).
pub async fn delete_user(tx: &mut Tx, id: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("DELETE FROM users WHERE id = ? RETURNING email")
            .bind(id)
            .fetch_optional(tx.conn())
            .await?,
    )
}

/// A page of the user list: substring search (LIKE: case-insensitive for ASCII) on email and name,
/// optional status, ordered by id (UUIDv7, so by creation), starting after `after`.
pub async fn list_users(
    pool: &Reader,
    q: Option<&str>,
    status: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<UserRow>> {
    let pattern = q.map(|q| {
        let escaped = q
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    });
    Ok(sqlx::query_as(
        "SELECT * FROM users
         WHERE (?1 IS NULL OR email LIKE ?1 ESCAPE '\\' OR COALESCE(name, '') LIKE ?1 ESCAPE '\\')
           AND (?2 IS NULL OR status = ?2)
           AND (?3 IS NULL OR id > ?3)
         ORDER BY id LIMIT ?4",
    )
    .bind(pattern)
    .bind(status)
    .bind(after)
    .bind(limit)
    .fetch_all(pool.pool())
    .await?)
}

/// Any super-admin, active or suspended (first-run setup happens once).
const SUPERADMIN_EXISTS: &str = "SELECT EXISTS (SELECT 1 FROM users WHERE is_superadmin = 1)";

pub async fn superadmin_exists(pool: &Reader) -> Result<bool> {
    Ok(sqlx::query_scalar(SUPERADMIN_EXISTS)
        .fetch_one(pool.pool())
        .await?)
}

/// [`superadmin_exists`] inside a write transaction, so two setups cannot both succeed.
pub async fn superadmin_exists_in(tx: &mut Tx) -> Result<bool> {
    Ok(sqlx::query_scalar(SUPERADMIN_EXISTS)
        .fetch_one(tx.conn())
        .await?)
}
