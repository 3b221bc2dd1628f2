//! Businesses, branches, roles and memberships, and the per-branch grants a user's
//! memberships expand to (a membership without a branch covers every branch).

use super::{from_json_list, to_json_list, Tx};
use crate::store::sql::{q, scalar};
use crate::store::{Reader, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BusinessRow {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BranchRow {
    pub id: String,
    pub business_id: String,
    pub name: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoleRow {
    pub id: String,
    pub business_id: String,
    pub name: String,
    /// JSON array of scopes.
    pub scopes: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl RoleRow {
    pub fn scope_list(&self) -> Vec<String> {
        from_json_list(&self.scopes)
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MembershipRow {
    pub id: String,
    pub user_id: String,
    pub business_id: String,
    pub branch_id: Option<String>,
    pub role_id: String,
    pub created_at: i64,
}

/// One role a user holds in one concrete branch.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GrantRow {
    pub business_id: String,
    pub branch_id: String,
    pub branch_name: String,
    pub role_name: String,
    pub scopes: String,
}

// ---- businesses ----

pub async fn insert_business(tx: &mut Tx, id: &str, name: &str, now: i64) -> Result<()> {
    q("INSERT INTO businesses (id, name, created_at, updated_at) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(name)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

pub async fn find_business(pool: &Reader, id: &str) -> Result<Option<BusinessRow>> {
    q("SELECT id, name, created_at, updated_at FROM businesses WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
}

pub async fn list_businesses(pool: &Reader) -> Result<Vec<BusinessRow>> {
    q("SELECT id, name, created_at, updated_at FROM businesses ORDER BY id")
        .fetch_all(pool)
        .await
}

pub async fn rename_business(
    tx: &mut Tx,
    id: &str,
    name: &str,
    now: i64,
) -> Result<Option<BusinessRow>> {
    q(
        "UPDATE businesses SET name = $1, updated_at = $2 WHERE id = $3
         RETURNING id, name, created_at, updated_at",
    )
    .bind(name)
    .bind(now)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await
}

/// Deletes a business with its branches, roles and memberships.
pub async fn delete_business(tx: &mut Tx, id: &str) -> Result<bool> {
    let n = q("DELETE FROM businesses WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(n == 1)
}

// ---- branches ----

const BRANCH_COLS: &str = "id, business_id, name, created_at, updated_at";

pub async fn insert_branch(tx: &mut Tx, b: &BranchRow) -> Result<()> {
    q(
        "INSERT INTO branches (id, business_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&b.id)
    .bind(&b.business_id)
    .bind(&b.name)
    .bind(b.created_at)
    .bind(b.updated_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub async fn find_branch(pool: &Reader, id: &str) -> Result<Option<BranchRow>> {
    q(format!("SELECT {BRANCH_COLS} FROM branches WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

pub async fn list_branches(pool: &Reader, business_id: &str) -> Result<Vec<BranchRow>> {
    q(format!(
        "SELECT {BRANCH_COLS} FROM branches WHERE business_id = $1 ORDER BY id"
    ))
    .bind(business_id)
    .fetch_all(pool)
    .await
}

pub async fn rename_branch(
    tx: &mut Tx,
    business_id: &str,
    id: &str,
    name: &str,
    now: i64,
) -> Result<Option<BranchRow>> {
    q(format!(
        "UPDATE branches SET name = $1, updated_at = $2 WHERE id = $3 AND business_id = $4
         RETURNING {BRANCH_COLS}"
    ))
    .bind(name)
    .bind(now)
    .bind(id)
    .bind(business_id)
    .fetch_optional(&mut *tx)
    .await
}

pub async fn delete_branch(tx: &mut Tx, business_id: &str, id: &str) -> Result<bool> {
    let n = q("DELETE FROM branches WHERE id = $1 AND business_id = $2")
        .bind(id)
        .bind(business_id)
        .execute(&mut *tx)
        .await?;
    Ok(n == 1)
}

// ---- roles ----

const ROLE_COLS: &str = "id, business_id, name, scopes, created_at, updated_at";

pub async fn insert_role(tx: &mut Tx, r: &RoleRow) -> Result<()> {
    q(
        "INSERT INTO roles (id, business_id, name, scopes, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&r.id)
    .bind(&r.business_id)
    .bind(&r.name)
    .bind(&r.scopes)
    .bind(r.created_at)
    .bind(r.updated_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub async fn find_role(pool: &Reader, id: &str) -> Result<Option<RoleRow>> {
    q(format!("SELECT {ROLE_COLS} FROM roles WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

pub async fn list_roles(pool: &Reader, business_id: &str) -> Result<Vec<RoleRow>> {
    q(format!(
        "SELECT {ROLE_COLS} FROM roles WHERE business_id = $1 ORDER BY id"
    ))
    .bind(business_id)
    .fetch_all(pool)
    .await
}

/// Sets a role's name and scopes (the caller passes the merged values).
pub async fn update_role(
    tx: &mut Tx,
    business_id: &str,
    id: &str,
    name: &str,
    scopes: &[String],
    now: i64,
) -> Result<Option<RoleRow>> {
    q(format!(
        "UPDATE roles SET name = $1, scopes = $2, updated_at = $3 WHERE id = $4 AND business_id = $5
         RETURNING {ROLE_COLS}"
    ))
    .bind(name)
    .bind(to_json_list(scopes))
    .bind(now)
    .bind(id)
    .bind(business_id)
    .fetch_optional(&mut *tx)
    .await
}

pub async fn delete_role(tx: &mut Tx, business_id: &str, id: &str) -> Result<bool> {
    let n = q("DELETE FROM roles WHERE id = $1 AND business_id = $2")
        .bind(id)
        .bind(business_id)
        .execute(&mut *tx)
        .await?;
    Ok(n == 1)
}

/// Every scope some product declares.
pub async fn declared_product_scopes(pool: &Reader) -> Result<Vec<String>> {
    let rows: Vec<String> = scalar("SELECT scopes FROM products")
        .fetch_all(pool)
        .await?;
    let mut all: Vec<String> = rows.iter().flat_map(|r| from_json_list(r)).collect();
    all.sort();
    all.dedup();
    Ok(all)
}

// ---- memberships ----

const MEMBERSHIP_COLS: &str = "id, user_id, business_id, branch_id, role_id, created_at";

pub async fn insert_membership(tx: &mut Tx, m: &MembershipRow) -> Result<()> {
    q(
        "INSERT INTO memberships (id, user_id, business_id, branch_id, role_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&m.id)
    .bind(&m.user_id)
    .bind(&m.business_id)
    .bind(&m.branch_id)
    .bind(&m.role_id)
    .bind(m.created_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub async fn find_membership(pool: &Reader, id: &str) -> Result<Option<MembershipRow>> {
    q(format!(
        "SELECT {MEMBERSHIP_COLS} FROM memberships WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// Memberships, optionally filtered by user and/or business.
pub async fn list_memberships(
    pool: &Reader,
    user_id: Option<&str>,
    business_id: Option<&str>,
) -> Result<Vec<MembershipRow>> {
    q(format!(
        "SELECT {MEMBERSHIP_COLS} FROM memberships
         WHERE ($1 IS NULL OR user_id = $1) AND ($2 IS NULL OR business_id = $2) ORDER BY id"
    ))
    .bind(user_id)
    .bind(business_id)
    .fetch_all(pool)
    .await
}

pub async fn delete_membership(tx: &mut Tx, id: &str) -> Result<Option<MembershipRow>> {
    q(format!(
        "DELETE FROM memberships WHERE id = $1 RETURNING {MEMBERSHIP_COLS}"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await
}

/// The roles `user_id` holds, expanded to one row per concrete branch.
pub async fn user_grants(pool: &Reader, user_id: &str) -> Result<Vec<GrantRow>> {
    q(
        "SELECT b.business_id, b.id AS branch_id, b.name AS branch_name, r.name AS role_name, r.scopes
         FROM memberships m
         JOIN roles r ON r.id = m.role_id
         JOIN branches b ON b.business_id = m.business_id
                        AND (m.branch_id IS NULL OR m.branch_id = b.id)
         WHERE m.user_id = $1
         ORDER BY b.name, b.id, r.name",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await
}

/// [`user_grants`] as domain values.
pub async fn user_branch_grants(
    pool: &Reader,
    user_id: &str,
) -> Result<Vec<crate::domain::branch::Grant>> {
    Ok(user_grants(pool, user_id)
        .await?
        .into_iter()
        .map(|g| crate::domain::branch::Grant {
            scopes: from_json_list(&g.scopes),
            org: g.business_id,
            branch: g.branch_id,
            branch_name: g.branch_name,
            role: g.role_name,
        })
        .collect())
}
