//! DPoP (RFC 9449). Client side: a [`DpopKey`] makes the proofs that bind tokens to it
//! (token requests, API calls with `Authorization: DPoP`) and keeps the server's last
//! `DPoP-Nonce`. Resource side: [`check_proof`] is what the [`crate::Verifier`] runs for a
//! DPoP-bound token (`cnf.jkt`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_lc_rs::digest;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::error::{Error, TokenRejection};
use crate::token::{now_unix, random_token};

/// A proof's `iat` may be this far from the resource server's clock, in seconds.
pub const IAT_WINDOW_SECS: u64 = 60;

/// A client's DPoP key: ES256 (P-256), made fresh with [`DpopKey::generate`]. Tokens
/// obtained with it are bound to it, so keep one key per session (or per service
/// client) for as long as its tokens live. Cheap to clone (shared, with its nonce).
#[derive(Clone)]
pub struct DpopKey {
    inner: Arc<KeyInner>,
}

struct KeyInner {
    pair: EcdsaKeyPair,
    jwk: Value,
    jkt: String,
    /// The last `DPoP-Nonce` a server sent (RFC 9449 §8, §9).
    nonce: Mutex<Option<String>>,
}

impl std::fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DpopKey")
            .field("jkt", &self.inner.jkt)
            .finish()
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn sha256_b64(data: &[u8]) -> String {
    b64(digest::digest(&digest::SHA256, data).as_ref())
}

impl DpopKey {
    /// A new random ES256 key.
    pub fn generate() -> Result<DpopKey, Error> {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|_| Error::UnexpectedResponse("cannot generate a P-256 key".into()))?;
        let point = pair.public_key().as_ref();
        let (x, y) = (b64(&point[1..33]), b64(&point[33..65]));
        let jkt =
            sha256_b64(format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#).as_bytes());
        Ok(DpopKey {
            inner: Arc::new(KeyInner {
                pair,
                jwk: json!({"kty": "EC", "crv": "P-256", "x": x, "y": y}),
                jkt,
                nonce: Mutex::new(None),
            }),
        })
    }

    /// The key's RFC 7638 thumbprint: the `cnf.jkt` of the tokens bound to it.
    pub fn jkt(&self) -> &str {
        &self.inner.jkt
    }

    /// A proof for `method` on `url` (query and fragment are left out of `htu`), with
    /// `ath` for `access_token` (resource requests) and the last nonce seen.
    pub fn proof(
        &self,
        method: &str,
        url: &str,
        access_token: Option<&str>,
    ) -> Result<String, Error> {
        let mut htu = url::Url::parse(url).map_err(|e| Error::InvalidUrl(format!("{url}: {e}")))?;
        htu.set_query(None);
        htu.set_fragment(None);
        let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.inner.jwk});
        let mut claims =
            json!({"jti": random_token(), "htm": method, "htu": htu.as_str(), "iat": now_unix()});
        if let Some(token) = access_token {
            claims["ath"] = json!(sha256_b64(token.as_bytes()));
        }
        if let Some(nonce) = self.nonce() {
            claims["nonce"] = json!(nonce);
        }
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let sig = self
            .inner
            .pair
            .sign(&SystemRandom::new(), input.as_bytes())
            .map_err(|_| Error::UnexpectedResponse("cannot sign a DPoP proof".into()))?;
        Ok(format!("{input}.{}", b64(sig.as_ref())))
    }

    fn nonce(&self) -> Option<String> {
        self.inner
            .nonce
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Keeps the `DPoP-Nonce` of a response, if it has one; `true` when it is new.
    pub(crate) fn remember_nonce(&self, headers: &reqwest::header::HeaderMap) -> bool {
        let Some(nonce) = headers.get("dpop-nonce").and_then(|v| v.to_str().ok()) else {
            return false;
        };
        let mut kept = self.inner.nonce.lock().unwrap_or_else(|p| p.into_inner());
        let fresh = kept.as_deref() != Some(nonce);
        *kept = Some(nonce.to_string());
        fresh
    }

    /// Puts `Authorization: DPoP <token>` and a proof for it on `request`.
    pub(crate) fn authorize(
        &self,
        request: &mut reqwest::Request,
        token: &str,
    ) -> Result<(), Error> {
        let proof = self.proof(
            request.method().as_str(),
            request.url().as_str(),
            Some(token),
        )?;
        let headers = request.headers_mut();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            header_value(&format!("DPoP {token}"))?,
        );
        headers.insert("dpop", header_value(&proof)?);
        Ok(())
    }
}

fn header_value(v: &str) -> Result<reqwest::header::HeaderValue, Error> {
    reqwest::header::HeaderValue::from_str(v)
        .map_err(|_| Error::UnexpectedResponse("not a valid header value".into()))
}

/// `jti`s seen in the last two minutes, per resource server (in memory, so a server
/// running several processes checks replays per process only).
#[derive(Default)]
pub(crate) struct ReplayCache {
    seen: Mutex<HashMap<String, u64>>,
}

/// More remembered proofs than this refuses new ones until old ones expire (fail closed).
const MAX_REMEMBERED: usize = 100_000;

impl ReplayCache {
    /// Records `key` until `until`; `false` when it was seen and is still remembered.
    fn spend(&self, key: String, until: u64, now: u64) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.get(&key).is_some_and(|t| *t > now) {
            return false;
        }
        if seen.len() >= MAX_REMEMBERED {
            seen.retain(|_, t| *t > now);
            if seen.len() >= MAX_REMEMBERED {
                return false;
            }
        }
        seen.insert(key, until);
        true
    }
}

