//! The `client_credentials` grant (RFC 6749 §4.4): confidential clients only, scope ⊆
//! what the super-admin granted, `sub` = client_id, no ID or refresh token.

use crate::audit::{kind, Event};
use crate::domain::{scope, RequestMeta};
use crate::error::OAuthError;
use crate::oauth::issue::{access_token, audit_detail, token_response, Subject};
use crate::oauth::params::Params;
use crate::state::AppState;
use crate::store::clients::Client;
use crate::store::now;
use axum::response::Response;

pub async fn grant(
    state: &AppState,
    meta: &RequestMeta,
    client: &Client,
    params: &Params,
) -> Result<Response, OAuthError> {
    if !client.is_confidential() {
        return Err(OAuthError::unauthorized_client(
            "client_credentials is only for confidential clients",
        ));
    }
    let requested =
        scope::parse(params.get("scope").unwrap_or("")).map_err(OAuthError::invalid_scope)?;
    let granted = if requested.is_empty() {
        client.granted_scopes.clone()
    } else {
        if let Some(bad) = scope::first_not_allowed(&requested, &client.granted_scopes) {
            return Err(OAuthError::invalid_scope(format!(
                "scope {bad} is not granted to this client"
            )));
        }
        requested
    };
    let now = now();
    let subject = Subject {
        sub: &client.client_id,
        auth_time: None,
        sid: None,
    };
    let (jws, claims) = access_token(state, client, &subject, &scope::join(&granted), now)?;
    let event = Event::success(kind::TOKEN_ISSUED)
        .meta(meta)
        .subject(&client.client_id)
        .client(&client.client_id)
        .jti(&claims.jti)
        .detail(audit_detail("client_credentials", &jws, &claims));
    // The token is only handed out once its audit event is committed.
    state
        .audit
        .append(event)
        .await
        .map_err(|_| OAuthError::server_error())?;
    Ok(token_response(&jws, &claims, None, None))
}
