//! `/v1/businesses` and `/v1/memberships`: businesses, branches, roles and memberships.
