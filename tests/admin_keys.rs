//! /v1/keys: list, rotation (old tokens keep verifying, new ones use the new kid),
//! retire (stops publishing now), expiry without a restart, delete expired, admin only.
mod common;
use common::db::sql_write;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn kid_of(token: &str) -> String {
    s(&decode_jwt(token).0, "kid").to_string()
}

fn jwks_kids(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .expect("jwks keys")
        .iter()
        .map(|k| s(k, "kid").to_string())
        .collect()
}

async fn keys(fx: &Fixture) -> Vec<Value> {
    let r = fx.admin(Method::GET, "/v1/keys", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["keys"].as_array().expect("keys array").clone()
}

fn key<'a>(list: &'a [Value], kid: &str) -> &'a Value {
    list.iter()
        .find(|k| k["kid"] == kid)
        .unwrap_or_else(|| panic!("kid {kid} not listed: {list:?}"))
}

async fn rotate(fx: &Fixture) -> String {
    let r = fx.admin(Method::POST, "/v1/keys:rotate", None).await;
    assert_eq!(r.status, 200, "rotate: {}", r.text);
    assert_eq!(r.json["status"], "active", "{}", r.text);
    s(&r.json, "kid").to_string()
}

async fn events_of_type(fx: &Fixture, t: &str) -> Vec<Value> {
    let r = fx
        .admin(Method::GET, &format!("/v1/audit-events?type={t}"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["events"].as_array().expect("events").clone()
}

#[tokio::test]
async fn rotation_keeps_old_tokens_valid_and_signs_new_ones_with_the_new_key() {
    let fx = Fixture::new().await;
    let before = keys(&fx).await;
    assert_eq!(before.len(), 1, "{before:?}");
    let k1 = s(&before[0], "kid").to_string();
    assert_eq!(before[0]["status"], "active");
    assert_eq!(before[0]["alg"], "RS256");
    assert!(before[0]["expires_at"].is_null());
    let jwk = &before[0]["public_jwk"];
    assert_eq!(jwk["kid"], k1.as_str());
    for private in ["d", "p", "q", "dp", "dq", "qi"] {
        assert!(jwk.get(private).is_none(), "public_jwk has {private}");
    }
    assert!(before[0].get("private_enc").is_none());

    let (_, tokens) = fx.user_tokens("openid").await;
    let at = s(&tokens, "access_token").to_string();
    let id_token = s(&tokens, "id_token").to_string();
    assert_eq!(kid_of(&at), k1);

    let k2 = rotate(&fx).await;
    assert_ne!(k2, k1);
    let after = keys(&fx).await;
    assert_eq!(after.len(), 2);
    assert_eq!(key(&after, &k2)["status"], "active");
    let old = key(&after, &k1);
    assert_eq!(old["status"], "retired");
    assert_eq!(old["published"], true);
    // Published until every token it signed expired: 600 s default lifetime + 60 s leeway.
    let retired_at = old["retired_at"].as_i64().expect("retired_at");
    assert_eq!(old["expires_at"].as_i64(), Some(retired_at + 660), "{old}");

    let jwks = fx.jwks().await;
    let kids = jwks_kids(&jwks);
    assert!(kids.contains(&k1) && kids.contains(&k2), "{kids:?}");
    verify_rs256(&at, &jwks).expect("pre-rotation access token verifies");
    verify_rs256(&id_token, &jwks).expect("pre-rotation ID token verifies");
    assert_eq!(fx.introspect(&at).await["active"], true);
    let ui = fx
        .http
        .get(fx.url("/oauth/userinfo"))
        .bearer_auth(&at)
        .send()
        .await
        .expect("userinfo");
    assert_eq!(ui.status(), 200);

    let fresh = fx.server_token().await;
    assert_eq!(kid_of(&fresh), k2);
    verify_rs256(&fresh, &jwks).expect("new token verifies");
    let (_, tokens) = fx.user_tokens("openid").await;
    assert_eq!(kid_of(s(&tokens, "id_token")), k2);

    let rotated = events_of_type(&fx, "key.rotated").await;
    assert_eq!(rotated.len(), 1, "{rotated:?}");
    assert_eq!(rotated[0]["detail"]["kid"], k2.as_str());
    assert_eq!(rotated[0]["detail"]["previous_kid"], k1.as_str());
    assert_eq!(rotated[0]["actor"], fx.admin_id.as_str());
}

#[tokio::test]
async fn retire_stops_publishing_now_and_delete_expired_removes_the_key() {
    let fx = Fixture::new().await;
    let k1 = s(&keys(&fx).await[0], "kid").to_string();
    let k2 = rotate(&fx).await;
    let signed_by_k2 = fx.server_token().await;
    assert_eq!(kid_of(&signed_by_k2), k2);
    let k3 = rotate(&fx).await;

    let r = fx
        .admin(Method::POST, &format!("/v1/keys/{k3}:retire"), None)
        .await;
    assert_eq!(r.status, 409, "retiring the active key: {}", r.text);
    assert_eq!(r.json["error"]["code"], "conflict");
    let r = fx
        .admin(Method::POST, "/v1/keys/no-such-kid:retire", None)
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = fx
        .admin(Method::POST, &format!("/v1/keys/{k2}:explode"), None)
        .await;
    assert_eq!(r.status, 404, "{}", r.text);

    let r = fx
        .admin(Method::POST, &format!("/v1/keys/{k2}:retire"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["status"], "retired");
    assert_eq!(r.json["published"], false, "{}", r.text);
    let kids = jwks_kids(&fx.jwks().await);
    assert!(!kids.contains(&k2), "retired key still published: {kids:?}");
    assert!(kids.contains(&k1) && kids.contains(&k3), "{kids:?}");
    assert_eq!(fx.introspect(&signed_by_k2).await["active"], false);

    let r = fx
        .admin(Method::POST, "/v1/keys:delete-expired", None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["deleted"], json!([k2]));
    let left = keys(&fx).await;
    assert_eq!(left.len(), 2, "{left:?}");
    assert_eq!(key(&left, &k3)["status"], "active");
    assert_eq!(key(&left, &k1)["status"], "retired");
    let r = fx.admin(Method::GET, &format!("/v1/keys/{k2}"), None).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = fx.admin(Method::GET, &format!("/v1/keys/{k1}"), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = fx
        .admin(Method::POST, "/v1/keys:delete-expired", None)
        .await;
    assert_eq!(r.json["deleted"], json!([]), "{}", r.text);

    assert_eq!(events_of_type(&fx, "key.rotated").await.len(), 2);
    let retired = events_of_type(&fx, "key.retired").await;
    assert_eq!(retired.len(), 1);
    assert_eq!(retired[0]["detail"]["kid"], k2.as_str());
    let deleted = events_of_type(&fx, "key.deleted").await;
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["detail"]["kid"], k2.as_str());
}

#[tokio::test]
async fn a_retired_key_leaves_the_jwks_when_its_time_passes_without_a_restart() {
    let mut fx = Fixture::new().await;
    let k1 = s(&keys(&fx).await[0], "kid").to_string();
    let k2 = rotate(&fx).await;
    // The admin token was signed by k1, which is about to expire: take one signed by k2.
    let form = [("grant_type", "client_credentials"), ("scope", "admin")];
    let r = fx.token_basic(&fx.admin_id, &fx.admin_secret, &form).await;
    fx.admin_token = s(&r.json, "access_token").to_string();
    assert_eq!(kid_of(&fx.admin_token), k2);
    // Shorten k1's publication to a moment from now, then let the server reload its keys
    // (a settings change wakes the maintenance job).
    sql_write(
        &fx.srv,
        &format!(
            "UPDATE signing_keys SET expires_at = {} WHERE kid = '{k1}'",
            unix_now() + 2
        ),
    );
    let r = fx
        .admin(Method::PATCH, "/v1/settings", Some(&json!({})))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let kids = jwks_kids(&fx.jwks().await);
        assert!(kids.contains(&k2), "{kids:?}");
        if !kids.contains(&k1) {
            break;
        }
        assert!(Instant::now() < deadline, "expired key still published");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(key(&keys(&fx).await, &k1)["published"], false);
    let r = fx
        .admin(Method::POST, "/v1/keys:delete-expired", None)
        .await;
    assert_eq!(r.json["deleted"], json!([k1]), "{}", r.text);
}

#[tokio::test]
async fn key_endpoints_require_an_admin_token() {
    let fx = Fixture::new().await;
    let kid = s(&keys(&fx).await[0], "kid").to_string();
    let not_admin = fx.server_token().await;
    let retire = format!("/v1/keys/{kid}:retire");
    let show = format!("/v1/keys/{kid}");
    let routes = [
        (Method::GET, "/v1/keys"),
        (Method::GET, show.as_str()),
        (Method::POST, "/v1/keys:rotate"),
        (Method::POST, retire.as_str()),
        (Method::POST, "/v1/keys:delete-expired"),
    ];
    for (method, path) in routes {
        let r = fx.http.request(method.clone(), fx.url(path)).send().await;
        let r = Reply::read(r.expect("request")).await;
        assert_eq!(r.status, 401, "{method} {path} without a token: {}", r.text);
        assert_eq!(r.json["error"]["code"], "unauthenticated");
        let r = fx
            .http
            .request(method.clone(), fx.url(path))
            .bearer_auth(&not_admin)
            .send()
            .await;
        let r = Reply::read(r.expect("request")).await;
        assert_eq!(
            r.status, 403,
            "{method} {path} without admin scope: {}",
            r.text
        );
    }
    // Nothing changed.
    let list = keys(&fx).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["status"], "active");
}

#[tokio::test]
async fn scheduled_rotation_replaces_a_key_older_than_the_setting() {
    let fx = Fixture::new().await;
    let k1 = s(&keys(&fx).await[0], "kid").to_string();
    // Age the active key past the 90-day default, then wake the maintenance job.
    sql_write(
        &fx.srv,
        &format!("UPDATE signing_keys SET created_at = created_at - 91 * 86400 WHERE kid = '{k1}'"),
    );
    let r = fx
        .admin(Method::PATCH, "/v1/settings", Some(&json!({})))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let deadline = Instant::now() + Duration::from_secs(20);
    let rotated = loop {
        let rotated = events_of_type(&fx, "key.rotated").await;
        if !rotated.is_empty() {
            break rotated;
        }
        assert!(Instant::now() < deadline, "no scheduled rotation");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(rotated.len(), 1, "{rotated:?}");
    assert_eq!(rotated[0]["actor"], "system");
    assert_eq!(rotated[0]["detail"]["reason"], "scheduled");
    assert_eq!(rotated[0]["detail"]["previous_kid"], k1.as_str());
    let new_kid = s(&rotated[0]["detail"], "kid").to_string();
    assert_eq!(kid_of(&fx.server_token().await), new_kid);
}
