//! OpenID Provider discovery: the metadata document, fetched once and shared (with the
//! issuer's key cache) by every [`Client`](crate::Client), [`ServiceClient`](crate::ServiceClient)
//! and [`Verifier`](crate::Verifier) built from it.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::jwks::{JwksCache, JwksSource, DEFAULT_REFETCH_INTERVAL};

/// The fields of `/.well-known/openid-configuration` the SDK uses; the rest stay in
/// [`ProviderMetadata::other`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProviderMetadata {
    /// The issuer identifier; equals the configured issuer exactly.
    pub issuer: String,
    /// Where the browser goes to sign in.
    pub authorization_endpoint: String,
    /// Where codes, refresh tokens and client credentials become tokens.
    pub token_endpoint: String,
    /// The issuer's public signing keys.
    pub jwks_uri: String,
    /// OpenID Connect userinfo.
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    /// RP-initiated logout.
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
    /// RFC 7009 revocation.
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    /// RFC 7662 introspection.
    #[serde(default)]
    pub introspection_endpoint: Option<String>,
    /// Every other member of the document.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A discovered issuer: its metadata, an HTTP client and the cache of its signing keys.
/// Cheap to clone (shared).
#[derive(Clone)]
pub struct Discovery {
    pub(crate) inner: Arc<DiscoveryInner>,
}

pub(crate) struct DiscoveryInner {
    pub(crate) metadata: ProviderMetadata,
    pub(crate) http: reqwest::Client,
    pub(crate) jwks: Arc<JwksCache>,
}

impl std::fmt::Debug for Discovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Discovery")
            .field("issuer", &self.inner.metadata.issuer)
            .finish()
    }
}

impl Discovery {
    /// Fetches `{issuer}/.well-known/openid-configuration` and checks that its `issuer`
    /// equals `issuer` exactly.
    pub async fn fetch(issuer: &str) -> Result<Discovery, Error> {
        Discovery::fetch_with(default_http()?, issuer).await
    }

    /// Like [`Discovery::fetch`] with your own `reqwest::Client` (proxies, timeouts, roots).
    pub async fn fetch_with(http: reqwest::Client, issuer: &str) -> Result<Discovery, Error> {
        let metadata = fetch_metadata(&http, issuer).await?;
        let jwks = JwksCache::new(
            http.clone(),
            JwksSource::Uri(metadata.jwks_uri.clone()),
            DEFAULT_REFETCH_INTERVAL,
        );
        Ok(Discovery {
            inner: Arc::new(DiscoveryInner {
                metadata,
                http,
                jwks: Arc::new(jwks),
            }),
        })
    }

    /// The discovered metadata.
    pub fn metadata(&self) -> &ProviderMetadata {
        &self.inner.metadata
    }

    /// The issuer identifier.
    pub fn issuer(&self) -> &str {
        &self.inner.metadata.issuer
    }

    /// The HTTP client every request to this issuer goes through.
    pub fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// A [`Verifier`](crate::Verifier) for access tokens meant for `audience`, sharing
    /// this issuer's key cache.
    pub fn verifier(&self, audience: &str) -> crate::Verifier {
        crate::Verifier::from_parts(self.issuer(), audience, self.inner.jwks.clone())
    }
}

/// The HTTP client used when none is given: no redirects (OAuth endpoints never need
/// them) and a 30 s timeout.
pub(crate) fn default_http() -> Result<reqwest::Client, Error> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()?)
}

pub(crate) async fn fetch_metadata(
    http: &reqwest::Client,
    issuer: &str,
) -> Result<ProviderMetadata, Error> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    url::Url::parse(&url).map_err(|e| Error::InvalidUrl(format!("{issuer}: {e}")))?;
    let resp = http.get(&url).send().await?;
    if !resp.status().is_success() {
        return Err(Error::UnexpectedResponse(format!(
            "discovery answered {}",
            resp.status()
        )));
    }
    let metadata: ProviderMetadata = resp
        .json()
        .await
        .map_err(|e| Error::UnexpectedResponse(format!("discovery document: {e}")))?;
    if metadata.issuer != issuer {
        return Err(Error::IssuerMismatch {
            expected: issuer.to_string(),
            actual: metadata.issuer,
        });
    }
    Ok(metadata)
}
