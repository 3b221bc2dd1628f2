//! Token exchange (RFC 8693): a [`ServiceClient`] allowed it (a product's agent, or a
//! server client with token exchange on) trades a user's access token for one that acts
//! for the user: the same subject, a scope no wider, `act` naming this client.

use serde::Deserialize;

use crate::error::Error;
use crate::service::ServiceClient;
use crate::token::post_form;

const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// RFC 8693's token type of an access token.
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// What to ask for in [`ServiceClient::exchange_token`]; the default asks for a token for
/// the client's own product with the subject token's scopes (as far as it may hold them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExchangeRequest {
    /// The API the new token is for (`audience`: a product's registered audience or
    /// resource); `None` = the client's own product.
    pub audience: Option<String>,
    /// Scopes to ask for (at most the subject token's and the client's); empty = all of
    /// those.
    pub scope: Vec<String>,
    /// The client's own access token (`actor_token`), when the issuer should see it too.
    pub actor_token: Option<String>,
}

/// An exchanged access token.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ExchangedToken {
    /// The new access token (its `act` names this client).
    pub access_token: String,
    /// `Bearer`, or `DPoP` for a DPoP-bound client.
    pub token_type: String,
    /// Seconds until it expires (never after the subject token).
    #[serde(default)]
    pub expires_in: Option<u64>,
    /// The granted scopes, space-separated.
    #[serde(default)]
    pub scope: String,
    /// What was issued: [`ACCESS_TOKEN_TYPE`].
    pub issued_token_type: String,
}

impl ExchangedToken {
    /// `scope`, split on spaces.
    pub fn scopes(&self) -> Vec<&str> {
        self.scope.split_ascii_whitespace().collect()
    }
}

impl ServiceClient {
    /// Exchanges `subject_token` (a user's access token addressed to this client's
    /// product) for a token acting for that user (RFC 8693). A refusal is
    /// [`Error::OAuth`]: `unauthorized_client` (this client may not exchange),
    /// `invalid_grant` (the subject token is expired, revoked, foreign or not addressed to
    /// this product), `invalid_scope`, `invalid_target` (an unknown audience).
    pub async fn exchange_token(
        &self,
        subject_token: &str,
        request: ExchangeRequest,
    ) -> Result<ExchangedToken, Error> {
        let scope = request.scope.join(" ");
        let mut form = vec![
            ("grant_type", GRANT_TYPE),
            ("subject_token", subject_token),
            ("subject_token_type", ACCESS_TOKEN_TYPE),
        ];
        if let Some(audience) = request.audience.as_deref() {
            form.push(("audience", audience));
        }
        if !scope.is_empty() {
            form.push(("scope", &scope));
        }
        if let Some(actor) = request.actor_token.as_deref() {
            form.extend([
                ("actor_token", actor),
                ("actor_token_type", ACCESS_TOKEN_TYPE),
            ]);
        }
        let (http, endpoint) = (
            self.discovery().http(),
            &self.discovery().metadata().token_endpoint,
        );
        let body = post_form(http, endpoint, &form, self.proof(endpoint), self.dpop()).await?;
        let token: ExchangedToken = serde_json::from_slice(&body)
            .map_err(|e| Error::UnexpectedResponse(format!("token exchange response: {e}")))?;
        if token.issued_token_type != ACCESS_TOKEN_TYPE {
            return Err(Error::UnexpectedResponse(format!(
                "token exchange issued {}, not an access token",
                token.issued_token_type
            )));
        }
        Ok(token)
    }
}
