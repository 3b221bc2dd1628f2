//! The console's OpenID Connect client pieces, shared by its own sign-in (`auth`) and by
//! "Try sign-in" of a product (`try_signin`): this origin's discovery document, the
//! authorization request (code + PKCE S256, `state`, `nonce`), the callback's checks and
//! the code exchange, and the sessionStorage a pending request waits in between the
//! redirect and the callback.

use std::cell::RefCell;

use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use leptos::prelude::window;

use crate::api::{self, ApiError};

#[derive(Clone, Debug, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
}

#[derive(Clone, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub expires_in: Option<f64>,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub id_token: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

thread_local! {
    static DISCOVERY: RefCell<Option<Discovery>> = const { RefCell::new(None) };
}

/// An authorization request waiting for its answer (in sessionStorage under its key).
#[derive(Serialize, Deserialize)]
pub struct Pending {
    pub verifier: String,
    pub state: String,
    pub nonce: String,
    /// Where to go once the answer is handled (the flow's own meaning).
    pub return_to: String,
}

/// One client's authorization request.
pub struct Request<'a> {
    pub client_id: &'a str,
    pub redirect_uri: String,
    pub scope: &'a str,
    /// `prompt=login`: the password even when an SSO session exists.
    pub prompt_login: bool,
    /// The sessionStorage key its [`Pending`] waits under.
    pub pending_key: &'a str,
}

/// Keeps a fresh [`Pending`] and sends the browser to the authorization endpoint.
pub async fn redirect_to_authorize(
    request: &Request<'_>,
    return_to: String,
) -> Result<(), ApiError> {
    let discovery = discovery().await?;
    let verifier = random_token(32)?;
    let challenge = base64url(&sha256(verifier.as_bytes()).await?);
    let pending = Pending {
        verifier,
        state: random_token(24)?,
        nonce: random_token(24)?,
        return_to,
    };
    let params = web_sys::UrlSearchParams::new().map_err(|e| ApiError::network(&e))?;
    params.append("response_type", "code");
    params.append("client_id", request.client_id);
    params.append("redirect_uri", &request.redirect_uri);
    params.append("scope", request.scope);
    params.append("state", &pending.state);
    params.append("nonce", &pending.nonce);
    params.append("code_challenge", &challenge);
    params.append("code_challenge_method", "S256");
    if request.prompt_login {
        params.append("prompt", "login");
    }
    let json = serde_json::to_string(&pending).unwrap_or_default();
    session_set(request.pending_key, &json);
    let url = format!(
        "{}?{}",
        discovery.authorization_endpoint,
        String::from(params.to_string())
    );
    window()
        .location()
        .assign(&url)
        .map_err(|e| ApiError::network(&e))
}

/// Why a callback produced no tokens.
#[derive(Clone, Debug, PartialEq)]
pub enum CallbackError {
    /// The server answered with an OAuth error (`access_denied`, …).
    Refused {
        error: String,
        description: Option<String>,
    },
    /// Anything else, said for a person.
    Failed(String),
}

/// What a callback got: the request it answers, the tokens, and the ID token's claims.
pub struct Signed {
    pub pending: Pending,
    pub tokens: TokenResponse,
    pub id_token: String,
    pub claims: IdClaims,
}

