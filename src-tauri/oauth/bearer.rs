//! Validating access tokens we issued: signature, issuer, expiry, revocation, that the
//! client still exists and that a user subject is still active. Shared by userinfo,
//! introspection and the admin API. [`request_token`] is the one check of a token a
//! request presents: active, and, for a DPoP-bound token (`cnf.jkt`), `Authorization:
//! DPoP` with a proof by that key for this request (RFC 9449 §7).

use super::dpop::{self, DpopError, Target};
use crate::domain::claims::AccessClaims;
use crate::error::StoreError;
use crate::keys::TokenType;
use crate::state::AppState;
use crate::store::{now, tokens, users};
use axum::extract::OriginalUri;
use axum::http::request::Parts;
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

/// How an access token was presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Bearer,
    /// `Authorization: DPoP` (RFC 9449 §7.1).
    Dpop,
    /// A cookie (the first-party auth API): never for a bound token.
    Cookie,
}

/// The scheme and token of an `Authorization: Bearer` or `Authorization: DPoP` header.
pub fn presented(headers: &HeaderMap) -> Option<(Scheme, &str)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let scheme = if scheme.eq_ignore_ascii_case("bearer") {
        Scheme::Bearer
    } else if scheme.eq_ignore_ascii_case("dpop") {
        Scheme::Dpop
    } else {
        return None;
    };
    Some((scheme, token.trim())).filter(|(_, t)| !t.is_empty())
}

/// The request a token came with (what a DPoP proof must name).
pub struct Presentation<'a> {
    pub scheme: Scheme,
    pub method: &'a str,
    /// The path as the client sent it (before any router nesting).
    pub path: &'a str,
    pub headers: &'a HeaderMap,
}

impl<'a> Presentation<'a> {
    /// The request of `parts`, its token presented with `scheme`.
    pub fn of(parts: &'a Parts, scheme: Scheme) -> Self {
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map_or(&parts.uri, |o| &o.0);
        Presentation {
            scheme,
            method: parts.method.as_str(),
            path: uri.path(),
            headers: &parts.headers,
        }
    }
}

/// Checks the token a request presents: [`active_access_token`], then its binding.
pub async fn request_token(
    state: &AppState,
    token: &str,
    request: &Presentation<'_>,
) -> Result<AccessClaims, Inactive> {
    let claims = active_access_token(state, token).await?;
    match (&claims.cnf, request.scheme) {
        (None, Scheme::Dpop) => Err(Inactive::Dpop(DpopError::token(
            "this token is not DPoP-bound: present it as Bearer",
        ))),
        (None, _) => Ok(claims),
        (Some(_), Scheme::Bearer | Scheme::Cookie) => Err(Inactive::Dpop(DpopError::token(
            "this token is DPoP-bound: present it with Authorization: DPoP and a DPoP proof",
        ))),
        (Some(cnf), Scheme::Dpop) => {
            check_proof(state, token, &cnf.jkt, request).await?;
            Ok(claims)
        }
    }
}

/// The request's proof: valid for this request and token, by the key `jkt`, unused.
async fn check_proof(
    state: &AppState,
    token: &str,
    jkt: &str,
    request: &Presentation<'_>,
) -> Result<(), Inactive> {
    let proof = dpop::proof_header(request.headers)?
        .ok_or_else(|| DpopError::invalid("a DPoP proof is required with a DPoP token"))?;
    let target = Target {
        method: request.method,
        url: state.url(request.path),
        access_token: Some(token),
    };
    let now = now();
    let proof = dpop::verify(&state.dpop, proof, &target, now)?;
    if proof.jkt != jkt {
        return Err(DpopError::invalid("the proof is not made with the token's key").into());
    }
    let mut tx = state.db.begin().await?;
    if !dpop::spend(&mut tx, &proof, now).await? {
        return Err(dpop::replayed().into());
    }
    tx.commit().await?;
    Ok(())
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
    /// The DPoP binding does not hold (scheme, proof).
    #[error("{0}")]
    Dpop(#[from] DpopError),
}

/// An active access token and what its check read on the way.
#[derive(Debug)]
pub struct ActiveToken {
    pub claims: AccessClaims,
    /// The refresh family its row belongs to (`None`: no row, or no family).
    pub family_id: Option<String>,
    /// Its user, active (`None` for a client's own token).
    pub user: Option<users::UserRow>,
}

/// Checks an access token completely; `Ok` means it is active right now.
pub async fn active_access_token(state: &AppState, token: &str) -> Result<AccessClaims, Inactive> {
    checked_access_token(state, token).await.map(|t| t.claims)
}

/// [`active_access_token`], keeping the token's family and user for a caller that needs
/// them (token exchange) without reading them again.
pub async fn checked_access_token(state: &AppState, token: &str) -> Result<ActiveToken, Inactive> {
    if token.len() > 8192 {
        return Err(Inactive::Invalid("the token is too long".into()));
    }
    let claims: AccessClaims = state
        .keys
        .verify(token, TokenType::AccessToken, &state.issuer)
        .map_err(|e| Inactive::Invalid(e.to_string()))?;
    let (revoked, family_id) = tokens::access_token_state(&state.db.read, &claims.jti).await?;
    if revoked {
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
    let user = if claims.sub != claims.client_id {
        let user = users::find_user(&state.db.read, &claims.sub)
            .await?
            .filter(|u| u.is_active())
            .ok_or(Inactive::UserInactive)?;
        Some(user)
    } else {
        None
    };
    Ok(ActiveToken {
        claims,
        family_id,
        user,
    })
}
