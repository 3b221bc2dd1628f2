//! Who calls `/v1/auth/session(s)` and `/logout`: an `Authorization: Bearer` access token,
//! else the `tessera_at` cookie, checked as userinfo checks tokens
//! (`oauth::bearer::active_access_token`: signature, expiry, revocation, the client, a
//! suspended user) and issued to a product's web client (no admin, console, account or
//! server token). A caller by cookie is in cookie mode: its writes must come from one of
//! the product's origins.

use super::answer::ACCESS_COOKIE;
use super::{refuse, serves, Refusal};
use crate::domain::claims::AccessClaims;
use crate::oauth::bearer::{active_access_token, bearer, Inactive};
use crate::oauth::cookie;
use crate::state::Shared;
use crate::store::clients::Client;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use std::sync::Arc;

/// The authenticated caller.
pub struct Caller {
    pub claims: AccessClaims,
    pub client: Arc<Client>,
    /// Authenticated by the `tessera_at` cookie (no `Authorization` header).
    pub by_cookie: bool,
}

impl Caller {
    pub fn user_id(&self) -> &str {
        &self.claims.sub
    }
}

fn unauthenticated(message: impl Into<String>) -> Refusal {
    refuse(StatusCode::UNAUTHORIZED, "unauthenticated", message)
}

/// The access token of a request: the bearer header, else the cookie (`true`).
pub fn presented(headers: &HeaderMap) -> Option<(String, bool)> {
    if headers.contains_key(axum::http::header::AUTHORIZATION) {
        return bearer(headers).map(|t| (t.to_string(), false));
    }
    cookie(headers, ACCESS_COOKIE).map(|t| (t, true))
}

impl FromRequestParts<Shared> for Caller {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, s: &Shared) -> Result<Self, Refusal> {
        let write = parts.method != Method::GET && parts.method != Method::HEAD;
        let (token, by_cookie) = presented(&parts.headers).ok_or_else(|| {
            unauthenticated(
                "an access token is required (Authorization: Bearer, or the tessera_at cookie)",
            )
        })?;
        authenticate(s, &parts.headers, (&token, by_cookie), write).await
    }
}

/// Checks the presented access token; a write by cookie must come from the product's
/// origins.
pub async fn authenticate(
    s: &Shared,
    headers: &HeaderMap,
    (token, by_cookie): (&str, bool),
    write: bool,
) -> Result<Caller, Refusal> {
    let claims = match active_access_token(s, token).await {
        Ok(c) => c,
        Err(Inactive::Db(e)) => return Err(e.into()),
        Err(e) => return Err(unauthenticated(e.to_string())),
    };
    let client = s
        .clients
        .get(&s.db.read, &claims.client_id)
        .await?
        .filter(|c| serves(c) && claims.sub != claims.client_id)
        .ok_or_else(|| {
            unauthenticated("the token was not issued to a user by a product's web client")
        })?;
    if by_cookie && write {
        super::origin::check(s, &client, headers).await?;
    }
    Ok(Caller {
        claims,
        client,
        by_cookie,
    })
}
