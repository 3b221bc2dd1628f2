//! A tiny mock issuer for SDK tests: discovery, a mutable JWKS and a scripted token
//! endpoint on 127.0.0.1:0, with hit counters. Keys are generated with aws-lc-rs.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

pub const AUDIENCE: &str = "orders-api";
pub const CLIENT_ID: &str = "web-client";
pub const SERVICE_ID: &str = "server-client";
pub const SERVICE_SECRET: &str = "s3cr3t";

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// An RSA-2048 signing key with its `kid`.
#[derive(Clone)]
pub struct TestKey {
    pub kid: String,
    pub pair: Arc<KeyPair>,
}

impl TestKey {
    pub fn generate(kid: &str) -> TestKey {
        TestKey {
            kid: kid.to_string(),
            pair: Arc::new(KeyPair::generate(KeySize::Rsa2048).unwrap()),
        }
    }

    pub fn jwk(&self) -> Value {
        let public = self.pair.public_key();
        json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
            "n": b64(public.modulus().big_endian_without_leading_zero()),
            "e": b64(public.exponent().big_endian_without_leading_zero()),
        })
    }

    /// The public key as PKCS#1 DER: what an HS256 key-confusion attacker would use.
    pub fn public_der(&self) -> Vec<u8> {
        self.pair.public_key().as_ref().to_vec()
    }

    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        let rng = aws_lc_rs::rand::SystemRandom::new();
        self.pair
            .sign(&RSA_PKCS1_SHA256, &rng, input.as_bytes(), &mut sig)
            .unwrap();
        format!("{input}.{}", b64(&sig))
    }

    pub fn access_token(&self, claims: &Value) -> String {
        self.sign(
            &json!({"alg": "RS256", "typ": "at+jwt", "kid": self.kid}),
            claims,
        )
    }
}

pub fn sign_hs256(secret: &[u8], header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
    let tag = aws_lc_rs::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", b64(tag.as_ref()))
}

pub fn unsigned(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}.",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    )
}

/// Mutable state of the mock issuer.
pub struct Mock {
    pub issuer: String,
    /// Keys published in the JWKS.
    pub published: Mutex<Vec<TestKey>>,
    /// Key the token endpoint signs with.
    pub signer: Mutex<TestKey>,
    pub jwks_hits: AtomicUsize,
    pub token_hits: AtomicUsize,
    pub refresh_hits: AtomicUsize,
    pub cc_hits: AtomicUsize,
    /// The nonce the next ID token carries.
    pub nonce: Mutex<String>,
    /// The valid refresh token (rotated on each use).
    pub refresh_token: Mutex<String>,
    pub rotations: AtomicU64,
    /// `expires_in` of issued access tokens.
    pub expires_in: AtomicU64,
    /// Branches the user may switch to.
    pub branches: Vec<&'static str>,
    /// Refresh tokens presented, in order.
    pub seen_refresh_tokens: Mutex<Vec<String>>,
}

impl Mock {
    pub fn claims(&self, sub: &str, client_id: &str, branch: &str) -> Value {
        json!({
            "iss": self.issuer, "sub": sub, "aud": AUDIENCE, "client_id": client_id,
            "exp": now() + 600, "iat": now(), "jti": format!("jti-{}", now()),
            "scope": "openid orders:read", "org": "org-1", "branch": branch,
        })
    }

    fn issue(&self, branch: &str, with_refresh: bool, with_id: bool) -> Value {
        let key = self.signer.lock().unwrap().clone();
        let mut claims = self.claims("user-1", CLIENT_ID, branch);
        claims["jti"] = json!(format!("jti-{}", self.rotations.load(Ordering::SeqCst)));
        let mut body = json!({
            "access_token": key.access_token(&claims),
            "token_type": "Bearer",
            "expires_in": self.expires_in.load(Ordering::SeqCst),
            "scope": "openid orders:read",
        });
        if with_refresh {
            let n = self.rotations.fetch_add(1, Ordering::SeqCst) + 1;
            let rt = format!("rt-{n}");
            *self.refresh_token.lock().unwrap() = rt.clone();
            body["refresh_token"] = json!(rt);
        }
        if with_id {
            let id = json!({
                "iss": self.issuer, "sub": "user-1", "aud": CLIENT_ID, "exp": now() + 600,
                "iat": now(), "nonce": *self.nonce.lock().unwrap(), "email": "a@b.c",
            });
            body["id_token"] =
                json!(key.sign(&json!({"alg": "RS256", "typ": "JWT", "kid": key.kid}), &id));
        }
        body
    }
}

