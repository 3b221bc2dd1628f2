//! Validating access tokens we issued: signature, issuer, expiry, revocation, that the
//! client still exists and that a user subject is still active. Shared by userinfo,
//! introspection and the admin API.

use crate::domain::claims::AccessClaims;
use crate::error::StoreError;
use crate::keys::TokenType;
use crate::state::AppState;
use crate::store::{tokens, users};
use axum::http::{header, HeaderMap};

/// The token of an `Authorization: Bearer` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Why an access token is not active.
#[derive(Debug, thiserror::Error)]
pub enum Inactive {
    #[error("{0}")]
    Invalid(String),
    #[error("the token has been revoked")]
    Revoked,
    #[error("the user is suspended or no longer exists")]
    UserInactive,
    #[error("the client no longer exists")]
    ClientGone,
    #[error("database error: {0}")]
    Db(#[from] StoreError),
}

/// Checks an access token completely; `Ok` means it is active right now.
pub async fn active_access_token(state: &AppState, token: &str) -> Result<AccessClaims, Inactive> {
    if token.len() > 8192 {
        return Err(Inactive::Invalid("the token is too long".into()));
    }
    let claims: AccessClaims = state
        .keys
        .verify(token, TokenType::AccessToken, &state.issuer)
        .map_err(|e| Inactive::Invalid(e.to_string()))?;
    if tokens::access_token_revoked(&state.db.read, &claims.jti).await? {
        return Err(Inactive::Revoked);
    }
    // Deleting a client (or its product) clears the cache, so this sees it at once;
    // client_credentials tokens have no row to revoke, this is what ends them.
    let client = match state.clients.get(&state.db.read, &claims.client_id).await {
        Ok(c) => c,
        Err(e @ StoreError::Db(_)) => return Err(Inactive::Db(e)),
        Err(e) => return Err(Inactive::Invalid(e.to_string())),
    };
    if client.is_none() {
        return Err(Inactive::ClientGone);
    }
    if claims.sub != claims.client_id {
        let active = users::find_user(&state.db.read, &claims.sub)
            .await?
            .is_some_and(|u| u.is_active());
        if !active {
            return Err(Inactive::UserInactive);
        }
    }
    Ok(claims)
}
