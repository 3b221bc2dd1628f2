//! The verifier's acceptances and refusals, against a mock issuer.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use serde_json::json;
use tessera_sdk::{TokenRejection, Verifier};

async fn setup() -> (std::sync::Arc<Mock>, TestKey, Verifier) {
    let key = TestKey::generate("k1");
    let mock = start(key.clone()).await;
    let verifier = Verifier::new(&mock.issuer, AUDIENCE).unwrap();
    (mock, key, verifier)
}

#[tokio::test]
async fn valid_token_is_accepted_with_scopes_org_and_branch() {
    let (mock, key, verifier) = setup().await;
    let token = key.access_token(&mock.claims("user-1", CLIENT_ID, "branch-a"));
    let caller = verifier.verify(&token).await.unwrap();
    assert_eq!(caller.subject, "user-1");
    assert_eq!(caller.client_id.as_deref(), Some(CLIENT_ID));
    assert_eq!(caller.org.as_deref(), Some("org-1"));
    assert_eq!(caller.branch.as_deref(), Some("branch-a"));
    assert_eq!(caller.scopes, vec!["openid", "orders:read"]);
    assert!(caller.has_scope("orders:read") && !caller.has_scope("orders:write"));
    let typed = caller.typed_claims().expect("a Tessera access token");
    assert_eq!(typed.scopes(), caller.scopes);
    assert_eq!(typed.branch.as_deref(), Some("branch-a"));
    // Keys are cached: a second token costs no fetch.
    verifier.verify(&token).await.unwrap();
    assert_eq!(mock.jwks_hits.load(Ordering::SeqCst), 1);
    let bearer = format!("Bearer {token}");
    assert!(verifier.verify_authorization(Some(&bearer)).await.is_ok());
    assert_eq!(
        verifier.verify_authorization(None).await,
        Err(TokenRejection::Missing)
    );
}

#[tokio::test]
async fn expired_token_is_refused() {
    let (mock, key, verifier) = setup().await;
    let mut claims = mock.claims("user-1", CLIENT_ID, "branch-a");
    claims["exp"] = json!(now() - 120);
    let err = verifier
        .verify(&key.access_token(&claims))
        .await
        .unwrap_err();
    assert_eq!(err, TokenRejection::Expired);
    // Within the 60 s leeway it still passes.
    claims["exp"] = json!(now() - 10);
    assert!(verifier.verify(&key.access_token(&claims)).await.is_ok());
}

#[tokio::test]
async fn not_yet_valid_token_is_refused() {
    let (mock, key, verifier) = setup().await;
    let mut claims = mock.claims("user-1", CLIENT_ID, "branch-a");
    claims["nbf"] = json!(now() + 300);
    let err = verifier
        .verify(&key.access_token(&claims))
        .await
        .unwrap_err();
    assert_eq!(err, TokenRejection::NotYetValid);
}

#[tokio::test]
async fn wrong_audience_is_refused() {
    let (mock, key, verifier) = setup().await;
    let mut claims = mock.claims("user-1", CLIENT_ID, "branch-a");
    claims["aud"] = json!("stock-api");
    let err = verifier
        .verify(&key.access_token(&claims))
        .await
        .unwrap_err();
    assert_eq!(err, TokenRejection::Audience);
}

#[tokio::test]
async fn wrong_issuer_is_refused() {
    let (mock, key, verifier) = setup().await;
    let mut claims = mock.claims("user-1", CLIENT_ID, "branch-a");
    claims["iss"] = json!("http://evil.example");
    let err = verifier
        .verify(&key.access_token(&claims))
        .await
        .unwrap_err();
    assert_eq!(err, TokenRejection::Issuer);
}

