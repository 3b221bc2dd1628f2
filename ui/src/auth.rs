//! Sign-in: the console is the built-in public OIDC client `tessera-console` of the
//! server it is served by (authorization code + PKCE S256, `state`, `nonce`, scope
//! `openid profile email admin`). Only super-admins get the `admin` scope; anyone else
//! comes back with `error=access_denied`.
//!
//! Tokens live in memory only. A session flag in sessionStorage makes a reload re-run the
//! authorize redirect; with the server's SSO cookie that needs no password, but the server
//! asks the super-admin to confirm ("Continue to the Tessera console as …?"), or for the
//! password again once the session is older than 10 minutes: a page that opens the
//! authorize URL never gets a console code silently. The callback handles it all. The PKCE
//! verifier, state, nonce and return path sit in sessionStorage only between the
//! redirect and the callback.
//!
//! The ID token's claims (`iss`, `aud`, `exp`, `nonce`) are checked; its signature is
//! not, on purpose: the token comes straight from this origin's token endpoint over the
//! same connection the console itself was loaded from (the TLS-equivalent channel OIDC
//! Core §3.1.3.7 allows to stand in for signature validation), and the console trusts
//! that origin for its own code anyway.

use std::cell::RefCell;
use std::time::Duration;

use futures::future::{FutureExt, LocalBoxFuture, Shared};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::api::{self, ApiError};

pub const CLIENT_ID: &str = "tessera-console";
const SCOPE: &str = "openid profile email admin";
/// Set after a successful sign-in: a reload signs in again without a click.
const AUTO_KEY: &str = "tessera.console.signed_in";
/// PKCE verifier, state, nonce and return path between redirect and callback.
const PENDING_KEY: &str = "tessera.console.pending";
/// Refresh when less than this is left on the access token.
const REFRESH_MARGIN_MS: f64 = 60_000.0;

/// Who is signed in (from the ID token).
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    pub sub: String,
    pub email: Option<String>,
    pub name: Option<String>,
}

impl Profile {
    /// Email, else name, else subject.
    pub fn display(&self) -> String {
        self.email
            .clone()
            .or_else(|| self.name.clone())
            .unwrap_or_else(|| self.sub.clone())
    }
}

