//! `Idempotency-Key` on /v1 writes: replay, reuse with another request, per-admin scope,
//! malformed keys, secret-bearing answers, in-progress and expired records.
mod common;
use common::db::sql_write;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};

async fn send(
    fx: &Fixture,
    token: &str,
    method: Method,
    path: &str,
    key: Option<&str>,
    body: Option<&Value>,
) -> Reply {
    let mut req = fx.http.request(method, fx.url(path)).bearer_auth(token);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    Reply::read(req.send().await.expect("request")).await
}

async fn post(fx: &Fixture, path: &str, key: &str, body: &Value) -> Reply {
    send(
        fx,
        &fx.admin_token,
        Method::POST,
        path,
        Some(key),
        Some(body),
    )
    .await
}

fn count(fx: &Fixture, query: &str) -> i64 {
    fx.srv.sql(query)[0]["n"].as_i64().expect("count")
}

fn assert_error(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.json["error"]["code"], code, "{}", r.text);
    assert!(r.json["error"]["message"].is_string(), "{}", r.text);
    assert!(r.json["error"]["type"].is_string(), "{}", r.text);
}

fn product(name: &str, server: bool) -> Value {
    json!({"name": name, "redirect_uris": [REDIRECT_URI], "scopes": [], "server_client": server})
}

fn replayed(r: &Reply) -> bool {
    r.header("idempotent-replayed").as_deref() == Some("true")
}

