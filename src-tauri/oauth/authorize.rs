//! `/oauth/authorize`: validates the request in small named checks, then either issues
//! a code for a live SSO session or sends the browser to the hosted login page.

use super::params::{Form, Params};
use super::{cookie, set_cookie, INTERACTION_COOKIE, SESSION_COOKIE};
use crate::crypto::{random_token, sha256};
use crate::domain::redirect::with_params;
use crate::domain::{pkce, scope};
use crate::error::OAuthError;
use crate::pages;
use crate::state::{AppState, Shared};
use crate::store::clients::{self, Client, ClientKind};
use crate::store::sessions::{self, InteractionRow};
use crate::store::tokens::{self, CodeRow};
use crate::store::{now, users};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// Lifetime of an authorization code, seconds.
const CODE_TTL: i64 = 60;
/// How long the login page stays usable.
const INTERACTION_TTL: i64 = 15 * 60;

/// A validated authorization request, kept while the user signs in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: Vec<String>,
    pub state: String,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub max_age: Option<i64>,
    pub prompt_login: bool,
}

/// An error that may be sent back to the client (the redirect URI is trusted).
struct Redirectable {
    redirect_uri: String,
    state: Option<String>,
    error: OAuthError,
}

pub async fn authorize_get(
    State(s): State<Shared>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    match Params::parse(q.unwrap_or_default().as_bytes()) {
        Ok(p) => authorize(&s, &headers, p).await,
        Err(e) => pages::error_page(
            StatusCode::BAD_REQUEST,
            "Bad sign-in request",
            &e.description,
        ),
    }
}

pub async fn authorize_post(
    State(s): State<Shared>,
    headers: HeaderMap,
    form: Result<Form, OAuthError>,
) -> Response {
    match form {
        Ok(Form(p)) => authorize(&s, &headers, p).await,
        Err(e) => pages::error_page(e.status, "Bad sign-in request", &e.description),
    }
}

async fn authorize(s: &AppState, headers: &HeaderMap, p: Params) -> Response {
    // Until the client and redirect URI are known good, errors are shown, never redirected.
    let (client, redirect_uri) = match check_client_and_redirect(s, &p).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let req = match check_request(&client, &redirect_uri, &p) {
        Ok(r) => r,
        Err(e) => return redirect_error(s, e),
    };
    let prompt_none = p
        .get("prompt")
        .is_some_and(|v| v.split(' ').any(|x| x == "none"));
    match current_session(s, headers, &req).await {
        Ok(Some((user_id, session_id, auth_time))) => {
            match issue_code(s, &req, &user_id, &session_id, auth_time).await {
                Ok(location) => see_other(&location, None),
                Err(e) => redirect_error(s, redirectable(&req, e)),
            }
        }
        Ok(None) if prompt_none => redirect_error(
            s,
            redirectable(
                &req,
                OAuthError::new(
                    StatusCode::BAD_REQUEST,
                    "login_required",
                    "the user is not signed in",
                ),
            ),
        ),
        Ok(None) => match start_interaction(s, &req).await {
            Ok(id) => see_other(
                &format!("/login?interaction={id}"),
                Some(set_cookie(
                    INTERACTION_COOKIE,
                    &id,
                    INTERACTION_TTL,
                    s.secure_cookies,
                )),
            ),
            Err(e) => redirect_error(s, redirectable(&req, e)),
        },
        Err(e) => redirect_error(s, redirectable(&req, e)),
    }
}

fn redirectable(req: &AuthRequest, error: OAuthError) -> Redirectable {
    Redirectable {
        redirect_uri: req.redirect_uri.clone(),
        state: Some(req.state.clone()),
        error,
    }
}

async fn check_client_and_redirect(s: &AppState, p: &Params) -> Result<(Client, String), Response> {
    let bad = |msg: &str| pages::error_page(StatusCode::BAD_REQUEST, "Bad sign-in request", msg);
    let client_id = p
        .get("client_id")
        .ok_or_else(|| bad("The request has no client_id."))?;
    let client = clients::find_client(&s.db.read, client_id)
        .await
        .map_err(|_| pages::server_error())?
        .filter(|c| c.kind == ClientKind::Web)
        .ok_or_else(|| bad("The application asking you to sign in is not registered here."))?;
    let redirect_uri = p
        .get("redirect_uri")
        .ok_or_else(|| bad("The request has no redirect_uri."))?;
    let registered = clients::has_redirect_uri(&s.db.read, client_id, "login", redirect_uri)
        .await
        .map_err(|_| pages::server_error())?;
    if !registered {
        return Err(bad("The redirect_uri is not registered for this application, so you will not be sent back there."));
    }
    Ok((client, redirect_uri.to_string()))
}

