//! Client authentication at the token, introspection, revocation and PAR endpoints:
//! `client_secret_basic`, `client_secret_post`, `private_key_jwt` (a signed assertion,
//! [`super::client_assertion`]), or `none` for public clients. A client uses the kind
//! of credential it is registered with. Wrong secrets and refused assertions count per
//! client_id; a throttled client is refused (429) before its secret is
//! even compared, so the right secret is refused too until the backoff ends.

use super::client_assertion::{self, ASSERTION_TYPE};
use super::params::Params;
use crate::crypto::{ct_eq, sha256};
use crate::domain::RequestMeta;
use crate::error::OAuthError;
use crate::state::AppState;
use crate::store::clients::{Client, TokenAuthMethod};
use crate::throttle;
use axum::http::{header, HeaderMap};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::sync::Arc;

/// How a client proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    None,
    SecretBasic,
    SecretPost,
    PrivateKeyJwt,
}

/// Client id and secret from an `Authorization: Basic` header (RFC 6749 §2.3.1:
/// both are form-urlencoded before base64).
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad =
        || OAuthError::invalid_client("the Authorization header is not valid Basic credentials");
    let value = value.to_str().map_err(|_| bad())?;
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Err(bad());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(bad());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let id = form_decode(id).ok_or_else(bad)?;
    let secret = form_decode(secret).ok_or_else(bad)?;
    if id.is_empty() {
        return Err(bad());
    }
    Ok(Some((id, secret)))
}

/// The client id a request claims (Basic header or body), authenticated or not: for
/// naming the client in the audit record of a refusal.
pub fn claimed_client_id(headers: &HeaderMap, params: &Params) -> Option<String> {
    match basic_credentials(headers) {
        Ok(Some((id, _))) => Some(id),
        _ => params.get("client_id").map(String::from).or_else(|| {
            params
                .get("client_assertion")
                .and_then(|a| client_assertion::claimed_client_id(a).ok())
        }),
    }
}

fn form_decode(s: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("v={s}")).ok()?;
    pairs.into_iter().next().map(|(_, v)| v)
}

/// Identifies and authenticates the calling client. Confidential clients must present
/// their secret; public clients must not. Failures are `invalid_client` (401).
pub async fn authenticate(
    state: &AppState,
    meta: &RequestMeta,
    headers: &HeaderMap,
    params: &Params,
) -> Result<(Arc<Client>, AuthMethod), OAuthError> {
    if let Some(assertion) = presented_assertion(headers, params)? {
        return authenticate_assertion(state, meta, params, assertion).await;
    }
    let (client_id, secret, method) = presented_credentials(headers, params)?;
    if client_id.len() > 200 {
        return Err(OAuthError::invalid_client("unknown client"));
    }
    let client = state
        .clients
        .get(&state.db.read, &client_id)
        .await?
        .ok_or_else(|| OAuthError::invalid_client("unknown client or bad credentials"))?;
    if client.is_confidential() {
        if let Some(t) = throttle::check_client(state, &client.client_id).await? {
            return Err(OAuthError::client_throttled(t.retry_after));
        }
    }
    check_secret(state, meta, &client, secret).await?;
    check_method(&client, method)?;
    Ok((client, method))
}

/// A `client_assertion` (RFC 7521 §4.2), when the request carries one: of the JWT type,
/// and the only credential presented.
fn presented_assertion<'a>(
    headers: &HeaderMap,
    params: &'a Params,
) -> Result<Option<&'a str>, OAuthError> {
    let (assertion, kind) = (
        params.get("client_assertion"),
        params.get("client_assertion_type"),
    );
    if assertion.is_none() && kind.is_none() {
        return Ok(None);
    }
    if kind != Some(ASSERTION_TYPE) {
        return Err(OAuthError::invalid_client(format!(
            "client_assertion_type must be {ASSERTION_TYPE}"
        )));
    }
    let assertion =
        assertion.ok_or_else(|| OAuthError::invalid_request("client_assertion is required"))?;
    if headers.contains_key(header::AUTHORIZATION) || params.get("client_secret").is_some() {
        return Err(OAuthError::invalid_request(
            "use exactly one client authentication method",
        ));
    }
    Ok(Some(assertion))
}