#[tokio::test]
async fn same_key_same_body_replays_the_first_answer() {
    let fx = Fixture::new().await;
    let body = json!({"email": "bo@example.com", "password": PASSWORD, "name": "Bo"});
    let first = post(&fx, "/v1/users", "user-bo-1", &body).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert!(!replayed(&first), "a first answer is not a replay");
    let again = post(&fx, "/v1/users", "user-bo-1", &body).await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert!(replayed(&again), "{:?}", again.headers);
    assert_eq!(again.text, first.text, "replayed byte for byte");
    assert_eq!(again.header("content-type"), first.header("content-type"));
    let n = count(
        &fx,
        "SELECT count(*) AS n FROM users WHERE email = 'bo@example.com'",
    );
    assert_eq!(n, 1, "the replay created nothing");

    // PATCH too: the second call changes nothing (one audit event).
    let path = format!("/v1/users/{}", s(&first.json, "id"));
    let patch = json!({"name": "Bo Two"});
    let token = fx.admin_token.clone();
    let a = send(&fx, &token, Method::PATCH, &path, Some("p-1"), Some(&patch)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let b = send(&fx, &token, Method::PATCH, &path, Some("p-1"), Some(&patch)).await;
    assert!(replayed(&b) && b.text == a.text, "{}", b.text);
    let updates = fx.srv.audit_rows().into_iter();
    let updates = updates
        .filter(|e| e["type"] == "admin.user.updated")
        .count();
    assert_eq!(updates, 1);

    // A stored 4xx is replayed as well (Stripe semantics).
    let bad = json!({"email": "not-an-email", "password": PASSWORD});
    let e1 = post(&fx, "/v1/users", "bad-1", &bad).await;
    assert_eq!(e1.status, 422, "{}", e1.text);
    let e2 = post(&fx, "/v1/users", "bad-1", &bad).await;
    assert!(replayed(&e2) && e2.text == e1.text && e2.status == 422);
}

#[tokio::test]
async fn same_key_with_another_request_is_refused() {
    let fx = Fixture::new().await;
    let first = post(&fx, "/v1/products", "k-1", &product("One", false)).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let other_body = post(&fx, "/v1/products", "k-1", &product("Two", false)).await;
    assert_error(&other_body, 422, "idempotency_key_reused");
    let body = json!({"email": "cy@example.com", "password": PASSWORD});
    let other_path = post(&fx, "/v1/users", "k-1", &body).await;
    assert_error(&other_path, 422, "idempotency_key_reused");
    let path = format!("/v1/products/{}", s(&first.json, "id"));
    let token = fx.admin_token.clone();
    let other_method = send(&fx, &token, Method::DELETE, &path, Some("k-1"), None).await;
    assert_error(&other_method, 422, "idempotency_key_reused");
    assert_eq!(
        count(&fx, "SELECT count(*) AS n FROM products WHERE name = 'Two'"),
        0
    );
    assert_eq!(
        count(
            &fx,
            "SELECT count(*) AS n FROM users WHERE email LIKE 'cy@%'"
        ),
        0
    );
    let get = fx.admin(Method::GET, &path, None).await;
    assert_eq!(get.status, 200, "the DELETE did not run: {}", get.text);
}

#[tokio::test]
async fn keys_are_per_admin_client() {
    let fx = Fixture::new().await;
    let (id, secret) = fx.srv.admin_client_create("other");
    let form = [("grant_type", "client_credentials"), ("scope", "admin")];
    let t = fx.token_basic(&id, &secret, &form).await;
    assert_eq!(t.status, 200, "{}", t.text);
    let other = s(&t.json, "access_token").to_string();

    let a = post(&fx, "/v1/products", "shared", &product("A", false)).await;
    assert_eq!(a.status, 201, "{}", a.text);
    let b_body = product("B", false);
    let b = send(
        &fx,
        &other,
        Method::POST,
        "/v1/products",
        Some("shared"),
        Some(&b_body),
    )
    .await;
    assert_eq!(b.status, 201, "{}", b.text);
    assert!(!replayed(&b));
    // Even the same body under another admin is a new request.
    let a_body = product("A", false);
    let a2 = send(
        &fx,
        &other,
        Method::POST,
        "/v1/products",
        Some("shared"),
        Some(&a_body),
    )
    .await;
    assert_error(&a2, 422, "idempotency_key_reused");
    let n = count(
        &fx,
        "SELECT count(*) AS n FROM products WHERE name IN ('A', 'B')",
    );
    assert_eq!(n, 2);
}

#[tokio::test]
async fn without_the_header_nothing_changes() {
    let fx = Fixture::new().await;
    let body = product("Twice", false);
    let token = fx.admin_token.clone();
    for _ in 0..2 {
        let r = send(&fx, &token, Method::POST, "/v1/products", None, Some(&body)).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert!(r.header("idempotent-replayed").is_none());
    }
    assert_eq!(
        count(
            &fx,
            "SELECT count(*) AS n FROM products WHERE name = 'Twice'"
        ),
        2
    );
    assert_eq!(count(&fx, "SELECT count(*) AS n FROM idempotency_keys"), 0);
}

#[tokio::test]
async fn malformed_keys_unauthenticated_and_oversized_requests() {
    let fx = Fixture::new().await;
    let body = product("Bad key", false);
    let long = "k".repeat(256);
    for key in ["", "has space", long.as_str(), "tab\there"] {
        let r = post(&fx, "/v1/products", key, &body).await;
        assert_error(&r, 400, "invalid_idempotency_key");
    }
    let r = fx
        .http
        .post(fx.url("/v1/products"))
        .bearer_auth(&fx.admin_token)
        .header("Idempotency-Key", "one")
        .header("Idempotency-Key", "two")
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_error(&Reply::read(r).await, 400, "invalid_idempotency_key");
    let max = "k".repeat(255);
    assert_eq!(post(&fx, "/v1/products", &max, &body).await.status, 201);

    // Unauthenticated: the handler's 401, nothing stored.
    let anon = fx
        .http
        .post(fx.url("/v1/products"))
        .header("Idempotency-Key", "anon");
    let r = Reply::read(anon.json(&body).send().await.expect("request")).await;
    assert_error(&r, 401, "unauthenticated");
    let r = send(
        &fx,
        "not-a-token",
        Method::POST,
        "/v1/products",
        Some("anon"),
        Some(&body),
    )
    .await;
    assert_error(&r, 401, "unauthenticated");
    assert_eq!(
        count(
            &fx,
            "SELECT count(*) AS n FROM idempotency_keys WHERE key = 'anon'"
        ),
        0
    );

    // Too large: 413 in the /v1 envelope, nothing stored.
    let big = json!({"name": "x".repeat(70 * 1024)});
    let r = post(&fx, "/v1/products", "big", &big).await;
    assert_error(&r, 413, "payload_too_large");
    assert_eq!(
        count(
            &fx,
            "SELECT count(*) AS n FROM idempotency_keys WHERE key = 'big'"
        ),
        0
    );
}

#[tokio::test]
async fn answers_showing_a_secret_are_not_stored() {
    let fx = Fixture::new().await;
    let first = post(&fx, "/v1/products", "secret-1", &product("Secret", true)).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let secret = s(&first.json["server_client"], "client_secret").to_string();
    let again = post(&fx, "/v1/products", "secret-1", &product("Secret", true)).await;
    assert_error(&again, 409, "idempotency_key_secret_shown");
    assert!(!again.text.contains(&secret));
    let n = count(
        &fx,
        "SELECT count(*) AS n FROM products WHERE name = 'Secret'",
    );
    assert_eq!(n, 1, "the retry created nothing");
    let rows = fx
        .srv
        .sql("SELECT state, body FROM idempotency_keys WHERE key = 'secret-1'");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["state"], "secret_shown");
    assert!(
        rows[0]["body"].is_null(),
        "the secret is not kept: {:?}",
        rows[0]
    );

    // secret:rotate likewise.
    let path = format!("/v1/products/{}/secret:rotate", s(&first.json, "id"));
    let r1 = post(&fx, &path, "rot-1", &json!({})).await;
    assert_eq!(r1.status, 200, "{}", r1.text);
    let r2 = post(&fx, &path, "rot-1", &json!({})).await;
    assert_error(&r2, 409, "idempotency_key_secret_shown");
    let rotated = fx.srv.audit_rows().into_iter();
    let rotated = rotated.filter(|e| e["type"].as_str().is_some_and(|t| t.contains("rotat")));
    assert_eq!(rotated.count(), 1, "rotated once");
}

