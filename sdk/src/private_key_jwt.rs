//! `private_key_jwt` (RFC 7523 §2.2): the client authenticates at the token endpoint
//! with a JWT it signs with its private key, instead of a secret. Register the matching
//! public key (a JWK with the same `kid`) as the client's `jwks` or at its `jwks_uri`.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::error::Error;
use crate::token::{now_unix, random_token};

/// `client_assertion_type` of a JWT client assertion.
pub(crate) const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Lifetime of each assertion, seconds.
const LIFETIME: u64 = 60;

/// A client's private key for `private_key_jwt`: each token request gets a fresh
/// assertion (unique `jti`, `exp` 60 s, `aud` = the token endpoint).
#[derive(Clone)]
pub struct PrivateKeyJwt {
    key: EncodingKey,
    alg: Algorithm,
    kid: String,
}

impl std::fmt::Debug for PrivateKeyJwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKeyJwt")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// The DER inside a PEM block labelled `label`.
fn pem_body(pem: &[u8], label: &str) -> Result<Vec<u8>, Error> {
    use base64::Engine;
    let text = std::str::from_utf8(pem).map_err(|_| Error::InvalidKey("PEM is not text".into()))?;
    let (begin, end) = (
        format!("-----BEGIN {label}-----"),
        format!("-----END {label}-----"),
    );
    let body = text
        .split_once(&begin)
        .and_then(|(_, rest)| rest.split_once(&end))
        .map(|(body, _)| body)
        .ok_or_else(|| Error::InvalidKey(format!("no {begin} block")))?;
    let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| Error::InvalidKey("the PEM body is not base64".into()))
}

impl PrivateKeyJwt {
    /// An ES256 key from a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, P-256).
    pub fn es256_pem(pem: &[u8], kid: &str) -> Result<PrivateKeyJwt, Error> {
        let der = pem_body(pem, "PRIVATE KEY")?;
        aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &der,
        )
        .map_err(|e| Error::InvalidKey(format!("not a P-256 PKCS#8 key: {e}")))?;
        let key = EncodingKey::from_ec_der(&der);
        Ok(PrivateKeyJwt::new(key, Algorithm::ES256, kid))
    }

    /// An RS256 key from a PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`).
    pub fn rs256_pem(pem: &[u8], kid: &str) -> Result<PrivateKeyJwt, Error> {
        let der = pem_body(pem, "RSA PRIVATE KEY")?;
        aws_lc_rs::rsa::KeyPair::from_der(&der)
            .map_err(|e| Error::InvalidKey(format!("not a PKCS#1 RSA key: {e}")))?;
        let key = EncodingKey::from_rsa_der(&der);
        Ok(PrivateKeyJwt::new(key, Algorithm::RS256, kid))
    }

    fn new(key: EncodingKey, alg: Algorithm, kid: &str) -> PrivateKeyJwt {
        PrivateKeyJwt {
            key,
            alg,
            kid: kid.to_string(),
        }
    }

    /// A fresh assertion of `client_id` for `token_endpoint`.
    pub(crate) fn assertion(&self, client_id: &str, token_endpoint: &str) -> Result<String, Error> {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        let now = now_unix();
        let claims = json!({
            "iss": client_id,
            "sub": client_id,
            "aud": token_endpoint,
            "jti": random_token(),
            "iat": now,
            "exp": now + LIFETIME,
        });
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| Error::InvalidKey(e.to_string()))
    }
}
