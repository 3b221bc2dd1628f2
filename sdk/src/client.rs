//! Client side of the code + PKCE flow: build the authorization URL, then turn the
//! callback into a verified [`Session`].

use std::collections::HashMap;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::Validation;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

use crate::discovery::Discovery;
use crate::dpop::DpopKey;
use crate::error::{Error, TokenRejection};
use crate::jwks::verify_jws;
use crate::session::Session;
use crate::token::{post_form, random_token, ClientProof, TokenResponse};

/// An OAuth client of one issuer that signs users in with the authorization code flow
/// and PKCE S256: public ([`Client::new`]), or a confidential web client with a secret
/// ([`Client::confidential`]). Cheap to clone (shared).
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<ClientInner>,
}

pub(crate) struct ClientInner {
    pub(crate) discovery: Discovery,
    pub(crate) client_id: String,
    id_validation: Validation,
    /// How it authenticates at the token and revocation endpoints.
    auth: ClientAuth,
    /// The DPoP key the sessions' tokens are bound to, if any.
    dpop: Option<DpopKey>,
}

/// How a [`Client`] authenticates at the token and revocation endpoints.
#[derive(Clone)]
enum ClientAuth {
    /// A public client: `client_id` only (PKCE proves the rest).
    Public,
    /// A confidential web client's secret.
    Secret(ClientSecret),
    /// `private_key_jwt`: a fresh signed assertion per request.
    PrivateKey(crate::PrivateKeyJwt),
}

/// A confidential web client's secret and the method it was registered with
/// (`token_endpoint_auth_method`); sent on the code exchange, refresh and revocation.
/// PKCE is used all the same.
#[derive(Clone)]
pub enum ClientSecret {
    /// `client_secret_basic`: HTTP Basic authentication.
    Basic(String),
    /// `client_secret_post`: `client_id` and `client_secret` in the form body.
    Post(String),
}

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ClientSecret::Basic(_) => "Basic(***)",
            ClientSecret::Post(_) => "Post(***)",
        })
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("issuer", &self.issuer())
            .field("client_id", &self.inner.client_id)
            .finish()
    }
}

/// What to ask for in [`Client::begin_login`].
#[derive(Debug, Clone, Default)]
pub struct LoginOptions {
    /// The registered redirect URI the browser comes back to.
    pub redirect_uri: String,
    /// Scopes to request; `openid` is added when missing.
    pub scopes: Vec<String>,
    /// Sign in straight into this branch (`branch=ID`) instead of letting a user with
    /// several branches pick one.
    pub branch: Option<String>,
    /// `prompt` (`login` forces a fresh sign-in, `none` fails without an SSO session).
    pub prompt: Option<String>,
}

/// A login in progress. Keep it in the user's (server-side or encrypted) session until
/// the callback arrives; send the browser to [`LoginRequest::url`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginRequest {
    /// The authorization URL to redirect the browser to.
    pub url: String,
    /// The `state` sent (256 random bits); the callback must echo it.
    pub state: String,
    /// The `nonce` sent (256 random bits); the ID token must carry it.
    pub nonce: String,
    /// The PKCE code verifier; its S256 challenge went into the URL.
    pub code_verifier: String,
    /// The redirect URI used (repeated in the code exchange).
    pub redirect_uri: String,
}

impl Client {
    /// Discovers `issuer` and returns a client for the public client `client_id`.
    pub async fn discover(issuer: &str, client_id: &str) -> Result<Client, Error> {
        Ok(Client::new(Discovery::fetch(issuer).await?, client_id))
    }

    /// A public client `client_id` of an already discovered issuer.
    pub fn new(discovery: Discovery, client_id: &str) -> Client {
        Client::build(discovery, client_id, ClientAuth::Public)
    }

    /// A confidential client registered with `private_key_jwt`: the code exchange and
    /// every refresh authenticate with a fresh assertion signed by `key`.
    pub fn with_private_key_jwt(
        discovery: Discovery,
        client_id: &str,
        key: crate::PrivateKeyJwt,
    ) -> Client {
        Client::build(discovery, client_id, ClientAuth::PrivateKey(key))
    }

