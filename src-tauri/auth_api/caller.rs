//! Who calls `/v1/auth/session(s)` and `/logout`: an `Authorization: Bearer` (or `DPoP`)
//! access token, else the `tessera_at` cookie, checked as userinfo checks tokens
//! (`oauth::bearer::request_token`: signature, expiry, revocation, the client, a
//! suspended user, a DPoP binding) and issued to a product's web client (no admin, console, account or
//! server token). A caller by cookie is in cookie mode: its writes must come from one of
//! the product's origins.

use super::answer::ACCESS_COOKIE;
use super::{refuse, serves, Refusal};
use crate::domain::claims::AccessClaims;
use crate::oauth::bearer::{self, request_token, Inactive, Presentation, Scheme};
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

/// The access token of a request: the `Authorization` header, else the cookie.
pub fn presented(headers: &HeaderMap) -> Option<(String, Scheme)> {
    if headers.contains_key(axum::http::header::AUTHORIZATION) {
        return bearer::presented(headers).map(|(scheme, t)| (t.to_string(), scheme));
    }
    cookie(headers, ACCESS_COOKIE).map(|t| (t, Scheme::Cookie))
}

impl FromRequestParts<Shared> for Caller {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, s: &Shared) -> Result<Self, Refusal> {
        let write = parts.method != Method::GET && parts.method != Method::HEAD;
        let (token, scheme) = presented(&parts.headers).ok_or_else(|| {
            unauthenticated(
                "an access token is required (Authorization: Bearer, or the tessera_at cookie)",
            )
        })?;
        authenticate(s, &Presentation::of(parts, scheme), &token, write).await
    }
}

/// Checks the access token `request` presents; a write by cookie must come from the
/// product's origins.
pub async fn authenticate(
    s: &Shared,
    request: &Presentation<'_>,
    token: &str,
    write: bool,
) -> Result<Caller, Refusal> {
    let claims = match request_token(s, token, request).await {
        Ok(c) => c,
        Err(Inactive::Db(e)) => return Err(e.into()),
        Err(Inactive::Dpop(e)) => return Err(Refusal(e.at_api())),
        Err(e) => return Err(unauthenticated(e.to_string())),
    };
    let (headers, by_cookie) = (request.headers, request.scheme == Scheme::Cookie);
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
