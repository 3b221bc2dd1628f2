//! /v1 products CRUD: read, patch, delete (its tokens die), server client add/remove,
//! redirect URIs add/remove, bad input; and the CLI's admin-client secret rotation.
mod common;
use common::admin_cases::product_cases;
use common::table::run_table;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn pid(fx: &Fixture) -> String {
    s(&fx.product, "id").to_string()
}

fn events(fx: &Fixture, t: &str) -> Vec<Value> {
    fx.srv
        .audit_rows()
        .into_iter()
        .filter(|e| e["type"] == t && e["outcome"] == "success")
        .collect()
}

async fn cc(fx: &Fixture, id: &str, secret: &str) -> Reply {
    let form = [("grant_type", "client_credentials")];
    fx.token_basic(id, secret, &form).await
}

#[tokio::test]
async fn get_and_patch_a_product() {
    let fx = Fixture::new().await;
    let path = format!("/v1/products/{}", pid(&fx));
    let r = fx.admin(Method::GET, &path, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["id"], fx.product["id"]);
    assert_eq!(r.json["web_client"], fx.product["web_client"]);
    assert_eq!(
        r.json["server_client"]["client_id"],
        fx.server_client_id.as_str()
    );
    assert!(!r.text.contains(&fx.server_secret), "GET leaks the secret");

    // Warm the token endpoint's client cache so the PATCH must clear it.
    let warm = cc(&fx, &fx.server_client_id, &fx.server_secret).await;
    assert_eq!(warm.status, 200, "{}", warm.text);
    let body = json!({
        "name": "Shop 2", "scopes": ["orders:read", "orders:write"],
        "audience": "https://api.shop.example", "access_token_ttl": 120,
        "refresh_token_ttl": 3600, "server_client_scopes": ["orders:write"],
    });
    let r = fx.admin(Method::PATCH, &path, Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let p = &r.json;
    assert_eq!(p["name"], "Shop 2");
    assert_eq!(p["scopes"], json!(["orders:read", "orders:write"]));
    assert_eq!(p["audience"], "https://api.shop.example");
    assert_eq!(p["access_token_ttl"], 120);
    assert_eq!(p["refresh_token_ttl"], 3600);
    assert_eq!(p["server_client"]["scopes"], json!(["orders:write"]));
    assert_eq!(fx.admin(Method::GET, &path, None).await.json, r.json);
    assert_eq!(events(&fx, "admin.product.updated").len(), 1);

    // The token endpoint sees the change at once (its client cache is cleared).
    let t = cc(&fx, &fx.server_client_id, &fx.server_secret).await;
    assert_eq!(t.status, 200, "{}", t.text);
    let claims = claims_of(&t.json, "access_token");
    assert_eq!(scopes(&claims["scope"]), vec!["orders:write".to_string()]);
    assert_eq!(
        audiences(&claims),
        vec!["https://api.shop.example".to_string()]
    );
    let lifetime = claims["exp"].as_i64().unwrap_or(0) - claims["iat"].as_i64().unwrap_or(0);
    assert_eq!(lifetime, 120, "{claims}");

    // Narrowing the product's scopes narrows the server client's grant; null clears audience.
    let body = json!({"scopes": ["orders:read"], "audience": null});
    let r = fx.admin(Method::PATCH, &path, Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["server_client"]["scopes"], json!([]));
    assert!(r.json["audience"].is_null(), "{}", r.text);
    assert_eq!(r.json["name"], "Shop 2", "untouched fields stay");
}

#[tokio::test]
async fn deleting_a_product_kills_its_tokens() {
    let fx = Fixture::new().await;
    let (_, t) = fx.user_tokens("openid offline_access").await;
    let (at, rt) = (s(&t, "access_token"), s(&t, "refresh_token"));
    let server_at = fx.server_token().await;
    for tok in [at, rt, server_at.as_str()] {
        assert_eq!(fx.introspect(tok).await["active"], true, "before delete");
    }
    let path = format!("/v1/products/{}", pid(&fx));
    let r = fx.admin(Method::DELETE, &path, None).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(r.text.is_empty());

    for tok in [at, rt, server_at.as_str()] {
        assert_eq!(fx.introspect(tok).await, json!({"active": false}));
    }
    let r = cc(&fx, &fx.server_client_id, &fx.server_secret).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.json["error"], "invalid_client");
    let r = fx.refresh(rt).await;
    assert!(r.status == 400 || r.status == 401, "{}", r.text);
    let info = fx
        .http
        .get(fx.url("/oauth/userinfo"))
        .bearer_auth(at)
        .send();
    assert_eq!(info.await.expect("userinfo").status(), 401);
    let r = fx.browser().get(&fx.authorize(&[]).url).await;
    assert_eq!(r.status, 400, "authorize for a deleted client: {r:?}");
    assert!(r.location.is_none());

    assert_eq!(fx.admin(Method::GET, &path, None).await.status, 404);
    assert_eq!(fx.admin(Method::DELETE, &path, None).await.status, 404);
    let list = fx.admin(Method::GET, "/v1/products", None).await;
    assert_eq!(list.json["products"], json!([]), "{}", list.text);
    assert_eq!(events(&fx, "admin.product.deleted").len(), 1);
}

