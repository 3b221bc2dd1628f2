//! Token claim sets (RFC 9068 access tokens, OIDC ID tokens): the wire types live in
//! `tessera-proto` (the SDK and the console read them too); what needs the store is here.

pub use tessera_proto::claims::*;

/// The server-side rule for [`UserClaims`]: which claims a user's scopes release.
pub trait ReleasedClaims {
    /// The claims `scopes` release for `user`.
    fn for_scopes(user: &crate::store::users::UserRow, scopes: &[String]) -> Self;
}

impl ReleasedClaims for UserClaims {
    fn for_scopes(user: &crate::store::users::UserRow, scopes: &[String]) -> Self {
        let mut c = UserClaims::default();
        if super::scope::has(scopes, "email") {
            c.email = Some(user.email.clone());
            c.email_verified = Some(user.email_verified);
        }
        if super::scope::has(scopes, "profile") {
            c.name = user.name.clone();
            c.given_name = user.given_name.clone();
            c.family_name = user.family_name.clone();
            c.locale = user.locale.clone();
        }
        c
    }
}
