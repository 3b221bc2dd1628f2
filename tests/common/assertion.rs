//! `private_key_jwt` for tests: client key pairs (ES256, RS256), their public JWKs, signed
//! client assertions, and a web client switched to `private_key_jwt` by the admin API.
use super::{random_token, Fixture};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{json, Value};

pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A client's key pair: signs assertions; `jwk` is its public half.
pub struct ClientKey {
    pub kid: String,
    pub alg: Algorithm,
    encoding: EncodingKey,
    pub jwk: Value,
}

/// A new P-256 key: its PKCS#8 DER and public JWK.
fn p256(kid: &str) -> (Vec<u8>, Value) {
    let alg = &ECDSA_P256_SHA256_FIXED_SIGNING;
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &SystemRandom::new()).expect("new P-256 key");
    let pair = EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref()).expect("parse P-256 key");
    let point = pair.public_key().as_ref();
    assert_eq!(point.len(), 65, "uncompressed point");
    let jwk = json!({
        "kty": "EC", "crv": "P-256", "kid": kid, "use": "sig",
        "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
        "y": URL_SAFE_NO_PAD.encode(&point[33..]),
    });
    (pkcs8.as_ref().to_vec(), jwk)
}

impl ClientKey {
    /// A new P-256 key for ES256.
    pub fn es256(kid: &str) -> ClientKey {
        let (der, jwk) = p256(kid);
        ClientKey {
            kid: kid.to_string(),
            alg: Algorithm::ES256,
            encoding: EncodingKey::from_ec_der(&der),
            jwk,
        }
    }

    /// The PKCS#8 PEM of a new P-256 key and its public JWK (for the SDK).
    pub fn es256_pem(kid: &str) -> (String, Value) {
        let (der, jwk) = p256(kid);
        let body = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).expect("base64 is ascii"))
            .collect();
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            lines.join("\n")
        );
        (pem, jwk)
    }

    /// A JWS over `claims`, with this key's alg and kid.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        self.sign_with(header, claims)
    }

    pub fn sign_with(&self, header: Header, claims: &Value) -> String {
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("sign assertion")
    }
}

/// The claims of a fresh assertion of `client_id` for `aud`, living `lifetime` seconds.
pub fn claims(client_id: &str, aud: &str, lifetime: i64) -> Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    json!({
        "iss": client_id, "sub": client_id, "aud": aud,
        "jti": random_token(), "iat": now, "exp": now + lifetime,
    })
}

/// An unsigned (`alg: none`) or HS256 token over `claims`, which must be refused.
pub fn unsigned(claims: &Value) -> String {
    let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let c = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{h}.{c}.")
}

pub fn hs256(claims: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .expect("sign HS256")
}

/// The form fields of client authentication by assertion.
pub fn auth_fields(assertion: &str) -> Vec<(String, String)> {
    vec![
        ("client_assertion_type".into(), ASSERTION_TYPE.into()),
        ("client_assertion".into(), assertion.into()),
    ]
}

/// Switches the fixture's web client to `private_key_jwt` with `keys` (a `jwks` or
/// `jwks_uri` object member); returns the answer's `web_client`.
pub async fn use_private_key_jwt(fx: &Fixture, keys: Value) -> Value {
    let mut web = json!({"token_endpoint_auth_method": "private_key_jwt"});
    for (k, v) in keys.as_object().expect("an object").clone() {
        web[k] = v;
    }
    let id = fx.product["id"].as_str().expect("product id");
    let r = fx
        .admin(
            Method::PATCH,
            &format!("/v1/products/{id}"),
            Some(&json!({"web_client": web})),
        )
        .await;
    assert_eq!(r.status, 200, "PATCH web_client: {}", r.text);
    r.json["web_client"].clone()
}
