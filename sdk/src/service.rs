//! Service-to-service: client_credentials tokens for a product's server client.

use std::sync::Arc;

use crate::discovery::Discovery;
use crate::dpop::DpopKey;
use crate::error::Error;
use crate::token::{expires_at, now_unix, post_token, unverified_claims, ClientProof};

/// Reuse a cached token until this many seconds before it expires.
const RENEW_MARGIN_SECS: u64 = 30;

/// Gets client_credentials tokens for a confidential (server) client with
/// client_secret_basic (or `private_key_jwt`: [`ServiceClient::with_private_key_jwt`]), asking for exactly the scopes given (ask for the narrowest set
/// the call needs). Tokens are cached until 30 s before expiry; concurrent callers share
/// one token request. Cheap to clone (shared).
#[derive(Clone)]
pub struct ServiceClient {
    inner: Arc<ServiceInner>,
}

struct ServiceInner {
    discovery: Discovery,
    client_id: String,
    credential: Credential,
    scope: String,
    cached: tokio::sync::Mutex<Option<(String, u64)>>,
    /// The DPoP key the tokens are bound to, if any.
    dpop: Option<DpopKey>,
}

/// How the service client authenticates.
#[derive(Clone)]
enum Credential {
    Secret(String),
    PrivateKey(crate::PrivateKeyJwt),
}

impl std::fmt::Debug for ServiceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceClient")
            .field("client_id", &self.inner.client_id)
            .field("scope", &self.inner.scope)
            .finish_non_exhaustive()
    }
}

impl ServiceClient {
    /// A service client; `scopes` empty asks for every scope granted to the client.
    pub fn new<S: AsRef<str>>(
        discovery: Discovery,
        client_id: &str,
        client_secret: &str,
        scopes: &[S],
    ) -> ServiceClient {
        let secret = Credential::Secret(client_secret.to_string());
        ServiceClient::build(discovery, client_id, secret, scopes)
    }

    /// A service client registered with `private_key_jwt`: each token request carries a
    /// fresh assertion signed by `key`.
    pub fn with_private_key_jwt<S: AsRef<str>>(
        discovery: Discovery,
        client_id: &str,
        key: crate::PrivateKeyJwt,
        scopes: &[S],
    ) -> ServiceClient {
        ServiceClient::build(discovery, client_id, Credential::PrivateKey(key), scopes)
    }

    fn build<S: AsRef<str>>(
        discovery: Discovery,
        client_id: &str,
        credential: Credential,
        scopes: &[S],
    ) -> ServiceClient {
        let scope = scopes
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(" ");
        ServiceClient {
            inner: Arc::new(ServiceInner {
                discovery,
                client_id: client_id.to_string(),
                credential,
                scope,
                cached: tokio::sync::Mutex::new(None),
                dpop: None,
            }),
        }
    }

    /// The same client with its tokens bound to `key` (RFC 9449): token requests send a
    /// proof, [`ServiceClient::send`] uses `Authorization: DPoP` and a proof per request.
    pub fn with_dpop(self, key: DpopKey) -> ServiceClient {
        let inner = &self.inner;
        ServiceClient {
            inner: Arc::new(ServiceInner {
                discovery: inner.discovery.clone(),
                client_id: inner.client_id.clone(),
                credential: inner.credential.clone(),
                scope: inner.scope.clone(),
                cached: tokio::sync::Mutex::new(None),
                dpop: Some(key),
            }),
        }
    }

    /// A valid access token, from the cache or a new client_credentials grant.
    pub async fn access_token(&self) -> Result<String, Error> {
        // The lock is held across the request: that is the single flight.
        let mut cached = self.inner.cached.lock().await;
        if let Some((token, exp)) = cached.as_ref() {
            if *exp > now_unix() + RENEW_MARGIN_SECS {
                return Ok(token.clone());
            }
        }
        let mut form = vec![("grant_type", "client_credentials")];
        if !self.inner.scope.is_empty() {
            form.push(("scope", &self.inner.scope));
        }
        let (http, endpoint) = (
            self.inner.discovery.http(),
            &self.inner.discovery.metadata().token_endpoint,
        );
        let proof = self.proof(endpoint);
        let resp = post_token(http, endpoint, &form, proof, self.inner.dpop.as_ref()).await?;
        let exp = expires_at(&resp, &unverified_claims(&resp.access_token));
        *cached = Some((resp.access_token.clone(), exp));
        Ok(resp.access_token)
    }

    /// How this client proves itself at `endpoint` (the token endpoint).
    pub(crate) fn proof<'a>(&'a self, endpoint: &'a str) -> ClientProof<'a> {
        let id = &self.inner.client_id;
        match &self.inner.credential {
            Credential::Secret(secret) => ClientProof::Basic(id, secret),
            Credential::PrivateKey(key) => ClientProof::Assertion {
                client_id: id,
                key,
                aud: endpoint,
            },
        }
    }

    /// The issuer's discovery.
    pub(crate) fn discovery(&self) -> &Discovery {
        &self.inner.discovery
    }

    /// The DPoP key its tokens are bound to, if any.
    pub(crate) fn dpop(&self) -> Option<&DpopKey> {
        self.inner.dpop.as_ref()
    }

    /// Drops the cached token (e.g. after the API answered 401).
    pub async fn invalidate(&self) {
        *self.inner.cached.lock().await = None;
    }

    /// Sends `request` with the service token; on 401 gets a new token and retries once.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, Error> {
        let http = self.inner.discovery.http();
        let mut request = request.build()?;
        let retry = request.try_clone();
        let token = self.access_token().await?;
        let dpop = self.inner.dpop.as_ref();
        crate::authorized::authorize(&mut request, &token, dpop)?;
        let resp = http.execute(request).await?;
        match retry {
            Some(mut retry) if resp.status() == reqwest::StatusCode::UNAUTHORIZED => {
                // A nonce asked for (RFC 9449 §9) is kept by the key; the token stays.
                if !dpop.is_some_and(|k| k.remember_nonce(resp.headers())) {
                    self.invalidate_if(&token).await;
                }
                let token = self.access_token().await?;
                crate::authorized::authorize(&mut retry, &token, dpop)?;
                Ok(http.execute(retry).await?)
            }
            _ => Ok(resp),
        }
    }

    async fn invalidate_if(&self, token: &str) {
        let mut cached = self.inner.cached.lock().await;
        if cached.as_ref().is_some_and(|(t, _)| t == token) {
            *cached = None;
        }
    }
}
