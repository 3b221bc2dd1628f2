//! Users: create, look up, suspend.

use super::Tx;
use crate::error::StoreError;
use sqlx::SqlitePool;

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
    .execute(&mut **tx)
    .await;
    match res {
        Ok(_) => Ok(()),
        Err(e) if StoreError::is_unique_violation(&e) => Err(StoreError::Conflict(format!(
            "a user with email {} already exists",
            u.email
        ))),
        Err(e) => Err(e.into()),
    }
}

pub async fn find_user(pool: &SqlitePool, id: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM users WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await
}

pub async fn find_user_by_email(
    pool: &SqlitePool,
    email: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM users WHERE email = ?")
        .bind(email)
        .fetch_optional(pool)
        .await
}

/// Sets the status and returns the updated row (None for an unknown id).
pub async fn set_user_status(
    tx: &mut Tx,
    id: &str,
    status: &str,
    now: i64,
) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as("UPDATE users SET status = ?, updated_at = ? WHERE id = ? RETURNING *")
        .bind(status)
        .bind(now)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

/// Status of a user inside a transaction (for checks that must see committed state).
pub async fn user_status(tx: &mut Tx, id: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT status FROM users WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}
