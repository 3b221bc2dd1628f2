//! The `refresh_token` grant: every use rotates the token; presenting an already
//! rotated token revokes the whole family (RFC 9700 §4.14.2).

use crate::audit::{kind, Event};
use crate::crypto::sha256;
use crate::domain::branch::{self, BranchContext};
use crate::domain::{scope, RequestMeta};
use crate::error::OAuthError;
use crate::oauth::console;
use crate::oauth::issue::{self, audit_detail, tag_branch, token_response, IdTokenInput, Subject};
use crate::oauth::params::Params;
use crate::state::AppState;
use crate::store::clients::Client;
use crate::store::tokens::{self, NewAccessToken};
use crate::store::{now, users, Tx};
use axum::response::Response;
use serde_json::json;

/// Audit type of a branch switch.
const BRANCH_SWITCHED: &str = "branch.switched";

pub async fn grant(
    state: &AppState,
    meta: &RequestMeta,
    client: &Client,
    params: &Params,
) -> Result<Response, OAuthError> {
    let presented = params.require("refresh_token")?;
    let hash = sha256(presented);
    let now = now();
    let mut tx = state.db.begin().await?;
    let record = tokens::find_refresh_in_tx(&mut tx, &hash)
        .await?
        .filter(|r| r.client_id == client.client_id)
        .ok_or_else(|| {
            OAuthError::invalid_grant(
                "the refresh token is unknown or was issued to another client",
            )
        })?;
    if record.family_revoked_at.is_some() {
        return Err(OAuthError::invalid_grant(
            "the refresh token has been revoked",
        ));
    }
    if record.used_at.is_some() {
        revoke_on_reuse(
            &mut tx,
            meta,
            client,
            &record.family_id,
            &record.user_id,
            now,
        )
        .await?;
        tx.commit().await?;
        return Err(OAuthError::invalid_grant(
            "the refresh token was already used; every token of this sign-in is revoked",
        ));
    }
    if record.expires_at <= now {
        return Err(OAuthError::invalid_grant("the refresh token has expired"));
    }
    if record.family_expires_at <= now {
        return Err(OAuthError::invalid_grant(
            "this sign-in has reached its maximum lifetime; sign in again",
        ));
    }
    let user = users::find_user(&state.db.read, &record.user_id)
        .await?
        .filter(|u| u.is_active())
        .ok_or_else(|| OAuthError::invalid_grant("the user is suspended or no longer exists"))?;

    let family_scopes = scope::parse(&record.scope).unwrap_or_default();
    let scopes = match params.get("scope") {
        None => family_scopes,
        Some(raw) => {
            let requested = scope::parse(raw).map_err(OAuthError::invalid_scope)?;
            if let Some(bad) = scope::first_not_allowed(&requested, &family_scopes) {
                return Err(OAuthError::invalid_scope(format!(
                    "scope {bad} was not granted to this sign-in"
                )));
            }
            requested
        }
    };
    // The console signs in without a branch and never switches to one.
    let ctx = if console::is_console(&client.client_id) {
        None
    } else {
        active_branch(state, &user.id, &record, params.get("branch")).await?
    };
    let scopes = issue::user_scopes(client, &user, &scopes, ctx.as_ref())?;
    let scope_str = scope::join(&scopes);
    let groups = ctx.as_ref().map(|c| c.groups.clone()).unwrap_or_default();
    let subject = Subject {
        sub: &user.id,
        auth_time: Some(record.auth_time),
        sid: record.session_id.as_deref(),
    };
    let (access, claims) =
        issue::access_token_in(state, client, &subject, &scope_str, ctx.as_ref(), now)?;
    let id_token = if scope::has(&scopes, "openid") {
        let input = IdTokenInput {
            user: &user,
            scopes: &scopes,
            auth_time: record.auth_time,
            nonce: None,
            sid: record.session_id.as_deref(),
            groups: &groups,
        };
        Some(issue::id_token(state, client, &input, now)?)
    } else {
        None
    };
    let refresh = issue::refresh_token();

    if !tokens::mark_refresh_used(&mut tx, &hash, now).await? {
        return Err(OAuthError::invalid_grant(
            "the refresh token was already used",
        ));
    }
    // The family keeps its original scope, so a narrowed refresh can widen back later.
    tokens::insert_refresh_token(
        &mut tx,
        &sha256(&refresh),
        &record.family_id,
        &record.scope,
        now,
        (now + client.refresh_token_ttl).min(record.family_expires_at),
    )
    .await?;
    tokens::insert_access_token(
        &mut tx,
        &NewAccessToken {
            jti: &claims.jti,
            family_id: Some(&record.family_id),
            client_id: &client.client_id,
            user_id: Some(&user.id),
            expires_at: claims.exp,
        },
    )
    .await?;
    if let Some(c) = ctx
        .as_ref()
        .filter(|c| record.branch.as_ref() != Some(&c.branch))
    {
        tokens::set_family_branch(&mut tx, &record.family_id, &c.org, &c.branch).await?;
        Event::success(BRANCH_SWITCHED)
            .meta(meta)
            .actor(&user.id)
            .subject(&user.id)
            .client(&client.client_id)
            .org(&c.org)
            .branch(&c.branch)
            .jti(&claims.jti)
            .detail(json!({
                "family_id": record.family_id,
                "from_org": record.org,
                "from_branch": record.branch,
            }))
            .write(&mut tx)
            .await?;
    }
    tag_branch(Event::success(kind::TOKEN_REFRESHED), ctx.as_ref())
        .meta(meta)
        .subject(&user.id)
        .client(&client.client_id)
        .jti(&claims.jti)
        .detail(audit_detail("refresh_token", &access, &claims))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(token_response(
        &access,
        &claims,
        Some(&refresh),
        id_token.as_deref(),
    ))
}

async fn revoke_on_reuse(
    tx: &mut Tx,
    meta: &RequestMeta,
    client: &Client,
    family_id: &str,
    user_id: &str,
    now: i64,
) -> Result<(), OAuthError> {
    tokens::revoke_family(tx, family_id, "refresh_reuse", now).await?;
    Event::failure(kind::TOKEN_REUSE_DETECTED)
        .meta(meta)
        .subject(user_id)
        .client(&client.client_id)
        .detail(json!({"revoked_family": family_id}))
        .write(tx)
        .await?;
    Ok(())
}

/// The branch the new tokens are for: `branch=ID` switches (refused with `invalid_scope`
/// unless the user holds a role there), else the family's branch, re-checked.
async fn active_branch(
    state: &AppState,
    user_id: &str,
    record: &tokens::RefreshRecord,
    requested: Option<&str>,
) -> Result<Option<BranchContext>, OAuthError> {
    let target = match requested {
        Some(b) => b,
        None => match record.branch.as_deref() {
            Some(b) => b,
            None => return Ok(None),
        },
    };
    let grants = issue::user_grants(state, user_id).await?;
    match branch::context(&grants, target) {
        Some(c) => Ok(Some(c)),
        None if requested.is_some() => Err(OAuthError::invalid_scope(
            "the user holds no role in the requested branch",
        )),
        None => Err(OAuthError::invalid_grant(
            "the user no longer holds a role in this sign-in's branch",
        )),
    }
}
