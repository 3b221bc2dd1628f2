//! Token-endpoint plumbing shared by the login, refresh and client_credentials flows.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::dpop::DpopKey;
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

/// How a token-endpoint (or revocation) request proves which client sends it.
#[derive(Clone, Copy)]
pub(crate) enum ClientProof<'a> {
    /// Nothing beyond the form (`client_id`, or a `client_secret_post` secret in it).
    Form,
    /// `client_secret_basic`: id and secret.
    Basic(&'a str, &'a str),
    /// `private_key_jwt`: a fresh assertion for each attempt (a retry after
    /// `use_dpop_nonce` may not repeat its `jti`).
    Assertion {
        client_id: &'a str,
        key: &'a crate::PrivateKeyJwt,
        aud: &'a str,
    },
}

/// POSTs a form to the token endpoint: see [`post_form`]; the answer parsed.
pub(crate) async fn post_token(
    http: &reqwest::Client,
    endpoint: &str,
    form: &[(&str, &str)],
    proof: ClientProof<'_>,
    dpop: Option<&DpopKey>,
) -> Result<TokenResponse, Error> {
    let body = post_form(http, endpoint, form, proof, dpop).await?;
    serde_json::from_slice(&body)
        .map_err(|e| Error::UnexpectedResponse(format!("token response: {e}")))
}

/// POSTs an OAuth form (token, revocation) authenticated by `proof`, with a DPoP proof by
/// `dpop` when given (retried once with the server's nonce on `use_dpop_nonce`); a
/// success's body, or the OAuth error of a refusal.
pub(crate) async fn post_form(
    http: &reqwest::Client,
    endpoint: &str,
    form: &[(&str, &str)],
    proof: ClientProof<'_>,
    dpop: Option<&DpopKey>,
) -> Result<Vec<u8>, Error> {
    let attempt = || async {
        let assertion;
        let mut form = form.to_vec();
        let mut req = http
            .post(endpoint)
            .header(reqwest::header::ACCEPT, "application/json");
        match proof {
            ClientProof::Form => {}
            ClientProof::Basic(id, secret) => {
                req = req.header(reqwest::header::AUTHORIZATION, basic_auth(id, secret));
            }
            ClientProof::Assertion {
                client_id,
                key,
                aud,
            } => {
                assertion = key.assertion(client_id, aud).map_err(|e| (e, None))?;
                form.extend([
                    (
                        "client_assertion_type",
                        crate::private_key_jwt::ASSERTION_TYPE,
                    ),
                    ("client_assertion", assertion.as_str()),
                ]);
            }
        }
        req = req.form(&form);
        if let Some(key) = dpop {
            let proof = key.proof("POST", endpoint, None).map_err(|e| (e, None))?;
            req = req.header("DPoP", proof);
        }
        let resp = req.send().await.map_err(|e| (e.into(), None))?;
        read_response(resp, endpoint).await
    };
    match attempt().await {
        Err((Error::OAuth { error, .. }, Some(headers)))
            if error == "use_dpop_nonce" && dpop.is_some_and(|k| k.remember_nonce(&headers)) =>
        {
            attempt().await.map_err(|(e, _)| e)
        }
        other => other.map_err(|(e, _)| e),
    }
}

/// A success's body, or the error with the response's headers (for its `DPoP-Nonce`).
async fn read_response(
    resp: reqwest::Response,
    endpoint: &str,
) -> Result<Vec<u8>, (Error, Option<reqwest::header::HeaderMap>)> {
    let headers = resp.headers().clone();
    let status = resp.status();
    let body = resp.bytes().await.map_err(|e| (e.into(), None))?;
    if status.is_success() {
        return Ok(body.to_vec());
    }
    let error = match serde_json::from_slice::<ErrorResponse>(&body) {
        Ok(err) => Error::OAuth {
            error: err.error,
            description: err.error_description,
        },
        Err(_) => Error::UnexpectedResponse(format!("{endpoint} answered {status}")),
    };
    Err((error, Some(headers)))
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
