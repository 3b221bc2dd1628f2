//! Login, session refresh, branch switch, authorized calls and service tokens against a
//! mock issuer.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use base64::Engine;
use common::*;
use tessera_sdk::{
    AuthorizedClient, Client, Discovery, Error, LoginOptions, LoginRequest, ServiceClient, Session,
};

const REDIRECT: &str = "http://app.example/callback";

async fn setup() -> (Arc<Mock>, Client) {
    let mock = start(TestKey::generate("k1")).await;
    let client = Client::discover(&mock.issuer, CLIENT_ID).await.unwrap();
    (mock, client)
}

fn begin(client: &Client, branch: Option<&str>) -> LoginRequest {
    client
        .begin_login(LoginOptions {
            redirect_uri: REDIRECT.into(),
            scopes: vec!["orders:read".into()],
            branch: branch.map(str::to_string),
            ..Default::default()
        })
        .unwrap()
}

fn callback(mock: &Mock, state: &str) -> String {
    let mut url = url::Url::parse(REDIRECT).unwrap();
    url.query_pairs_mut()
        .append_pair("code", "good-code")
        .append_pair("state", state)
        .append_pair("iss", &mock.issuer);
    url.into()
}

async fn login(mock: &Mock, client: &Client) -> Session {
    let req = begin(client, None);
    *mock.nonce.lock().unwrap() = req.nonce.clone();
    client
        .complete_login(&req, &callback(mock, &req.state))
        .await
        .unwrap()
}

#[tokio::test]
async fn begin_login_builds_a_pkce_s256_authorization_url() {
    let (mock, client) = setup().await;
    let req = begin(&client, Some("branch-b"));
    let url = url::Url::parse(&req.url).unwrap();
    assert_eq!(
        url.as_str().split('?').next().unwrap(),
        format!("{}/oauth/authorize", mock.issuer)
    );
    let q: HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["redirect_uri"], REDIRECT);
    assert_eq!(q["scope"], "openid orders:read");
    assert_eq!(q["state"], req.state);
    assert_eq!(q["nonce"], req.nonce);
    assert_eq!(q["branch"], "branch-b");
    assert_eq!(q["code_challenge_method"], "S256");
    let digest =
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, req.code_verifier.as_bytes());
    assert_eq!(q["code_challenge"], b64(digest.as_ref()));
    // >= 128 bits of randomness each, and fresh per login.
    for v in [&req.state, &req.nonce, &req.code_verifier] {
        assert!(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(v)
                .unwrap()
                .len()
                >= 16
        );
    }
    let other = begin(&client, None);
    assert_ne!(other.state, req.state);
    assert_ne!(other.code_verifier, req.code_verifier);
    assert!(!other.url.contains("branch="));
}

