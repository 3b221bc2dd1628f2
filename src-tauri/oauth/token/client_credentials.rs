//! The `client_credentials` grant (RFC 6749 §4.4): confidential clients only, scope ⊆
//! what the super-admin granted, `sub` = client_id, no ID or refresh token.

use super::issuance::{Issuance, TokenRequest};
use super::Grant;
use crate::audit::kind;
use crate::domain::scope;
use crate::error::OAuthError;
use crate::oauth::params::Params;
use crate::oauth::resource;
use crate::store::clients::Client;

pub struct ClientCredentials;

impl Grant for ClientCredentials {
    const GRANT_TYPE: &'static str = "client_credentials";

    /// Its policy must list it, and a client without a secret proves nothing.
    fn may_use(&self, client: &Client) -> bool {
        client.policy.may_use(Self::GRANT_TYPE) && client.is_confidential()
    }

    fn refusal(&self, _: &Params) -> OAuthError {
        OAuthError::unauthorized_client("client_credentials is only for confidential clients")
    }

    async fn validate(&self, req: &TokenRequest<'_>) -> Result<Issuance, OAuthError> {
        let client = req.client;
        let requested = scope::parse(req.params.get("scope").unwrap_or(""))
            .map_err(OAuthError::invalid_scope)?;
        let scopes = if requested.is_empty() {
            client.granted_scopes.clone()
        } else {
            if let Some(bad) = scope::first_not_allowed(&requested, &client.granted_scopes) {
                return Err(OAuthError::invalid_scope(format!(
                    "scope {bad} is not granted to this client"
                )));
            }
            requested
        };
        // RFC 8707: a registered resource becomes the token's `aud`.
        let target = resource::param(req.params, req.client)?;
        if let Some(t) = target {
            resource::require_for(req.state, req.client, t).await?;
        }
        // Nothing to store: the token is only handed out once its audit event is
        // committed (through the group-committing sink).
        Ok(Issuance {
            tx: None,
            sign_in: None,
            scopes,
            branch: None,
            event: kind::TOKEN_ISSUED,
            also_audit: Vec::new(),
            resource: target.map(String::from),
            exchange: None,
        })
    }
}
