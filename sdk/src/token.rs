//! Token-endpoint plumbing shared by the login, refresh and client_credentials flows.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::Error;

/// A successful token-endpoint answer (RFC 6749 §5.1).
#[derive(Debug, Deserialize)]
pub(crate) struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub expires_in: Option<u64>,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub id_token: Option<String>,
}

#[derive(Deserialize)]
struct ErrorResponse {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// POSTs a form to the token endpoint, with client_secret_basic when `basic` is given.
pub(crate) async fn post_token(
    http: &reqwest::Client,
    endpoint: &str,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> Result<TokenResponse, Error> {
    let body = post_form(http, endpoint, form, basic).await?;
    serde_json::from_slice(&body)
        .map_err(|e| Error::UnexpectedResponse(format!("token response: {e}")))
}

/// POSTs an OAuth form (token, revocation), with client_secret_basic when `basic` is
/// given; a success's body, or the OAuth error of a refusal.
pub(crate) async fn post_form(
    http: &reqwest::Client,
    endpoint: &str,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> Result<Vec<u8>, Error> {
    let mut req = http
        .post(endpoint)
        .header(reqwest::header::ACCEPT, "application/json")
        .form(form);
    if let Some((id, secret)) = basic {
        req = req.header(reqwest::header::AUTHORIZATION, basic_auth(id, secret));
    }
    let resp = req.send().await?;
    let status = resp.status();
    let body = resp.bytes().await?;
    if status.is_success() {
        return Ok(body.to_vec());
    }
    match serde_json::from_slice::<ErrorResponse>(&body) {
        Ok(err) => Err(Error::OAuth {
            error: err.error,
            description: err.error_description,
        }),
        Err(_) => Err(Error::UnexpectedResponse(format!(
            "{endpoint} answered {status}"
        ))),
    }
}

/// POSTs a form to the token endpoint, authenticated by a fresh `private_key_jwt`
/// assertion of `client_id` (`aud` = the endpoint).
pub(crate) async fn post_token_signed(
    http: &reqwest::Client,
    endpoint: &str,
    form: &[(&str, &str)],
    client_id: &str,
    key: &crate::PrivateKeyJwt,
) -> Result<TokenResponse, Error> {
    let assertion = key.assertion(client_id, endpoint)?;
    let mut form = form.to_vec();
    form.push((
        "client_assertion_type",
        crate::private_key_jwt::ASSERTION_TYPE,
    ));
    form.push(("client_assertion", &assertion));
    post_token(http, endpoint, &form, None).await
}

/// `Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1).
fn basic_auth(id: &str, secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", enc(id), enc(secret)))
    )
}

/// The payload of a JWT, decoded WITHOUT verification (display only).
pub(crate) fn unverified_claims(jwt: &str) -> Map<String, Value> {
    jwt.split('.')
        .nth(1)
        .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
        .and_then(|p| serde_json::from_slice(&p).ok())
        .unwrap_or_default()
}

/// Seconds since the Unix epoch.
pub(crate) fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// When a token from `resp` expires: `expires_in`, else the JWT's `exp`, else 60 s.
pub(crate) fn expires_at(resp: &TokenResponse, claims: &Map<String, Value>) -> u64 {
    match resp.expires_in {
        Some(secs) => now_unix().saturating_add(secs),
        None => claims
            .get("exp")
            .and_then(Value::as_u64)
            .unwrap_or_else(|| now_unix() + 60),
    }
}

/// 256 random bits, base64url.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // aws-lc's RNG only fails if the OS entropy source is gone; no safe fallback exists.
    aws_lc_rs::rand::fill(&mut bytes).expect("system random source unavailable");
    URL_SAFE_NO_PAD.encode(bytes)
}
