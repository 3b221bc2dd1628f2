//! Signing keys: RSA-2048 generated on first start, private halves encrypted at rest
//! with a key-encryption key (`master.key` in the data dir, or `--master-key-file`), `kid` = RFC 7638 thumbprint. The active
//! key pair is parsed once and kept in memory: every token is one signature.

mod kek;
pub mod rotation;

use crate::crypto::b64url;
use crate::error::StartError;
use crate::store::keys::{self as key_store, KeyRow};
use crate::store::{now, Db};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use jsonwebtoken::{DecodingKey, Validation};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

pub use kek::{create_key_file, read_key_file, Kek, KEK_BYTES, MASTER_KEY_FILE};

/// The JWS `typ` header of a token we sign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenType {
    /// RFC 9068 access token.
    AccessToken,
    /// OIDC ID token.
    IdToken,
}

struct ActiveKey {
    kid: String,
    pair: KeyPair,
    /// base64url of the JWS header for each token type, computed once.
    at_header: String,
    id_header: String,
}

struct KeySet {
    active: ActiveKey,
    /// Each published key's verifier and the time (unix s) it stops being published.
    verifiers: HashMap<String, (DecodingKey, Option<i64>)>,
    /// Published JWKs with their expiry, to drop expired ones between reloads.
    published: Vec<(serde_json::Value, Option<i64>)>,
    jwks: Arc<serde_json::Value>,
    /// The earliest expiry among published keys: until then `jwks` is current.
    next_expiry: Option<i64>,
}

/// A retired key is published while `now < expires_at`.
fn is_published(expires_at: Option<i64>, now: i64) -> bool {
    expires_at.is_none_or(|e| now < e)
}

/// The signing keys in memory; cheap to share.
pub struct KeyRing {
    set: RwLock<Arc<KeySet>>,
    kek: Kek,
    rng: SystemRandom,
}

/// Why a token we were shown is not acceptable.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token was not signed by a key of this issuer")]
    UnknownKey,
    #[error("the token has the wrong type")]
    WrongType,
    #[error("{0}")]
    Invalid(String),
}

impl KeyRing {
    /// Loads the published keys, creating the first signing key on a fresh install. The
    /// KEK is `master_key_file` when given, else `<data_dir>/master.key` (see [`Kek::load`]).
    /// A KEK that cannot open the active signing key is a start error that says so: a node
    /// never replaces keys it cannot open (that would fork a cluster's keys).
    pub async fn load_or_create(
        db: &Db,
        data_dir: &Path,
        master_key_file: Option<&Path>,
    ) -> Result<KeyRing, StartError> {
        let kek = Kek::load(data_dir, master_key_file)?;
        let mut rows = key_store::published_keys(&db.read, now()).await?;
        if !rows.iter().any(|r| r.status == "active") {
            let row = generate_key_row(&kek)?;
            let mut tx = db.begin().await?;
            // Asked again under the write lock: of nodes starting together on one empty
            // database, the first creates the key and the others read it.
            if key_store::active_key(&mut tx).await?.is_none() {
                key_store::insert_key(&mut tx, &row).await?;
                tx.commit().await?;
                tracing::info!(kid = %row.kid, "created the first RS256 signing key");
            } else {
                tx.rollback().await?;
            }
            rows = key_store::published_keys(&db.read, now()).await?;
        }
        let set = build_key_set(&kek, &rows)?;
        Ok(KeyRing {
            set: RwLock::new(Arc::new(set)),
            kek,
            rng: SystemRandom::new(),
        })
    }

    /// The key-encryption key (it also seals users' TOTP secrets and passkey records).
    pub fn kek(&self) -> &Kek {
        &self.kek
    }

    /// The key-encryption key's file (a backup carries it as `master.key`).
    pub fn kek_path(&self) -> &Path {
        self.kek.path()
    }