#[tokio::test]
async fn in_progress_then_abandoned_and_expired_records() {
    let fx = Fixture::new().await;
    let body = product("Aging", false);
    let first = post(&fx, "/v1/products", "age-1", &body).await;
    assert_eq!(first.status, 201, "{}", first.text);

    // A record still in flight: 409.
    sql_write(
        &fx.srv,
        "UPDATE idempotency_keys SET state = 'pending' WHERE key = 'age-1'",
    );
    let r = post(&fx, "/v1/products", "age-1", &body).await;
    assert_error(&r, 409, "idempotency_key_in_progress");
    // In flight for too long (a crash): a retry takes it over and runs.
    let aged = "UPDATE idempotency_keys SET created_at = created_at - 301 WHERE key = 'age-1'";
    sql_write(&fx.srv, aged);
    let r = post(&fx, "/v1/products", "age-1", &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(!replayed(&r));
    assert_ne!(r.json["id"], first.json["id"]);

    // Expired after 24 h: the key is fresh, the request runs again.
    let expired = "UPDATE idempotency_keys SET created_at = created_at - 86400 WHERE key = 'age-1'";
    sql_write(&fx.srv, expired);
    let third = post(&fx, "/v1/products", "age-1", &body).await;
    assert_eq!(third.status, 201, "{}", third.text);
    assert!(!replayed(&third));
    assert_ne!(third.json["id"], r.json["id"]);
    let replay = post(&fx, "/v1/products", "age-1", &body).await;
    assert!(replayed(&replay) && replay.text == third.text);
    assert_eq!(
        count(
            &fx,
            "SELECT count(*) AS n FROM products WHERE name = 'Aging'"
        ),
        3
    );
}

#[tokio::test]
async fn concurrent_requests_with_one_key_create_once() {
    let fx = Fixture::new().await;
    let body = product("Racing", false);
    let replies = futures_join_all((0..6).map(|_| post(&fx, "/v1/products", "race", &body))).await;
    let mut ids = Vec::new();
    for r in &replies {
        match r.status.as_u16() {
            201 => ids.push(r.json["id"].clone()),
            409 => assert_eq!(r.json["error"]["code"], "idempotency_key_in_progress"),
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    assert!(!ids.is_empty());
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(
        count(
            &fx,
            "SELECT count(*) AS n FROM products WHERE name = 'Racing'"
        ),
        1
    );
}
