//! The admin API shapes the business pages read, and the calls that load them.

use crate::api::{self, enc, ApiError};

use tessera_proto::products::ProductList;
use tessera_proto::users::UserPage;

/// What the membership table and the user picker show of a user.
pub use tessera_proto::users::User as UserSummary;

pub use tessera_proto::businesses::{
    Branch, BranchList, Business, BusinessList, Membership, MembershipList, Role, RoleList,
};

/// One scope some product declares, with the names of the products declaring it.
#[derive(Clone, Debug, PartialEq)]
pub struct DeclaredScope {
    pub scope: String,
    pub products: Vec<String>,
}

pub async fn businesses() -> Result<Vec<Business>, ApiError> {
    Ok(api::get::<BusinessList>("/v1/businesses").await?.businesses)
}

pub async fn business(id: &str) -> Result<Business, ApiError> {
    api::get(&format!("/v1/businesses/{}", enc(id))).await
}

pub async fn branches(business_id: &str) -> Result<Vec<Branch>, ApiError> {
    let path = format!("/v1/businesses/{}/branches", enc(business_id));
    Ok(api::get::<BranchList>(&path).await?.branches)
}

pub async fn roles(business_id: &str) -> Result<Vec<Role>, ApiError> {
    let path = format!("/v1/businesses/{}/roles", enc(business_id));
    Ok(api::get::<RoleList>(&path).await?.roles)
}

pub async fn memberships(business_id: &str) -> Result<Vec<Membership>, ApiError> {
    let path = format!("/v1/memberships?business_id={}", enc(business_id));
    Ok(api::get::<MembershipList>(&path).await?.memberships)
}

pub async fn user(id: &str) -> Result<UserSummary, ApiError> {
    api::get(&format!("/v1/users/{}", enc(id))).await
}

/// Users whose e-mail or name matches `query` (at most `limit`).
pub async fn search_users(query: &str, limit: u32) -> Result<Vec<UserSummary>, ApiError> {
    let path = format!("/v1/users?q={}&limit={limit}", enc(query.trim()));
    Ok(api::get::<UserPage>(&path).await?.users)
}

/// Every scope any product declares, sorted, each with the products declaring it.
pub async fn declared_scopes() -> Result<Vec<DeclaredScope>, ApiError> {
    let list = api::get::<ProductList>("/v1/products").await?.products;
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