#[derive(Deserialize)]
struct ProofHeader {
    typ: Option<String>,
    alg: String,
    jwk: Map<String, Value>,
}

/// The request a proof is checked for.
pub(crate) struct ProofTarget<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub access_token: &'a str,
    /// The token's `cnf.jkt`.
    pub jkt: &'a str,
}

fn refuse(why: &str) -> TokenRejection {
    TokenRejection::Dpop(why.to_string())
}

/// RFC 9449 §4.3 and §7 for a resource server: an ES256/ES384/EdDSA/RS256/PS256 proof by
/// the token's key (`jkt`), for this method and URL, `ath` of this token, `iat` within
/// ±60 s, `jti` not seen before.
pub(crate) fn check_proof(
    proof: &str,
    target: &ProofTarget<'_>,
    replays: &ReplayCache,
) -> Result<(), TokenRejection> {
    let bad = || refuse("the DPoP header is not a valid proof");
    let mut parts = proof.split('.');
    let (Some(h), Some(c), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let decode = |s: &str| URL_SAFE_NO_PAD.decode(s).map_err(|_| bad());
    let header: ProofHeader = serde_json::from_slice(&decode(h)?).map_err(|_| bad())?;
    if header.typ.as_deref() != Some("dpop+jwt") {
        return Err(refuse("typ must be dpop+jwt"));
    }
    let (key, alg, jkt) =
        public_key(&header.alg, &header.jwk).ok_or_else(|| refuse("unsupported or invalid jwk"))?;
    if jkt != target.jkt {
        return Err(refuse("the proof is not made with the token's key"));
    }
    let message = &proof[..h.len() + 1 + c.len()];
    if !jsonwebtoken::crypto::verify(sig, message.as_bytes(), &key, alg).unwrap_or(false) {
        return Err(refuse("bad proof signature"));
    }
    let claims: Map<String, Value> = serde_json::from_slice(&decode(c)?).map_err(|_| bad())?;
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let jti = text("jti")
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or_else(|| refuse("bad jti"))?;
    if text("htm") != Some(target.method) || !same_url(text("htu"), target.url) {
        return Err(refuse("the proof is for another request"));
    }
    if text("ath") != Some(sha256_b64(target.access_token.as_bytes()).as_str()) {
        return Err(refuse("the proof's ath does not match the token"));
    }
    let now = now_unix();
    let iat = claims
        .get("iat")
        .and_then(Value::as_u64)
        .ok_or_else(|| refuse("no iat"))?;
    if iat.abs_diff(now) > IAT_WINDOW_SECS {
        return Err(refuse("the proof's iat is too far from now"));
    }
    if !replays.spend(
        format!("{jkt}:{jti}"),
        iat.max(now) + 2 * IAT_WINDOW_SECS,
        now,
    ) {
        return Err(refuse("the proof was already used"));
    }
    Ok(())
}

fn same_url(htu: Option<&str>, expected: &str) -> bool {
    let strip = |u: &str| {
        url::Url::parse(u).ok().map(|mut u| {
            u.set_query(None);
            u.set_fragment(None);
            u
        })
    };
    matches!((htu.and_then(strip), strip(expected)), (Some(a), Some(b)) if a == b)
}

/// The verifying key, alg and RFC 7638 thumbprint of a public `jwk` for `alg`.
fn public_key(alg: &str, jwk: &Map<String, Value>) -> Option<(DecodingKey, Algorithm, String)> {
    const PRIVATE: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
    if PRIVATE.iter().any(|m| jwk.contains_key(*m)) {
        return None;
    }
    let member = |name: &str| {
        jwk.get(name).and_then(Value::as_str).filter(|v| {
            !v.is_empty()
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
    };
    let (alg, kty, crv) = match alg {
        "ES256" => (Algorithm::ES256, "EC", Some("P-256")),
        "ES384" => (Algorithm::ES384, "EC", Some("P-384")),
        "EdDSA" => (Algorithm::EdDSA, "OKP", Some("Ed25519")),
        "RS256" => (Algorithm::RS256, "RSA", None),
        "PS256" => (Algorithm::PS256, "RSA", None),
        _ => return None,
    };
    if member("kty")? != kty || crv.is_some_and(|c| member("crv") != Some(c)) {
        return None;
    }
    let (key, canonical) = match (kty, crv) {
        ("EC", Some(crv)) => {
            let (x, y) = (member("x")?, member("y")?);
            let canonical = format!(r#"{{"crv":"{crv}","kty":"EC","x":"{x}","y":"{y}"}}"#);
            (DecodingKey::from_ec_components(x, y).ok()?, canonical)
        }
        ("OKP", Some(crv)) => {
            let x = member("x")?;
            let canonical = format!(r#"{{"crv":"{crv}","kty":"OKP","x":"{x}"}}"#);
            (DecodingKey::from_ed_components(x).ok()?, canonical)
        }
        _ => {
            let (n, e) = (member("n")?, member("e")?);
            let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
            (DecodingKey::from_rsa_components(n, e).ok()?, canonical)
        }
    };
    Some((key, alg, sha256_b64(canonical.as_bytes())))
}
