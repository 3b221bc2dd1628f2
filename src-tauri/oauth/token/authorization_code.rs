//! The `authorization_code` grant: single-use codes bound to client, redirect URI and
//! PKCE S256 verifier. A replayed code revokes everything it issued (RFC 9700 §4.5).

use crate::audit::{kind, Event};
use crate::crypto::sha256;
use crate::domain::{branch, pkce, scope, RequestMeta};
use crate::error::OAuthError;
use crate::oauth::issue::{self, audit_detail, tag_branch, token_response, IdTokenInput, Subject};
use crate::oauth::params::Params;
use crate::state::AppState;
use crate::store::clients::{Client, ClientKind};
use crate::store::tokens::{self, NewAccessToken, NewFamily};
use crate::store::{now, users};
use axum::response::Response;
use serde_json::json;

pub async fn grant(
    state: &AppState,
    meta: &RequestMeta,
    client: &Client,
    params: &Params,
) -> Result<Response, OAuthError> {
    if client.kind != ClientKind::Web {
        return Err(OAuthError::unauthorized_client(
            "this client may not use the authorization_code grant",
        ));
    }
    let code = params.require("code")?;
    let redirect_uri = params.require("redirect_uri")?;
    let verifier = params.require("code_verifier")?;
    let code_hash = sha256(code);
    let now = now();

    let mut tx = state.db.begin().await?;
    let row = tokens::find_code(&mut tx, &code_hash)
        .await?
        .filter(|r| r.client_id == client.client_id)
        .ok_or_else(|| {
            OAuthError::invalid_grant(
                "the code is unknown, expired or was issued to another client",
            )
        })?;
    if row.used_at.is_some() {
        if let Some(family) = &row.family_id {
            tokens::revoke_family(&mut tx, family, "code_replay", now).await?;
        }
        Event::failure(kind::CODE_REPLAYED)
            .meta(meta)
            .subject(&row.user_id)
            .client(&client.client_id)
            .detail(json!({"revoked_family": row.family_id}))
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        return Err(OAuthError::invalid_grant(
            "the code was already used; the tokens issued from it are revoked",
        ));
    }
    if row.expires_at <= now {
        return Err(OAuthError::invalid_grant("the code has expired"));
    }
    if row.redirect_uri != redirect_uri {
        return Err(OAuthError::invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    if !pkce::verify_s256(verifier, &row.code_challenge) {
        return Err(OAuthError::invalid_grant(
            "code_verifier does not match the code_challenge",
        ));
    }
    let user = users::find_user(&state.db.read, &row.user_id)
        .await?
        .filter(|u| u.is_active())
        .ok_or_else(|| OAuthError::invalid_grant("the user is suspended or no longer exists"))?;

    let grants = issue::user_grants(state, &user.id).await?;
    let ctx = match row.branch.as_deref() {
        None => None,
        Some(b) => Some(branch::context(&grants, b).ok_or_else(|| {
            OAuthError::invalid_grant("the user no longer holds a role in the chosen branch")
        })?),
    };
    let requested = scope::parse(&row.scope).unwrap_or_default();
    let scopes = issue::user_scopes(client, &user, &requested, ctx.as_ref())?;
    let granted = scope::join(&scopes);
    let groups = ctx.as_ref().map(|c| c.groups.clone()).unwrap_or_default();
    let subject = Subject {
        sub: &user.id,
        auth_time: Some(row.auth_time),
        sid: Some(&row.session_id),
    };
    let (access, claims) =
        issue::access_token_in(state, client, &subject, &granted, ctx.as_ref(), now)?;
    let id_token = if scope::has(&scopes, "openid") {
        let input = IdTokenInput {
            user: &user,
            scopes: &scopes,
            auth_time: row.auth_time,
            nonce: row.nonce.as_deref(),
            sid: Some(&row.session_id),
            groups: &groups,
        };
        Some(issue::id_token(state, client, &input, now)?)
    } else {
        None
    };
    let refresh = issue::refresh_token();
    let family_id = uuid::Uuid::now_v7().to_string();
    let family_expires_at = now + client.refresh_family_ttl;

    tokens::insert_family(
        &mut tx,
        &NewFamily {
            id: &family_id,
            client_id: &client.client_id,
            user_id: &user.id,
            session_id: Some(&row.session_id),
            scope: &row.scope,
            auth_time: row.auth_time,
            org: ctx.as_ref().map(|c| c.org.as_str()),
            branch: ctx.as_ref().map(|c| c.branch.as_str()),
            expires_at: family_expires_at,
        },
        now,
    )
    .await?;
    tokens::insert_refresh_token(
        &mut tx,
        &sha256(&refresh),
        &family_id,
        &row.scope,
        now,
        (now + client.refresh_token_ttl).min(family_expires_at),
    )
    .await?;
    tokens::insert_access_token(
        &mut tx,
        &NewAccessToken {
            jti: &claims.jti,
            family_id: Some(&family_id),
            client_id: &client.client_id,
            user_id: Some(&user.id),
            expires_at: claims.exp,
        },
    )
    .await?;
    if !tokens::mark_code_used(&mut tx, &code_hash, Some(&family_id), now).await? {
        return Err(OAuthError::invalid_grant("the code was already used"));
    }
    tag_branch(Event::success(kind::TOKEN_ISSUED), ctx.as_ref())
        .meta(meta)
        .subject(&user.id)
        .client(&client.client_id)
        .jti(&claims.jti)
        .detail(audit_detail("authorization_code", &access, &claims))
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
