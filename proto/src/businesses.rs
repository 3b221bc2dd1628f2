//! `/v1/businesses` (their branches and roles) and `/v1/memberships` (a user's role in a
//! business).

use serde::{Deserialize, Serialize};

/// A business.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Business {
    /// The business id (a UUID v7).
    pub id: String,
    /// The business's name.
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// All businesses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BusinessList {
    /// The businesses.
    pub businesses: Vec<Business>,
}

/// A branch of a business.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Branch {
    /// The branch id (a UUID v7).
    pub id: String,
    /// The business the branch belongs to.
    pub business_id: String,
    /// The branch's name, unique within its business.
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// A business's branches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BranchList {
    /// The branches.
    pub branches: Vec<Branch>,
}

/// A role: a named set of product scopes in one business.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Role {
    /// The role id (a UUID v7).
    pub id: String,
    /// The business the role belongs to.
    pub business_id: String,
    /// The role's name, unique within its business.
    pub name: String,
    /// The product scopes the role grants.
    pub scopes: Vec<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// A business's roles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleList {
    /// The roles.
    pub roles: Vec<Role>,
}

/// A membership: a user holds a role in one branch, or in every branch, of a business.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Membership {
    /// The membership id (a UUID v7).
    pub id: String,
    /// The member.
    pub user_id: String,
    /// The business.
    pub business_id: String,
    /// The branch, or null for every branch of the business.
    pub branch_id: Option<String>,
    /// The role the user holds there.
    pub role_id: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// Memberships, filtered by user and/or business.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MembershipList {
    /// The memberships.
    pub memberships: Vec<Membership>,
}

/// Creating or renaming a business or a branch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NameBody {
    /// The name (at most 200 characters).
    pub name: String,
}

/// `POST /v1/businesses/{id}/roles`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateRole {
    /// The role's name (at most 200 characters), unique within the business.
    pub name: String,
    /// Scopes the role grants (at most 100), each declared by some product.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// `PATCH /v1/businesses/{id}/roles/{role_id}`: absent (or null) fields stay.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateRole {
    /// A new name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The scopes, replaced as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
}

/// `POST /v1/memberships`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateMembership {
    /// The member.
    pub user_id: String,
    /// The business.
    pub business_id: String,
    /// A branch of the business; absent or null for every branch.
    #[serde(default)]
    pub branch_id: Option<String>,
    /// A role of the business.
    pub role_id: String,
}