    /// A confidential web client `client_id` (`client_secret_basic` or `_post`) of an
    /// already discovered issuer.
    pub fn confidential(discovery: Discovery, client_id: &str, secret: ClientSecret) -> Client {
        Client::build(discovery, client_id, ClientAuth::Secret(secret))
    }

    fn build(discovery: Discovery, client_id: &str, auth: ClientAuth) -> Client {
        let mut id_validation = crate::jwks::rs256_validation(
            discovery.issuer(),
            client_id,
            &["exp", "iat", "iss", "aud", "sub"],
        );
        id_validation.validate_nbf = false;
        Client {
            inner: Arc::new(ClientInner {
                discovery,
                client_id: client_id.to_string(),
                id_validation,
                auth,
                dpop: None,
            }),
        }
    }

    /// The same client, with its tokens bound to `key` (RFC 9449): code exchanges and
    /// refreshes send a proof by it, and [`crate::AuthorizedClient`] calls APIs with
    /// `Authorization: DPoP` and a proof per request.
    pub fn with_dpop(self, key: DpopKey) -> Client {
        let inner = &self.inner;
        Client {
            inner: Arc::new(ClientInner {
                discovery: inner.discovery.clone(),
                client_id: inner.client_id.clone(),
                id_validation: inner.id_validation.clone(),
                auth: inner.auth.clone(),
                dpop: Some(key),
            }),
        }
    }

    /// The DPoP key of [`Client::with_dpop`].
    pub fn dpop(&self) -> Option<&DpopKey> {
        self.inner.dpop.as_ref()
    }

    /// The discovered issuer.
    pub fn discovery(&self) -> &Discovery {
        &self.inner.discovery
    }

    /// The issuer identifier.
    pub fn issuer(&self) -> &str {
        self.inner.discovery.issuer()
    }