/// On a callback page: takes the pending request (single use), checks `state` and `iss`
/// (RFC 9207), exchanges the code with the PKCE verifier, and checks the ID token.
pub async fn finish(request: &Request<'_>) -> Result<Signed, CallbackError> {
    let failed = |m: &str| CallbackError::Failed(m.to_owned());
    let search = window().location().search().unwrap_or_default();
    let params = web_sys::UrlSearchParams::new_with_str(&search)
        .map_err(|_| failed("The sign-in answer could not be read."))?;
    let pending = session_get(request.pending_key)
        .and_then(|json| serde_json::from_str::<Pending>(&json).ok());
    session_remove(request.pending_key);
    if let Some(error) = params.get("error") {
        return Err(CallbackError::Refused {
            error,
            description: params.get("error_description"),
        });
    }
    let pending = pending.ok_or_else(|| {
        failed("This sign-in was not started in this tab (or it expired). Sign in again.")
    })?;
    if params.get("state").as_deref() != Some(pending.state.as_str()) {
        return Err(failed(
            "The sign-in answer does not match the request (state mismatch). Sign in again.",
        ));
    }
    let code = params
        .get("code")
        .ok_or_else(|| failed("The sign-in answer has no authorization code."))?;
    let discovery = discovery()
        .await
        .map_err(|e| CallbackError::Failed(e.message))?;
    if let Some(iss) = params.get("iss") {
        if iss != discovery.issuer {
            return Err(CallbackError::Failed(format!(
                "The sign-in answer came from another issuer ({iss})."
            )));
        }
    }
    let form = web_sys::UrlSearchParams::new().map_err(|_| failed("no URLSearchParams"))?;
    form.append("grant_type", "authorization_code");
    form.append("code", &code);
    form.append("redirect_uri", &request.redirect_uri);
    form.append("client_id", request.client_id);
    form.append("code_verifier", &pending.verifier);
    let tokens = token_request(&discovery, &form)
        .await
        .map_err(|e| CallbackError::Failed(format!("Could not finish sign-in: {}", e.message)))?;
    let id_token = tokens
        .id_token
        .clone()
        .ok_or_else(|| failed("The server sent no ID token."))?;
    let claims = check_id_token(
        &id_token,
        &discovery.issuer,
        request.client_id,
        Some(&pending.nonce),
    )
    .map_err(CallbackError::Failed)?;
    Ok(Signed {
        pending,
        tokens,
        id_token,
        claims,
    })
}

