//! /v1 admin API: the shapes scripts rely on, and who may call it.
mod common;
use common::*;
use reqwest::Method;
use serde_json::json;

fn assert_envelope(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    let e = &r.json["error"];
    assert_eq!(e["code"], code, "{}", r.text);
    assert!(e["message"].is_string(), "{}", r.text);
    assert!(e["type"].is_string(), "{}", r.text);
}

#[tokio::test]
async fn create_user_returns_the_documented_shape() {
    let fx = Fixture::new().await;
    let pw = "a very secret password 1";
    let body = json!({"email": "cy@example.com", "password": pw, "name": "Cy D"});
    let r = fx.admin(Method::POST, "/v1/users", Some(&body)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let u = &r.json;
    assert!(!s(u, "id").is_empty());
    assert_eq!(u["email"], "cy@example.com");
    assert_eq!(u["name"], "Cy D");
    assert_eq!(u["status"], "active");
    assert!(!u["created_at"].is_null(), "{u}");
    assert!(!r.text.contains(pw), "response leaks the password");
    assert!(u.get("password").is_none() && u.get("password_hash").is_none());
    assert!(!r.text.contains("$argon2"), "response leaks the hash");

    let r = fx
        .admin(
            Method::POST,
            &format!("/v1/users/{}/suspend", s(u, "id")),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["id"], u["id"]);
    assert_eq!(r.json["status"], "suspended");
}

#[tokio::test]
async fn create_and_list_products() {
    let fx = Fixture::new().await;
    let p = &fx.product;
    assert!(!s(p, "id").is_empty());
    assert_eq!(p["name"], "Shop");
    assert_eq!(p["scopes"], json!([PRODUCT_SCOPE]));
    assert!(p.get("audience").is_some(), "{p}");
    let web = &p["web_client"];
    assert!(!s(web, "client_id").is_empty());
    assert_eq!(web["redirect_uris"], json!([REDIRECT_URI]));
    assert_eq!(web["post_logout_redirect_uris"], json!([LOGOUT_URI]));
    assert!(web.get("client_secret").is_none(), "web client is public");
    let server = &p["server_client"];
    assert_eq!(server["scopes"], json!([PRODUCT_SCOPE]));
    assert_ne!(server["client_id"], web["client_id"]);

    let bare = fx.create_product("Bare", &["x:read"], false).await;
    assert!(bare["server_client"].is_null(), "{bare}");

    let r = fx.admin(Method::GET, "/v1/products", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let list = r.json["products"].as_array().expect("products array");
    assert_eq!(list.len(), 2, "{}", r.text);
    assert!(!r.text.contains(&fx.server_secret), "list leaks the secret");
    let shop = list
        .iter()
        .find(|x| x["id"] == p["id"])
        .expect("Shop listed");
    assert_eq!(shop["web_client"]["client_id"], web["client_id"]);
    assert_eq!(shop["server_client"]["client_id"], server["client_id"]);
    assert!(shop["server_client"].get("client_secret").is_none());
}

#[tokio::test]
async fn secret_rotate_shapes_and_404s() {
    let fx = Fixture::new().await;
    let id = s(&fx.product, "id").to_string();
    let r = fx
        .admin(
            Method::POST,
            &format!("/v1/products/{id}/secret:rotate"),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["client_id"], fx.server_client_id.as_str());
    assert!(s(&r.json, "client_secret") != fx.server_secret);

    let bare = fx.create_product("Bare", &["x:read"], false).await;
    let path = format!("/v1/products/{}/secret:rotate", s(&bare, "id"));
    let r = fx.admin(Method::POST, &path, None).await;
    assert_envelope(&r, 404, "not_found");
    let r = fx
        .admin(Method::POST, "/v1/products/nope/secret:rotate", None)
        .await;
    assert_envelope(&r, 404, "not_found");
}

#[tokio::test]
async fn admin_api_requires_a_token() {
    let fx = Fixture::new().await;
    let body = json!({"email": "x@example.com", "password": "long enough pw", "name": "X"});
    let r = fx.http.post(fx.url("/v1/users")).json(&body).send();
    let r = Reply::read(r.await.expect("POST")).await;
    assert_envelope(&r, 401, "unauthenticated");
    let r = fx
        .http
        .get(fx.url("/v1/products"))
        .bearer_auth("garbage")
        .send();
    assert_envelope(
        &Reply::read(r.await.expect("GET")).await,
        401,
        "unauthenticated",
    );
    // A user's own access token (no admin scope) is not enough either.
    let (_, t) = fx.user_tokens("openid").await;
    let r = fx
        .http
        .get(fx.url("/v1/products"))
        .bearer_auth(s(&t, "access_token"))
        .send();
    let r = Reply::read(r.await.expect("GET")).await;
    assert!(r.status == 401 || r.status == 403, "{}", r.text);
    assert!(r.json["error"]["code"].is_string(), "{}", r.text);
}

#[tokio::test]
async fn token_without_admin_scope_is_403() {
    let fx = Fixture::new().await;
    let token = fx.server_token().await;
    let body = json!({"email": "x@example.com", "password": "long enough pw", "name": "X"});
    let r = fx
        .http
        .post(fx.url("/v1/users"))
        .bearer_auth(&token)
        .json(&body)
        .send();
    let r = Reply::read(r.await.expect("POST")).await;
    assert_envelope(&r, 403, "insufficient_scope");
    let r = fx
        .http
        .get(fx.url("/v1/products"))
        .bearer_auth(&token)
        .send();
    let r = Reply::read(r.await.expect("GET")).await;
    assert_envelope(&r, 403, "insufficient_scope");
    // Nothing was created by the refused call.
    let dup = fx.create_user("x@example.com", "long enough pw", "X").await;
    assert_eq!(dup["email"], "x@example.com");
}

#[tokio::test]
async fn revoked_admin_token_is_refused() {
    let fx = Fixture::new().await;
    let auth = basic(&fx.admin_id, &fx.admin_secret);
    let r = fx
        .post_form("/oauth/revoke", Some(&auth), &[("token", &fx.admin_token)])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = fx.admin(Method::GET, "/v1/products", None).await;
    assert_envelope(&r, 401, "unauthenticated");
}
