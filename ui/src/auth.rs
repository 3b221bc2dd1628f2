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

use crate::api::ApiError;
use crate::oidc::{
    self, discovery, post_form, session_get, session_remove, session_set, token_request,
    TokenResponse,
};

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

type RefreshFuture = Shared<LocalBoxFuture<'static, Result<(), ApiError>>>;

thread_local! {
    static STATE: ArcRwSignal<AuthState> = ArcRwSignal::new(AuthState::Working("Starting…"));
    static TOKENS: RefCell<Option<Tokens>> = const { RefCell::new(None) };
    static REFRESHING: RefCell<Option<RefreshFuture>> = const { RefCell::new(None) };
    static REFRESH_TIMER: RefCell<Option<TimeoutHandle>> = const { RefCell::new(None) };
}

/// The sign-in state the shell renders from.
pub fn state() -> ArcRwSignal<AuthState> {
    STATE.with(Clone::clone)
}

/// Shows `note` while something else finishes before [`start`] (a product's sign-in
/// tried from the console).
pub fn working(note: &'static str) {
    set_state(AuthState::Working(note));
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
    if !return_to.starts_with("/console")
        || return_to.starts_with("/console/callback")
        || return_to.starts_with(crate::try_signin::CALLBACK_PATH)
    {
        return_to = "/console/".to_owned();
    }
    leptos::task::spawn_local(async move {
        if let Err(error) = oidc::redirect_to_authorize(&request(prompt_login), return_to).await {
            session_remove(AUTO_KEY);
            set_state(AuthState::SignedOut(Some(Problem {
                denied: false,
                message: error.message,
            })));
        }
    });
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
                // A product's sign-in tried as someone else left its tokens for the
                // inspector: the next console sign-in goes there.
                crate::app::replace(if crate::try_signin::waiting() {
                    crate::try_signin::INSPECTOR_PATH
                } else {
                    "/console/"
                });
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
    let signed = oidc::finish(&request(false)).await.map_err(|e| match e {
        oidc::CallbackError::Refused { error, description } => refused(&error, description),
        oidc::CallbackError::Failed(message) => problem(message),
    })?;
    if !signed
        .tokens
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
    let oidc::Signed {
        pending,
        tokens,
        id_token,
        claims,
    } = signed;
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

/// The server's OAuth error answer, said for the console.
fn refused(error: &str, description: Option<String>) -> Problem {
    // Cancel on the server's "Continue to the Tessera console as …?" page.
    if error == "access_denied"
        && description
            .as_deref()
            .is_some_and(|d| d.contains("cancelled"))
    {
        return Problem {
            denied: true,
            message: "You cancelled the sign-in. Sign in again, or as someone else.".into(),
        };
    }
    if error == "access_denied" {
        return Problem {
            denied: true,
            message: format!(
                "This account is not a super-admin: {}.",
                description
                    .as_deref()
                    .unwrap_or("only super-admins can sign in to the console")
                    .trim_end_matches('.')
            ),
        };
    }
    problem(format!(
        "Sign-in failed: {}",
        description.as_deref().unwrap_or(error)
    ))
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
                    oidc::check_id_token(&id_token, &discovery.issuer, CLIENT_ID, None)
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

fn request(prompt_login: bool) -> oidc::Request<'static> {
    oidc::Request {
        client_id: CLIENT_ID,
        redirect_uri: oidc::here("/console/callback"),
        scope: SCOPE,
        prompt_login,
        pending_key: PENDING_KEY,
    }
}
