//! `private_key_jwt` (RFC 7523): a web client registered with its public keys (inline or
//! at a `jwks_uri`) authenticates with signed assertions at the token and introspection
//! endpoints; replays, wrong keys, bad lifetimes, audiences and algorithms are refused.
mod common;

use common::assertion::{self, auth_fields, claims, use_private_key_jwt, ClientKey};
use common::*;
use jsonwebtoken::{Algorithm, Header};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// POSTs `form` plus the assertion's fields to `path`.
async fn with_assertion(fx: &Fixture, path: &str, form: &[(&str, &str)], jws: &str) -> Reply {
    let mut fields: Vec<(String, String)> = form
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    fields.extend(auth_fields(jws));
    let req = fx.http.post(fx.url(path)).form(&fields);
    Reply::read(req.send().await.expect("POST")).await
}

/// Introspection as the web client: 200 when the assertion authenticates it.
async fn probe(fx: &Fixture, jws: &str) -> Reply {
    with_assertion(fx, "/oauth/introspect", &[("token", "x")], jws).await
}

fn token_endpoint(fx: &Fixture) -> String {
    fx.url("/oauth/token")
}

fn assert_invalid_client(r: &Reply, what: &str) {
    assert_eq!(r.status, 401, "{what}: {}", r.text);
    assert_eq!(r.json["error"], "invalid_client", "{what}: {}", r.text);
}

#[tokio::test]
async fn code_flow_with_a_signed_assertion() {
    let fx = Fixture::new().await;
    let key = ClientKey::es256("k1");
    let web = use_private_key_jwt(&fx, json!({"jwks": {"keys": [key.jwk]}})).await;
    assert_eq!(web["token_endpoint_auth_method"], "private_key_jwt");
    let (code, req) = fx.login_code(&fx.browser(), "openid offline_access").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", req.verifier.as_str()),
        ("client_id", fx.web_client_id.as_str()),
    ];
    let jws = key.sign(&claims(&fx.web_client_id, &token_endpoint(&fx), 60));
    let r = with_assertion(&fx, "/oauth/token", &form, &jws).await;
    assert_eq!(r.status, 200, "code exchange: {}", r.text);
    let refresh = s(&r.json, "refresh_token").to_string();

    // The same assertion again (a replayed jti) is refused; a fresh one, aud = issuer, works.
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
    ];
    let r = with_assertion(&fx, "/oauth/token", &form, &jws).await;
    assert_invalid_client(&r, "replayed jti");
    let fresh = key.sign(&claims(&fx.web_client_id, fx.issuer(), 60));
    let r = with_assertion(&fx, "/oauth/token", &form, &fresh).await;
    assert_eq!(r.status, 200, "refresh: {}", r.text);

    // Registered for private_key_jwt: neither a bare client_id nor a secret will do.
    let r = fx.refresh(s(&r.json, "refresh_token")).await;
    assert_invalid_client(&r, "no assertion");
    let r = fx
        .post_form(
            "/oauth/introspect",
            Some(&basic(&fx.web_client_id, "guess")),
            &[("token", "x")],
        )
        .await;
    assert_invalid_client(&r, "a secret");
    // Introspection takes the assertion too.
    let r = probe(&fx, &key.sign(&claims(&fx.web_client_id, fx.issuer(), 60))).await;
    assert_eq!(r.status, 200, "introspection: {}", r.text);
}