    /// This client's id.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// Starts a login: fresh `state`, `nonce` and PKCE verifier, and the authorization URL.
    pub fn begin_login(&self, options: LoginOptions) -> Result<LoginRequest, Error> {
        let mut url = url::Url::parse(&self.discovery().metadata().authorization_endpoint)
            .map_err(|e| Error::InvalidUrl(format!("authorization_endpoint: {e}")))?;
        url::Url::parse(&options.redirect_uri)
            .map_err(|e| Error::InvalidUrl(format!("redirect_uri: {e}")))?;
        let mut scopes = options.scopes;
        if !scopes.iter().any(|s| s == "openid") {
            scopes.insert(0, "openid".to_string());
        }
        let state = random_token();
        let nonce = random_token();
        let code_verifier = random_token();
        let challenge = URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            code_verifier.as_bytes(),
        ));
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", &self.inner.client_id)
                .append_pair("redirect_uri", &options.redirect_uri)
                .append_pair("scope", &scopes.join(" "))
                .append_pair("state", &state)
                .append_pair("nonce", &nonce)
                .append_pair("code_challenge", &challenge)
                .append_pair("code_challenge_method", "S256");
            if let Some(branch) = &options.branch {
                q.append_pair("branch", branch);
            }
            if let Some(prompt) = &options.prompt {
                q.append_pair("prompt", prompt);
            }
        }
        Ok(LoginRequest {
            url: url.into(),
            state,
            nonce,
            code_verifier,
            redirect_uri: options.redirect_uri,
        })
    }

    /// Finishes a login from the full callback URL the browser arrived at: checks
    /// `state` (constant time), `iss` (RFC 9207), surfaces `error`, exchanges the code
    /// with the PKCE verifier and verifies the ID token (RS256, `iss`, `aud`, `exp`, `nonce`).
    pub async fn complete_login(
        &self,
        request: &LoginRequest,
        callback_url: &str,
    ) -> Result<Session, Error> {
        let url = url::Url::parse(callback_url)
            .map_err(|e| Error::InvalidUrl(format!("callback: {e}")))?;
        let mut params: HashMap<String, String> = HashMap::new();
        for (k, v) in url.query_pairs() {
            if params.insert(k.to_string(), v.to_string()).is_some() {
                // A repeated parameter is ambiguous; treat it like a forged callback.
                return Err(Error::StateMismatch);
            }
        }
        let state_ok = params
            .get("state")
            .is_some_and(|s| bool::from(s.as_bytes().ct_eq(request.state.as_bytes())));
        if !state_ok {
            return Err(Error::StateMismatch);
        }
        let meta = self.discovery().metadata();
        let iss_required = meta
            .other
            .get("authorization_response_iss_parameter_supported")
            == Some(&Value::Bool(true));
        match params.get("iss") {
            Some(iss) if iss != self.issuer() => {
                return Err(Error::IssuerMismatch {
                    expected: self.issuer().to_string(),
                    actual: iss.clone(),
                })
            }
            None if iss_required => {
                return Err(Error::IssuerMismatch {
                    expected: self.issuer().to_string(),
                    actual: String::new(),
                })
            }
            _ => {}
        }
        if let Some(error) = params.get("error") {
            return Err(Error::OAuth {
                error: error.clone(),
                description: params.get("error_description").cloned(),
            });
        }
        let code = params.get("code").ok_or(Error::MissingCode)?;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", &request.redirect_uri),
            ("code_verifier", &request.code_verifier),
        ];
        let resp = self.token_request(&form).await?;
        let id_token = resp
            .id_token
            .as_deref()
            .ok_or_else(|| Error::InvalidIdToken("no id_token in the token response".into()))?;
        let id_claims = self.verify_id_token(id_token, Some(&request.nonce)).await?;
        Ok(Session::new(self.clone(), resp, id_claims))
    }

    /// POSTs `form` to the token endpoint as this client: `client_id` in the body (public,
    /// `client_secret_post` with the secret), HTTP Basic (`client_secret_basic`) or a
    /// fresh signed assertion (`private_key_jwt`).
    pub(crate) async fn token_request(
        &self,
        form: &[(&str, &str)],
    ) -> Result<TokenResponse, Error> {
        let endpoint = &self.discovery().metadata().token_endpoint;
        let body = self.authenticated_post(endpoint, form, self.dpop()).await?;
        serde_json::from_slice(&body)
            .map_err(|e| Error::UnexpectedResponse(format!("token response: {e}")))
    }

    /// POSTs `form` to `endpoint` (token, revocation) with this client's authentication,
    /// and a DPoP proof by `dpop` when given. An assertion's `aud` is the token endpoint,
    /// which Tessera takes at every endpoint.
    pub(crate) async fn authenticated_post(
        &self,
        endpoint: &str,
        form: &[(&str, &str)],
        dpop: Option<&DpopKey>,
    ) -> Result<Vec<u8>, Error> {
        let id = self.inner.client_id.as_str();
        let mut form = form.to_vec();
        let proof = match &self.inner.auth {
            ClientAuth::Secret(ClientSecret::Basic(secret)) => ClientProof::Basic(id, secret),
            ClientAuth::Secret(ClientSecret::Post(secret)) => {
                form.extend([("client_id", id), ("client_secret", secret.as_str())]);
                ClientProof::Form
            }
            ClientAuth::PrivateKey(key) => {
                form.push(("client_id", id));
                let aud = &self.discovery().metadata().token_endpoint;
                ClientProof::Assertion {
                    client_id: id,
                    key,
                    aud,
                }
            }
            ClientAuth::Public => {
                form.push(("client_id", id));
                ClientProof::Form
            }
        };
        post_form(self.discovery().http(), endpoint, &form, proof, dpop).await
    }

    /// Verifies an ID token of this client; `nonce`, when given, must match exactly.
    pub(crate) async fn verify_id_token(
        &self,
        id_token: &str,
        nonce: Option<&str>,
    ) -> Result<Map<String, Value>, Error> {
        let claims = verify_jws(
            &self.discovery().inner.jwks,
            id_token,
            None,
            &self.inner.id_validation,
        )
        .await
        .map_err(|e: TokenRejection| Error::InvalidIdToken(e.to_string()))?;
        if let Some(expected) = nonce {
            let ok = claims
                .get("nonce")
                .and_then(Value::as_str)
                .is_some_and(|n| bool::from(n.as_bytes().ct_eq(expected.as_bytes())));
            if !ok {
                return Err(Error::NonceMismatch);
            }
        }
        Ok(claims)
    }
}
