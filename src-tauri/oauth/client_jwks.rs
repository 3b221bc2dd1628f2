//! The public keys of `private_key_jwt` clients: the inline `jwks`, or the JWK Set at the
//! client's `jwks_uri`, fetched and cached per client.
//!
//! Fetching: at most 64 KiB, 5 s, no redirects, rustls (aws-lc-rs) with webpki roots. The
//! URL is set by an admin (the admin API admits https, or http on loopback only), never by
//! the caller, so this is not an open fetch for anyone; still, the caller decides *when*:
//! a set is kept 5 minutes, an unknown `kid` refetches it once, and a client's URL is
//! asked at most once every 10 s whatever callers send. A changed `jwks_uri` (the cache
//! entry remembers the URL it came from) starts afresh; a set that cannot be refreshed
//! after 5 minutes is not used (fail closed).

use crate::error::OAuthError;
use crate::store::clients::Client;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::Algorithm;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long a fetched set is used without asking again.
const FRESH_FOR: Duration = Duration::from_secs(300);
/// The least time between two fetches of one client's URL.
const MIN_REFETCH: Duration = Duration::from_secs(10);
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_BODY: usize = 64 * 1024;
/// Clients whose fetched sets are kept at once (the map is emptied beyond).
const MAX_CLIENTS: usize = 10_000;

/// Fetched JWK Sets by client id.
#[derive(Default)]
pub struct JwksCache {
    entries: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Entry>>>>,
    http: OnceLock<reqwest::Client>,
}

#[derive(Default)]
struct Entry {
    uri: String,
    keys: Vec<Jwk>,
    fetched_at: Option<Instant>,
    last_attempt: Option<Instant>,
}

impl Entry {
    fn fresh(&self) -> bool {
        self.fetched_at.is_some_and(|t| t.elapsed() < FRESH_FOR)
    }

    fn may_fetch(&self) -> bool {
        self.last_attempt.is_none_or(|t| t.elapsed() >= MIN_REFETCH)
    }
}

fn refused(why: &str) -> OAuthError {
    OAuthError::invalid_client(format!("client assertion refused: {why}"))
}

impl JwksCache {
    /// The client's key that verifies an assertion signed with `alg` (and naming `kid`).
    pub async fn key_for(
        &self,
        client: &Client,
        alg: Algorithm,
        kid: Option<&str>,
    ) -> Result<Jwk, OAuthError> {
        if let Some(inline) = &client.app.jwks {
            return select(&parse_set(inline.as_bytes())?, alg, kid);
        }
        let Some(uri) = &client.app.jwks_uri else {
            return Err(refused("the client has no registered keys"));
        };
        let entry = self.entry(&client.client_id, uri);
        let mut entry = entry.lock().await;
        if entry.uri != *uri {
            *entry = Entry {
                uri: uri.clone(),
                ..Entry::default()
            };
        }
        if !entry.fresh() {
            self.refresh(&mut entry).await?;
        }
        match select(&entry.keys, alg, kid) {
            // A key the cached set does not have: the client may have rotated. Ask once.
            Err(_) if kid.is_some() && entry.may_fetch() => {
                self.refresh(&mut entry).await?;
                select(&entry.keys, alg, kid)
            }
            found => found,
        }
    }

    fn entry(&self, client_id: &str, uri: &str) -> Arc<tokio::sync::Mutex<Entry>> {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_CLIENTS && !map.contains_key(client_id) {
            map.clear();
        }
        Arc::clone(map.entry(client_id.to_string()).or_insert_with(|| {
            Arc::new(tokio::sync::Mutex::new(Entry {
                uri: uri.to_string(),
                ..Entry::default()
            }))
        }))
    }

    /// Fetches the entry's set if the rate limit allows; a failure leaves no usable set.
    async fn refresh(&self, entry: &mut Entry) -> Result<(), OAuthError> {
        if !entry.may_fetch() {
            return if entry.fresh() {
                Ok(())
            } else {
                Err(refused("the client's keys cannot be fetched now"))
            };
        }
        entry.last_attempt = Some(Instant::now());
        match self.fetch(&entry.uri).await {
            Ok(keys) => {
                entry.keys = keys;
                entry.fetched_at = Some(Instant::now());
                Ok(())
            }
            Err(e) => {
                tracing::warn!(uri = %entry.uri, error = %e, "cannot fetch a client's jwks_uri");
                entry.keys.clear();
                entry.fetched_at = None;
                Err(refused("the client's keys cannot be fetched"))
            }
        }
    }

