//! `/oauth/introspect` (RFC 7662): confidential clients ask whether a token is active.
//! A server client sees tokens of its own product; admin clients see every token.
//! A DPoP-bound access token answers `token_type: DPoP` and its `cnf.jkt`.

use super::bearer::{active_access_token, Inactive};
use super::client_auth::authenticate;
use super::params::Form;
use crate::crypto::sha256;
use crate::domain::{branch, scope, RequestMeta};
use crate::error::OAuthError;
use crate::state::{AppState, Shared};
use crate::store::clients::{find_client, Client};
use crate::store::{businesses, now, tokens, users};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

pub async fn introspect(
    State(s): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    form: Result<Form, OAuthError>,
) -> Response {
    match run(&s, &meta, &headers, form).await {
        Ok(body) => ([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn run(
    s: &AppState,
    meta: &RequestMeta,
    headers: &HeaderMap,
    form: Result<Form, OAuthError>,
) -> Result<Value, OAuthError> {
    let Form(params) = form?;
    let (caller, _) = authenticate(s, meta, headers, &params).await?;
    if !caller.is_confidential() {
        return Err(OAuthError::invalid_client(
            "introspection needs a confidential client",
        ));
    }
    let token = params.require("token")?;
    let inactive = json!({"active": false});
    let hint = params.get("token_type_hint");
    if hint != Some("refresh_token") {
        match active_access_token(s, token).await {
            Ok(c) => {
                if !may_see(s, &caller, &c.client_id).await? {
                    return Ok(inactive);
                }
                let mut body = serde_json::to_value(&c).unwrap_or_else(|_| json!({}));
                body["active"] = json!(true);
                // `cnf` (a bound token's key) comes with the claims (RFC 9449 §6.2).
                body["token_type"] = json!(super::issue::token_type(&c));
                return Ok(body);
            }
            Err(Inactive::Db(e)) => return Err(e.into()),
            Err(_) if token.matches('.').count() == 2 => return Ok(inactive),
            Err(_) => {}
        }
    }
    let Some(r) = tokens::find_refresh(&s.db.read, &sha256(token)).await? else {
        return Ok(inactive);
    };
    let now = now();
    let user_active = users::find_user(&s.db.read, &r.user_id)
        .await?
        .is_some_and(|u| u.is_active());
    if r.used_at.is_some() || r.family_revoked_at.is_some() || r.expires_at <= now || !user_active {
        return Ok(inactive);
    }
    if !may_see(s, &caller, &r.client_id).await? {
        return Ok(inactive);
    }
    // What the refresh token would be granted now: requested ∩ the branch's role scopes.
    let grants = businesses::user_branch_grants(&s.db.read, &r.user_id).await?;
    let ctx = r
        .branch
        .as_deref()
        .and_then(|b| branch::context(&grants, b));
    let requested = scope::parse(&r.scope).unwrap_or_default();
    let granted = scope::join(&branch::granted_scopes(&requested, ctx.as_ref()));
    let mut body = json!({
        "active": true, "token_type": "refresh_token", "scope": granted, "client_id": r.client_id,
        "sub": r.user_id, "iss": s.issuer, "exp": r.expires_at, "iat": r.issued_at,
    });
    if let (Some(org), Some(branch)) = (r.org, r.branch) {
        body["org"] = json!(org);
        body["branch"] = json!(branch);
    }
    Ok(body)
}

/// Whether `caller` may learn about tokens issued to `token_client`.
async fn may_see(s: &AppState, caller: &Client, token_client: &str) -> Result<bool, OAuthError> {
    if caller.policy.introspects_all || caller.client_id == token_client {
        return Ok(true);
    }
    let owner = find_client(&s.db.read, token_client).await?;
    Ok(match (owner, &caller.product_id) {
        (Some(o), Some(p)) => o.product_id.as_deref() == Some(p.as_str()),
        _ => false,
    })
}
