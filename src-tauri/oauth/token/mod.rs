//! `POST /oauth/token`: authenticates the client, finds the grant in [`GRANTS`], checks
//! the client's policy allows it, lets the grant decide what to issue and commits that
//! ([`issuance::commit`]); every refusal is recorded in the audit log.

mod authorization_code;
mod client_credentials;
pub mod issuance;
mod refresh_token;
mod token_exchange;

pub use authorization_code::AuthorizationCode;
pub use client_credentials::ClientCredentials;
pub use refresh_token::RefreshToken;
pub use token_exchange::{TokenExchange, TOKEN_EXCHANGED};

use super::client_auth::{authenticate, claimed_client_id};
use super::params::{Form, Params};
use crate::audit::{kind, Event};
use crate::domain::RequestMeta;
use crate::error::OAuthError;
use crate::state::{AppState, Shared};
use crate::store::clients::Client;
use crate::store::now;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use issuance::{Issuance, TokenRequest};
use serde_json::json;
use std::future::Future;
use std::pin::Pin;

/// One grant type of the token endpoint: a file in this folder and an entry in [`GRANTS`].
pub trait Grant: Sync {
    /// Its `grant_type` value (and its name in `grant_types_supported`).
    const GRANT_TYPE: &'static str;

    /// Whether `client` may use it: its policy lists it.
    fn may_use(&self, client: &Client) -> bool {
        client.policy.may_use(Self::GRANT_TYPE)
    }

    /// The answer to a client that may not use it (usually `unauthorized_client`).
    fn refusal(&self, params: &Params) -> OAuthError;

    /// Checks the request and decides what to issue. A grant that must lock or record
    /// something (a code marked used, a replay) opens the transaction and hands it over
    /// in the [`Issuance`]; a refusal that must be recorded commits its own.
    fn validate(
        &self,
        req: &TokenRequest<'_>,
    ) -> impl Future<Output = Result<Issuance, OAuthError>> + Send;
}

/// The grants of the token endpoint, in the order discovery lists them.
pub static GRANTS: &[&dyn RegisteredGrant] = &[
    &AuthorizationCode,
    &RefreshToken,
    &ClientCredentials,
    &TokenExchange,
];

/// A [`Grant`] as the registry holds it (its future boxed).
pub trait RegisteredGrant: Sync {
    fn grant_type(&self) -> &'static str;
    fn may_use(&self, client: &Client) -> bool;
    fn refusal(&self, params: &Params) -> OAuthError;
    fn validate<'a>(
        &'a self,
        req: &'a TokenRequest<'a>,
    ) -> Pin<Box<dyn Future<Output = Result<Issuance, OAuthError>> + Send + 'a>>;
}

impl<G: Grant> RegisteredGrant for G {
    fn grant_type(&self) -> &'static str {
        G::GRANT_TYPE
    }
    fn may_use(&self, client: &Client) -> bool {
        Grant::may_use(self, client)
    }
    fn refusal(&self, params: &Params) -> OAuthError {
        Grant::refusal(self, params)
    }
    fn validate<'a>(
        &'a self,
        req: &'a TokenRequest<'a>,
    ) -> Pin<Box<dyn Future<Output = Result<Issuance, OAuthError>> + Send + 'a>> {
        Box::pin(Grant::validate(self, req))
    }
}

/// The `grant_type`s discovery advertises.
pub fn supported_grant_types() -> Vec<&'static str> {
    GRANTS.iter().map(|g| g.grant_type()).collect()
}

pub async fn token(
    State(state): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    form: Result<Form, OAuthError>,
) -> Response {
    let Form(params) = match form {
        Ok(f) => f,
        Err(e) => {
            crate::metrics::token_refused(e.error);
            return e.into_response();
        }
    };
    let grant = params.get("grant_type").unwrap_or("").to_string();
    let result = async {
        if grant.is_empty() {
            return Err((None, OAuthError::invalid_request("grant_type is required")));
        }
        let (client, _) = authenticate(&state, &meta, &headers, &params)
            .await
            .map_err(|e| (claimed_client_id(&headers, &params), e))?;
        check_origin(&state, &client, &headers)
            .await
            .map_err(|e| (Some(client.client_id.clone()), e))?;
        issue(&state, &meta, &headers, &client, &params, &grant)
            .await
            .map_err(|e| (Some(client.client_id.clone()), e))
    }
    .await;
    match result {
        Ok(response) => response,
        Err((client_id, error)) => {
            crate::metrics::token_refused(error.error);
            record_refusal(&state, &meta, client_id, &grant, &error).await;
            error.into_response()
        }
    }
}

/// A browser's request (it names its `Origin`) must come from an origin the client allows
/// (`crate::cors::origin_allowed`): else `invalid_client`, so a page of one product cannot
/// redeem codes or refresh tokens with another product's client.
async fn check_origin(
    state: &AppState,
    client: &Client,
    headers: &HeaderMap,
) -> Result<(), OAuthError> {
    if crate::cors::origin_allowed(state, &client.client_id, headers).await? {
        return Ok(());
    }
    Err(OAuthError::invalid_client(
        "this client does not allow requests from the Origin of this page \
         (its allowed_origins, or the origins of its redirect URIs)",
    ))
}

/// Runs grant `grant_type` for an authenticated client.
async fn issue(
    state: &AppState,
    meta: &RequestMeta,
    headers: &HeaderMap,
    client: &Client,
    params: &Params,
    grant_type: &str,
) -> Result<Response, OAuthError> {
    let grant = GRANTS
        .iter()
        .find(|g| g.grant_type() == grant_type)
        .ok_or_else(|| {
            OAuthError::unsupported_grant_type(format!(
                "grant_type {} is not supported",
                grant_type.chars().take(64).collect::<String>()
            ))
        })?;
    if !grant.may_use(client) {
        return Err(grant.refusal(params));
    }
    let now = now();
    let dpop = crate::oauth::dpop::at_token_endpoint(state, headers, client.app.dpop_bound, now)?;
    let req = TokenRequest {
        state,
        meta,
        client,
        params,
        now,
        dpop,
    };
    let issuance = grant.validate(&req).await?;
    let t = issuance::commit(&req, grant.grant_type(), issuance).await?;
    crate::metrics::token_issued(grant.grant_type());
    let also = super::issue::AlsoIssued {
        refresh: t.refresh.as_deref(),
        id_token: t.id_token.as_deref(),
        issued_token_type: t.issued_token_type,
    };
    Ok(super::issue::token_response(&t.access, &t.claims, also))
}

/// Writes a `token.refused` event; a failure to write is logged, not hidden from the client.
pub(crate) async fn record_refusal(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::clients::{ClientKind, ClientPolicy};

    #[test]
    fn discovery_lists_the_registry_in_order() {
        assert_eq!(
            supported_grant_types(),
            [
                "authorization_code",
                "refresh_token",
                "client_credentials",
                "urn:ietf:params:oauth:grant-type:token-exchange"
            ]
        );
    }

    #[test]
    fn every_grant_a_policy_names_is_registered() {
        let policies = [
            ClientPolicy::console(),
            ClientPolicy::for_kind(ClientKind::Web),
            ClientPolicy::for_kind(ClientKind::Server),
            ClientPolicy::for_kind(ClientKind::Admin),
            ClientPolicy::for_kind(ClientKind::Agent),
            ClientPolicy::for_kind(ClientKind::Dynamic),
            ClientPolicy::for_client(ClientKind::Server, true),
            ClientPolicy::account(),
        ];
        for policy in policies {
            for g in policy.grants {
                assert!(supported_grant_types().contains(g), "{g}");
            }
        }
    }
}
