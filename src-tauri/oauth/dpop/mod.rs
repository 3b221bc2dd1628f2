//! DPoP (RFC 9449): proofs of possession of a client's key. At the token endpoint a valid
//! proof binds the new access token to the key (`cnf.jkt`, `token_type: DPoP`) and, for
//! public clients, the refresh family too; at the resources (`oauth::bearer`) a bound
//! token needs `Authorization: DPoP` and a proof by that key for that request.
//!
//! A proof is checked (§4.3): one `DPoP` header, `typ: dpop+jwt`, an asymmetric [`ALGS`]
//! `alg`, a public `jwk` that verifies the signature, `jti` (≤ 256 characters, single
//! use: `store::jtis`, keyed by thumbprint and jti), `htm`/`htu` = this request (the URL
//! as the issuer names it, query and fragment ignored), `iat` within ±60 s of now,
//! `ath` = base64url(SHA-256(token)) at resources, and `nonce` when the server requires
//! nonces (`--dpop-nonce`, [`nonce`]). Nothing here runs for a request without a `DPoP`
//! header unless its client or token requires it.

mod jwk;
pub mod nonce;

pub use jwk::ALGS;

use crate::crypto::{b64url, sha256};
use crate::error::{ApiError, OAuthError};
use crate::state::AppState;
use crate::store::jtis::{self, Purpose};
use crate::store::{StoreError, Tx};
use axum::http::{HeaderMap, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use nonce::Nonces;
use serde::Deserialize;
use serde_json::{Map, Value};

/// How far a proof's `iat` may lie from the server's clock, in seconds.
pub const IAT_WINDOW_SECS: i64 = 60;
/// A longer `DPoP` header is refused unread (an RSA-4096 proof is ~1.5 KiB).
const MAX_PROOF_LEN: usize = 8192;
const MAX_JTI_LEN: usize = 256;

/// The server's DPoP settings.
pub struct Dpop {
    nonces: Nonces,
    /// Every proof must carry a current server nonce (`--dpop-nonce`).
    require_nonce: bool,
}

impl Dpop {
    /// Nonces keyed from the KEK, so the nodes of a cluster agree.
    pub fn new(kek: &crate::keys::Kek, require_nonce: bool) -> Self {
        Dpop {
            nonces: Nonces::new(&kek.derive("dpop-nonce")),
            require_nonce,
        }
    }
}

/// A checked proof.
#[derive(Debug)]
pub struct Proof {
    /// The key's RFC 7638 thumbprint.
    pub jkt: String,
    jti: String,
    iat: i64,
}

/// Why a proof (or its absence) is refused.
#[derive(Debug, thiserror::Error)]
#[error("{description}")]
pub struct DpopError {
    /// `invalid_dpop_proof`, `use_dpop_nonce` or (at resources) `invalid_token`.
    pub error: &'static str,
    pub description: String,
    /// The nonce to use, with `use_dpop_nonce`.
    pub nonce: Option<String>,
}

impl DpopError {
    pub fn invalid(description: impl Into<String>) -> Self {
        DpopError {
            error: "invalid_dpop_proof",
            description: description.into(),
            nonce: None,
        }
    }

    /// A token presented with the wrong scheme (bound as Bearer, unbound as DPoP).
    pub fn token(description: impl Into<String>) -> Self {
        DpopError {
            error: "invalid_token",
            ..Self::invalid(description)
        }
    }

    /// The token endpoint's answer: 400 in the OAuth shape (RFC 9449 §5, §8).
    pub fn at_token_endpoint(self) -> OAuthError {
        let mut e = OAuthError::new(StatusCode::BAD_REQUEST, self.error, self.description);
        e.dpop_nonce = self.nonce.map(Box::new);
        e
    }

    /// A resource's `WWW-Authenticate` challenge (RFC 9449 §7.1).
    pub fn challenge(&self) -> String {
        let description = self.description.replace(['"', '\\'], "'");
        format!(
            "DPoP error=\"{}\", error_description=\"{description}\", algs=\"{}\"",
            self.error,
            ALGS.join(" ")
        )
    }

    /// A resource's answer in the OAuth shape (userinfo): 401 with the challenge.
    pub fn at_oauth_resource(self) -> OAuthError {
        let mut e = OAuthError::new(
            StatusCode::UNAUTHORIZED,
            self.error,
            self.description.clone(),
        );
        e.www_authenticate = Some(self.challenge().into());
        e.dpop_nonce = self.nonce.map(Box::new);
        e
    }

    /// A resource's answer in the `/v1` envelope: 401 `unauthenticated` with the challenge.
    pub fn at_api(self) -> ApiError {
        let mut e = ApiError::unauthenticated(self.description.clone());
        e.www_authenticate = Some(self.challenge());
        e.dpop_nonce = self.nonce;
        e
    }
}

/// The request a proof must be made for.
pub struct Target<'a> {
    /// `htm`: the HTTP method.
    pub method: &'a str,
    /// `htu`: the URL as the issuer names it (no query).
    pub url: String,
    /// The access token presented with it (`ath`), at resources.
    pub access_token: Option<&'a str>,
}

/// The request's one `DPoP` header; `None` when it has none.
pub fn proof_header(headers: &HeaderMap) -> Result<Option<&str>, DpopError> {
    let mut values = headers.get_all("dpop").iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(DpopError::invalid("send exactly one DPoP header"));
    }
    let proof = first
        .to_str()
        .ok()
        .filter(|p| p.len() <= MAX_PROOF_LEN)
        .ok_or_else(|| DpopError::invalid("the DPoP header is not a valid proof"))?;
    Ok(Some(proof))
}