    async fn fetch(&self, uri: &str) -> Result<Vec<Jwk>, String> {
        let http = match self.http.get() {
            Some(c) => c,
            None => {
                let c = http_client().map_err(|e| e.to_string())?;
                self.http.get_or_init(|| c)
            }
        };
        let mut res = http
            .get(uri)
            .header(
                reqwest::header::ACCEPT,
                "application/jwk-set+json, application/json",
            )
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if res.status() != reqwest::StatusCode::OK {
            return Err(format!("status {}", res.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(|e| e.to_string())? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err("the JWK Set is larger than 64 KiB".into());
            }
            body.extend_from_slice(&chunk);
        }
        parse_set(&body).map_err(|e| e.description)
    }
}

/// The fetching client: no redirects, 5 s in all, rustls with the aws-lc-rs provider.
fn http_client() -> Result<reqwest::Client, Box<dyn std::error::Error>> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(FETCH_TIMEOUT)
        .connect_timeout(FETCH_TIMEOUT)
        .user_agent(concat!("tessera/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// The keys of a JWK Set document; keys this server cannot read are skipped.
fn parse_set(raw: &[u8]) -> Result<Vec<Jwk>, OAuthError> {
    #[derive(serde::Deserialize)]
    struct Set {
        keys: Vec<serde_json::Value>,
    }
    let set: Set =
        serde_json::from_slice(raw).map_err(|_| refused("the client's JWK Set is not valid"))?;
    Ok(set
        .keys
        .into_iter()
        .filter_map(|k| serde_json::from_value::<Jwk>(k).ok())
        .collect())
}

/// Whether `jwk` may verify `alg`: the right key type and curve, a signing key, and the
/// key's own `alg` (when it names one) the same.
fn fits(jwk: &Jwk, alg: Algorithm) -> bool {
    let kind_fits = match (&jwk.algorithm, alg) {
        (AlgorithmParameters::RSA(_), Algorithm::RS256 | Algorithm::PS256) => true,
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES256) => {
            ec.curve == EllipticCurve::P256
        }
        (AlgorithmParameters::OctetKeyPair(okp), Algorithm::EdDSA) => {
            okp.curve == EllipticCurve::Ed25519
        }
        _ => false,
    };
    let use_fits = matches!(
        jwk.common.public_key_use,
        None | Some(PublicKeyUse::Signature)
    );
    let alg_fits = jwk
        .common
        .key_algorithm
        .is_none_or(|k| k == KeyAlgorithm::from(alg));
    kind_fits && use_fits && alg_fits
}

/// The key named `kid`, or without a kid the one key that fits `alg`.
fn select(keys: &[Jwk], alg: Algorithm, kid: Option<&str>) -> Result<Jwk, OAuthError> {
    let mut fitting = keys.iter().filter(|k| fits(k, alg));
    match kid {
        Some(kid) => fitting
            .find(|k| k.common.key_id.as_deref() == Some(kid))
            .cloned()
            .ok_or_else(|| refused("no key of the client has this kid and alg")),
        None => match (fitting.next(), fitting.next()) {
            (Some(k), None) => Ok(k.clone()),
            (None, _) => Err(refused("no key of the client fits this alg")),
            (Some(_), Some(_)) => Err(refused("the client has several keys: name one by kid")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SET: &str = r#"{"keys":[
        {"kty":"EC","crv":"P-256","kid":"e1","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
        {"kty":"oct","kid":"s","k":"c2VjcmV0"},
        {"kty":"RSA","kid":"r1","use":"enc","n":"sXch","e":"AQAB"},
        "not a key"
    ]}"#;

    #[test]
    fn selection_by_kid_type_and_use() {
        let keys = parse_set(SET.as_bytes()).unwrap();
        assert_eq!(keys.len(), 3, "unreadable keys are skipped");
        assert!(select(&keys, Algorithm::ES256, Some("e1")).is_ok());
        assert!(select(&keys, Algorithm::ES256, None).is_ok());
        assert!(select(&keys, Algorithm::RS256, Some("e1")).is_err());
        // An encryption key never verifies, and a symmetric key never fits.
        assert!(select(&keys, Algorithm::RS256, Some("r1")).is_err());
        assert!(select(&keys, Algorithm::HS256, Some("s")).is_err());
        assert!(select(&keys, Algorithm::ES256, Some("nope")).is_err());
    }
}
