//! The public key of a DPoP proof (its `jwk` header): only public members, a key type the
//! proof's `alg` signs with, its verifying key and its RFC 7638 thumbprint (the `jkt`).

use crate::crypto::{b64url, sha256_bytes};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};

/// The `alg`s a proof may use (discovery's `dpop_signing_alg_values_supported`).
pub const ALGS: &[&str] = &["ES256", "ES384", "EdDSA", "PS256", "RS256"];

/// Members that only a private (or symmetric) key has.
const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// A checked public key.
pub struct PublicKey {
    pub key: DecodingKey,
    pub alg: Algorithm,
    /// base64url(SHA-256) of the key's canonical JSON (RFC 7638).
    pub thumbprint: String,
}

/// The key `jwk` for a proof signed with `alg`, or why it cannot be.
pub fn public_key(alg: &str, jwk: &Map<String, Value>) -> Result<PublicKey, String> {
    if PRIVATE_MEMBERS.iter().any(|m| jwk.contains_key(*m)) {
        return Err("the jwk must be a public key".into());
    }
    let member = |name: &str| -> Result<&str, String> {
        jwk.get(name)
            .and_then(Value::as_str)
            // base64url only: the members are spliced into the thumbprint's JSON.
            .filter(|v| !v.is_empty() && v.len() <= 2048 && v.bytes().all(b64url_byte))
            .ok_or_else(|| format!("the jwk lacks a valid {name}"))
    };
    let kty = member("kty")?;
    let (alg, needs) = match alg {
        "ES256" => (Algorithm::ES256, ("EC", Some("P-256"))),
        "ES384" => (Algorithm::ES384, ("EC", Some("P-384"))),
        "EdDSA" => (Algorithm::EdDSA, ("OKP", Some("Ed25519"))),
        "PS256" => (Algorithm::PS256, ("RSA", None)),
        "RS256" => (Algorithm::RS256, ("RSA", None)),
        _ => return Err(format!("alg must be one of {}", ALGS.join(", "))),
    };
    if kty != needs.0 {
        return Err("the jwk's kty does not fit the alg".into());
    }
    // The members RFC 7638 §3.2 hashes, in lexicographic order.
    let (key, canonical) = match needs {
        ("EC", Some(crv)) => {
            let (x, y) = (member("x")?, member("y")?);
            if member("crv")? != crv {
                return Err("the jwk's crv does not fit the alg".into());
            }
            let key = DecodingKey::from_ec_components(x, y);
            (
                key,
                format!(r#"{{"crv":"{crv}","kty":"EC","x":"{x}","y":"{y}"}}"#),
            )
        }
        ("OKP", Some(crv)) => {
            let x = member("x")?;
            if member("crv")? != crv {
                return Err("the jwk's crv does not fit the alg".into());
            }
            let key = DecodingKey::from_ed_components(x);
            (key, format!(r#"{{"crv":"{crv}","kty":"OKP","x":"{x}"}}"#))
        }
        _ => {
            let (n, e) = (member("n")?, member("e")?);
            let key = DecodingKey::from_rsa_components(n, e);
            (key, format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#))
        }
    };
    let key = key.map_err(|_| "the jwk is not a valid public key".to_string())?;
    Ok(PublicKey {
        key,
        alg,
        thumbprint: b64url(&sha256_bytes(canonical.as_bytes())),
    })
}

fn b64url_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rfc7638_example_thumbprint() {
        // RFC 7638 §3.1.
        let jwk = json!({"kty": "RSA", "alg": "RS256", "kid": "2011-04-29", "e": "AQAB",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"});
        let key = public_key("RS256", jwk.as_object().unwrap()).unwrap();
        assert_eq!(
            key.thumbprint,
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn private_members_and_mismatched_keys_are_refused() {
        let ec = json!({"kty": "EC", "crv": "P-256", "x": "a", "y": "b", "d": "c"});
        assert!(public_key("ES256", ec.as_object().unwrap()).is_err());
        let ec = json!({"kty": "EC", "crv": "P-384", "x": "a", "y": "b"});
        assert!(public_key("ES256", ec.as_object().unwrap()).is_err());
        let rsa = json!({"kty": "RSA", "n": "a", "e": "AQAB"});
        assert!(public_key("ES256", rsa.as_object().unwrap()).is_err());
        assert!(public_key("HS256", rsa.as_object().unwrap()).is_err());
        assert!(public_key("none", rsa.as_object().unwrap()).is_err());
    }
}
