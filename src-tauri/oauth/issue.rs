//! Minting tokens: access tokens (RFC 9068), ID tokens, opaque refresh tokens, and the
//! token endpoint's success response.

use crate::audit::Event;
use crate::crypto::random_token;
use crate::domain::amr::AuthMethods;
use crate::domain::branch::{self, BranchContext, Grant};
use crate::domain::claims::{
    AccessClaims, Actor, Confirmation, IdClaims, ReleasedClaims, UserClaims,
};
use crate::error::OAuthError;
use crate::keys::TokenType;
use crate::oauth::console;
use crate::state::AppState;
use crate::store::businesses;
use crate::store::clients::{AudienceRule, Client};
use crate::store::users::UserRow;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// The audience of access tokens minted for `client` (its policy's [`AudienceRule`]).
pub fn audience(state: &AppState, client: &Client) -> String {
    match client.policy.audience {
        AudienceRule::AdminApi => state.url("/v1"),
        AudienceRule::Product => client
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
    /// How the user authenticated (none for a client's own token).
    pub amr: Option<&'a AuthMethods>,
}

/// What an access token says besides who issued it and to which client.
pub struct AccessInput<'a> {
    pub subject: Subject<'a>,
    /// Granted scopes, space-separated.
    pub scope: &'a str,
    /// The active branch (`org`, `branch` claims).
    pub branch: Option<&'a BranchContext>,
    /// The DPoP key it is bound to (`cnf.jkt`).
    pub dpop_jkt: Option<&'a str>,
    /// The `aud` when it is not the client's own ([`audience`]): an RFC 8707 resource or a
    /// token exchange's target, checked by the caller.
    pub audience: Option<&'a str>,
    /// Who acts for the subject (RFC 8693 §4.1 `act`).
    pub act: Option<&'a Actor>,
    /// The latest `exp` allowed (an exchanged token never outlives its subject token).
    pub not_after: Option<i64>,
}

/// Signs a new access token, carrying `org` and `branch` when a branch is active,
/// `cnf.jkt` when bound to a DPoP key and `act` when exchanged; returns the JWS and its
/// claims.
pub fn access_token_in(
    state: &AppState,
    client: &Client,
    input: &AccessInput<'_>,
    now: i64,
) -> Result<(String, AccessClaims), OAuthError> {
    let subject = &input.subject;
    let branch = input.branch;
    let exp = now + client.access_token_ttl;
    let claims = AccessClaims {
        iss: state.issuer.clone(),
        sub: subject.sub.to_string(),
        aud: input
            .audience
            .map_or_else(|| audience(state, client), String::from),
        client_id: client.client_id.clone(),
        exp: input.not_after.map_or(exp, |end| exp.min(end)),
        iat: now,
        jti: uuid::Uuid::now_v7().to_string(),
        scope: input.scope.to_string(),
        auth_time: subject.auth_time,
        sid: subject.sid.map(String::from),
        org: branch.map(|b| b.org.clone()),
        branch: branch.map(|b| b.branch.clone()),
        amr: subject.amr.map(AuthMethods::amr),
        acr: subject.amr.map(|m| m.aal().to_string()),
        aal: subject.amr.map(|m| m.aal().to_string()),
        auth_method: subject.amr.map(|m| m.auth_method().to_string()),
        cnf: input.dpop_jkt.map(|jkt| Confirmation {
            jkt: jkt.to_string(),
        }),
        act: input.act.cloned(),
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
    pub amr: &'a AuthMethods,
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
        amr: input.amr.amr(),
        acr: Some(input.amr.aal().to_string()),
        aal: Some(input.amr.aal().to_string()),
        auth_method: Some(input.amr.auth_method().to_string()),
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

/// The token endpoint's 200 body (RFC 6749 §5.1), serialized straight from the values.
#[derive(Serialize)]
struct TokenBody<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: i64,
    scope: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<&'a str>,
    /// RFC 8693 §2.2.1: what a token exchange issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    issued_token_type: Option<&'a str>,
}

/// The tokens of a token endpoint answer besides the access token.
#[derive(Default)]
pub struct AlsoIssued<'a> {
    pub refresh: Option<&'a str>,
    pub id_token: Option<&'a str>,
    /// A token exchange's `issued_token_type`.
    pub issued_token_type: Option<&'a str>,
}

/// The token endpoint's 200 response (RFC 6749 §5.1), never cached.
pub fn token_response(access: &str, claims: &AccessClaims, also: AlsoIssued<'_>) -> Response {
    let body = TokenBody {
        access_token: access,
        token_type: token_type(claims),
        expires_in: claims.exp - claims.iat,
        scope: &claims.scope,
        refresh_token: also.refresh,
        id_token: also.id_token,
        issued_token_type: also.issued_token_type,
    };
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(body),
    )
        .into_response()
}

/// `DPoP` for a DPoP-bound token (RFC 9449 §5), else `Bearer`.
pub fn token_type(claims: &AccessClaims) -> &'static str {
    match claims.cnf {
        Some(_) => "DPoP",
        None => "Bearer",
    }
}

/// What the audit log keeps of an issued access token: its JWS header and claims, never
/// the token (nor its signature).
#[derive(Serialize)]
pub struct IssuedDetail<'a> {
    grant_type: &'a str,
    header: JwsHeader,
    claims: &'a AccessClaims,
    /// A token exchange: the `jti` of the subject token (never the token itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    subject_token_jti: Option<&'a str>,
}

pub fn audit_detail<'a>(grant: &'a str, jws: &str, claims: &'a AccessClaims) -> IssuedDetail<'a> {
    IssuedDetail {
        grant_type: grant,
        header: jws_header(jws),
        claims,
        subject_token_jti: None,
    }
}

impl<'a> IssuedDetail<'a> {
    /// Names the subject token an exchanged token came from.
    pub fn exchanged_from(mut self, subject_jti: Option<&'a str>) -> Self {
        self.subject_token_jti = subject_jti;
        self
    }
}

/// `{alg, typ, kid}` of a JWS header (`null` where absent).
#[derive(Default, Serialize, Deserialize)]
struct JwsHeader {
    alg: Option<String>,
    typ: Option<String>,
    kid: Option<String>,
}

/// The header of a compact JWS we just signed (read back from it, so `kid` is the key
/// that really signed, even across a rotation).
fn jws_header(jws: &str) -> JwsHeader {
    jws.split('.')
        .next()
        .and_then(|h| URL_SAFE_NO_PAD.decode(h).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// The scopes a user's sign-in grants `client`: requested ∩ (OIDC scopes ∪ the active
/// branch's role scopes ∪ `admin` if the client's policy allows it), and only while the
/// policy's sign-in rule holds (re-checked at every refresh). A branchless client has no
/// active branch. `admin` never reaches any other client, whatever a role says.
pub fn user_scopes(
    client: &Client,
    user: &UserRow,
    requested: &[String],
    ctx: Option<&BranchContext>,
) -> Result<Vec<String>, OAuthError> {
    if !client.policy.sign_in.allows(user) {
        return Err(OAuthError::invalid_grant(console::DENIED));
    }
    let mut scopes = branch::granted_scopes(requested, ctx);
    if client.policy.admin_scope {
        // Kept where it was asked for, so the order stays the request's.
        scopes = requested
            .iter()
            .filter(|s| scopes.contains(s) || *s == console::ADMIN_SCOPE)
            .cloned()
            .collect();
    } else {
        scopes.retain(|s| s != console::ADMIN_SCOPE);
    }
    Ok(scopes)
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
    Ok(businesses::user_branch_grants(&state.db.read, user_id).await?)
}