fn check_request(
    client: &Client,
    redirect_uri: &str,
    p: &Params,
) -> Result<AuthRequest, Redirectable> {
    let state = p.get("state").map(String::from);
    let fail = |e: OAuthError| Redirectable {
        redirect_uri: redirect_uri.to_string(),
        state: state.clone(),
        error: e,
    };
    check_unsupported(p).map_err(fail)?;
    let state_value = check_state(p).map_err(fail)?;
    let code_challenge = check_pkce(p).map_err(fail)?;
    let scopes = check_scope(client, p).map_err(fail)?;
    let nonce = p.get("nonce").map(String::from);
    if nonce.as_ref().is_some_and(|n| n.len() > 512) {
        return Err(fail(OAuthError::invalid_request("nonce is too long")));
    }
    let max_age = match p.get("max_age") {
        None => None,
        Some(v) => Some(v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            fail(OAuthError::invalid_request(
                "max_age must be a non-negative integer",
            ))
        })?),
    };
    let prompts: Vec<&str> = p
        .get("prompt")
        .map(|v| v.split(' ').collect())
        .unwrap_or_default();
    if prompts.contains(&"none") && prompts.len() > 1 {
        return Err(fail(OAuthError::invalid_request(
            "prompt=none cannot be combined with other values",
        )));
    }
    Ok(AuthRequest {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.to_string(),
        scope: scopes,
        state: state_value,
        nonce,
        code_challenge,
        max_age,
        prompt_login: prompts.contains(&"login"),
    })
}

fn check_unsupported(p: &Params) -> Result<(), OAuthError> {
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

fn check_state(p: &Params) -> Result<String, OAuthError> {
    let state = p.require("state")?;
    if state.len() > 1024 {
        return Err(OAuthError::invalid_request("state is too long"));
    }
    Ok(state.to_string())
}

fn check_pkce(p: &Params) -> Result<String, OAuthError> {
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

fn check_scope(client: &Client, p: &Params) -> Result<Vec<String>, OAuthError> {
    let requested =
        scope::parse(p.get("scope").unwrap_or("openid")).map_err(OAuthError::invalid_scope)?;
    let mut allowed: Vec<String> = scope::OIDC_SCOPES.iter().map(|s| s.to_string()).collect();
    allowed.extend(client.product_scopes.iter().cloned());
    if let Some(bad) = scope::first_not_allowed(&requested, &allowed) {
        return Err(OAuthError::invalid_scope(format!(
            "scope {bad} is not registered for this client"
        )));
    }
    Ok(requested)
}

/// The signed-in user behind the SSO cookie, if the request may reuse the session.
async fn current_session(
    s: &AppState,
    headers: &HeaderMap,
    req: &AuthRequest,
) -> Result<Option<(String, String, i64)>, OAuthError> {
    if req.prompt_login {
        return Ok(None);
    }
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let now = now();
    let Some(session) = sessions::find_live_session(&s.db.read, &sha256(&token), now).await? else {
        return Ok(None);
    };
    if req.max_age.is_some_and(|max| now - session.auth_time > max) {
        return Ok(None);
    }
    let active = users::find_user(&s.db.read, &session.user_id)
        .await?
        .is_some_and(|u| u.is_active());
    Ok(active.then_some((session.user_id, session.id, session.auth_time)))
}

async fn start_interaction(s: &AppState, req: &AuthRequest) -> Result<String, OAuthError> {
    let now = now();
    let row = InteractionRow {
        id: random_token(24),
        csrf_token: random_token(24),
        client_id: req.client_id.clone(),
        request: serde_json::to_string(req).map_err(|_| OAuthError::server_error())?,
        expires_at: now + INTERACTION_TTL,
    };
    let mut tx = s.db.begin().await?;
    sessions::insert_interaction(&mut tx, &row, now).await?;
    tx.commit().await?;
    Ok(row.id)
}

/// Stores a new code and returns the redirect URI carrying it.
pub async fn issue_code(
    s: &AppState,
    req: &AuthRequest,
    user_id: &str,
    session_id: &str,
    auth_time: i64,
) -> Result<String, OAuthError> {
    let mut tx = s.db.begin().await?;
    let location = issue_code_in(s, &mut tx, req, user_id, session_id, auth_time).await?;
    tx.commit().await?;
    Ok(location)
}

/// Like [`issue_code`], inside the caller's transaction.
pub async fn issue_code_in(
    s: &AppState,
    tx: &mut crate::store::Tx,
    req: &AuthRequest,
    user_id: &str,
    session_id: &str,
    auth_time: i64,
) -> Result<String, OAuthError> {
    let code = random_token(32);
    let now = now();
    let row = CodeRow {
        code_hash: sha256(&code),
        client_id: req.client_id.clone(),
        user_id: user_id.to_string(),
        session_id: session_id.to_string(),
        redirect_uri: req.redirect_uri.clone(),
        scope: scope::join(&req.scope),
        nonce: req.nonce.clone(),
        code_challenge: req.code_challenge.clone(),
        auth_time,
        expires_at: now + CODE_TTL,
        used_at: None,
        family_id: None,
    };
    tokens::insert_code(tx, &row, now).await?;
    Ok(with_params(
        &req.redirect_uri,
        &[("code", &code), ("state", &req.state), ("iss", &s.issuer)],
    ))
}

fn redirect_error(s: &AppState, r: Redirectable) -> Response {
    let mut params = vec![
        ("error", r.error.error),
        ("error_description", r.error.description.as_str()),
    ];
    if let Some(state) = r.state.as_deref() {
        params.push(("state", state));
    }
    params.push(("iss", s.issuer.as_str()));
    see_other(&with_params(&r.redirect_uri, &params), None)
}

/// A 303 redirect, optionally setting a cookie.
pub fn see_other(location: &str, set_cookie: Option<String>) -> Response {
    let mut res = (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, location.to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
    )
        .into_response();
    if let Some(c) = set_cookie.and_then(|c| c.parse().ok()) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}
