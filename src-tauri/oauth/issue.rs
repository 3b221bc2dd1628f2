//! Minting tokens: access tokens (RFC 9068), ID tokens, opaque refresh tokens, and the
//! token endpoint's success response.

use crate::audit::Event;
use crate::crypto::random_token;
use crate::domain::branch::{BranchContext, Grant};
use crate::domain::claims::{AccessClaims, IdClaims, UserClaims};
use crate::error::OAuthError;
use crate::keys::TokenType;
use crate::state::AppState;
use crate::store::clients::{Client, ClientKind};
use crate::store::orgs;
use crate::store::users::UserRow;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// The audience of access tokens minted for `client`.
pub fn audience(state: &AppState, client: &Client) -> String {
    match client.kind {
        ClientKind::Admin => state.url("/v1"),
        _ => client
            .audience
            .clone()
            .unwrap_or_else(|| client.client_id.clone()),
    }
}

/// Who an access token is about.
pub struct Subject<'a> {
    pub sub: &'a str,
    pub auth_time: Option<i64>,
    pub sid: Option<&'a str>,
}

/// Signs a new access token; returns the JWS and its claims.
pub fn access_token(
    state: &AppState,
    client: &Client,
    subject: &Subject<'_>,
    scope: &str,
    now: i64,
) -> Result<(String, AccessClaims), OAuthError> {
    access_token_in(state, client, subject, scope, None, now)
}

/// Like [`access_token`], carrying `org` and `branch` when a branch is active.
pub fn access_token_in(
    state: &AppState,
    client: &Client,
    subject: &Subject<'_>,
    scope: &str,
    branch: Option<&BranchContext>,
    now: i64,
) -> Result<(String, AccessClaims), OAuthError> {
    let claims = AccessClaims {
        iss: state.issuer.clone(),
        sub: subject.sub.to_string(),
        aud: audience(state, client),
        client_id: client.client_id.clone(),
        exp: now + client.access_token_ttl,
        iat: now,
        jti: uuid::Uuid::now_v7().to_string(),
        scope: scope.to_string(),
        auth_time: subject.auth_time,
        sid: subject.sid.map(String::from),
        org: branch.map(|b| b.org.clone()),
        branch: branch.map(|b| b.branch.clone()),
    };
    let jws = state
        .keys
        .sign(TokenType::AccessToken, &claims)
        .map_err(|e| {
            tracing::error!(error = %e, "cannot sign an access token");
            OAuthError::server_error()
        })?;
    Ok((jws, claims))
}

pub struct IdTokenInput<'a> {
    pub user: &'a UserRow,
    pub scopes: &'a [String],
    pub auth_time: i64,
    pub nonce: Option<&'a str>,
    pub sid: Option<&'a str>,
    /// Role names in the active branch (the `groups` claim, omitted when empty).
    pub groups: &'a [String],
}

/// Signs an ID token for `client` (OIDC Core §2).
pub fn id_token(
    state: &AppState,
    client: &Client,
    input: &IdTokenInput<'_>,
    now: i64,
) -> Result<String, OAuthError> {
    let claims = IdClaims {
        iss: state.issuer.clone(),
        sub: input.user.id.clone(),
        aud: client.client_id.clone(),
        exp: now + client.access_token_ttl,
        iat: now,
        auth_time: input.auth_time,
        nonce: input.nonce.map(String::from),
        amr: vec!["pwd".into()],
        sid: input.sid.map(String::from),
        azp: Some(client.client_id.clone()),
        groups: (!input.groups.is_empty()).then(|| input.groups.to_vec()),
        profile: UserClaims::for_scopes(input.user, input.scopes),
    };
    state.keys.sign(TokenType::IdToken, &claims).map_err(|e| {
        tracing::error!(error = %e, "cannot sign an ID token");
        OAuthError::server_error()
    })
}

/// A new opaque refresh token (256 bits).
pub fn refresh_token() -> String {
    random_token(32)
}

/// The token endpoint's 200 response (RFC 6749 §5.1), never cached.
pub fn token_response(
    access: &str,
    claims: &AccessClaims,
    refresh: Option<&str>,
    id_token: Option<&str>,
) -> Response {
    let mut body = json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": claims.exp - claims.iat,
        "scope": claims.scope,
    });
    if let Some(r) = refresh {
        body["refresh_token"] = json!(r);
    }
    if let Some(i) = id_token {
        body["id_token"] = json!(i);
    }
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(body),
    )
        .into_response()
}

/// What the audit log keeps of an issued access token: its claims, never the token.
pub fn audit_detail(grant: &str, claims: &AccessClaims) -> serde_json::Value {
    json!({ "grant_type": grant, "claims": claims })
}

/// Stamps an audit event with the active business and branch, if any.
pub fn tag_branch(event: Event, ctx: Option<&BranchContext>) -> Event {
    match ctx {
        Some(c) => event.org(&c.org).branch(&c.branch),
        None => event,
    }
}

/// The roles `user_id` holds per branch, read fresh at every issuance.
pub async fn user_grants(state: &AppState, user_id: &str) -> Result<Vec<Grant>, OAuthError> {
    Ok(orgs::user_branch_grants(&state.db.read, user_id).await?)
}
