//! A verified user signs in through the auth API: in ONE transaction (which may already
//! hold the factor's writes or the new account) the account's failures are forgotten, an
//! SSO-session row is started (the tokens' `sid`; it has no browser cookie), a refresh
//! family bound to it, the tokens minted, stored and audited by the token endpoint's own
//! [`issuance::commit`], and `login.succeeded` appended.

use super::{refuse, Answer, GRANT};
use crate::audit::{kind, Event};
use crate::crypto::{random_token, sha256};
use crate::domain::amr::AuthMethods;
use crate::domain::branch::{self, BranchContext, Choice};
use crate::domain::{scope, RequestMeta};
use crate::error::OAuthError;
use crate::oauth::issue;
use crate::oauth::params::Params;
use crate::oauth::token::issuance::{self, Issuance, Issued, Refresh, SignIn, TokenRequest};
use crate::state::AppState;
use crate::store::clients::Client;
use crate::store::sessions::{self, NewSession};
use crate::store::users::UserRow;
use crate::store::{now, Tx};
use crate::throttle::{self, LoginKeys};
use axum::http::StatusCode;
use serde_json::json;

/// What a sign-in asked for, checked before any password is looked at.
#[derive(Debug, Clone)]
pub struct Request {
    /// The scope as asked (default `openid`), each one registered for the client.
    pub scope: String,
    /// The branch asked for, if any.
    pub branch: Option<String>,
}

impl Request {
    /// Checks `scope` exactly as `/oauth/authorize` does (400 `invalid_scope`).
    pub fn new(client: &Client, scope: Option<&str>, branch: Option<&str>) -> Answer<Request> {
        let raw = scope.unwrap_or("openid");
        let form = serde_urlencoded::to_string([("scope", raw)]).unwrap_or_default();
        let params = Params::parse(form.as_bytes()).map_err(oauth_refusal)?;
        let scopes =
            crate::oauth::authorize::check_scope(client, &params).map_err(oauth_refusal)?;
        Ok(Request {
            scope: scope::join(&scopes),
            branch: branch.map(str::to_string),
        })
    }
}

/// An OAuth refusal in the `/v1` envelope: its error code, 400 (or 401 for
/// `invalid_grant`, a token that no longer works; 5xx stays 5xx).
pub fn oauth_refusal(e: OAuthError) -> super::Refusal {
    let status = match e.error {
        "invalid_grant" => StatusCode::UNAUTHORIZED,
        _ if e.status.is_server_error() => e.status,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut r = refuse(status, e.error, e.description);
    r.0.retry_after = e.retry_after;
    r
}

/// The branch the sign-in lands in (the hosted login's rules, `branch::choose`): none for
/// a user without memberships, the one branch of a user with one, the asked one; a user
/// with several and no `branch` gets 400 `branch_required`, a branch without a role of
/// the user 403 `branch_not_allowed`.
pub async fn branch_of(
    s: &AppState,
    client: &Client,
    user_id: &str,
    wanted: Option<&str>,
) -> Answer<Option<BranchContext>> {
    if client.policy.branchless {
        return Ok(None);
    }
    let grants = issue::user_grants(s, user_id)
        .await
        .map_err(oauth_refusal)?;
    match branch::choose(&grants, wanted) {
        Choice::NoBranch => Ok(None),
        Choice::Use(ctx) => Ok(Some(ctx)),
        Choice::Pick(_) => Err(refuse(
            StatusCode::BAD_REQUEST,
            "branch_required",
            "this user works in several branches: name one in `branch`",
        )),
        Choice::Denied => Err(refuse(
            StatusCode::FORBIDDEN,
            "branch_not_allowed",
            "the user holds no role in the requested branch",
        )),
    }
}

/// A verified user's sign-in.
pub struct Verified<'a> {
    pub s: &'a AppState,
    pub meta: &'a RequestMeta,
    pub client: &'a Client,
    pub user: &'a UserRow,
    pub request: &'a Request,
    pub branch: Option<BranchContext>,
    pub amr: AuthMethods,
    /// The account's throttle counters to forget, if any.
    pub reset: Option<&'a LoginKeys>,
}

/// Signs `v` in inside `tx` and commits it; returns the tokens.
pub async fn complete(v: Verified<'_>, mut tx: Tx) -> Answer<Issued> {
    let now = now();
    let requested = scope::parse(&v.request.scope).unwrap_or_default();
    let scopes = issue::user_scopes(v.client, v.user, &requested, v.branch.as_ref())
        .map_err(oauth_refusal)?;
    if let Some(keys) = v.reset {
        throttle::reset_account_in(&mut tx, keys).await?;
    }
    let sid = start_session(&mut tx, &v, now).await?;
    let params = Params::default();
    let req = TokenRequest {
        state: v.s,
        meta: v.meta,
        client: v.client,
        params: &params,
        now,
        dpop: None,
    };
    let issuance = Issuance {
        tx: Some(tx),
        sign_in: Some(SignIn {
            user: v.user.clone(),
            auth_time: now,
            amr: v.amr,
            sid: Some(sid),
            nonce: None,
            refresh: Refresh::NewFamily {
                id: uuid::Uuid::now_v7().to_string(),
                scope: v.request.scope.clone(),
            },
        }),
        scopes,
        branch: v.branch,
        event: kind::TOKEN_ISSUED,
        also_audit: Vec::new(),
        resource: None,
        exchange: None,
    };
    let issued = issuance::commit(&req, GRANT, issuance)
        .await
        .map_err(oauth_refusal)?;
    crate::metrics::token_issued(GRANT);
    Ok(issued)
}

/// The sign-in's SSO-session row (its cookie token is never handed out) and its
/// `login.succeeded` event; returns the session id.
async fn start_session(tx: &mut Tx, v: &Verified<'_>, now: i64) -> Answer<String> {
    let id = uuid::Uuid::now_v7().to_string();
    let amr = v.amr.stored();
    sessions::insert_session(
        tx,
        &NewSession {
            id: &id,
            token_hash: &sha256(&random_token(32)),
            user_id: &v.user.id,
            auth_time: now,
            expires_at: now + crate::pages::SESSION_TTL,
            ip: v.meta.ip.as_deref(),
            user_agent: v.meta.user_agent.as_deref(),
            amr: &amr,
        },
    )
    .await?;
    Event::success(kind::LOGIN_SUCCEEDED)
        .meta(v.meta)
        .actor(&v.user.id)
        .subject(&v.user.id)
        .client(&v.client.client_id)
        .detail(json!({
            "method": v.amr.auth_method(),
            "amr": v.amr.amr(),
            "session_id": id,
            "via": "auth_api",
        }))
        .write(tx)
        .await?;
    Ok(id)
}
