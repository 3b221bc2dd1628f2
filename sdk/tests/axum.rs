//! The `Caller` extractor and the `require_scope` layer answer RFC 6750 errors.

mod common;

use axum::body::Body;
use axum::extract::FromRef;
use axum::http::{Request, StatusCode};
use axum::routing::{get, post};
use axum::{Extension, Router};
use common::*;
use tessera_sdk::{require_scope, Caller, Verifier};
use tower::ServiceExt;

#[derive(Clone, FromRef)]
struct AppState {
    verifier: Verifier,
}

async fn whoami(caller: Caller) -> String {
    format!("{} {}", caller.subject, caller.branch.unwrap_or_default())
}

async fn call(app: &Router, method: &str, token: Option<&str>) -> (StatusCode, String, String) {
    let mut req = Request::builder().method(method).uri("/orders");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let challenge = resp
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
        .await
        .unwrap();
    (status, challenge, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn extractor_and_require_scope_answer_401_and_403() {
    let key = TestKey::generate("k1");
    let mock = start(key.clone()).await;
    let verifier = Verifier::new(&mock.issuer, AUDIENCE).unwrap();
    let app = Router::new()
        .route("/orders", get(whoami))
        .merge(
            Router::new()
                .route("/orders", post(whoami))
                .route_layer(verifier.require_scope("orders:write")),
        )
        .with_state(AppState { verifier });

    let reader = key.access_token(&mock.claims("user-1", CLIENT_ID, "branch-a"));
    let (status, _, body) = call(&app, "GET", Some(&reader)).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "user-1 branch-a"));

    let (status, challenge, body) = call(&app, "GET", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(challenge, r#"Bearer error="invalid_token""#);
    assert!(body.contains("invalid_token"));
    let (status, challenge, _) = call(&app, "GET", Some("not-a-jwt")).await;
    assert_eq!(
        (status, challenge.as_str()),
        (StatusCode::UNAUTHORIZED, r#"Bearer error="invalid_token""#)
    );

    let (status, challenge, body) = call(&app, "POST", Some(&reader)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        challenge,
        r#"Bearer error="insufficient_scope", scope="orders:write""#
    );
    assert!(body.contains("insufficient_scope"));
    let (status, _, _) = call(&app, "POST", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let mut claims = mock.claims("user-2", CLIENT_ID, "branch-b");
    claims["scope"] = serde_json::json!("orders:read orders:write");
    let writer = key.access_token(&claims);
    let (status, _, body) = call(&app, "POST", Some(&writer)).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "user-2 branch-b"));
}

#[tokio::test]
async fn require_scope_finds_the_verifier_in_an_extension() {
    let key = TestKey::generate("k1");
    let mock = start(key.clone()).await;
    let verifier = Verifier::new(&mock.issuer, AUDIENCE).unwrap();
    let app = Router::new()
        .route(
            "/orders",
            post(|Extension(c): Extension<Caller>| async move { c.subject }),
        )
        .route_layer(require_scope("orders:read"))
        .layer(Extension(verifier));
    let token = key.access_token(&mock.claims("user-1", CLIENT_ID, "branch-a"));
    let (status, _, body) = call(&app, "POST", Some(&token)).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "user-1"));
    let (status, challenge, _) = call(&app, "POST", Some("x.y.z")).await;
    assert_eq!(
        (status, challenge.as_str()),
        (StatusCode::UNAUTHORIZED, r#"Bearer error="invalid_token""#)
    );
}
