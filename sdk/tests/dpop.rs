//! DPoP (RFC 9449) with the SDK against the real Tessera: a `ServiceClient` with a
//! `DpopKey` gets a bound token (`cnf.jkt`) and calls Tessera's admin API with proofs;
//! the `Verifier` and the axum `Caller` extractor take the bound token only with a proof
//! by its key for the request (not as Bearer, not replayed, not by another key).

mod support {
    pub mod tessera_server;
}

use axum::body::Body;
use axum::extract::FromRef;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use support::tessera_server::TesseraServer;
use tessera_sdk::{Caller, Discovery, DpopKey, ServiceClient, TokenRejection, Verifier};
use tower::ServiceExt;

#[derive(Clone, FromRef)]
struct AppState {
    verifier: Verifier,
}

async fn whoami(caller: Caller) -> String {
    caller.subject
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

async fn call(app: &Router, auth: &str, proof: Option<String>) -> (StatusCode, String) {
    let mut req = Request::builder()
        .uri("/orders")
        .header("host", "127.0.0.1:3001")
        .header("authorization", auth);
    if let Some(p) = proof {
        req = req.header("dpop", p);
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let challenge = resp
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (resp.status(), challenge)
}

#[tokio::test]
async fn a_dpop_bound_service_token_is_issued_used_and_verified() {
    let server = tokio::task::spawn_blocking(TesseraServer::start)
        .await
        .unwrap();
    let (client_id, secret) = server.admin_client("sdk-dpop");
    let issuer = server.issuer.clone();
    let discovery = Discovery::fetch(&issuer).await.unwrap();
    let key = DpopKey::generate().unwrap();
    let service = ServiceClient::new(discovery.clone(), &client_id, &secret, &["admin"])
        .with_dpop(key.clone());
    let token = service.access_token().await.unwrap();
    assert_eq!(claims(&token)["cnf"]["jkt"], key.jkt());

    // Tessera's own API checks the proofs ServiceClient::send makes.
    let http = discovery.http().clone();
    let resp = service
        .send(http.get(format!("{issuer}/v1/products")))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    let verifier = discovery.verifier(&format!("{issuer}/v1"));
    assert!(matches!(
        verifier.verify(&token).await,
        Err(TokenRejection::Dpop(_))
    ));
    let url = "https://api.example/orders?page=2";
    let proof = key.proof("GET", url, Some(&token)).unwrap();
    let caller = verifier
        .verify_dpop(&token, Some(&proof), "GET", url)
        .await
        .unwrap();
    assert_eq!(caller.subject, client_id);
    let replay = verifier.verify_dpop(&token, Some(&proof), "GET", url).await;
    assert!(matches!(replay, Err(TokenRejection::Dpop(_))), "{replay:?}");
    let other = DpopKey::generate()
        .unwrap()
        .proof("GET", url, Some(&token))
        .unwrap();
    assert!(verifier
        .verify_dpop(&token, Some(&other), "GET", url)
        .await
        .is_err());
    let post = key.proof("POST", url, Some(&token)).unwrap();
    assert!(verifier
        .verify_dpop(&token, Some(&post), "GET", url)
        .await
        .is_err());
    let no_ath = key.proof("GET", url, None).unwrap();
    assert!(verifier
        .verify_dpop(&token, Some(&no_ath), "GET", url)
        .await
        .is_err());

    // The axum extractor.
    let app = Router::new()
        .route("/orders", get(whoami))
        .with_state(AppState { verifier });
    let dpop = format!("DPoP {token}");
    let here = "http://127.0.0.1:3001/orders";
    let (status, _) = call(
        &app,
        &dpop,
        Some(key.proof("GET", here, Some(&token)).unwrap()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, challenge) = call(&app, &format!("Bearer {token}"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(challenge.starts_with("DPoP "), "{challenge}");
    let (status, _) = call(&app, &dpop, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let elsewhere = key
        .proof("GET", "http://127.0.0.1:3001/other", Some(&token))
        .unwrap();
    assert_eq!(
        call(&app, &dpop, Some(elsewhere)).await.0,
        StatusCode::UNAUTHORIZED
    );
}