#[tokio::test]
async fn server_client_can_be_added_and_removed() {
    let fx = Fixture::new().await;
    let bare = fx.create_product("Bare", &["x:read"], false).await;
    let path = format!("/v1/products/{}/server-client", s(&bare, "id"));
    let r = fx.admin(Method::POST, &path, None).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let (id, secret) = (s(&r.json, "client_id"), s(&r.json, "client_secret"));
    assert_eq!(r.json["scopes"], json!(["x:read"]));
    let t = cc(&fx, id, secret).await;
    assert_eq!(t.status, 200, "{}", t.text);
    let token = s(&t.json, "access_token").to_string();
    let again = fx.admin(Method::POST, &path, None).await;
    assert_eq!(again.status, 409, "{}", again.text);

    let got = fx
        .admin(
            Method::GET,
            &format!("/v1/products/{}", s(&bare, "id")),
            None,
        )
        .await;
    assert_eq!(got.json["server_client"]["client_id"], id);
    assert!(!got.text.contains(secret));

    let r = fx.admin(Method::DELETE, &path, None).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(cc(&fx, id, secret).await.status, 401);
    assert_eq!(fx.introspect(&token).await, json!({"active": false}));
    assert_eq!(fx.admin(Method::DELETE, &path, None).await.status, 404);
    let got = fx
        .admin(
            Method::GET,
            &format!("/v1/products/{}", s(&bare, "id")),
            None,
        )
        .await;
    assert!(got.json["server_client"].is_null(), "{}", got.text);
    assert_eq!(events(&fx, "admin.server_client.created").len(), 1);
    assert_eq!(events(&fx, "admin.server_client.deleted").len(), 1);
}

#[tokio::test]
async fn redirect_uris_are_added_and_removed() {
    let fx = Fixture::new().await;
    let base = format!("/v1/products/{}", pid(&fx));
    let extra = "http://127.0.0.1:7777/cb";
    let r = fx
        .admin(
            Method::POST,
            &format!("{base}/redirect-uris"),
            Some(&json!({"uri": extra})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.json["web_client"]["redirect_uris"],
        json!([REDIRECT_URI, extra])
    );
    // The new URI is usable at once.
    let req = fx.authorize(&[("redirect_uri", Some(extra))]);
    let back = fx.browser().get(&req.url).await;
    assert_eq!(back.status, 303, "{back:?}");

    let del = |uri: &str, kind: &str| {
        let q: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("uri", uri)
            .finish();
        format!("{base}/{kind}?{q}")
    };
    let r = fx
        .admin(Method::DELETE, &del(REDIRECT_URI, "redirect-uris"), None)
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = fx
        .admin(Method::DELETE, &del(REDIRECT_URI, "redirect-uris"), None)
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    // A removed URI is refused at /oauth/authorize: an error page, no redirect.
    let gone = fx.browser().get(&fx.authorize(&[]).url).await;
    assert_eq!(gone.status, 400, "{gone:?}");
    assert!(gone.location.is_none(), "{gone:?}");

    let other = "https://app.example/bye";
    let path = format!("{base}/post-logout-redirect-uris");
    let r = fx
        .admin(Method::POST, &path, Some(&json!({"uri": other})))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.json["web_client"]["post_logout_redirect_uris"],
        json!([LOGOUT_URI, other])
    );
    let r = fx
        .admin(
            Method::DELETE,
            &del(LOGOUT_URI, "post-logout-redirect-uris"),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let mut url = url::Url::parse(&fx.url("/oauth/logout")).expect("url");
    url.query_pairs_mut()
        .append_pair("client_id", &fx.web_client_id)
        .append_pair("post_logout_redirect_uri", LOGOUT_URI);
    let out = fx.browser().get(url.as_str()).await;
    assert_eq!(out.status, 400, "removed post-logout URI: {out:?}");
    assert!(out.location.is_none());

    let got = fx.admin(Method::GET, &base, None).await;
    assert_eq!(got.json["web_client"]["redirect_uris"], json!([extra]));
    assert_eq!(
        got.json["web_client"]["post_logout_redirect_uris"],
        json!([other])
    );
    assert_eq!(events(&fx, "admin.redirect_uri.added").len(), 2);
    assert_eq!(events(&fx, "admin.redirect_uri.removed").len(), 2);
}

#[tokio::test]
async fn bad_product_requests_are_refused_and_change_nothing() {
    let fx = Fixture::new().await;
    let server_token = fx.server_token().await;
    let path = format!("/v1/products/{}", pid(&fx));
    let before = fx.admin(Method::GET, &path, None).await.json;
    let audit_before = fx.srv.audit_rows().len();
    let failures = run_table(&fx, &product_cases(&fx, &server_token)).await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // 422s name the field.
    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"scopes": ["a b"]}), "scopes"),
        (json!({"access_token_ttl": 59}), "access_token_ttl"),
        (json!({"refresh_token_ttl": 299}), "refresh_token_ttl"),
        (
            json!({"server_client_scopes": ["x:y"]}),
            "server_client_scopes",
        ),
        (json!({"audience": ""}), "audience"),
    ] {
        let r = fx.admin(Method::PATCH, &path, Some(&body)).await;
        assert_eq!(r.status, 422, "{body}: {}", r.text);
        assert_eq!(r.json["error"]["field"], field, "{body}: {}", r.text);
    }
    let r = fx
        .admin(
            Method::POST,
            &format!("{path}/redirect-uris"),
            Some(&json!({"uri": "ftp://a.example/"})),
        )
        .await;
    assert_eq!(r.json["error"]["field"], "uri", "{}", r.text);

    assert_eq!(
        fx.admin(Method::GET, &path, None).await.json,
        before,
        "a refused request changed the product"
    );
    let written: Vec<Value> = fx.srv.audit_rows().into_iter().skip(audit_before).collect();
    assert!(
        written
            .iter()
            .all(|e| !e["type"].as_str().unwrap_or("").starts_with("admin.")),
        "a refused request wrote an admin event: {written:?}"
    );
    let health = fx.http.get(fx.url("/health")).send().await.expect("health");
    assert_eq!(health.status(), 200);
}

