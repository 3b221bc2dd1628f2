//! `/oauth/authorize`: validates the request in small named checks, then either issues
//! a code for a live SSO session (in the branch it resolves) or sends the browser to the
//! hosted login, branch-choice or (for a client without silent SSO, the console)
//! confirmation page.

mod checks;
pub(crate) mod consent;
mod console_session;
pub(crate) mod pushed;
mod step_up;

use super::params::{Form, Params};
use super::token::{AuthorizationCode, Grant};
use super::{client_policy, console, resource};
use super::{cookie, interaction_cookie, session_cookie, set_cookie};
use crate::crypto::{random_token, sha256};
use crate::domain::branch::{self, BranchContext, Choice};
use crate::domain::redirect::with_params;
use crate::domain::{scope, RequestMeta};
use crate::error::OAuthError;
use crate::pages;
use crate::state::{AppState, Shared};
use crate::store::clients::{self, Client, ClientPolicy};
use crate::store::sessions::{self, InteractionRow, SessionRow};
use crate::store::tokens::{self, CodeRow};
use crate::store::{businesses, now, users};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
pub(crate) use checks::check_scope;
use checks::{check_pkce, check_state, check_unsupported};
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
    /// `branch=ID` asked for by the client.
    #[serde(default)]
    pub branch: Option<String>,
    /// Clients without silent SSO (the console): the SSO session the user is asked to
    /// continue with on the confirmation page (`/login/confirm`); the interaction is good
    /// for nothing else.
    #[serde(default)]
    pub confirm_session: Option<String>,
    /// Clients without silent SSO: the email of a session too old to continue without the
    /// password, shown (read-only) on the login form.
    #[serde(default)]
    pub reauth_email: Option<String>,
    /// `acr_values` asked for (space-separated in the request): `aal2` demands a second
    /// factor; other values are voluntary and ignored.
    #[serde(default)]
    pub acr_values: Vec<String>,
    /// A second factor still to pass before this request may yield a code.
    #[serde(default)]
    pub mfa: Option<crate::mfa::PendingMfa>,
    /// The product's name, for the sign-in page's heading ("Sign in to Shop"); `None`
    /// for Tessera's own clients.
    #[serde(default)]
    pub product_name: Option<String>,
    /// The product lets people create their own accounts: the sign-in page links to
    /// `/signup`.
    #[serde(default)]
    pub sign_up: bool,
    /// `prompt=consent`/`none` for a third-party client, and a sign-in waiting on the
    /// consent page (`consent::gate`).
    #[serde(default)]
    pub consent: consent::ConsentStep,
    /// The RFC 8707 `resource` asked for (a registered API): stored on the code, it becomes
    /// the tokens' `aud`.
    #[serde(default)]
    pub resource: Option<String>,
}

/// An error that may be sent back to the client (the redirect URI is trusted).
pub(crate) struct Redirectable {
    redirect_uri: String,
    state: Option<String>,
    error: OAuthError,
}

pub async fn authorize_get(
    State(s): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    match Params::parse(q.unwrap_or_default().as_bytes()) {
        Ok(p) => authorize(&s, &meta, &headers, p).await,
        Err(e) => pages::error_page(
            StatusCode::BAD_REQUEST,
            "Bad sign-in request",
            &e.description,
        ),
    }
}

pub async fn authorize_post(
    State(s): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    form: Result<Form, OAuthError>,
) -> Response {
    match form {
        Ok(Form(p)) => authorize(&s, &meta, &headers, p).await,
        Err(e) => pages::error_page(e.status, "Bad sign-in request", &e.description),
    }
}