    fn current(&self) -> Arc<KeySet> {
        match self.set.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn active_kid(&self) -> String {
        self.current().active.kid.clone()
    }

    /// The public JWKS document: the active key and retired keys not yet expired, even
    /// when one expired since the last reload.
    pub fn jwks(&self) -> Arc<serde_json::Value> {
        let set = self.current();
        let t = now();
        if set.next_expiry.is_none_or(|e| t < e) {
            return set.jwks.clone();
        }
        let keys: Vec<&serde_json::Value> = set
            .published
            .iter()
            .filter(|(_, exp)| is_published(*exp, t))
            .map(|(jwk, _)| jwk)
            .collect();
        Arc::new(json!({ "keys": keys }))
    }

    /// A fresh key row sealed under this ring's KEK (CPU-heavy: call off the runtime).
    pub fn new_key_row(&self) -> Result<KeyRow, StartError> {
        generate_key_row(&self.kek)
    }

    /// Signs `claims` as a compact JWS (RS256) with the active key.
    pub fn sign<T: Serialize>(&self, typ: TokenType, claims: &T) -> Result<String, String> {
        let set = self.current();
        let key = &set.active;
        let payload = serde_json::to_vec(claims).map_err(|e| e.to_string())?;
        let header = match typ {
            TokenType::AccessToken => &key.at_header,
            TokenType::IdToken => &key.id_header,
        };
        let mut jws = String::with_capacity(header.len() + payload.len() * 4 / 3 + 350);
        jws.push_str(header);
        jws.push('.');
        jws.push_str(&b64url(&payload));
        let mut sig = vec![0u8; key.pair.public_modulus_len()];
        key.pair
            .sign(&RSA_PKCS1_SHA256, &self.rng, jws.as_bytes(), &mut sig)
            .map_err(|_| "RSA signing failed".to_string())?;
        jws.push('.');
        jws.push_str(&b64url(&sig));
        Ok(jws)
    }

    /// Verifies a token we issued: RS256 only, a published `kid`, the `typ`, `iss`
    /// and `exp` (no leeway). The audience is the caller's business.
    pub fn verify<T: DeserializeOwned>(
        &self,
        token: &str,
        typ: TokenType,
        issuer: &str,
    ) -> Result<T, VerifyError> {
        self.verify_inner(token, typ, issuer, true)
    }

    /// Like [`KeyRing::verify`] but accepts expired tokens (an `id_token_hint` at logout).
    pub fn verify_ignoring_expiry<T: DeserializeOwned>(
        &self,
        token: &str,
        typ: TokenType,
        issuer: &str,
    ) -> Result<T, VerifyError> {
        self.verify_inner(token, typ, issuer, false)
    }

    fn verify_inner<T: DeserializeOwned>(
        &self,
        token: &str,
        typ: TokenType,
        issuer: &str,
        check_exp: bool,
    ) -> Result<T, VerifyError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Malformed)?;
        if header.alg != jsonwebtoken::Algorithm::RS256 {
            return Err(VerifyError::Invalid(
                "the token is not signed with RS256".into(),
            ));
        }
        let want = match typ {
            TokenType::AccessToken => "at+jwt",
            TokenType::IdToken => "JWT",
        };
        if !header
            .typ
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(want))
        {
            return Err(VerifyError::WrongType);
        }
        let kid = header.kid.ok_or(VerifyError::UnknownKey)?;
        let set = self.current();
        let key = match set.verifiers.get(&kid) {
            Some((key, exp)) if is_published(*exp, now()) => key,
            _ => return Err(VerifyError::UnknownKey),
        };
        let mut validation = Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_issuer(&[issuer]);
        validation.validate_aud = false;
        validation.leeway = 0;
        validation.validate_exp = check_exp;
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        jsonwebtoken::decode::<T>(token, key, &validation)
            .map(|data| data.claims)
            .map_err(|e| VerifyError::Invalid(format!("the token is not valid: {e}")))
    }

    /// Re-reads the keys from the database (after a rotation).
    pub async fn reload(&self, db: &Db) -> Result<(), StartError> {
        let rows = key_store::published_keys(&db.read, now()).await?;
        let set = build_key_set(&self.kek, &rows)?;
        match self.set.write() {
            Ok(mut guard) => *guard = Arc::new(set),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(set),
        }
        Ok(())
    }
}

