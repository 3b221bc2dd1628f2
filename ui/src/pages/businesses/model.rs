//! The admin API shapes the business pages read, and the calls that load them.

use serde::Deserialize;

use crate::api::{self, enc, ApiError};

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Business {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub created_at: i64,
    #[serde(default)]
    pub updated_at: i64,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Branch {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub created_at: i64,
    #[serde(default)]
    pub updated_at: i64,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Role {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub created_at: i64,
    #[serde(default)]
    pub updated_at: i64,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Membership {
    pub id: String,
    pub user_id: String,
    pub branch_id: Option<String>,
    pub role_id: String,
    #[serde(default)]
    pub created_at: i64,
}

/// What the membership table and the user picker show of a user.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct UserSummary {
    pub id: String,
    pub email: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub status: String,
}

/// One scope some product declares, with the names of the products declaring it.
#[derive(Clone, Debug, PartialEq)]
pub struct DeclaredScope {
    pub scope: String,
    pub products: Vec<String>,
}

pub async fn businesses() -> Result<Vec<Business>, ApiError> {
    #[derive(Deserialize)]
    struct List {
        businesses: Vec<Business>,
    }
    Ok(api::get::<List>("/v1/businesses").await?.businesses)
}

pub async fn business(id: &str) -> Result<Business, ApiError> {
    api::get(&format!("/v1/businesses/{}", enc(id))).await
}

pub async fn branches(business_id: &str) -> Result<Vec<Branch>, ApiError> {
    #[derive(Deserialize)]
    struct List {
        branches: Vec<Branch>,
    }
    let path = format!("/v1/businesses/{}/branches", enc(business_id));
    Ok(api::get::<List>(&path).await?.branches)
}

pub async fn roles(business_id: &str) -> Result<Vec<Role>, ApiError> {
    #[derive(Deserialize)]
    struct List {
        roles: Vec<Role>,
    }
    let path = format!("/v1/businesses/{}/roles", enc(business_id));
    Ok(api::get::<List>(&path).await?.roles)
}

pub async fn memberships(business_id: &str) -> Result<Vec<Membership>, ApiError> {
    #[derive(Deserialize)]
    struct List {
        memberships: Vec<Membership>,
    }
    let path = format!("/v1/memberships?business_id={}", enc(business_id));
    Ok(api::get::<List>(&path).await?.memberships)
}

pub async fn user(id: &str) -> Result<UserSummary, ApiError> {
    api::get(&format!("/v1/users/{}", enc(id))).await
}

/// Users whose e-mail or name matches `query` (at most `limit`).
pub async fn search_users(query: &str, limit: u32) -> Result<Vec<UserSummary>, ApiError> {
    #[derive(Deserialize)]
    struct List {
        users: Vec<UserSummary>,
    }
    let path = format!("/v1/users?q={}&limit={limit}", enc(query.trim()));
    Ok(api::get::<List>(&path).await?.users)
}

/// Every scope any product declares, sorted, each with the products declaring it.
pub async fn declared_scopes() -> Result<Vec<DeclaredScope>, ApiError> {
    #[derive(Deserialize)]
    struct Product {
        name: String,
        #[serde(default)]
        scopes: Vec<String>,
    }
    #[derive(Deserialize)]
    struct List {
        products: Vec<Product>,
    }
    let list = api::get::<List>("/v1/products").await?.products;
    let mut out: Vec<DeclaredScope> = Vec::new();
    for product in list {
        for scope in product.scopes {
            match out.iter_mut().find(|d| d.scope == scope) {
                Some(d) => d.products.push(product.name.clone()),
                None => out.push(DeclaredScope {
                    scope,
                    products: vec![product.name.clone()],
                }),
            }
        }
    }
    out.sort_by(|a, b| a.scope.cmp(&b.scope));
    Ok(out)
}
