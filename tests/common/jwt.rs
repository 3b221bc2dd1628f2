//! PKCE pairs, unverified JWT decoding and JWS signature checks against the JWKS.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openidconnect::core::{CoreJsonWebKey, CoreJwsSigningAlgorithm};
use openidconnect::JsonWebKey;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A PKCE S256 pair: (code_verifier, code_challenge).
pub fn pkce() -> (String, String) {
    let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

pub fn b64url_json(part: &str) -> Value {
    let bytes = URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .unwrap_or_else(|e| panic!("segment {part:?} is not base64url: {e}"));
    serde_json::from_slice(&bytes).expect("segment is JSON")
}

/// (header, claims) of a compact JWS, without verification.
pub fn decode_jwt(token: &str) -> (Value, Value) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "not a compact JWS: {token}");
    (b64url_json(parts[0]), b64url_json(parts[1]))
}

/// Verifies an RS256 JWS against the key with its `kid` in `jwks`.
pub fn verify_rs256(token: &str, jwks: &Value) -> Result<(), String> {
    let (header, _) = decode_jwt(token);
    if header["alg"] != "RS256" {
        return Err(format!("alg is {}", header["alg"]));
    }
    let kid = header["kid"].as_str().ok_or("no kid in header")?;
    let key = jwks["keys"]
        .as_array()
        .ok_or("jwks has no keys")?
        .iter()
        .find(|k| k["kid"] == kid)
        .ok_or_else(|| format!("kid {kid} not in JWKS"))?;
    let key: CoreJsonWebKey =
        serde_json::from_value(key.clone()).map_err(|e| format!("bad JWK: {e}"))?;
    let (input, sig) = token.rsplit_once('.').ok_or("no signature")?;
    let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|e| e.to_string())?;
    key.verify_signature(
        &CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        input.as_bytes(),
        &sig,
    )
    .map_err(|e| format!("signature: {e}"))
}

/// `aud` as a list whether the token carries a string or an array.
pub fn audiences(claims: &Value) -> Vec<String> {
    match &claims["aud"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => vec![],
    }
}

/// Space-separated `scope` as a sorted list.
pub fn scopes(v: &Value) -> Vec<String> {
    let mut s: Vec<String> = v
        .as_str()
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    s.sort();
    s
}