#[tokio::test]
async fn complete_login_yields_a_session_with_claims() {
    let (mock, client) = setup().await;
    let session = login(&mock, &client).await;
    assert_eq!(session.subject().as_deref(), Some("user-1"));
    assert_eq!(session.org().as_deref(), Some("org-1"));
    assert_eq!(session.branch().as_deref(), Some("branch-a"));
    assert_eq!(session.scopes(), vec!["openid", "orders:read"]);
    assert_eq!(session.id_claims()["email"], "a@b.c");
    assert_eq!(session.profile().email.as_deref(), Some("a@b.c"));
    let token = session.access_token().await.unwrap();
    // The token verifies at the resource server.
    let caller = client
        .discovery()
        .verifier(AUDIENCE)
        .verify(&token)
        .await
        .unwrap();
    assert_eq!(caller.branch.as_deref(), Some("branch-a"));
    assert_eq!(mock.refresh_hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn state_mismatch_is_refused_before_the_code_is_spent() {
    let (mock, client) = setup().await;
    let req = begin(&client, None);
    *mock.nonce.lock().unwrap() = req.nonce.clone();
    let other = begin(&client, None);
    for cb in [
        callback(&mock, &other.state),
        format!("{REDIRECT}?code=good-code&iss={}", mock.issuer),
        format!("{}&state={}", callback(&mock, &req.state), req.state),
    ] {
        let err = client.complete_login(&req, &cb).await.unwrap_err();
        assert!(matches!(err, Error::StateMismatch), "{err}");
    }
    assert_eq!(mock.token_hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn nonce_mismatch_is_refused() {
    let (mock, client) = setup().await;
    let req = begin(&client, None);
    *mock.nonce.lock().unwrap() = "someone-elses-nonce".into();
    let err = client
        .complete_login(&req, &callback(&mock, &req.state))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NonceMismatch), "{err}");
}

#[tokio::test]
async fn callback_error_and_wrong_iss_are_surfaced() {
    let (mock, client) = setup().await;
    let req = begin(&client, None);
    let cb = format!(
        "{REDIRECT}?error=access_denied&error_description=no&state={}&iss={}",
        req.state, mock.issuer
    );
    let err = client.complete_login(&req, &cb).await.unwrap_err();
    assert_eq!(err.oauth_error(), Some("access_denied"));
    let cb = format!(
        "{REDIRECT}?code=good-code&state={}&iss=http://evil",
        req.state
    );
    let err = client.complete_login(&req, &cb).await.unwrap_err();
    assert!(matches!(err, Error::IssuerMismatch { .. }), "{err}");
    // The issuer advertises RFC 9207, so a missing `iss` is refused too.
    let cb = format!("{REDIRECT}?code=good-code&state={}", req.state);
    let err = client.complete_login(&req, &cb).await.unwrap_err();
    assert!(matches!(err, Error::IssuerMismatch { .. }), "{err}");
    assert_eq!(mock.token_hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn discovery_refuses_another_issuer() {
    let mock = start(TestKey::generate("k1")).await;
    let err = Discovery::fetch(&format!("{}/", mock.issuer))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::IssuerMismatch { .. }), "{err}");
}

#[tokio::test]
async fn concurrent_callers_share_one_rotating_refresh() {
    let (mock, client) = setup().await;
    mock.expires_in.store(10, Ordering::SeqCst); // inside the 30 s margin: refresh due
    let session = login(&mock, &client).await;
    let first = session.access_claims()["jti"].clone();
    mock.expires_in.store(600, Ordering::SeqCst);
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let s = session.clone();
            tokio::spawn(async move { s.access_token().await })
        })
        .collect();
    let mut tokens = Vec::new();
    for t in tasks {
        tokens.push(t.await.unwrap().unwrap());
    }
    assert_eq!(mock.refresh_hits.load(Ordering::SeqCst), 1);
    assert!(tokens.windows(2).all(|w| w[0] == w[1]));
    assert_ne!(session.access_claims()["jti"], first);
    // Rotation: the next refresh presents the NEW refresh token.
    session.refresh().await.unwrap();
    assert_eq!(
        *mock.seen_refresh_tokens.lock().unwrap(),
        vec!["rt-1", "rt-2"]
    );
    assert_eq!(mock.refresh_hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn switch_branch_changes_context_or_keeps_the_old_session() {
    let (mock, client) = setup().await;
    let session = login(&mock, &client).await;
    let before = session.access_token().await.unwrap();
    let err = session.switch_branch("branch-x").await.unwrap_err();
    assert!(
        matches!(err, Error::BranchRefused { ref error, .. } if error == "invalid_scope"),
        "{err}"
    );
    assert_eq!(session.branch().as_deref(), Some("branch-a"));
    assert_eq!(session.access_token().await.unwrap(), before);
    session.switch_branch("branch-b").await.unwrap();
    assert_eq!(session.branch().as_deref(), Some("branch-b"));
    assert_eq!(session.org().as_deref(), Some("org-1"));
    // The old refresh token survived the refusal and was then rotated.
    assert_eq!(
        *mock.seen_refresh_tokens.lock().unwrap(),
        vec!["rt-1", "rt-1"]
    );
}

#[tokio::test]
async fn logout_url_carries_the_id_token_hint() {
    let (mock, client) = setup().await;
    let session = login(&mock, &client).await;
    let url = session
        .logout_url(Some("http://app.example/bye"), Some("s1"))
        .unwrap();
    let url = url::Url::parse(&url).unwrap();
    let q: HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert!(url
        .as_str()
        .starts_with(&format!("{}/oauth/logout?", mock.issuer)));
    assert_eq!(q["id_token_hint"], session.id_token().unwrap());
    assert_eq!(q["post_logout_redirect_uri"], "http://app.example/bye");
    assert_eq!(q["state"], "s1");
}

#[tokio::test]
async fn authorized_client_refreshes_and_retries_once_on_401() {
    use axum::http::{HeaderMap, StatusCode};
    let (mock, client) = setup().await;
    let session = login(&mock, &client).await;
    let stale = session.access_token().await.unwrap();
    // An API that refuses the first token it sees (as if revoked) and counts calls.
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let api = axum::Router::new().route(
        "/api",
        axum::routing::get(move |h: HeaderMap| {
            let c = c.clone();
            let stale = stale.clone();
            async move {
                c.fetch_add(1, Ordering::SeqCst);
                let auth = h["authorization"].to_str().unwrap().to_string();
                if auth == format!("Bearer {stale}") {
                    StatusCode::UNAUTHORIZED
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, api).await.unwrap() });
    let http = AuthorizedClient::new(session.clone());
    let resp = http.send(http.get(&url)).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(mock.refresh_hits.load(Ordering::SeqCst), 1);
    // Fresh token now: one call, no refresh.
    assert_eq!(http.send(http.get(&url)).await.unwrap().status(), 200);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(mock.refresh_hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn service_client_caches_tokens_single_flight() {
    let (mock, client) = setup().await;
    let service = ServiceClient::new(
        client.discovery().clone(),
        SERVICE_ID,
        SERVICE_SECRET,
        &["stock:read"],
    );
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let s = service.clone();
            tokio::spawn(async move { s.access_token().await })
        })
        .collect();
    let mut tokens = Vec::new();
    for t in tasks {
        tokens.push(t.await.unwrap().unwrap());
    }
    assert!(tokens.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(mock.cc_hits.load(Ordering::SeqCst), 1);
    let caller = client
        .discovery()
        .verifier(AUDIENCE)
        .verify(&tokens[0])
        .await
        .unwrap();
    assert_eq!(caller.subject, SERVICE_ID);
    assert_eq!(caller.scopes, vec!["stock:read"]);
    // Close to expiry: a new token.
    mock.expires_in.store(5, Ordering::SeqCst);
    service.invalidate().await;
    service.access_token().await.unwrap();
    service.access_token().await.unwrap();
    assert_eq!(mock.cc_hits.load(Ordering::SeqCst), 3);
    // A wrong secret is a typed OAuth error.
    let bad = ServiceClient::new(
        client.discovery().clone(),
        SERVICE_ID,
        "nope",
        &["stock:read"],
    );
    assert_eq!(
        bad.access_token().await.unwrap_err().oauth_error(),
        Some("invalid_client")
    );
}