async fn authorize(s: &AppState, meta: &RequestMeta, headers: &HeaderMap, p: Params) -> Response {
    // A pushed request (RFC 9126) replaces the parameters; then it flows like any other.
    let (p, pushed) = match pushed::resolve(s, p).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    // Until the client and redirect URI are known good, errors are shown, never redirected.
    let (client, redirect_uri) = match check_client_and_redirect(s, &p).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    if client.app.require_par && !pushed {
        return pushed::required();
    }
    let req = match checked_request(s, &client, &redirect_uri, &p).await {
        Ok(r) => r,
        Err(e) => return redirect_error(s, e),
    };
    let prompt_none = p
        .get("prompt")
        .is_some_and(|v| v.split(' ').any(|x| x == "none"));
    match current_session(s, headers, &client.policy, &req).await {
        Ok(Some(live)) => continue_session(s, meta, &client, &req, live, prompt_none).await,
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
            Ok(id) => to_interaction(s, &format!("/login?interaction={id}"), &id),
            Err(e) => redirect_error(s, redirectable(&req, e)),
        },
        Err(e) => redirect_error(s, redirectable(&req, e)),
    }
}

/// A request meeting a live SSO session: refused if the client's sign-in rule excludes the
/// user, sent to the confirmation (or password) page if the client wants no silent codes,
/// else a code in the branch the user continues with (or the branch-choice page).
async fn continue_session(
    s: &AppState,
    meta: &RequestMeta,
    client: &Client,
    req: &AuthRequest,
    live: LiveSession,
    prompt_none: bool,
) -> Response {
    let policy = &client.policy;
    if !live.may_sign_in {
        console::record_refusal(s, meta, &req.client_id, &live.session.user_id, "sso").await;
        return redirect_error(s, redirectable(req, console::denied()));
    }
    if !policy.silent_sso {
        return console_session::ask(s, req, &live, prompt_none).await;
    }
    if step_up::needed(client, req, &live) {
        return step_up::ask(s, req, &live, prompt_none).await;
    }
    let ctx = match choose_branch(s, policy, &live.session.user_id, req).await {
        Ok(Choice::Use(ctx)) => Some(ctx),
        Ok(Choice::NoBranch) => None,
        Ok(Choice::Denied) => return redirect_error(s, redirectable(req, denied())),
        Ok(Choice::Pick(_)) if prompt_none => {
            let e = OAuthError::new(
                StatusCode::BAD_REQUEST,
                "interaction_required",
                "the user must choose a branch",
            );
            return redirect_error(s, redirectable(req, e));
        }
        Ok(Choice::Pick(_)) => {
            return match start_interaction(s, req).await {
                Ok(id) => to_interaction(s, &format!("/login/branch?interaction={id}"), &id),
                Err(e) => redirect_error(s, redirectable(req, e)),
            }
        }
        Err(e) => return redirect_error(s, redirectable(req, e)),
    };
    match issue_code(s, req, &live.session, ctx.as_ref()).await {
        Ok(location) => consent::redirect(s, &location),
        Err(e) => redirect_error(s, redirectable(req, e)),
    }
}

/// A 303 to a hosted page of interaction `id`, binding it to this browser by cookie.
fn to_interaction(s: &AppState, location: &str, id: &str) -> Response {
    see_other(
        location,
        Some(set_cookie(
            interaction_cookie(s.secure_cookies),
            id,
            INTERACTION_TTL,
            s.secure_cookies,
        )),
    )
}

/// `access_denied` for a branch the user holds no role in (without saying whether it exists).
pub fn denied() -> OAuthError {
    OAuthError::new(
        StatusCode::FORBIDDEN,
        "access_denied",
        "the user may not sign in to the requested branch",
    )
}

/// Which branch a signed-in user continues with (see [`branch::choose`]); a branchless
/// client (the console) signs in without one.
pub async fn branch_choice(
    s: &AppState,
    user_id: &str,
    req: &AuthRequest,
) -> Result<Choice, OAuthError> {
    let policy = client_policy::policy_of(s, &req.client_id).await?;
    choose_branch(s, &policy, user_id, req).await
}

