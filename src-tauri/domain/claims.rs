//! Token claim sets (RFC 9068 access tokens, OIDC ID tokens).

use serde::{Deserialize, Serialize};

/// Claims of an access token (`typ: at+jwt`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub client_id: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub auth_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub org: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub branch: Option<String>,
}

impl AccessClaims {
    pub fn scopes(&self) -> Vec<String> {
        self.scope
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    }
}

/// Claims of an ID token.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct IdClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    pub amr: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    /// Role names held in the active branch; omitted when empty.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub groups: Option<Vec<String>>,
    #[serde(flatten)]
    pub profile: UserClaims,
}

/// Email and profile claims, released by scope (OIDC Core §5.4).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct UserClaims {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

impl UserClaims {
    /// The claims `scopes` release for `user`.
    pub fn for_scopes(user: &crate::store::users::UserRow, scopes: &[String]) -> Self {
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