fn oauth_error(error: &str) -> (StatusCode, Json<Value>) {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": error, "error_description": "mock"})),
    )
}

async fn token(
    State(m): State<Arc<Mock>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> (StatusCode, Json<Value>) {
    m.token_hits.fetch_add(1, Ordering::SeqCst);
    // Widen the window in which concurrent callers could race.
    tokio::time::sleep(Duration::from_millis(50)).await;
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            if form.get("code").map(String::as_str) != Some("good-code")
                || !form.contains_key("code_verifier")
                || form.get("client_id").map(String::as_str) != Some(CLIENT_ID)
            {
                return oauth_error("invalid_grant");
            }
            (StatusCode::OK, Json(m.issue("branch-a", true, true)))
        }
        Some("refresh_token") => {
            m.refresh_hits.fetch_add(1, Ordering::SeqCst);
            let presented = form.get("refresh_token").cloned().unwrap_or_default();
            m.seen_refresh_tokens
                .lock()
                .unwrap()
                .push(presented.clone());
            if presented != *m.refresh_token.lock().unwrap() {
                return oauth_error("invalid_grant");
            }
            let branch = form
                .get("branch")
                .cloned()
                .unwrap_or_else(|| "branch-a".into());
            if !m.branches.contains(&branch.as_str()) {
                return oauth_error("invalid_scope");
            }
            (StatusCode::OK, Json(m.issue(&branch, true, false)))
        }
        Some("client_credentials") => {
            m.cc_hits.fetch_add(1, Ordering::SeqCst);
            let expected = format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD
                    .encode(format!("{SERVICE_ID}:{SERVICE_SECRET}"))
            );
            if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&expected) {
                return (
                    StatusCode::UNAUTHORIZED,
                    Json(json!({"error": "invalid_client"})),
                );
            }
            let key = m.signer.lock().unwrap().clone();
            let mut claims = m.claims(SERVICE_ID, SERVICE_ID, "");
            claims["scope"] = json!(form.get("scope").cloned().unwrap_or_default());
            (
                StatusCode::OK,
                Json(
                    json!({"access_token": key.access_token(&claims), "token_type": "Bearer",
                            "expires_in": m.expires_in.load(Ordering::SeqCst)}),
                ),
            )
        }
        _ => oauth_error("unsupported_grant_type"),
    }
}

/// Starts the mock issuer publishing (and signing with) `key`.
pub async fn start(key: TestKey) -> Arc<Mock> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let mock = Arc::new(Mock {
        issuer: issuer.clone(),
        published: Mutex::new(vec![key.clone()]),
        signer: Mutex::new(key),
        jwks_hits: AtomicUsize::new(0),
        token_hits: AtomicUsize::new(0),
        refresh_hits: AtomicUsize::new(0),
        cc_hits: AtomicUsize::new(0),
        nonce: Mutex::new(String::new()),
        refresh_token: Mutex::new(String::new()),
        rotations: AtomicU64::new(0),
        expires_in: AtomicU64::new(600),
        branches: vec!["branch-a", "branch-b"],
        seen_refresh_tokens: Mutex::new(Vec::new()),
    });
    let discovery = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth/authorize"),
        "token_endpoint": format!("{issuer}/oauth/token"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "end_session_endpoint": format!("{issuer}/oauth/logout"),
        "authorization_response_iss_parameter_supported": true,
    });
    let app = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || {
                let d = discovery.clone();
                async move { Json(d) }
            }),
        )
        .route(
            "/.well-known/jwks.json",
            get(|State(m): State<Arc<Mock>>| async move {
                m.jwks_hits.fetch_add(1, Ordering::SeqCst);
                let keys: Vec<Value> = m
                    .published
                    .lock()
                    .unwrap()
                    .iter()
                    .map(TestKey::jwk)
                    .collect();
                Json(json!({ "keys": keys }))
            }),
        )
        .route("/oauth/token", post(token))
        .with_state(mock.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    mock
}
