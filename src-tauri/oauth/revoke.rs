//! `/oauth/revoke` (RFC 7009). Revoking a refresh token revokes its whole family and the
//! access tokens issued in it; revoking an access token deactivates it at introspection.
//! Unknown or invalid tokens get 200, as the RFC asks.

use super::client_auth::authenticate;
use super::params::Form;
use crate::audit::{kind, Event};
use crate::crypto::sha256;
use crate::domain::claims::AccessClaims;
use crate::domain::RequestMeta;
use crate::error::OAuthError;
use crate::keys::TokenType;
use crate::state::{AppState, Shared};
use crate::store::now;
use crate::store::tokens::{self, NewAccessToken};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub async fn revoke(
    State(s): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    form: Result<Form, OAuthError>,
) -> Response {
    match run(&s, &meta, &headers, form).await {
        Ok(()) => (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")]).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn run(
    s: &AppState,
    meta: &RequestMeta,
    headers: &HeaderMap,
    form: Result<Form, OAuthError>,
) -> Result<(), OAuthError> {
    let Form(params) = form?;
    let (client, _) = authenticate(s, meta, headers, &params).await?;
    let token = params.require("token")?;
    let now = now();
    if let Some(r) = tokens::find_refresh(&s.db.read, &sha256(token)).await? {
        if r.client_id != client.client_id {
            return Err(OAuthError::unauthorized_client(
                "the token was not issued to this client",
            ));
        }
        let mut tx = s.db.begin().await?;
        tokens::revoke_family(&mut tx, &r.family_id, "revoked", now).await?;
        Event::success(kind::TOKEN_REVOKED)
            .meta(meta)
            .subject(&r.user_id)
            .client(&client.client_id)
            .detail(json!({"token_type": "refresh_token", "family": r.family_id}))
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        return Ok(());
    }
    let Ok(claims) = s
        .keys
        .verify::<AccessClaims>(token, TokenType::AccessToken, &s.issuer)
    else {
        return Ok(());
    };
    if claims.client_id != client.client_id {
        return Err(OAuthError::unauthorized_client(
            "the token was not issued to this client",
        ));
    }
    let user_id = (claims.sub != claims.client_id).then_some(claims.sub.as_str());
    let mut tx = s.db.begin().await?;
    tokens::revoke_access_token(
        &mut tx,
        &NewAccessToken {
            jti: &claims.jti,
            family_id: None,
            client_id: &claims.client_id,
            user_id,
            expires_at: claims.exp,
        },
        now,
    )
    .await?;
    Event::success(kind::TOKEN_REVOKED)
        .meta(meta)
        .subject(&claims.sub)
        .client(&client.client_id)
        .jti(&claims.jti)
        .detail(json!({"token_type": "access_token"}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