#[derive(Clone, Debug, Deserialize)]
pub struct IdClaims {
    pub iss: String,
    pub sub: String,
    pub aud: serde_json::Value,
    pub exp: f64,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// Checks `iss`, `aud` (`client_id` among them), `exp` and `nonce` of an ID token. Not
/// its signature: it comes straight from this origin's token endpoint over the
/// connection the console was loaded from (OIDC Core §3.1.3.7 lets that TLS channel
/// stand in for the signature; see `auth`).
pub fn check_id_token(
    jwt: &str,
    issuer: &str,
    client_id: &str,
    nonce: Option<&str>,
) -> Result<IdClaims, String> {
    let payload = jwt.split('.').nth(1).ok_or("The ID token is not a JWT.")?;
    let bytes = crate::pages::inspector::jwt::b64url_decode(payload)
        .map_err(|_| "The ID token is not valid base64url.")?;
    let claims: IdClaims =
        serde_json::from_slice(&bytes).map_err(|e| format!("The ID token cannot be read: {e}"))?;
    if claims.iss != issuer {
        return Err(format!(
            "The ID token was issued by {} instead of {issuer}.",
            claims.iss
        ));
    }
    let audience_ok = match &claims.aud {
        serde_json::Value::String(a) => a == client_id,
        serde_json::Value::Array(list) => list.iter().any(|a| a.as_str() == Some(client_id)),
        _ => false,
    };
    if !audience_ok {
        return Err(format!("The ID token is not meant for {client_id} (aud)."));
    }
    // 2 minutes of clock skew.
    if claims.exp + 120.0 < js_sys::Date::now() / 1000.0 {
        return Err("The ID token has expired: check this computer's clock.".to_owned());
    }
    if let Some(expected) = nonce {
        if claims.nonce.as_deref() != Some(expected) {
            return Err("The ID token does not match this sign-in (nonce).".to_owned());
        }
    }
    Ok(claims)
}

/// `{this origin}{path}`: a redirect URI on the origin the console was loaded from.
pub fn here(path: &str) -> String {
    format!("{}{path}", window().location().origin().unwrap_or_default())
}

/// This origin's discovery document (fetched once).
pub async fn discovery() -> Result<Discovery, ApiError> {
    if let Some(d) = DISCOVERY.with(|d| d.borrow().clone()) {
        return Ok(d);
    }
    let origin = window().location().origin().unwrap_or_default();
    let url = format!("{origin}/.well-known/openid-configuration");
    let response = api::fetch(
        "GET",
        &url,
        &[("Accept", "application/json".to_owned())],
        None,
    )
    .await?;
    let text = api::response_text(&response).await?;
    if !response.ok() {
        return Err(ApiError::new(
            response.status(),
            "discovery",
            format!("The discovery document answered HTTP {}", response.status()),
        ));
    }
    let d: Discovery = serde_json::from_str(&text).map_err(|e| {
        ApiError::new(
            0,
            "discovery",
            format!("Unexpected discovery document: {e}"),
        )
    })?;
    DISCOVERY.with(|cell| *cell.borrow_mut() = Some(d.clone()));
    Ok(d)
}

/// POSTs a form, asking for JSON.
pub async fn post_form(
    url: &str,
    form: &web_sys::UrlSearchParams,
) -> Result<web_sys::Response, ApiError> {
    api::fetch(
        "POST",
        url,
        &[
            (
                "Content-Type",
                "application/x-www-form-urlencoded".to_owned(),
            ),
            ("Accept", "application/json".to_owned()),
        ],
        Some(JsValue::from(form.to_string())),
    )
    .await
}

/// A token endpoint request; an OAuth error answer becomes an `ApiError` with its
/// description.
pub async fn token_request(
    discovery: &Discovery,
    form: &web_sys::UrlSearchParams,
) -> Result<TokenResponse, ApiError> {
    let response = post_form(&discovery.token_endpoint, form).await?;
    let status = response.status();
    let text = api::response_text(&response).await?;
    if !response.ok() {
        let message = serde_json::from_str::<OAuthErrorBody>(&text)
            .map(|e| e.error_description.unwrap_or(e.error))
            .unwrap_or_else(|_| format!("the token endpoint answered HTTP {status}"));
        return Err(ApiError::new(status, "token", message));
    }
    serde_json::from_str(&text)
        .map_err(|e| ApiError::new(0, "token", format!("Unexpected token endpoint answer: {e}")))
}

fn session_storage() -> Option<web_sys::Storage> {
    window().session_storage().ok().flatten()
}

pub fn session_get(key: &str) -> Option<String> {
    session_storage()?.get_item(key).ok().flatten()
}

pub fn session_set(key: &str, value: &str) {
    if let Some(s) = session_storage() {
        let _ = s.set_item(key, value);
    }
}

pub fn session_remove(key: &str) {
    if let Some(s) = session_storage() {
        let _ = s.remove_item(key);
    }
}

/// `bytes` random bytes from `crypto.getRandomValues`, base64url.
pub fn random_token(bytes: usize) -> Result<String, ApiError> {
    let mut buf = vec![0u8; bytes];
    window()
        .crypto()
        .and_then(|c| c.get_random_values_with_u8_array(&mut buf))
        .map_err(|e| {
            ApiError::new(
                0,
                "crypto",
                format!("No secure random numbers: {}", api::js_error_text(&e)),
            )
        })?;
    Ok(base64url(&buf))
}

/// SHA-256 with WebCrypto (needs a secure context: https, localhost or 127.0.0.1).
pub async fn sha256(data: &[u8]) -> Result<Vec<u8>, ApiError> {
    let crypto = window().crypto().map_err(|e| ApiError::network(&e))?;
    let subtle: JsValue = crypto.subtle().into();
    if subtle.is_undefined() {
        return Err(ApiError::new(
            0,
            "crypto",
            "The console needs a secure page (https, localhost or 127.0.0.1) to sign in.",
        ));
    }
    let subtle: web_sys::SubtleCrypto = subtle.unchecked_into();
    let promise = subtle
        .digest_with_str_and_u8_array("SHA-256", data)
        .map_err(|e| ApiError::network(&e))?;
    let digest = JsFuture::from(promise)
        .await
        .map_err(|e| ApiError::network(&e))?;
    Ok(js_sys::Uint8Array::new(&digest).to_vec())
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding.
fn base64url(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}
