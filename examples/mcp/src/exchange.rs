//! RFC 8693 token exchange by the server's agent: the user's token for this MCP server
//! becomes a token for the orders API, with the user's `sub` and branch and the agent in
//! `act`.
//!
//! TODO(lead): switch to `ServiceClient::exchange_token` (helper "exchange" adds it to the
//! SDK) and drop this module.

use serde::Deserialize;
use tessera_sdk::Discovery;

/// RFC 8693 §2.1 `grant_type`.
const GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// RFC 8693 §3: the subject token is an access token.
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// The agent's credentials and where to exchange.
pub(crate) struct Exchange {
    http: reqwest::Client,
    token_endpoint: String,
    client_id: String,
    client_secret: String,
}

/// A successful exchange (RFC 8693 §2.2.1).
#[derive(Debug, Deserialize)]
pub(crate) struct Exchanged {
    pub(crate) access_token: String,
    #[serde(default)]
    pub(crate) issued_token_type: Option<String>,
    #[serde(default)]
    pub(crate) scope: Option<String>,
    #[serde(default)]
    pub(crate) expires_in: Option<u64>,
}

/// Why an exchange failed.
#[derive(Debug)]
pub(crate) enum ExchangeError {
    /// The token endpoint refused: its OAuth error (`invalid_grant`, `invalid_target`, ...).
    Refused {
        status: u16,
        error: String,
        description: Option<String>,
    },
    /// The token endpoint could not be reached or answered something else than OAuth JSON.
    Transport(String),
}

impl std::fmt::Display for ExchangeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExchangeError::Refused {
                status,
                error,
                description,
            } => {
                write!(f, "{status} {error}")?;
                match description {
                    Some(d) => write!(f, ": {d}"),
                    None => Ok(()),
                }
            }
            ExchangeError::Transport(why) => f.write_str(why),
        }
    }
}

#[derive(Deserialize)]
struct OAuthError {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

impl Exchange {
    pub(crate) fn new(discovery: &Discovery, client_id: &str, client_secret: &str) -> Exchange {
        Exchange {
            http: discovery.http().clone(),
            token_endpoint: discovery.metadata().token_endpoint.clone(),
            client_id: client_id.to_string(),
            client_secret: client_secret.to_string(),
        }
    }

    /// The HTTP client (the SDK's) to call the API with.
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Exchanges `subject_token` for a token for `audience` with `scope`, authenticating
    /// the agent with client_secret_basic.
    pub(crate) async fn exchange(
        &self,
        subject_token: &str,
        audience: &str,
        scope: &str,
    ) -> Result<Exchanged, ExchangeError> {
        let form = [
            ("grant_type", GRANT),
            ("subject_token", subject_token),
            ("subject_token_type", ACCESS_TOKEN_TYPE),
            ("audience", audience),
            ("scope", scope),
        ];
        // RFC 6749 §2.3.1: the id and secret are form-encoded before the Basic encoding.
        let encode =
            |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let response = self
            .http
            .post(&self.token_endpoint)
            .basic_auth(encode(&self.client_id), Some(encode(&self.client_secret)))
            .form(&form)
            .send()
            .await
            .map_err(|e| ExchangeError::Transport(format!("token endpoint: {e}")))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| ExchangeError::Transport(format!("token endpoint: {e}")))?;
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| {
                ExchangeError::Transport(format!("token endpoint answered {status}: {e}"))
            });
        }
        match serde_json::from_slice::<OAuthError>(&body) {
            Ok(e) => Err(ExchangeError::Refused {
                status: status.as_u16(),
                error: e.error,
                description: e.error_description,
            }),
            Err(_) => Err(ExchangeError::Transport(format!(
                "token endpoint answered {status} without an OAuth error"
            ))),
        }
    }
}
