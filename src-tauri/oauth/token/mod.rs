//! `POST /oauth/token`: authenticates the client, dispatches to one grant per file, and
//! records every refusal in the audit log.

mod authorization_code;
mod client_credentials;
mod refresh_token;

use super::client_auth::{authenticate, claimed_client_id};
use super::params::Form;
use crate::audit::{kind, Event};
use crate::domain::RequestMeta;
use crate::error::OAuthError;
use crate::state::Shared;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub async fn token(
    State(state): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    form: Result<Form, OAuthError>,
) -> Response {
    let Form(params) = match form {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let grant = params.get("grant_type").unwrap_or("").to_string();
    let result = async {
        if grant.is_empty() {
            return Err((None, OAuthError::invalid_request("grant_type is required")));
        }
        let (client, _) = authenticate(&state, &meta, &headers, &params)
            .await
            .map_err(|e| (claimed_client_id(&headers, &params), e))?;
        let cid = Some(client.client_id.clone());
        match grant.as_str() {
            "authorization_code" => {
                authorization_code::grant(&state, &meta, &client, &params).await
            }
            "refresh_token" => refresh_token::grant(&state, &meta, &client, &params).await,
            "client_credentials" => {
                client_credentials::grant(&state, &meta, &client, &params).await
            }
            other => Err(OAuthError::unsupported_grant_type(format!(
                "grant_type {} is not supported",
                other.chars().take(64).collect::<String>()
            ))),
        }
        .map_err(|e| (cid, e))
    }
    .await;
    match result {
        Ok(response) => response,
        Err((client_id, error)) => {
            record_refusal(&state, &meta, client_id, &grant, &error).await;
            error.into_response()
        }
    }
}

/// Writes a `token.refused` event; a failure to write is logged, not hidden from the client.
async fn record_refusal(
    state: &Shared,
    meta: &RequestMeta,
    client_id: Option<String>,
    grant: &str,
    error: &OAuthError,
) {
    let mut event = Event::failure(kind::TOKEN_REFUSED)
        .meta(meta)
        .detail(json!({
            "grant_type": grant.chars().take(64).collect::<String>(),
            "error": error.error,
            "error_description": error.description,
        }));
    if let Some(c) = client_id {
        event = event.client(c.chars().take(200).collect::<String>());
    }
    if state.audit.append(event).await.is_err() {
        tracing::error!("cannot record a refused token request");
    }
}
