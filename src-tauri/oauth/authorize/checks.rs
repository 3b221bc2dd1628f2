//! The single-parameter checks of an authorization request (response type, state,
//! PKCE, scope), each returning the OAuth error to redirect with.

use crate::domain::{pkce, scope};
use crate::error::OAuthError;
use crate::oauth::console;
use crate::oauth::params::Params;
use crate::store::clients::{Client, ClientKind};
use axum::http::StatusCode;

pub(super) fn check_unsupported(p: &Params) -> Result<(), OAuthError> {
    if p.get("request").is_some() {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "request_not_supported",
            "request objects are not supported",
        ));
    }
    if p.get("request_uri").is_some() {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "request_uri_not_supported",
            "request_uri is not supported",
        ));
    }
    match p.get("response_type") {
        None => Err(OAuthError::invalid_request("response_type is required")),
        Some("code") => Ok(()),
        Some(_) => Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_response_type",
            "only response_type=code is supported",
        )),
    }?;
    match p.get("response_mode") {
        None | Some("query") => Ok(()),
        Some(_) => Err(OAuthError::invalid_request(
            "only response_mode=query is supported",
        )),
    }
}

pub(super) fn check_state(p: &Params) -> Result<String, OAuthError> {
    let state = p.require("state")?;
    if state.len() > 1024 {
        return Err(OAuthError::invalid_request("state is too long"));
    }
    Ok(state.to_string())
}

pub(super) fn check_pkce(p: &Params) -> Result<String, OAuthError> {
    let challenge = p.get("code_challenge").ok_or_else(|| {
        OAuthError::invalid_request("code_challenge is required (PKCE with S256)")
    })?;
    if p.get("code_challenge_method") != Some("S256") {
        return Err(OAuthError::invalid_request(
            "code_challenge_method must be S256",
        ));
    }
    if !pkce::is_valid_pkce_string(challenge) {
        return Err(OAuthError::invalid_request("code_challenge is malformed"));
    }
    Ok(challenge.to_string())
}

pub(crate) fn check_scope(client: &Client, p: &Params) -> Result<Vec<String>, OAuthError> {
    let requested =
        scope::parse(p.get("scope").unwrap_or("openid")).map_err(OAuthError::invalid_scope)?;
    // A registered client (RFC 7591 `scope`) may use only the scopes it registered, the
    // OIDC ones included; the others may always ask for the OIDC scopes.
    let mut allowed: Vec<String> = match client.kind {
        ClientKind::Dynamic => Vec::new(),
        _ => scope::OIDC_SCOPES.iter().map(|s| s.to_string()).collect(),
    };
    // `admin` is reserved for clients whose policy allows it, whatever a product declares.
    allowed.extend(
        client
            .product_scopes
            .iter()
            .filter(|s| *s != console::ADMIN_SCOPE)
            .cloned(),
    );
    if client.policy.admin_scope {
        allowed.push(console::ADMIN_SCOPE.to_string());
    }
    if let Some(bad) = scope::first_not_allowed(&requested, &allowed) {
        return Err(OAuthError::invalid_scope(format!(
            "scope {bad} is not registered for this client"
        )));
    }
    Ok(requested)
}
