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

impl PrivateKeyJwt {
    /// An ES256 key from a PEM (PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`, P-256).
    pub fn es256_pem(pem: &[u8], kid: &str) -> Result<PrivateKeyJwt, Error> {
        let key = EncodingKey::from_ec_pem(pem).map_err(|e| Error::InvalidKey(e.to_string()))?;
        Ok(PrivateKeyJwt::new(key, Algorithm::ES256, kid))
    }

    /// An RS256 key from a PEM (PKCS#1 `RSA PRIVATE KEY` or PKCS#8 `PRIVATE KEY`).
    pub fn rs256_pem(pem: &[u8], kid: &str) -> Result<PrivateKeyJwt, Error> {
        let key = EncodingKey::from_rsa_pem(pem).map_err(|e| Error::InvalidKey(e.to_string()))?;
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
