//! `POST /oauth/par` (RFC 9126): the client authenticates as at the token endpoint
//! (a public client sends its `client_id`), pushes an authorization request, and gets a
//! one-time `request_uri` for `/oauth/authorize`, good for 60 s.

use super::authorize::pushed::{self, PAR_TTL};
use super::client_auth::authenticate;
use super::params::Form;
use crate::domain::RequestMeta;
use crate::error::OAuthError;
use crate::state::Shared;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

pub async fn par(
    State(s): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    form: Result<Form, OAuthError>,
) -> Response {
    match push(&s, &meta, &headers, form).await {
        Ok(request_uri) => (
            StatusCode::CREATED,
            [(header::CACHE_CONTROL, "no-store")],
            Json(json!({"request_uri": request_uri, "expires_in": PAR_TTL})),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

async fn push(
    s: &Shared,
    meta: &RequestMeta,
    headers: &HeaderMap,
    form: Result<Form, OAuthError>,
) -> Result<String, OAuthError> {
    let Form(mut params) = form?;
    let (client, _) = authenticate(s, meta, headers, &params).await?;
    // Authenticated by a header or an assertion, the body may leave client_id out.
    params.set("client_id", &client.client_id);
    pushed::push(s, params).await
}