#[derive(Deserialize)]
struct ProofHeader {
    typ: Option<String>,
    alg: String,
    jwk: Map<String, Value>,
}

#[derive(Deserialize)]
struct ProofClaims {
    jti: Option<String>,
    htm: Option<String>,
    htu: Option<String>,
    iat: Option<Value>,
    ath: Option<String>,
    nonce: Option<String>,
}

/// Checks `proof` for `target` at `now`: everything but the `jti`'s single use
/// ([`spend`], in the caller's transaction).
pub fn verify(dpop: &Dpop, proof: &str, target: &Target<'_>, now: i64) -> Result<Proof, DpopError> {
    let (jkt, claims) = verify_signature(proof)?;
    let jti = claims
        .jti
        .filter(|j| !j.is_empty() && j.len() <= MAX_JTI_LEN)
        .ok_or_else(|| DpopError::invalid("the proof needs a jti of at most 256 characters"))?;
    if claims.htm.as_deref() != Some(target.method) {
        return Err(DpopError::invalid(
            "the proof's htm is not this request's method",
        ));
    }
    if !same_url(claims.htu.as_deref(), &target.url) {
        return Err(DpopError::invalid(
            "the proof's htu is not this endpoint's URL",
        ));
    }
    let iat = claims
        .iat
        .and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
        .ok_or_else(|| DpopError::invalid("the proof needs an iat"))?;
    if (iat - now).abs() > IAT_WINDOW_SECS {
        return Err(DpopError::invalid(
            "the proof's iat is not within 60 seconds of now",
        ));
    }
    if let Some(token) = target.access_token {
        let expected = b64url(&sha256(token));
        if claims.ath.as_deref() != Some(expected.as_str()) {
            return Err(DpopError::invalid(
                "the proof's ath does not match the access token",
            ));
        }
    }
    if dpop.require_nonce && !claims.nonce.is_some_and(|n| dpop.nonces.accepts(&n, now)) {
        return Err(DpopError {
            error: "use_dpop_nonce",
            description: "the proof needs the server's current DPoP-Nonce".into(),
            nonce: Some(dpop.nonces.current(now)),
        });
    }
    Ok(Proof { jkt, jti, iat })
}

/// The proof's header checks, its key's thumbprint and its verified claims.
fn verify_signature(proof: &str) -> Result<(String, ProofClaims), DpopError> {
    let bad = || DpopError::invalid("the DPoP header is not a valid proof");
    let mut parts = proof.split('.');
    let (Some(h), Some(c), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let decode = |s: &str| URL_SAFE_NO_PAD.decode(s).map_err(|_| bad());
    let header: ProofHeader = serde_json::from_slice(&decode(h)?).map_err(|_| bad())?;
    if header.typ.as_deref() != Some("dpop+jwt") {
        return Err(DpopError::invalid("the proof's typ must be dpop+jwt"));
    }
    let key = jwk::public_key(&header.alg, &header.jwk).map_err(DpopError::invalid)?;
    let message = &proof[..h.len() + 1 + c.len()];
    let valid =
        jsonwebtoken::crypto::verify(sig, message.as_bytes(), &key.key, key.alg).unwrap_or(false);
    if !valid {
        return Err(DpopError::invalid(
            "the proof's signature does not verify with its jwk",
        ));
    }
    let claims = serde_json::from_slice(&decode(c)?).map_err(|_| bad())?;
    Ok((key.thumbprint, claims))
}

/// RFC 9449 §4.3 item 9: the URIs compared without query and fragment, after
/// syntax-based normalization (scheme and host case, default port).
fn same_url(htu: Option<&str>, expected: &str) -> bool {
    let Some(mut url) = htu.and_then(|u| url::Url::parse(u).ok()) else {
        return false;
    };
    url.set_query(None);
    url.set_fragment(None);
    url::Url::parse(expected).is_ok_and(|e| e == url)
}

/// Records the proof's `jti` as used (keyed by key and jti, kept until its `iat` window
/// has passed); `false` on a replay.
pub async fn spend(tx: &mut Tx, proof: &Proof, now: i64) -> Result<bool, StoreError> {
    let key = format!("{}:{}", proof.jkt, proof.jti);
    let until = proof.iat.max(now) + 2 * IAT_WINDOW_SECS;
    jtis::spend(tx, Purpose::DpopProof, &key, until, now).await
}

/// The refusal of a replayed proof.
pub fn replayed() -> DpopError {
    DpopError::invalid("the proof's jti was already used")
}

/// The token endpoint's proof: `None` without a `DPoP` header, refused when invalid or
/// when the client must use DPoP (`dpop_bound_access_tokens`) and sent none.
pub fn at_token_endpoint(
    state: &AppState,
    headers: &HeaderMap,
    dpop_bound: bool,
    now: i64,
) -> Result<Option<Proof>, OAuthError> {
    let proof = proof_header(headers).map_err(DpopError::at_token_endpoint)?;
    let Some(proof) = proof else {
        return match dpop_bound {
            true => {
                Err(DpopError::invalid("this client must send a DPoP proof").at_token_endpoint())
            }
            false => Ok(None),
        };
    };
    let target = Target {
        method: "POST",
        url: state.url("/oauth/token"),
        access_token: None,
    };
    verify(&state.dpop, proof, &target, now)
        .map(Some)
        .map_err(DpopError::at_token_endpoint)
}