fn cli(fx: &Fixture, args: &[&str]) -> std::process::Output {
    tessera_command_on(&fx.srv.data_dir)
        .args(args)
        .arg("--data-dir")
        .arg(&fx.srv.data_dir)
        .output()
        .expect("run tessera")
}

/// Polls `f` until it returns true or the deadline passes.
async fn eventually<F, Fut>(deadline: Duration, mut f: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let end = Instant::now() + deadline;
    loop {
        if f().await {
            return true;
        }
        if Instant::now() > end {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn cli_rotates_an_admin_client_secret() {
    let fx = Fixture::new().await;
    let out = cli(
        &fx,
        &["admin-client", "rotate-secret", "--client-id", &fx.admin_id],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["client_id"], fx.admin_id.as_str());
    let new_secret = s(&v, "client_secret").to_string();
    assert_ne!(new_secret, fx.admin_secret);

    // The server may hold the old row for its 2 s client cache; allow a generous deadline.
    let admin_cc = |secret: String| {
        let fx = &fx;
        async move {
            let form = [("grant_type", "client_credentials"), ("scope", "admin")];
            fx.token_basic(&fx.admin_id, &secret, &form).await.status
        }
    };
    let old_refused = eventually(Duration::from_secs(10), || {
        let f = admin_cc(fx.admin_secret.clone());
        async move { f.await == 401 }
    })
    .await;
    assert!(old_refused, "the old admin secret still works");
    assert_eq!(
        admin_cc(new_secret.clone()).await,
        200,
        "the new secret works"
    );

    let out = cli(&fx, &["admin-client", "list"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let v: Value = serde_json::from_str(&text).expect("JSON list");
    let list = v["admin_clients"].as_array().expect("admin_clients");
    assert_eq!(list.len(), 1, "{text}");
    assert_eq!(list[0]["client_id"], fx.admin_id.as_str());
    assert!(!list[0]["secret_rotated_at"].is_null(), "{text}");
    assert!(!text.contains(&new_secret), "list leaks the secret");

    // Only admin clients: a product's server client or an unknown id is refused.
    for id in [fx.server_client_id.as_str(), "adm_nope"] {
        let out = cli(&fx, &["admin-client", "rotate-secret", "--client-id", id]);
        assert!(!out.status.success(), "rotated {id}");
        assert!(out.stdout.is_empty());
    }
    assert_eq!(
        cc(&fx, &fx.server_client_id, &fx.server_secret)
            .await
            .status,
        200
    );
    let rows = fx.srv.sql(
        "SELECT count(*) AS n FROM audit_events WHERE type = 'admin.admin_client.secret_rotated'",
    );
    assert_eq!(rows[0]["n"], 1);
}

#[tokio::test]
async fn http_redirect_uris_need_a_loopback_address_not_a_name_that_looks_like_one() {
    let fx = Fixture::new().await;
    let path = format!("/v1/products/{}", pid(&fx));
    for bad in [
        "http://127.attacker.example/cb",
        "http://127.0.0.1.attacker.example/cb",
        "http://localhost.attacker.example/cb",
        "http://[::2]/cb",
    ] {
        let body = json!({"name": "Evil", "redirect_uris": [bad]});
        let r = fx.admin(Method::POST, "/v1/products", Some(&body)).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
        assert_eq!(
            r.json["error"]["field"], "redirect_uris",
            "{bad}: {}",
            r.text
        );
        let r = fx
            .admin(
                Method::POST,
                &format!("{path}/redirect-uris"),
                Some(&json!({"uri": bad})),
            )
            .await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
    }
    for good in [
        "http://127.0.0.2:8080/cb",
        "http://[::1]:9/cb",
        "http://localhost/cb",
    ] {
        let r = fx
            .admin(
                Method::POST,
                &format!("{path}/redirect-uris"),
                Some(&json!({"uri": good})),
            )
            .await;
        assert!(r.status.is_success(), "{good}: {}", r.text);
    }
}
