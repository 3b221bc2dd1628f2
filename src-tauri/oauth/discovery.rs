//! Authorization server metadata and the JWKS: OpenID Provider metadata
//! (`/.well-known/openid-configuration`) and RFC 8414's
//! (`/.well-known/oauth-authorization-server`) are one document, built by [`metadata`].

use crate::state::{AppState, Shared};
use crate::store::clients::TokenAuthMethod;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};

/// `GET /.well-known/openid-configuration`.
pub async fn openid_configuration(State(s): State<Shared>) -> impl IntoResponse {
    answer(metadata(&s))
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414): the same document.
pub async fn oauth_authorization_server(State(s): State<Shared>) -> impl IntoResponse {
    answer(metadata(&s))
}

fn answer(doc: Value) -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "public, max-age=300")], Json(doc))
}

/// The server's metadata (OpenID Connect Discovery 1.0 §3, RFC 8414 §2).
fn metadata(s: &AppState) -> Value {
    // Every registrable method; introspection is for confidential clients only.
    let auth_methods: Vec<&str> = TokenAuthMethod::ALL.iter().map(|m| m.as_str()).collect();
    let confidential: Vec<&str> = auth_methods
        .iter()
        .copied()
        .filter(|m| *m != "none")
        .collect();
    json!({
        "issuer": s.issuer,
        "authorization_endpoint": s.url("/oauth/authorize"),
        "token_endpoint": s.url("/oauth/token"),
        "userinfo_endpoint": s.url("/oauth/userinfo"),
        "jwks_uri": s.url("/.well-known/jwks.json"),
        "revocation_endpoint": s.url("/oauth/revoke"),
        "introspection_endpoint": s.url("/oauth/introspect"),
        "end_session_endpoint": s.url("/oauth/logout"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": super::token::supported_grant_types(),
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "userinfo_signing_alg_values_supported": ["none"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr", "acr", "aal", "auth_method", "sid",
                             "email", "email_verified", "name", "given_name", "family_name", "locale",
                             "groups", "org", "branch"],
        "acr_values_supported": crate::domain::amr::ACR_VALUES,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "PS256", "ES256", "EdDSA"],
        "pushed_authorization_request_endpoint": s.url("/oauth/par"),
        "require_pushed_authorization_requests": false,
        "introspection_endpoint_auth_methods_supported": confidential,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "authorization_response_iss_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claims_parameter_supported": false,
        "dpop_signing_alg_values_supported": super::dpop::ALGS,
        "registration_endpoint": s.url("/oauth/register"),
    })
}

pub async fn jwks(State(s): State<Shared>) -> impl IntoResponse {
    let keys = s.keys.jwks();
    (
        [
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::CONTENT_TYPE, "application/jwk-set+json"),
        ],
        keys.to_string(),
    )
}
