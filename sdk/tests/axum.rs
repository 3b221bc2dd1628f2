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

async fn pay(caller: Caller) -> Result<String, tessera_sdk::AuthRejection> {
    caller.require_aal2()?;
    Ok(format!(
        "{} {}",
        caller.auth_method().unwrap_or("-"),
        caller.amr().join("+")
    ))
}

#[tokio::test]
async fn require_aal2_answers_rfc_9470_insufficient_user_authentication() {
    let key = TestKey::generate("k1");
    let mock = start(key.clone()).await;
    let verifier = Verifier::new(&mock.issuer, AUDIENCE).unwrap();
    let app = Router::new()
        .route("/orders", get(pay))
        .merge(
            Router::new()
                .route("/orders", post(whoami))
                .route_layer(verifier.require_scope("orders:read").and_aal2()),
        )
        .with_state(AppState { verifier });
    let challenge_401 = r#"Bearer error="insufficient_user_authentication", error_description="A second factor is required", acr_values="aal2""#;

    let mut one = mock.claims("user-1", CLIENT_ID, "branch-a");
    for (k, v) in [
        ("amr", serde_json::json!(["pwd"])),
        ("acr", serde_json::json!("aal1")),
        ("aal", serde_json::json!("aal1")),
        ("auth_method", serde_json::json!("password")),
    ] {
        one[k] = v;
    }
    let one_factor = key.access_token(&one);
    for method in ["GET", "POST"] {
        let (status, challenge, body) = call(&app, method, Some(&one_factor)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method}");
        assert_eq!(challenge, challenge_401, "{method}");
        assert!(body.contains("insufficient_user_authentication"), "{body}");
        assert!(body.contains("aal1"), "{body}");
    }
    // A service token (no user, no level) is refused the same way.
    let mut service = mock.claims(CLIENT_ID, CLIENT_ID, "branch-a");
    service.as_object_mut().unwrap().remove("branch");
    let (status, challenge, _) = call(&app, "GET", Some(&key.access_token(&service))).await;
    assert_eq!(
        (status, challenge.as_str()),
        (StatusCode::UNAUTHORIZED, challenge_401)
    );
    // No token at all is still plain invalid_token.
    let (status, challenge, _) = call(&app, "POST", None).await;
    assert_eq!(
        (status, challenge.as_str()),
        (StatusCode::UNAUTHORIZED, r#"Bearer error="invalid_token""#)
    );

    let mut two = one.clone();
    two["amr"] = serde_json::json!(["pwd", "otp", "mfa"]);
    two["acr"] = serde_json::json!("aal2");
    two["aal"] = serde_json::json!("aal2");
    let two_factors = key.access_token(&two);
    let (status, _, body) = call(&app, "GET", Some(&two_factors)).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "password pwd+otp+mfa")
    );
    let (status, _, body) = call(&app, "POST", Some(&two_factors)).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "user-1 branch-a"));

    // The layer checks the scope first: a two-factor token without it is a 403.
    let mut narrow = two.clone();
    narrow["scope"] = serde_json::json!("openid");
    let (status, challenge, _) = call(&app, "POST", Some(&key.access_token(&narrow))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(challenge.contains("insufficient_scope"), "{challenge}");
}