async fn choose_branch(
    s: &AppState,
    policy: &ClientPolicy,
    user_id: &str,
    req: &AuthRequest,
) -> Result<Choice, OAuthError> {
    if policy.branchless {
        return Ok(Choice::NoBranch);
    }
    let grants = businesses::user_branch_grants(&s.db.read, user_id).await?;
    Ok(branch::choose(&grants, req.branch.as_deref()))
}

/// The redirect URI carrying `error` back to the client of `req`.
pub fn error_location(s: &AppState, req: &AuthRequest, error: OAuthError) -> String {
    redirect_location(s, &redirectable(req, error))
}

fn redirectable(req: &AuthRequest, error: OAuthError) -> Redirectable {
    Redirectable {
        redirect_uri: req.redirect_uri.clone(),
        state: Some(req.state.clone()),
        error,
    }
}

/// Why a request's client or redirect URI is not usable: shown, never redirected.
enum Unusable {
    Bad(&'static str),
    Server,
}

async fn check_client_and_redirect(s: &AppState, p: &Params) -> Result<(Client, String), Response> {
    client_and_redirect(s, p).await.map_err(|e| match e {
        Unusable::Bad(msg) => {
            pages::error_page(StatusCode::BAD_REQUEST, "Bad sign-in request", msg)
        }
        Unusable::Server => pages::server_error(),
    })
}

async fn client_and_redirect(s: &AppState, p: &Params) -> Result<(Client, String), Unusable> {
    let client_id = p
        .get("client_id")
        .ok_or(Unusable::Bad("The request has no client_id."))?;
    let client = clients::find_client(&s.db.read, client_id)
        .await
        .map_err(|_| Unusable::Server)?
        .filter(|c| c.policy.may_use(AuthorizationCode::GRANT_TYPE))
        .ok_or(Unusable::Bad(
            "The application asking you to sign in is not registered here.",
        ))?;
    let redirect_uri = p
        .get("redirect_uri")
        .ok_or(Unusable::Bad("The request has no redirect_uri."))?;
    let registered = client_policy::redirect_uri_allowed(s, &client, "login", redirect_uri)
        .await
        .map_err(|_| Unusable::Server)?;
    if !registered {
        return Err(Unusable::Bad("The redirect_uri is not registered for this application, so you will not be sent back there."));
    }
    Ok((client, redirect_uri.to_string()))
}

/// [`check_request`], then its `resource` (RFC 8707) must name an API the client may reach
/// (`resource::require_for`), else `invalid_target` (§2).
pub(crate) async fn checked_request(
    s: &AppState,
    client: &Client,
    redirect_uri: &str,
    p: &Params,
) -> Result<AuthRequest, Redirectable> {
    let req = check_request(client, redirect_uri, p)?;
    if let Some(target) = &req.resource {
        resource::require_for(s, client, target)
            .await
            .map_err(|e| redirectable(&req, e))?;
    }
    Ok(req)
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
    let target = resource::param(p, client).map_err(fail)?.map(String::from);
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
    let branch = p.get("branch").filter(|b| !b.is_empty()).map(String::from);
    if branch.as_ref().is_some_and(|b| b.len() > 128) {
        return Err(fail(OAuthError::invalid_request("branch is too long")));
    }
    let acr_values: Vec<String> = p
        .get("acr_values")
        .map(|v| {
            v.split(' ')
                .filter(|a| !a.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    if acr_values.len() > 10 || acr_values.iter().any(|a| a.len() > 64) {
        return Err(fail(OAuthError::invalid_request("acr_values is too long")));
    }
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
        branch,
        confirm_session: None,
        reauth_email: None,
        acr_values,
        mfa: None,
        product_name: client.product_id.as_ref().map(|_| client.name.clone()),
        sign_up: client.self_registration && crate::auth_api::serves(client),
        consent: consent::ConsentStep::asked(&prompts),
        resource: target,
    })
}

/// A live SSO session of an active user.
struct LiveSession {
    email: String,
    session: SessionRow,
    /// Whether the client's sign-in rule lets this user in.
    may_sign_in: bool,
    /// A super-admin set `mfa:require` for the user.
    mfa_required: bool,
}

/// The signed-in user behind the SSO cookie, if the request may reuse the session.
async fn current_session(
    s: &AppState,
    headers: &HeaderMap,
    policy: &ClientPolicy,
    req: &AuthRequest,
) -> Result<Option<LiveSession>, OAuthError> {
    if req.prompt_login {
        return Ok(None);
    }
    let Some(token) = cookie(headers, session_cookie(s.secure_cookies)) else {
        return Ok(None);
    };
    let now = now();
    let Some(session) = sessions::find_live_session(&s.db.read, &sha256(&token), now).await? else {
        return Ok(None);
    };
    // `max_age=0` always asks again, even within the second the session began.
    if req
        .max_age
        .is_some_and(|max| max == 0 || now - session.auth_time > max)
    {
        return Ok(None);
    }
    let Some(user) = users::find_user(&s.db.read, &session.user_id)
        .await?
        .filter(|u| u.is_active())
    else {
        return Ok(None);
    };
    Ok(Some(LiveSession {
        may_sign_in: policy.sign_in.allows(&user),
        mfa_required: user.mfa_required,
        email: user.email,
        session,
    }))
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

/// Stores a new code of `session`'s sign-in and returns the redirect URI carrying it (or,
/// for a third-party client without the user's consent, the consent page's location).
pub async fn issue_code(
    s: &AppState,
    req: &AuthRequest,
    session: &SessionRow,
    ctx: Option<&BranchContext>,
) -> Result<String, OAuthError> {
    let mut tx = s.db.begin().await?;
    let location = issue_code_in(s, &mut tx, req, session, ctx).await?;
    tx.commit().await?;
    Ok(location)
}

/// Like [`issue_code`], inside the caller's transaction.
pub async fn issue_code_in(
    s: &AppState,
    tx: &mut crate::store::Tx,
    req: &AuthRequest,
    session: &SessionRow,
    ctx: Option<&BranchContext>,
) -> Result<String, OAuthError> {
    // Fail closed: a request with a second factor still pending never yields a code.
    if req.mfa.is_some() {
        return Err(OAuthError::invalid_request("a second factor is pending"));
    }
    // A third-party client's code waits for the user's consent (the consent page).
    if let Some(location) = consent::gate(s, tx, req, session, ctx).await? {
        return Ok(location);
    }
    let code = random_token(32);
    let now = now();
    let row = CodeRow {
        code_hash: sha256(&code),
        client_id: req.client_id.clone(),
        user_id: session.user_id.clone(),
        session_id: session.id.clone(),
        redirect_uri: req.redirect_uri.clone(),
        scope: scope::join(&req.scope),
        nonce: req.nonce.clone(),
        code_challenge: req.code_challenge.clone(),
        auth_time: session.auth_time,
        amr: session.amr.clone(),
        expires_at: now + CODE_TTL,
        used_at: None,
        family_id: None,
        org: ctx.map(|c| c.org.clone()),
        branch: ctx.map(|c| c.branch.clone()),
        resource: req.resource.clone(),
    };
    tokens::insert_code(tx, &row, now).await?;
    Ok(with_params(
        &req.redirect_uri,
        &[("code", &code), ("state", &req.state), ("iss", &s.issuer)],
    ))
}

fn redirect_error(s: &AppState, r: Redirectable) -> Response {
    see_other(&redirect_location(s, &r), None)
}

fn redirect_location(s: &AppState, r: &Redirectable) -> String {
    let mut params = vec![
        ("error", r.error.error),
        ("error_description", r.error.description.as_str()),
    ];
    if let Some(state) = r.state.as_deref() {
        params.push(("state", state));
    }
    params.push(("iss", s.issuer.as_str()));
    with_params(&r.redirect_uri, &params)
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
