//! Users: create, look up, list, update, suspend, delete.

use super::Tx;
use crate::error::StoreError;
use crate::store::sql::{q, scalar};
use crate::store::{Reader, Result};

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
    /// A super-admin set `mfa:require`: the user must sign in with a second factor.
    pub mfa_required: bool,
    /// Invited by email and no password set yet (the invitation not accepted).
    pub invited_at: Option<i64>,
}

impl UserRow {
    pub fn is_active(&self) -> bool {
        self.status == "active"
    }

    /// The status the API shows: `invited` until the invitation is accepted.
    pub fn shown_status(&self) -> &str {
        if self.invited_at.is_some() && self.is_active() {
            "invited"
        } else {
            &self.status
        }
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
    let res = q(
        "INSERT INTO users (id, email, name, password_hash, is_superadmin, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(u.id)
    .bind(u.email)
    .bind(u.name)
    .bind(u.password_hash)
    .bind(u.is_superadmin)
    .bind(u.now)
    .bind(u.now)
    .execute(&mut *tx)
    .await;
    match res {
        Ok(_) => Ok(()),
        Err(e) if e.is_unique_violation() => Err(StoreError::Conflict(format!(
            "a user with email {} already exists",
            u.email
        ))),
        Err(e) => Err(e),
    }
}

pub async fn find_user(pool: &Reader, id: &str) -> Result<Option<UserRow>> {
    q("SELECT * FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// [`find_user`] inside a write transaction.
pub async fn find_user_tx(tx: &mut Tx, id: &str) -> Result<Option<UserRow>> {
    q("SELECT * FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
}

pub async fn find_user_by_email(pool: &Reader, email: &str) -> Result<Option<UserRow>> {
    // SQLite compares the column with its NOCASE collation; PostgreSQL by `lower(email)`,
    // which its unique index covers.
    q(pool.engine().pick(
        "SELECT * FROM users WHERE email = $1",
        "SELECT * FROM users WHERE lower(email) = lower($1)",
    ))
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
) -> Result<Option<UserRow>> {
    q("UPDATE users SET status = $1, updated_at = $2 WHERE id = $3 RETURNING *")
        .bind(status)
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
}

/// Status of a user inside a transaction (for checks that must see committed state).
pub async fn user_status(tx: &mut Tx, id: &str) -> Result<Option<String>> {
    scalar("SELECT status FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
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
    let res = q("UPDATE users SET
            name = CASE WHEN $1 THEN $2 ELSE name END,
            given_name = CASE WHEN $3 THEN $4 ELSE given_name END,
            family_name = CASE WHEN $5 THEN $6 ELSE family_name END,
            locale = CASE WHEN $7 THEN $8 ELSE locale END,
            email = COALESCE($9, email),
            email_verified = COALESCE($10, email_verified),
            updated_at = $11
         WHERE id = $12 RETURNING *")
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
    .fetch_optional(&mut *tx)
    .await;
    match res {
        Ok(row) => Ok(row),
        Err(e) if e.is_unique_violation() => Err(StoreError::Conflict(
            "a user with this email already exists".into(),
        )),
        Err(e) => Err(e),
    }
}

/// Replaces the password hash; false for an unknown id.
pub async fn set_password_hash(tx: &mut Tx, id: &str, hash: &str, now: i64) -> Result<bool> {
    Ok(
        // A password set ends a pending invitation (the user can sign in now).
        q("UPDATE users SET password_hash = $1, invited_at = NULL, updated_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?
            == 1,
    )
}

/// Deletes a user; sessions, codes, refresh families and memberships go with it
/// (foreign keys cascade). Returns the deleted user's email (None for an unknown id).
pub async fn delete_user(tx: &mut Tx, id: &str) -> Result<Option<String>> {
    scalar("DELETE FROM users WHERE id = $1 RETURNING email")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
}

macro_rules! user_search {
    ($like:literal) => {
        concat!(
            "SELECT * FROM users
         WHERE ($1 IS NULL OR email ",
            $like,
            " $1 ESCAPE '\\' OR COALESCE(name, '') ",
            $like,
            " $1 ESCAPE '\\')
           AND ($2 IS NULL OR CASE WHEN status = 'active' AND invited_at IS NOT NULL
                                   THEN 'invited' ELSE status END = $2)
           AND ($3 IS NULL OR id > $3)
         ORDER BY id LIMIT "
        )
    };
}
const USER_SEARCH_SQLITE: &str = user_search!("LIKE");
const USER_SEARCH_POSTGRES: &str = user_search!("ILIKE");

/// A page of the user list: substring search (LIKE: case-insensitive for ASCII) on email and name,
/// optional status as the API shows it (`invited` apart from `active`), ordered by id (UUIDv7, so by creation), starting after `after`.
pub async fn list_users(
    pool: &Reader,
    search: Option<&str>,
    status: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<UserRow>> {
    let pattern = search.map(|s| {
        let escaped = s
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    });
    // LIKE ignores ASCII case on SQLite; PostgreSQL needs ILIKE for that. The limit is
    // written out: a plan made once for all values must know a page is wanted.
    let search = pool.engine().pick(USER_SEARCH_SQLITE, USER_SEARCH_POSTGRES);
    q(format!("{search}{limit}"))
        .bind(pattern)
        .bind(status)
        .bind(after)
        .fetch_all(pool)
        .await
}

/// Any super-admin, active or suspended (first-run setup happens once).
const SUPERADMIN_EXISTS: &str = "SELECT EXISTS (SELECT 1 FROM users WHERE is_superadmin = TRUE)";

pub async fn superadmin_exists(pool: &Reader) -> Result<bool> {
    scalar(SUPERADMIN_EXISTS).fetch_one(pool).await
}

/// [`superadmin_exists`] inside a write transaction, so two setups cannot both succeed.
pub async fn superadmin_exists_in(tx: &mut Tx) -> Result<bool> {
    scalar(SUPERADMIN_EXISTS).fetch_one(&mut *tx).await
}

/// A user proved control of their mailbox (a verification link, a reset or an invitation
/// link): `email_verified`, and no pending invitation any more.
pub async fn mark_email_verified(tx: &mut Tx, id: &str, now: i64) -> Result<bool> {
    Ok(q("UPDATE users SET email_verified = $1, invited_at = NULL, updated_at = $2 WHERE id = $3")
        .bind(true)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        == 1)
}

/// Marks a user invited (at `now`).
pub async fn mark_invited(tx: &mut Tx, id: &str, now: i64) -> Result<bool> {
    Ok(
        q("UPDATE users SET invited_at = $1, updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?
            == 1,
    )
}
