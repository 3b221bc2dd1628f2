//! `private_key_jwt` (RFC 7523 §2.2/§3, OIDC Core §9): a client proves who it is with a
//! JWS it signed with one of its registered keys ([`super::client_jwks`]).
//!
//! Rules: `iss` = `sub` = the client id; `aud` names the issuer, the token endpoint or
//! the PAR endpoint; `exp` in the future and at most 5 minutes ahead (of now and of
//! `iat`), `iat`/`nbf` not in the future, each with 30 s of clock skew; a `jti` (≤ 256
//! characters) spent once per client in `used_jtis`; RS256, PS256, ES256 or EdDSA only
//! (never `none` or an HMAC). The assertion itself is never logged.

use crate::error::OAuthError;
use crate::state::AppState;
use crate::store::clients::Client;
use crate::store::jtis::{self, Purpose};
use crate::store::now;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

/// `client_assertion_type` of a JWT client assertion.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The longest an assertion may live: `exp` at most this far after now and after `iat`.
const MAX_LIFETIME: i64 = 300;
/// Clock skew allowed between the client and this server, seconds.
const SKEW: i64 = 30;
const MAX_JTI: usize = 256;
const ALGORITHMS: [Algorithm; 4] = [
    Algorithm::RS256,
    Algorithm::PS256,
    Algorithm::ES256,
    Algorithm::EdDSA,
];

#[derive(Debug, Deserialize)]
struct Claims {
    iss: Option<String>,
    sub: Option<String>,
    #[serde(default)]
    aud: Audience,
    exp: Option<i64>,
    iat: Option<i64>,
    nbf: Option<i64>,
    jti: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
    #[default]
    None,
}

impl Audience {
    fn contains_any(&self, accepted: &[String]) -> bool {
        match self {
            Audience::One(a) => accepted.contains(a),
            Audience::Many(list) => list.iter().any(|a| accepted.contains(a)),
            Audience::None => false,
        }
    }
}

fn refused(why: &str) -> OAuthError {
    OAuthError::invalid_client(format!("client assertion refused: {why}"))
}

/// The client id an assertion claims (its `sub`), read without checking anything: only to
/// find the client whose keys then verify it.
pub fn claimed_client_id(assertion: &str) -> Result<String, OAuthError> {
    let bad = || refused("not a JWS in compact form");
    let mut parts = assertion.split('.');
    let (Some(_), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let raw = URL_SAFE_NO_PAD.decode(payload).map_err(|_| bad())?;
    let claims: Claims = serde_json::from_slice(&raw).map_err(|_| bad())?;
    claims
        .sub
        .filter(|s| !s.is_empty() && s.len() <= 200)
        .ok_or_else(|| refused("sub is required"))
}

/// Verifies `assertion` as `client`'s and spends its `jti`.
pub async fn verify(state: &AppState, client: &Client, assertion: &str) -> Result<(), OAuthError> {
    if assertion.len() > 16 * 1024 {
        return Err(refused("too long"));
    }
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|_| refused("the header is not valid (or its alg is not supported)"))?;
    if !ALGORITHMS.contains(&header.alg) {
        return Err(refused("alg must be RS256, PS256, ES256 or EdDSA"));
    }
    let jwk = state
        .client_jwks
        .key_for(client, header.alg, header.kid.as_deref())
        .await?;
    let key = DecodingKey::from_jwk(&jwk).map_err(|_| refused("the client's key is not usable"))?;
    let mut validation = Validation::new(header.alg);
    // The claims are checked below, with this server's rules.
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    let claims = jsonwebtoken::decode::<Claims>(assertion, &key, &validation)
        .map_err(|_| refused("the signature does not verify with the client's key"))?
        .claims;
    let now = now();
    let accepted = [
        state.issuer.clone(),
        state.url("/oauth/token"),
        state.url("/oauth/par"),
    ];
    let expires_at = check_claims(&claims, &client.client_id, &accepted, now)?;
    let jti = claims.jti.as_deref().unwrap_or_default();
    let spend_key = format!("{}:{}:{jti}", client.client_id.len(), client.client_id);
    let mut tx = state.db.begin().await?;
    if !jtis::spend(
        &mut tx,
        Purpose::ClientAssertion,
        &spend_key,
        expires_at,
        now,
    )
    .await?
    {
        return Err(refused("this jti was already used"));
    }
    tx.commit().await?;
    Ok(())
}

/// The claim rules; returns how long the `jti` must be remembered.
fn check_claims(
    c: &Claims,
    client_id: &str,
    accepted_aud: &[String],
    now: i64,
) -> Result<i64, OAuthError> {
    if c.iss.as_deref() != Some(client_id) || c.sub.as_deref() != Some(client_id) {
        return Err(refused("iss and sub must be the client_id"));
    }
    if !c.aud.contains_any(accepted_aud) {
        return Err(refused("aud must be the issuer or the token endpoint"));
    }
    let exp = c.exp.ok_or_else(|| refused("exp is required"))?;
    if exp <= now - SKEW {
        return Err(refused("it has expired"));
    }
    if exp > now + MAX_LIFETIME + SKEW || c.iat.is_some_and(|iat| exp - iat > MAX_LIFETIME) {
        return Err(refused("exp is too far ahead (at most 5 minutes)"));
    }
    if c.iat.is_some_and(|iat| iat > now + SKEW) {
        return Err(refused("iat is in the future"));
    }
    if c.nbf.is_some_and(|nbf| nbf > now + SKEW) {
        return Err(refused("it is not valid yet (nbf)"));
    }
    match c.jti.as_deref() {
        None | Some("") => return Err(refused("jti is required")),
        Some(j) if j.len() > MAX_JTI => return Err(refused("jti is too long")),
        Some(_) => {}
    }
    // Kept past the skew window, so a replay within it is still caught.
    Ok(exp.max(now) + SKEW)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(aud: &str, exp: i64, iat: Option<i64>) -> Claims {
        Claims {
            iss: Some("c1".into()),
            sub: Some("c1".into()),
            aud: Audience::One(aud.into()),
            exp: Some(exp),
            iat,
            nbf: None,
            jti: Some("j".into()),
        }
    }

    #[test]
    fn claim_rules() {
        let ok = [
            "https://idp".to_string(),
            "https://idp/oauth/token".to_string(),
        ];
        let now = 1_000_000;
        assert!(check_claims(&claims("https://idp", now + 60, Some(now)), "c1", &ok, now).is_ok());
        let tok = claims("https://idp/oauth/token", now + 60, None);
        assert!(check_claims(&tok, "c1", &ok, now).is_ok());
        assert!(
            check_claims(&tok, "c2", &ok, now).is_err(),
            "another client"
        );
        let other = claims("https://other", now + 60, None);
        assert!(check_claims(&other, "c1", &ok, now).is_err(), "wrong aud");
        let old = claims("https://idp", now - 120, None);
        assert!(check_claims(&old, "c1", &ok, now).is_err(), "expired");
        let long = claims("https://idp", now + 3600, None);
        assert!(check_claims(&long, "c1", &ok, now).is_err(), "long-lived");
        let long_iat = claims("https://idp", now + 200, Some(now - 200));
        assert!(check_claims(&long_iat, "c1", &ok, now).is_err());
        let future = claims("https://idp", now + 200, Some(now + 120));
        assert!(check_claims(&future, "c1", &ok, now).is_err(), "iat ahead");
        let mut no_jti = claims("https://idp", now + 60, None);
        no_jti.jti = None;
        assert!(check_claims(&no_jti, "c1", &ok, now).is_err());
    }
}
