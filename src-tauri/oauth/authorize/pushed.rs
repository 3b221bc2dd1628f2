//! Pushed authorization requests (RFC 9126): `/oauth/par` checks a request as
//! `/oauth/authorize` would and keeps its parameters 60 s under a one-time `request_uri`
//! (stored as SHA-256); authorize then takes them instead of its own (only `client_id`,
//! which must match, is read besides `request_uri`, §4) and goes on as for any request.

use super::{checked_request, client_and_redirect, Unusable};
use crate::crypto::{random_token, sha256};
use crate::error::OAuthError;
use crate::oauth::params::Params;
use crate::pages;
use crate::state::AppState;
use crate::store::{now, par};
use axum::http::StatusCode;
use axum::response::Response;

/// The `request_uri` scheme of pushed requests.
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
/// How long a pushed request may be used, seconds.
pub const PAR_TTL: i64 = 60;
/// Credentials a pushed request's body may carry: never stored with it.
const CREDENTIALS: [&str; 3] = ["client_secret", "client_assertion", "client_assertion_type"];

/// Checks a pushed request as `/oauth/authorize` would (its `client_id` is the
/// authenticated client's), then stores it; returns the `request_uri`.
pub(crate) async fn push(s: &AppState, mut p: Params) -> Result<String, OAuthError> {
    if p.get("request_uri").is_some() {
        return Err(OAuthError::invalid_request(
            "request_uri is not allowed in a pushed authorization request",
        ));
    }
    for name in CREDENTIALS {
        p.set(name, "");
    }
    let (client, redirect_uri) = client_and_redirect(s, &p).await.map_err(|e| match e {
        Unusable::Bad(msg) => OAuthError::invalid_request(msg),
        Unusable::Server => OAuthError::server_error(),
    })?;
    checked_request(s, &client, &redirect_uri, &p)
        .await
        .map_err(|r| r.error)?;
    let token = random_token(32);
    let params = serde_json::to_string(&p).map_err(|_| OAuthError::server_error())?;
    let mut tx = s.db.begin().await?;
    par::insert(
        &mut tx,
        &sha256(&token),
        &client.client_id,
        &params,
        now() + PAR_TTL,
    )
    .await?;
    tx.commit().await?;
    Ok(format!("{REQUEST_URI_PREFIX}{token}"))
}

/// The parameters of an authorization request: its own, or those pushed under its
/// `request_uri` (spent now); `true` when they were pushed. An unknown, used, expired or
/// another client's `request_uri` is shown as an error, never redirected.
pub(super) async fn resolve(s: &AppState, p: Params) -> Result<(Params, bool), Response> {
    let Some(uri) = p.get("request_uri") else {
        return Ok((p, false));
    };
    let bad = |msg: &str| pages::error_page(StatusCode::BAD_REQUEST, "Bad sign-in request", msg);
    let client_id = p
        .get("client_id")
        .ok_or_else(|| bad("The request has no client_id."))?;
    let token = uri
        .strip_prefix(REQUEST_URI_PREFIX)
        .filter(|t| !t.is_empty() && t.len() <= 128)
        .ok_or_else(|| bad("The request_uri was not issued by this server."))?;
    let stored = spend(s, token, client_id)
        .await
        .map_err(|_| pages::server_error())?
        .ok_or_else(|| {
            bad("This sign-in request has expired or was already used. Go back to the application and sign in again.")
        })?;
    let params: Params = serde_json::from_str(&stored).map_err(|_| pages::server_error())?;
    Ok((params, true))
}

async fn spend(s: &AppState, token: &str, client_id: &str) -> Result<Option<String>, OAuthError> {
    let mut tx = s.db.begin().await?;
    let stored = par::spend(&mut tx, &sha256(token), client_id, now()).await?;
    tx.commit().await?;
    Ok(stored)
}

/// The answer to a plain authorization request of a client that must push its requests.
pub(super) fn required() -> Response {
    pages::error_page(
        StatusCode::BAD_REQUEST,
        "Bad sign-in request",
        "This application must send its sign-in request through PAR (pushed authorization request) first.",
    )
}