/// Why the console is signed out, shown on the landing page.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// The server refused this account (not a super-admin).
    pub denied: bool,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum AuthState {
    /// On the way to or back from the login page.
    Working(&'static str),
    SignedOut(Option<Problem>),
    SignedIn(Profile),
}

struct Tokens {
    access_token: String,
    refresh_token: Option<String>,
    /// `Date.now()` milliseconds.
    expires_at_ms: f64,
    id_token: String,
}

#[derive(Clone, Debug, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    #[serde(default)]
    end_session_endpoint: Option<String>,
    #[serde(default)]
    revocation_endpoint: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Pending {
    verifier: String,
    state: String,
    nonce: String,
    return_to: String,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<f64>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    id_token: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

type RefreshFuture = Shared<LocalBoxFuture<'static, Result<(), ApiError>>>;

thread_local! {
    static STATE: ArcRwSignal<AuthState> = ArcRwSignal::new(AuthState::Working("Starting…"));
    static TOKENS: RefCell<Option<Tokens>> = const { RefCell::new(None) };
    static DISCOVERY: RefCell<Option<Discovery>> = const { RefCell::new(None) };
    static REFRESHING: RefCell<Option<RefreshFuture>> = const { RefCell::new(None) };
    static REFRESH_TIMER: RefCell<Option<TimeoutHandle>> = const { RefCell::new(None) };
}

/// The sign-in state the shell renders from.
pub fn state() -> ArcRwSignal<AuthState> {
    STATE.with(Clone::clone)
}

fn set_state(next: AuthState) {
    state().set(next);
}

/// At start-up (not on the callback): sign in again at once after a reload, otherwise
/// show the landing page.
pub fn start() {
    // `?signin=1` (the desktop window after first-run setup): straight to the login page.
    if crate::app::query_param("signin").is_some() {
        let path = window().location().pathname().unwrap_or_default();
        crate::app::replace(&path);
        sign_in(false);
    } else if session_get(AUTO_KEY).as_deref() == Some("1") {
        sign_in(false);
    } else {
        set_state(AuthState::SignedOut(None));
    }
}

/// Goes to the server's login page (`prompt=login` asks for the password even when an SSO
/// session exists: "Sign in as someone else"). Comes back to the current page.
pub fn sign_in(prompt_login: bool) {
    set_state(AuthState::Working("Signing in…"));
    let location = window().location();
    let mut return_to = format!(
        "{}{}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    );
    if !return_to.starts_with("/console") || return_to.starts_with("/console/callback") {
        return_to = "/console/".to_owned();
    }
    leptos::task::spawn_local(async move {
        if let Err(error) = redirect_to_authorize(return_to, prompt_login).await {
            session_remove(AUTO_KEY);
            set_state(AuthState::SignedOut(Some(Problem {
                denied: false,
                message: error.message,
            })));
        }
    });
}

async fn redirect_to_authorize(return_to: String, prompt_login: bool) -> Result<(), ApiError> {
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
    params.append("client_id", CLIENT_ID);
    params.append("redirect_uri", &redirect_uri());
    params.append("scope", SCOPE);
    params.append("state", &pending.state);
    params.append("nonce", &pending.nonce);
    params.append("code_challenge", &challenge);
    params.append("code_challenge_method", "S256");
    if prompt_login {
        params.append("prompt", "login");
    }
    let json = serde_json::to_string(&pending).unwrap_or_default();
    session_set(PENDING_KEY, &json);
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

/// On `/console/callback`: checks `state`, exchanges the code, checks the ID token, then
/// goes back to the page sign-in started from.
pub fn handle_callback() {
    set_state(AuthState::Working("Finishing sign-in…"));
    leptos::task::spawn_local(async move {
        match finish_callback().await {
            Ok((profile, return_to)) => {
                session_set(AUTO_KEY, "1");
                crate::app::replace(&return_to);
                set_state(AuthState::SignedIn(profile));
            }
            Err(problem) => {
                session_remove(AUTO_KEY);
                crate::app::replace("/console/");
                set_state(AuthState::SignedOut(Some(problem)));
            }
        }
    });
}

fn problem(message: impl Into<String>) -> Problem {
    Problem {
        denied: false,
        message: message.into(),
    }
}

async fn finish_callback() -> Result<(Profile, String), Problem> {
    let search = window().location().search().unwrap_or_default();
    let params = web_sys::UrlSearchParams::new_with_str(&search)
        .map_err(|_| problem("The sign-in answer could not be read."))?;
    let pending =
        session_get(PENDING_KEY).and_then(|json| serde_json::from_str::<Pending>(&json).ok());
    session_remove(PENDING_KEY);

    if let Some(error) = params.get("error") {
        let description = params.get("error_description");
        // Cancel on the server's "Continue to the Tessera console as …?" page.
        if error == "access_denied"
            && description
                .as_deref()
                .is_some_and(|d| d.contains("cancelled"))
        {
            return Err(Problem {
                denied: true,
                message: "You cancelled the sign-in. Sign in again, or as someone else.".into(),
            });
        }
        if error == "access_denied" {
            return Err(Problem {
                denied: true,
                message: format!(
                    "This account is not a super-admin: {}.",
                    description
                        .as_deref()
                        .unwrap_or("only super-admins can sign in to the console")
                        .trim_end_matches('.')
                ),
            });
        }
        return Err(problem(format!(
            "Sign-in failed: {}",
            description.unwrap_or(error)
        )));
    }
    let pending = pending.ok_or_else(|| {
        problem("This sign-in was not started in this tab (or it expired). Sign in again.")
    })?;
    if params.get("state").as_deref() != Some(pending.state.as_str()) {
        return Err(problem(
            "The sign-in answer does not match the request (state mismatch). Sign in again.",
        ));
    }
    let code = params
        .get("code")
        .ok_or_else(|| problem("The sign-in answer has no authorization code."))?;
    let discovery = discovery().await.map_err(|e| problem(e.message))?;
    // RFC 9207: when the server names itself, it must be this issuer.
    if let Some(iss) = params.get("iss") {
        if iss != discovery.issuer {
            return Err(problem(format!(
                "The sign-in answer came from another issuer ({iss})."
            )));
        }
    }

    let form = web_sys::UrlSearchParams::new().map_err(|_| problem("no URLSearchParams"))?;
    form.append("grant_type", "authorization_code");
    form.append("code", &code);
    form.append("redirect_uri", &redirect_uri());
    form.append("client_id", CLIENT_ID);
    form.append("code_verifier", &pending.verifier);
    let tokens = token_request(&discovery, &form)
        .await
        .map_err(|e| problem(format!("Could not finish sign-in: {}", e.message)))?;

    let id_token = tokens
        .id_token
        .clone()
        .ok_or_else(|| problem("The server sent no ID token."))?;
    let claims =
        check_id_token(&id_token, &discovery.issuer, Some(&pending.nonce)).map_err(problem)?;
    if !tokens
        .scope
        .as_deref()
        .unwrap_or("")
        .split(' ')
        .any(|s| s == "admin")
    {
        return Err(Problem {
            denied: true,
            message: "This account was not given the admin scope: only super-admins can sign in to the console.".to_owned(),
        });
    }
    store_tokens(tokens, id_token);
    let profile = Profile {
        sub: claims.sub,
        email: claims.email,
        name: claims.name,
    };
    let return_to = if pending.return_to.starts_with("/console") {
        pending.return_to
    } else {
        "/console/".to_owned()
    };
    Ok((profile, return_to))
}

#[derive(Deserialize)]
struct IdClaims {
    iss: String,
    sub: String,
    aud: serde_json::Value,
    exp: f64,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// Checks `iss`, `aud` (and `azp` when several audiences), `exp` and `nonce` of an ID
/// token (see the module docs about the signature).
fn check_id_token(jwt: &str, issuer: &str, nonce: Option<&str>) -> Result<IdClaims, String> {
    let payload = jwt.split('.').nth(1).ok_or("The ID token is not a JWT.")?;
    let bytes = base64url_decode(payload).ok_or("The ID token is not valid base64url.")?;
    let claims: IdClaims =
        serde_json::from_slice(&bytes).map_err(|e| format!("The ID token cannot be read: {e}"))?;
    if claims.iss != issuer {
        return Err(format!(
            "The ID token was issued by {} instead of {issuer}.",
            claims.iss
        ));
    }
    let audience_ok = match &claims.aud {
        serde_json::Value::String(a) => a == CLIENT_ID,
        serde_json::Value::Array(list) => list.iter().any(|a| a.as_str() == Some(CLIENT_ID)),
        _ => false,
    };
    if !audience_ok {
        return Err("The ID token is not meant for the console (aud).".to_owned());
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

fn store_tokens(tokens: TokenResponse, id_token: String) {
    let expires_in = tokens.expires_in.unwrap_or(600.0);
    let expires_at_ms = js_sys::Date::now() + expires_in * 1000.0;
    TOKENS.with(|t| {
        let mut t = t.borrow_mut();
        // A refresh answer may leave out the refresh token or the ID token.
        let previous_refresh = t.as_ref().and_then(|old| old.refresh_token.clone());
        *t = Some(Tokens {
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token.or(previous_refresh),
            expires_at_ms,
            id_token,
        });
    });
    schedule_refresh(expires_in * 1000.0);
}

/// Refreshes ahead of expiry so pages rarely wait for it.
fn schedule_refresh(lifetime_ms: f64) {
    let wait = (lifetime_ms - REFRESH_MARGIN_MS - 30_000.0).max(5_000.0);
    let handle = set_timeout_with_handle(
        || {
            leptos::task::spawn_local(async {
                let _ = refresh().await;
            })
        },
        Duration::from_millis(wait as u64),
    )
    .ok();
    REFRESH_TIMER.with(|t| {
        if let Some(old) = t.replace(handle) {
            old.clear();
        }
    });
}

/// The access token, refreshed first when less than 60 s are left.
pub async fn access_token() -> Result<String, ApiError> {
    let (token, expires_at_ms) = TOKENS
        .with(|t| {
            t.borrow()
                .as_ref()
                .map(|t| (t.access_token.clone(), t.expires_at_ms))
        })
        .ok_or_else(not_signed_in)?;
    if expires_at_ms - js_sys::Date::now() > REFRESH_MARGIN_MS {
        return Ok(token);
    }
    refresh().await?;
    TOKENS
        .with(|t| t.borrow().as_ref().map(|t| t.access_token.clone()))
        .ok_or_else(not_signed_in)
}

fn not_signed_in() -> ApiError {
    ApiError::new(401, "unauthenticated", "You are signed out: sign in again.")
}

/// Uses the refresh token (rotating). Concurrent callers share one request.
pub async fn refresh() -> Result<(), ApiError> {
    let future = REFRESHING.with(|r| {
        let mut r = r.borrow_mut();
        match &*r {
            Some(running) => running.clone(),
            None => {
                let fresh = do_refresh().boxed_local().shared();
                *r = Some(fresh.clone());
                fresh
            }
        }
    });
    let result = future.clone().await;
    REFRESHING.with(|r| {
        let mut r = r.borrow_mut();
        if r.as_ref().is_some_and(|f| f.ptr_eq(&future)) {
            *r = None;
        }
    });
    result
}

async fn do_refresh() -> Result<(), ApiError> {
    let refresh_token = TOKENS
        .with(|t| t.borrow().as_ref().and_then(|t| t.refresh_token.clone()))
        .ok_or_else(not_signed_in)?;
    let discovery = discovery().await?;
    let form = web_sys::UrlSearchParams::new().map_err(|e| ApiError::network(&e))?;
    form.append("grant_type", "refresh_token");
    form.append("refresh_token", &refresh_token);
    form.append("client_id", CLIENT_ID);
    match token_request(&discovery, &form).await {
        Ok(tokens) => {
            let id_token = match tokens.id_token.clone() {
                Some(id_token) => {
                    check_id_token(&id_token, &discovery.issuer, None)
                        .map_err(|m| ApiError::new(401, "invalid_id_token", m))?;
                    id_token
                }
                None => TOKENS
                    .with(|t| t.borrow().as_ref().map(|t| t.id_token.clone()))
                    .unwrap_or_default(),
            };
            store_tokens(tokens, id_token);
            Ok(())
        }
        // The server said no (expired, revoked, user suspended): the session is over.
        Err(error) if (400..500).contains(&error.status) => {
            session_lost();
            Err(error)
        }
        // The server is unreachable (maybe restarting): keep the session and retry later.
        Err(error) => Err(error),
    }
}

/// The API refused the token even after a refresh: sign in again (a confirmation on the
/// server's page while the SSO session lasts).
pub fn session_lost() {
    TOKENS.with(|t| t.borrow_mut().take());
    if matches!(state().get_untracked(), AuthState::SignedIn(_)) {
        sign_in(false);
    }
}

/// Ends the console session and the server's SSO session, back to the landing page.
pub fn sign_out() {
    let tokens = TOKENS.with(|t| t.borrow_mut().take());
    session_remove(AUTO_KEY);
    set_state(AuthState::Working("Signing out…"));
    leptos::task::spawn_local(async move {
        let discovery = discovery().await.ok();
        let origin = window().location().origin().unwrap_or_default();
        if let (Some(d), Some(refresh_token)) = (
            discovery.as_ref(),
            tokens.as_ref().and_then(|t| t.refresh_token.clone()),
        ) {
            // Best effort: the logout below ends the SSO session anyway.
            if let (Some(endpoint), Ok(form)) = (
                d.revocation_endpoint.clone(),
                web_sys::UrlSearchParams::new(),
            ) {
                form.append("token", &refresh_token);
                form.append("token_type_hint", "refresh_token");
                form.append("client_id", CLIENT_ID);
                let _ = post_form(&endpoint, &form).await;
            }
        }
        let endpoint = discovery
            .and_then(|d| d.end_session_endpoint)
            .unwrap_or_else(|| format!("{origin}/oauth/logout"));
        let Ok(params) = web_sys::UrlSearchParams::new() else {
            return;
        };
        if let Some(tokens) = &tokens {
            params.append("id_token_hint", &tokens.id_token);
        }
        params.append("post_logout_redirect_uri", &format!("{origin}/console/"));
        params.append("client_id", CLIENT_ID);
        let url = format!("{endpoint}?{}", String::from(params.to_string()));
        let _ = window().location().assign(&url);
    });
}

async fn discovery() -> Result<Discovery, ApiError> {
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

async fn post_form(
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

async fn token_request(
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

fn redirect_uri() -> String {
    format!(
        "{}/console/callback",
        window().location().origin().unwrap_or_default()
    )
}

fn session_storage() -> Option<web_sys::Storage> {
    window().session_storage().ok().flatten()
}

fn session_get(key: &str) -> Option<String> {
    session_storage()?.get_item(key).ok().flatten()
}

fn session_set(key: &str, value: &str) {
    if let Some(s) = session_storage() {
        let _ = s.set_item(key, value);
    }
}

fn session_remove(key: &str) {
    if let Some(s) = session_storage() {
        let _ = s.remove_item(key);
    }
}

/// `bytes` random bytes from `crypto.getRandomValues`, base64url.
fn random_token(bytes: usize) -> Result<String, ApiError> {
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
async fn sha256(data: &[u8]) -> Result<Vec<u8>, ApiError> {
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
pub fn base64url(data: &[u8]) -> String {
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

/// Decodes base64url (padding and standard `+/` tolerated).
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes().filter(|&c| c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}