#[tokio::test]
async fn bad_assertions_are_refused() {
    let fx = Fixture::new().await;
    let key = ClientKey::es256("k1");
    use_private_key_jwt(&fx, json!({"jwks": {"keys": [key.jwk]}})).await;
    let id = fx.web_client_id.clone();
    let aud = token_endpoint(&fx);

    let impostor = ClientKey::es256("k1");
    let cases: Vec<(&str, String)> = vec![
        ("wrong key", impostor.sign(&claims(&id, &aud, 60))),
        ("expired", key.sign(&claims(&id, &aud, -120))),
        ("long-lived", key.sign(&claims(&id, &aud, 3600))),
        (
            "wrong aud",
            key.sign(&claims(&id, "https://elsewhere.example", 60)),
        ),
        ("alg none", assertion::unsigned(&claims(&id, &aud, 60))),
        (
            "HS256",
            assertion::hs256(&claims(&id, &aud, 60), b"0123456789abcdef0123456789abcdef"),
        ),
        ("unknown kid", {
            let mut h = Header::new(Algorithm::ES256);
            h.kid = Some("k2".into());
            key.sign_with(h, &claims(&id, &aud, 60))
        }),
        ("iss is not the client", {
            let mut c = claims(&id, &aud, 60);
            c["iss"] = json!("someone-else");
            key.sign(&c)
        }),
        ("not valid yet", {
            let mut c = claims(&id, &aud, 120);
            c["nbf"] = json!(c["iat"].as_i64().expect("iat") + 100);
            key.sign(&c)
        }),
        ("no jti", {
            let mut c = claims(&id, &aud, 60);
            c.as_object_mut().expect("claims").remove("jti");
            key.sign(&c)
        }),
    ];
    for (what, jws) in &cases {
        assert_invalid_client(&probe(&fx, jws).await, what);
    }
    // client_id in the body must be the assertion's.
    let jws = key.sign(&claims(&id, &aud, 60));
    let r = with_assertion(
        &fx,
        "/oauth/introspect",
        &[("token", "x"), ("client_id", "other")],
        &jws,
    )
    .await;
    assert_invalid_client(&r, "client_id mismatch");
    // The 10 refusals above count like wrong secrets: now the client is throttled.
    let r = probe(&fx, &key.sign(&claims(&id, &aud, 60))).await;
    assert_eq!(r.status, 429, "throttled after the refusals: {}", r.text);

    // A secret client may not send an assertion.
    let other = fx.create_product("Other", &[], true).await;
    let server_id = s(&other["server_client"], "client_id").to_string();
    let r = probe(&fx, &key.sign(&claims(&server_id, &aud, 60))).await;
    assert_invalid_client(&r, "assertion from a secret client");
}

/// A JWK Set served on a loopback port; counts the fetches.
struct KeyHost {
    url: String,
    keys: Arc<Mutex<Value>>,
    fetches: Arc<AtomicUsize>,
}

async fn key_host(keys: Value) -> KeyHost {
    let keys = Arc::new(Mutex::new(keys));
    let fetches = Arc::new(AtomicUsize::new(0));
    let (k, f) = (keys.clone(), fetches.clone());
    let app = axum::Router::new().route(
        "/jwks.json",
        axum::routing::get(move || {
            let (k, f) = (k.clone(), f.clone());
            async move {
                f.fetch_add(1, Ordering::SeqCst);
                axum::Json(k.lock().expect("keys").clone())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/jwks.json", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    KeyHost { url, keys, fetches }
}

#[tokio::test]
async fn jwks_uri_is_cached_and_refetched_once_on_an_unknown_kid() {
    let fx = Fixture::new().await;
    let old = ClientKey::es256("old");
    let host = key_host(json!({"keys": [old.jwk]})).await;
    use_private_key_jwt(&fx, json!({"jwks_uri": host.url})).await;
    let (id, aud) = (fx.web_client_id.clone(), token_endpoint(&fx));

    for _ in 0..3 {
        let r = probe(&fx, &old.sign(&claims(&id, &aud, 60))).await;
        assert_eq!(r.status, 200, "old key: {}", r.text);
    }
    assert_eq!(
        host.fetches.load(Ordering::SeqCst),
        1,
        "fetched once, then cached"
    );

    // The client rotates its key at the URL: the new kid makes us fetch once more (the
    // URL is asked at most every 10 s, so wait that out first).
    tokio::time::sleep(std::time::Duration::from_millis(10_500)).await;
    let new = ClientKey::es256("new");
    *host.keys.lock().expect("keys") = json!({"keys": [new.jwk]});
    let r = probe(&fx, &new.sign(&claims(&id, &aud, 60))).await;
    assert_eq!(r.status, 200, "rotated key: {}", r.text);
    assert_eq!(host.fetches.load(Ordering::SeqCst), 2);

    // Unknown kids right after: refused without asking the URL again (10 s apart at least).
    let stranger = ClientKey::es256("stranger");
    for _ in 0..3 {
        assert_invalid_client(
            &probe(&fx, &stranger.sign(&claims(&id, &aud, 60))).await,
            "unknown kid",
        );
    }
    assert_eq!(
        host.fetches.load(Ordering::SeqCst),
        2,
        "refetch is rate-limited"
    );
    // The old key left the set: refused.
    assert_invalid_client(
        &probe(&fx, &old.sign(&claims(&id, &aud, 60))).await,
        "retired key",
    );
}
