//! RFC 7662 introspection and RFC 7009 revocation.
mod common;
use common::*;
use serde_json::json;

#[tokio::test]
async fn introspection_describes_an_active_user_token() {
    let fx = Fixture::new().await;
    let (_, t) = fx.user_tokens("openid email").await;
    let at = s(&t, "access_token");
    let i = fx.introspect(at).await;
    assert_eq!(i["active"], true, "{i}");
    assert_eq!(i["sub"], fx.user_id.as_str());
    assert_eq!(i["client_id"], fx.web_client_id.as_str());
    assert_eq!(i["iss"], fx.issuer());
    assert_eq!(i["token_type"], "Bearer");
    assert_eq!(scopes(&i["scope"]), ["email", "openid"]);
    let claims = decode_jwt(at).1;
    assert_eq!(i["jti"], claims["jti"]);
    assert_eq!(i["exp"], claims["exp"]);
    let rt = fx.introspect(s(&t, "refresh_token")).await;
    assert_eq!(rt["active"], true, "{rt}");
    assert_eq!(rt["token_type"], "refresh_token");
}

#[tokio::test]
async fn server_client_may_introspect_its_own_products_tokens() {
    let fx = Fixture::new().await;
    let own = fx.server_token().await;
    let auth = basic(&fx.server_client_id, &fx.server_secret);
    let r = fx
        .post_form("/oauth/introspect", Some(&auth), &[("token", &own)])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["active"], true);
}

#[tokio::test]
async fn garbage_tokens_introspect_inactive() {
    let fx = Fixture::new().await;
    let token = fx.server_token().await;
    let mut forged: Vec<String> = token.split('.').map(str::to_string).collect();
    forged[2] = forged[2].chars().rev().collect();
    for t in ["garbage", "a.b.c", &forged.join("."), ""] {
        let auth = basic(&fx.admin_id, &fx.admin_secret);
        let r = fx
            .post_form("/oauth/introspect", Some(&auth), &[("token", t)])
            .await;
        if t.is_empty() && r.status == 400 {
            assert_eq!(r.json["error"], "invalid_request");
            continue;
        }
        assert_eq!(r.status, 200, "{t}: {}", r.text);
        assert_eq!(r.json, json!({"active": false}), "{t}");
    }
}

#[tokio::test]
async fn introspection_requires_confidential_client_auth() {
    let fx = Fixture::new().await;
    let token = fx.server_token().await;
    let r = fx
        .post_form("/oauth/introspect", None, &[("token", &token)])
        .await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.json["error"], "invalid_client");
    assert!(r.json.get("active").is_none());
    let form = [("token", token.as_str()), ("client_id", &fx.web_client_id)];
    let r = fx.post_form("/oauth/introspect", None, &form).await;
    assert_eq!(r.status, 401, "public client: {}", r.text);
    let bad = basic(&fx.server_client_id, "wrong");
    let r = fx
        .post_form("/oauth/introspect", Some(&bad), &[("token", &token)])
        .await;
    assert_eq!(r.status, 401, "wrong secret: {}", r.text);
}

#[tokio::test]
async fn revoking_a_refresh_token_kills_its_family() {
    let fx = Fixture::new().await;
    let (_, t) = fx.user_tokens("openid").await;
    let rt = s(&t, "refresh_token");
    let at = s(&t, "access_token");
    let r = fx.revoke_public(rt).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(fx.introspect(rt).await, json!({"active": false}));
    assert_eq!(fx.introspect(at).await, json!({"active": false}));
    let refresh = fx.refresh(rt).await;
    assert_eq!(refresh.status, 400, "{}", refresh.text);
    assert_eq!(refresh.json["error"], "invalid_grant");
}

#[tokio::test]
async fn revoking_an_access_token_deactivates_it() {
    let fx = Fixture::new().await;
    let (_, t) = fx.user_tokens("openid").await;
    let at = s(&t, "access_token");
    let form = [
        ("token", at),
        ("token_type_hint", "access_token"),
        ("client_id", fx.web_client_id.as_str()),
    ];
    let r = fx.post_form("/oauth/revoke", None, &form).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(fx.introspect(at).await, json!({"active": false}));
    let info = fx
        .http
        .get(fx.url("/oauth/userinfo"))
        .bearer_auth(at)
        .send()
        .await
        .expect("userinfo");
    assert_eq!(info.status(), 401, "revoked token accepted by userinfo");

    // The server client revokes its own token with Basic auth.
    let own = fx.server_token().await;
    let auth = basic(&fx.server_client_id, &fx.server_secret);
    let r = fx
        .post_form("/oauth/revoke", Some(&auth), &[("token", &own)])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(fx.introspect(&own).await, json!({"active": false}));
}

#[tokio::test]
async fn revoking_an_unknown_token_is_200() {
    let fx = Fixture::new().await;
    let r = fx.revoke_public("no-such-token").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.is_empty(), "body: {}", r.text);
}

#[tokio::test]
async fn another_client_cannot_revoke_my_refresh_token() {
    let fx = Fixture::new().await;
    let other = fx.create_product("Other", &["x:read"], false).await;
    let other_id = s(&other["web_client"], "client_id").to_string();
    let (_, t) = fx.user_tokens("openid").await;
    let rt = s(&t, "refresh_token");
    let r = fx
        .post_form(
            "/oauth/revoke",
            None,
            &[("token", rt), ("client_id", &other_id)],
        )
        .await;
    assert!(r.status == 200 || r.status == 400, "{}", r.text);
    assert_eq!(
        fx.introspect(rt).await["active"],
        true,
        "revoked by a stranger"
    );
}