#[tokio::test]
async fn alg_none_is_refused_before_any_key_is_fetched() {
    let (mock, _key, verifier) = setup().await;
    let claims = mock.claims("user-1", CLIENT_ID, "branch-a");
    for alg in ["none", "None", "NONE"] {
        let token = unsigned(&json!({"alg": alg, "typ": "at+jwt", "kid": "k1"}), &claims);
        let err = verifier.verify(&token).await.unwrap_err();
        assert_eq!(err, TokenRejection::Algorithm(alg.into()));
    }
    assert_eq!(mock.jwks_hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_is_refused() {
    let (mock, key, verifier) = setup().await;
    let claims = mock.claims("user-1", CLIENT_ID, "branch-a");
    let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": "k1"});
    // The classic key-confusion attack, with the public key as DER and as its JWK text.
    for secret in [key.public_der(), key.jwk().to_string().into_bytes()] {
        let token = sign_hs256(&secret, &header, &claims);
        let err = verifier.verify(&token).await.unwrap_err();
        assert_eq!(err, TokenRejection::Algorithm("HS256".into()));
    }
    for alg in ["HS384", "HS512", "RS512", "PS256", "ES256"] {
        let token = sign_hs256(
            b"x",
            &json!({"alg": alg, "typ": "at+jwt", "kid": "k1"}),
            &claims,
        );
        assert!(matches!(
            verifier.verify(&token).await,
            Err(TokenRejection::Algorithm(_))
        ));
    }
    assert_eq!(mock.jwks_hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn missing_or_wrong_typ_is_refused() {
    let (mock, key, verifier) = setup().await;
    let claims = mock.claims("user-1", CLIENT_ID, "branch-a");
    let no_typ = key.sign(&json!({"alg": "RS256", "kid": "k1"}), &claims);
    assert_eq!(verifier.verify(&no_typ).await, Err(TokenRejection::Type));
    // An ID token (typ JWT) is not an access token.
    let id_typ = key.sign(&json!({"alg": "RS256", "typ": "JWT", "kid": "k1"}), &claims);
    assert_eq!(verifier.verify(&id_typ).await, Err(TokenRejection::Type));
    // RFC 9068 allows the full media type too.
    let media = key.sign(
        &json!({"alg": "RS256", "typ": "application/at+jwt", "kid": "k1"}),
        &claims,
    );
    assert!(verifier.verify(&media).await.is_ok());
}

#[tokio::test]
async fn forged_signature_and_garbage_are_refused() {
    let (mock, _key, verifier) = setup().await;
    let claims = mock.claims("user-1", CLIENT_ID, "branch-a");
    // Another key claiming the published kid.
    let forged = TestKey::generate("k1").access_token(&claims);
    assert_eq!(
        verifier.verify(&forged).await,
        Err(TokenRejection::Signature)
    );
    for junk in ["", "abc", "a.b.c", "e30.e30.e30"] {
        assert!(verifier.verify(junk).await.is_err(), "{junk}");
    }
}

#[tokio::test]
async fn unknown_kid_then_key_rotation_is_accepted() {
    let key = TestKey::generate("k1");
    let mock = start(key.clone()).await;
    let verifier = Verifier::builder(&mock.issuer, AUDIENCE)
        .refetch_interval(Duration::from_millis(200))
        .build()
        .unwrap();
    let claims = mock.claims("user-1", CLIENT_ID, "branch-a");
    verifier.verify(&key.access_token(&claims)).await.unwrap();

    // A token from a key the issuer does not publish (yet).
    let next = TestKey::generate("k2");
    let token = next.access_token(&claims);
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(
        verifier.verify(&token).await,
        Err(TokenRejection::UnknownKey)
    );
    assert_eq!(mock.jwks_hits.load(Ordering::SeqCst), 2);

    // The issuer rotates: k2 published next to k1.
    mock.published.lock().unwrap().push(next.clone());
    tokio::time::sleep(Duration::from_millis(250)).await;
    let caller = verifier.verify(&token).await.unwrap();
    assert_eq!(caller.subject, "user-1");
    assert_eq!(mock.jwks_hits.load(Ordering::SeqCst), 3);
    // The old key still works without another fetch.
    verifier.verify(&key.access_token(&claims)).await.unwrap();
    assert_eq!(mock.jwks_hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn jwks_refetch_is_rate_limited() {
    let (mock, key, verifier) = setup().await; // default interval: 10 s
    let claims = mock.claims("user-1", CLIENT_ID, "branch-a");
    verifier.verify(&key.access_token(&claims)).await.unwrap();
    assert_eq!(mock.jwks_hits.load(Ordering::SeqCst), 1);
    // A flood of unknown kids (sequential and concurrent) triggers no fetch at all.
    for i in 0..20 {
        let token = TestKey::generate("k1").sign(
            &json!({"alg": "RS256", "typ": "at+jwt", "kid": format!("x{i}")}),
            &claims,
        );
        assert_eq!(
            verifier.verify(&token).await,
            Err(TokenRejection::UnknownKey)
        );
    }
    let forged = TestKey::generate("zz").access_token(&claims);
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let v = verifier.clone();
            let t = forged.clone();
            tokio::spawn(async move { v.verify(&t).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), Err(TokenRejection::UnknownKey));
    }
    assert_eq!(mock.jwks_hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn concurrent_first_use_fetches_the_jwks_once() {
    let key = TestKey::generate("k1");
    let mock = start(key.clone()).await;
    let verifier = Verifier::builder(&mock.issuer, AUDIENCE)
        .jwks_uri(format!("{}/.well-known/jwks.json", mock.issuer))
        .build()
        .unwrap();
    let token = key.access_token(&mock.claims("user-1", CLIENT_ID, "branch-a"));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let v = verifier.clone();
            let t = token.clone();
            tokio::spawn(async move { v.verify(&t).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(mock.jwks_hits.load(Ordering::SeqCst), 1);
}