fn keys_err(e: impl std::fmt::Display) -> StartError {
    StartError::Keys(e.to_string())
}

/// Generates a new RSA-2048 key, encrypted with the KEK, ready to insert as active.
pub fn generate_key_row(kek: &Kek) -> Result<KeyRow, StartError> {
    let pair =
        KeyPair::generate(KeySize::Rsa2048).map_err(|_| keys_err("RSA key generation failed"))?;
    let pkcs8 = pair
        .as_der()
        .map_err(|_| keys_err("cannot encode the key"))?;
    let (n, e) = public_components(&pair);
    let kid = thumbprint(&n, &e);
    let jwk = json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e});
    let private_enc = kek.seal(kid.as_bytes(), pkcs8.as_ref())?;
    Ok(KeyRow {
        kid,
        alg: "RS256".into(),
        public_jwk: jwk.to_string(),
        private_enc,
        status: "active".into(),
        created_at: now(),
        retired_at: None,
        expires_at: None,
    })
}

fn public_components(pair: &KeyPair) -> (String, String) {
    let public = pair.public_key();
    (
        b64url(public.modulus().big_endian_without_leading_zero()),
        b64url(public.exponent().big_endian_without_leading_zero()),
    )
}

/// RFC 7638 JWK thumbprint (SHA-256) of an RSA public key.
pub fn thumbprint(n: &str, e: &str) -> String {
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    b64url(&crate::crypto::sha256(&canonical))
}

fn build_key_set(kek: &Kek, rows: &[KeyRow]) -> Result<KeySet, StartError> {
    let active_row = rows
        .iter()
        .find(|r| r.status == "active")
        .ok_or_else(|| keys_err("no active signing key"))?;
    let pkcs8 = kek.open(active_row.kid.as_bytes(), &active_row.private_enc)?;
    let pair =
        KeyPair::from_pkcs8(&pkcs8).map_err(|e| keys_err(format!("stored key rejected: {e}")))?;
    let header = |typ: &str| {
        b64url(
            json!({"alg": "RS256", "typ": typ, "kid": active_row.kid})
                .to_string()
                .as_bytes(),
        )
    };
    let active = ActiveKey {
        kid: active_row.kid.clone(),
        at_header: header("at+jwt"),
        id_header: header("JWT"),
        pair,
    };
    let mut verifiers = HashMap::new();
    let mut published = Vec::new();
    for row in rows {
        let jwk: serde_json::Value = serde_json::from_str(&row.public_jwk).map_err(keys_err)?;
        let (Some(n), Some(e)) = (jwk["n"].as_str(), jwk["e"].as_str()) else {
            return Err(keys_err(format!("key {} has no RSA components", row.kid)));
        };
        // The active key is always published, whatever an old expires_at says.
        let expires_at = if row.kid == active.kid {
            None
        } else {
            row.expires_at
        };
        verifiers.insert(
            row.kid.clone(),
            (
                DecodingKey::from_rsa_components(n, e).map_err(keys_err)?,
                expires_at,
            ),
        );
        published.push((jwk, expires_at));
    }
    let next_expiry = published.iter().filter_map(|(_, exp)| *exp).min();
    let jwks: Vec<&serde_json::Value> = published.iter().map(|(jwk, _)| jwk).collect();
    let jwks = Arc::new(json!({ "keys": jwks }));
    Ok(KeySet {
        active,
        verifiers,
        published,
        jwks,
        next_expiry,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7638_thumbprint_example() {
        // The example key of RFC 7638 §3.1.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        assert_eq!(
            thumbprint(n, "AQAB"),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }
}
