//! The issuer's signing keys: fetched once, refetched when an unknown `kid` appears (at
//! most once per interval, so forged `kid`s cannot turn us into a request amplifier).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::TokenRejection;

/// Default minimum time between two JWKS fetches.
pub(crate) const DEFAULT_REFETCH_INTERVAL: Duration = Duration::from_secs(10);
/// Keys older than this are refetched on the next lookup (a retired key disappears).
const MAX_KEY_AGE: Duration = Duration::from_secs(3600);

/// Where the JWKS lives: known up front, or found through discovery on first use.
pub(crate) enum JwksSource {
    Uri(String),
    Discover { issuer: String },
}

#[derive(Default)]
struct KeySet {
    keys: HashMap<String, Arc<DecodingKey>>,
    fetched_at: Option<Instant>,
}

pub(crate) struct JwksCache {
    http: reqwest::Client,
    source: JwksSource,
    uri: tokio::sync::OnceCell<String>,
    set: RwLock<KeySet>,
    fetching: tokio::sync::Mutex<()>,
    refetch_interval: Duration,
}

#[derive(Deserialize)]
struct JwkSet {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kty: String,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    typ: Option<String>,
    kid: Option<String>,
}

impl JwksCache {
    pub(crate) fn new(
        http: reqwest::Client,
        source: JwksSource,
        refetch_interval: Duration,
    ) -> Self {
        JwksCache {
            http,
            source,
            uri: tokio::sync::OnceCell::new(),
            set: RwLock::new(KeySet::default()),
            fetching: tokio::sync::Mutex::new(()),
            refetch_interval,
        }
    }

    fn lookup(&self, kid: Option<&str>) -> (Option<Arc<DecodingKey>>, bool) {
        let set = self.set.read().unwrap_or_else(|p| p.into_inner());
        let fresh = set.fetched_at.is_some_and(|t| t.elapsed() < MAX_KEY_AGE);
        let key = match kid {
            Some(kid) => set.keys.get(kid).cloned(),
            // A token without `kid` is only usable when the issuer publishes one key.
            None if set.keys.len() == 1 => set.keys.values().next().cloned(),
            None => None,
        };
        (key, fresh)
    }

    /// The key for `kid`, refetching the JWKS when it is unknown (rate-limited).
    pub(crate) async fn key(&self, kid: Option<&str>) -> Result<Arc<DecodingKey>, TokenRejection> {
        if let (Some(key), true) = self.lookup(kid) {
            return Ok(key);
        }
        // Single flight: concurrent misses wait for one fetch, then look again.
        let _guard = self.fetching.lock().await;
        let (cached, fresh) = self.lookup(kid);
        if let (Some(key), true) = (&cached, fresh) {
            return Ok(key.clone());
        }
        let recently = {
            let set = self.set.read().unwrap_or_else(|p| p.into_inner());
            set.fetched_at
                .is_some_and(|t| t.elapsed() < self.refetch_interval)
        };
        if recently {
            return cached.ok_or(TokenRejection::UnknownKey);
        }
        match self.fetch().await {
            Ok(keys) => {
                let mut set = self.set.write().unwrap_or_else(|p| p.into_inner());
                set.keys = keys;
                set.fetched_at = Some(Instant::now());
            }
            Err(e) => {
                // Failures count against the rate limit too; a stale key still serves.
                let mut set = self.set.write().unwrap_or_else(|p| p.into_inner());
                set.fetched_at = Some(Instant::now());
                drop(set);
                return cached.ok_or(TokenRejection::KeysUnavailable(e));
            }
        }
        self.lookup(kid).0.ok_or(TokenRejection::UnknownKey)
    }

    async fn jwks_uri(&self) -> Result<&str, String> {
        self.uri
            .get_or_try_init(|| async {
                match &self.source {
                    JwksSource::Uri(uri) => Ok(uri.clone()),
                    JwksSource::Discover { issuer } => {
                        let meta = crate::discovery::fetch_metadata(&self.http, issuer)
                            .await
                            .map_err(|e| e.to_string())?;
                        Ok(meta.jwks_uri)
                    }
                }
            })
            .await
            .map(String::as_str)
    }

    async fn fetch(&self) -> Result<HashMap<String, Arc<DecodingKey>>, String> {
        let uri = self.jwks_uri().await?;
        let resp = self.http.get(uri).send().await.map_err(|e| e.to_string())?;
        if !resp.status().is_success() {
            return Err(format!("JWKS answered {}", resp.status()));
        }
        let set: JwkSet = resp.json().await.map_err(|e| e.to_string())?;
        let mut keys = HashMap::new();
        for jwk in set.keys {
            let usable = jwk.kty == "RSA"
                && jwk.use_.as_deref().is_none_or(|u| u == "sig")
                && jwk.alg.as_deref().is_none_or(|a| a == "RS256");
            let (Some(kid), Some(n), Some(e), true) = (jwk.kid, jwk.n, jwk.e, usable) else {
                continue;
            };
            if let Ok(key) = DecodingKey::from_rsa_components(&n, &e) {
                keys.insert(kid, Arc::new(key));
            }
        }
        Ok(keys)
    }
}

/// Verifies a compact JWS: RS256 only (checked on the header before any key is
/// touched), the `typ` when asked, then signature and registered claims.
pub(crate) async fn verify_jws(
    jwks: &JwksCache,
    token: &str,
    typ: Option<&str>,
    validation: &Validation,
) -> Result<Map<String, Value>, TokenRejection> {
    let header = token.split('.').next().ok_or(TokenRejection::Malformed)?;
    let header = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| TokenRejection::Malformed)?;
    let header: Header = serde_json::from_slice(&header).map_err(|_| TokenRejection::Malformed)?;
    if header.alg != "RS256" {
        return Err(TokenRejection::Algorithm(header.alg));
    }
    if let Some(expected) = typ {
        let actual = header.typ.as_deref().unwrap_or("");
        let actual = actual.strip_prefix("application/").unwrap_or(actual);
        if !actual.eq_ignore_ascii_case(expected) {
            return Err(TokenRejection::Type);
        }
    }
    let key = jwks.key(header.kid.as_deref()).await?;
    jsonwebtoken::decode::<Map<String, Value>>(token, &key, validation)
        .map(|data| data.claims)
        .map_err(map_jwt_error)
}

fn map_jwt_error(e: jsonwebtoken::errors::Error) -> TokenRejection {
    use jsonwebtoken::errors::ErrorKind as K;
    match e.kind() {
        K::InvalidSignature => TokenRejection::Signature,
        K::ExpiredSignature => TokenRejection::Expired,
        K::ImmatureSignature => TokenRejection::NotYetValid,
        K::InvalidIssuer => TokenRejection::Issuer,
        K::InvalidAudience => TokenRejection::Audience,
        K::InvalidAlgorithm => TokenRejection::Algorithm("mismatch".into()),
        K::MissingRequiredClaim(c) => TokenRejection::Claims(format!("missing {c}")),
        K::InvalidToken | K::Base64(_) | K::Json(_) | K::Utf8(_) => TokenRejection::Malformed,
        other => TokenRejection::Claims(format!("{other:?}")),
    }
}

/// RS256 validation with `iss`, `aud`, `exp`, `nbf` and a 60 s leeway.
pub(crate) fn rs256_validation(issuer: &str, audience: &str, required: &[&str]) -> Validation {
    let mut v = Validation::new(jsonwebtoken::Algorithm::RS256);
    v.leeway = 60;
    v.validate_nbf = true;
    v.set_issuer(&[issuer]);
    v.set_audience(&[audience]);
    v.set_required_spec_claims(required);
    v
}