/// `private_key_jwt`: the client the assertion names (and `client_id`, if sent, must be
/// the same) must be registered for it; a refusal counts against the client like a
/// wrong secret.
async fn authenticate_assertion(
    state: &AppState,
    meta: &RequestMeta,
    params: &Params,
    assertion: &str,
) -> Result<(Arc<Client>, AuthMethod), OAuthError> {
    let client_id = client_assertion::claimed_client_id(assertion)?;
    if params.get("client_id").is_some_and(|id| id != client_id) {
        return Err(OAuthError::invalid_client(
            "client_id does not match the client assertion",
        ));
    }
    let client = state
        .clients
        .get(&state.db.read, &client_id)
        .await?
        .ok_or_else(|| OAuthError::invalid_client("unknown client or bad credentials"))?;
    if let Some(t) = throttle::check_client(state, &client.client_id).await? {
        return Err(OAuthError::client_throttled(t.retry_after));
    }
    let checked = if client.app.token_auth == TokenAuthMethod::PrivateKeyJwt {
        client_assertion::verify(state, &client, assertion).await
    } else {
        Err(OAuthError::invalid_client(
            "this client does not authenticate with a client assertion",
        ))
    };
    match checked {
        Ok(()) => Ok((client, AuthMethod::PrivateKeyJwt)),
        Err(e) => {
            if e.status == axum::http::StatusCode::UNAUTHORIZED {
                count_failure(state, meta, &client.client_id).await;
            }
            Err(e)
        }
    }
}

/// Counts a failed client authentication. The request is refused either way; a counter
/// that cannot be written is logged rather than turned into a 500 for every guess.
async fn count_failure(state: &AppState, meta: &RequestMeta, client_id: &str) {
    if let Err(e) = throttle::record_client_failure(state, meta, client_id).await {
        tracing::error!(error = %e, "cannot count a failed client authentication");
    }
}

/// A client whose policy wants the registered method (a confidential web client) must
/// send its secret that way: `client_secret_basic` registered, a body secret is refused,
/// and the other way round (RFC 7591 §2: the method is part of the registration).
fn check_method(client: &Client, used: AuthMethod) -> Result<(), OAuthError> {
    let registered = match client.app.token_auth {
        TokenAuthMethod::ClientSecretBasic => AuthMethod::SecretBasic,
        TokenAuthMethod::ClientSecretPost => AuthMethod::SecretPost,
        _ => return Ok(()),
    };
    if client.policy.exact_auth_method && used != registered {
        return Err(OAuthError::invalid_client(format!(
            "this client is registered for {}: send its secret that way",
            client.app.token_auth.as_str()
        )));
    }
    Ok(())
}

/// The client id, the secret (if any) and how they came: Basic header, body, or a bare
/// `client_id` for a public client. Both a header and a body secret is refused.
fn presented_credentials(
    headers: &HeaderMap,
    params: &Params,
) -> Result<(String, Option<String>, AuthMethod), OAuthError> {
    let basic = basic_credentials(headers)?;
    let body_id = params.get("client_id");
    let body_secret = params.get("client_secret");
    match (basic, body_secret) {
        (Some(_), Some(_)) => Err(OAuthError::invalid_request(
            "use exactly one client authentication method",
        )),
        (Some((id, secret)), None) => {
            if body_id.is_some_and(|b| b != id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the body does not match the Authorization header",
                ));
            }
            Ok((id, Some(secret), AuthMethod::SecretBasic))
        }
        (None, Some(secret)) => {
            let id = body_id.ok_or_else(|| OAuthError::invalid_request("client_id is required"))?;
            Ok((
                id.to_string(),
                Some(secret.to_string()),
                AuthMethod::SecretPost,
            ))
        }
        (None, None) => match body_id {
            Some(id) => Ok((id.to_string(), None, AuthMethod::None)),
            None => Err(OAuthError::invalid_client(
                "client authentication is required",
            )),
        },
    }
}

/// A confidential client's secret must match (compared in constant time; a wrong one is
/// counted); a public client must present none; a `private_key_jwt` client must send an
/// assertion instead.
async fn check_secret(
    state: &AppState,
    meta: &RequestMeta,
    client: &Client,
    secret: Option<String>,
) -> Result<(), OAuthError> {
    if client.app.token_auth == TokenAuthMethod::PrivateKeyJwt {
        return Err(OAuthError::invalid_client(
            "this client authenticates with a signed client assertion (private_key_jwt)",
        ));
    }
    match (&client.secret_hash, secret) {
        (Some(stored), Some(given)) => {
            if !ct_eq(stored, &sha256(&given)) {
                count_failure(state, meta, &client.client_id).await;
                return Err(OAuthError::invalid_client(
                    "unknown client or bad credentials",
                ));
            }
            Ok(())
        }
        (Some(_), None) => Err(OAuthError::invalid_client(
            "this client is confidential: authenticate with its secret",
        )),
        (None, Some(_)) => Err(OAuthError::invalid_client(
            "this client is public and has no secret",
        )),
        (None, None) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn basic_header_is_form_decoded() {
        let mut h = HeaderMap::new();
        let raw = STANDARD.encode("my%20id:p%3Ass");
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {raw}")).unwrap(),
        );
        assert_eq!(
            basic_credentials(&h).unwrap(),
            Some(("my id".to_string(), "p:ss".to_string()))
        );
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert!(basic_credentials(&h).is_err());
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert!(basic_credentials(&h).is_err());
    }
}
