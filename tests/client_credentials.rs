//! client_credentials grant for server and admin clients; secret rotation.
mod common;
use common::*;
use reqwest::Method;

const CC: (&str, &str) = ("grant_type", "client_credentials");

#[tokio::test]
async fn basic_auth_issues_an_rfc9068_access_token() {
    let fx = Fixture::new().await;
    let r = fx
        .token_basic(&fx.server_client_id, &fx.server_secret, &[CC])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(r.json["token_type"], "Bearer");
    assert!(r.json["expires_in"].as_u64().is_some_and(|e| e > 0));
    assert!(r.json.get("refresh_token").is_none(), "{}", r.text);
    assert!(r.json.get("id_token").is_none(), "{}", r.text);
    let token = s(&r.json, "access_token");
    let (header, c) = decode_jwt(token);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "RS256");
    assert!(header["kid"].is_string());
    verify_rs256(token, &fx.jwks().await).expect("signature");
    assert_eq!(c["sub"], fx.server_client_id.as_str());
    assert_eq!(c["client_id"], fx.server_client_id.as_str());
    assert_eq!(c["iss"], fx.issuer());
    assert_eq!(scopes(&c["scope"]), [PRODUCT_SCOPE]);
    let expected_aud = fx.product["audience"]
        .as_str()
        .unwrap_or(&fx.server_client_id)
        .to_string();
    assert_eq!(audiences(&c), [expected_aud]);
    let (iat, exp) = (c["iat"].as_u64().unwrap(), c["exp"].as_u64().unwrap());
    assert!(exp > iat && exp - iat <= 3600, "iat {iat} exp {exp}");
    assert!(!s(&c, "jti").is_empty());
    let other = fx.server_token().await;
    assert_ne!(decode_jwt(&other).1["jti"], c["jti"], "jti must be unique");
}

#[tokio::test]
async fn client_secret_post_works_too() {
    let fx = Fixture::new().await;
    let form = [
        CC,
        ("client_id", fx.server_client_id.as_str()),
        ("client_secret", fx.server_secret.as_str()),
        ("scope", PRODUCT_SCOPE),
    ];
    let r = fx.post_form("/oauth/token", None, &form).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["scope"], PRODUCT_SCOPE);
}

#[tokio::test]
async fn wrong_secret_is_401_invalid_client() {
    let fx = Fixture::new().await;
    let r = fx
        .token_basic(&fx.server_client_id, "wrong-secret", &[CC])
        .await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.json["error"], "invalid_client");
    let www = r.header("www-authenticate").unwrap_or_default();
    assert!(www.starts_with("Basic"), "WWW-Authenticate: {www:?}");
    let form = [
        CC,
        ("client_id", fx.server_client_id.as_str()),
        ("client_secret", "wrong-secret"),
    ];
    let r = fx.post_form("/oauth/token", None, &form).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.json["error"], "invalid_client");
}

#[tokio::test]
async fn scope_outside_the_grant_is_invalid_scope() {
    let fx = Fixture::new().await;
    let other = fx.create_product("Other", &["billing:write"], true).await;
    assert!(other["server_client"]["client_secret"].is_string());
    for scope in [
        "billing:write",
        "admin",
        "orders:read orders:write",
        "openid",
    ] {
        let r = fx
            .token_basic(
                &fx.server_client_id,
                &fx.server_secret,
                &[CC, ("scope", scope)],
            )
            .await;
        assert_eq!(r.status, 400, "scope {scope}: {}", r.text);
        assert_eq!(r.json["error"], "invalid_scope", "scope {scope}");
    }
}

#[tokio::test]
async fn public_web_client_cannot_use_client_credentials() {
    let fx = Fixture::new().await;
    let r = fx.token_public(&[CC]).await;
    let e = r.json["error"].as_str().unwrap_or_default();
    let refused = (r.status == 400 && e == "unauthorized_client")
        || (r.status == 401 && e == "invalid_client");
    assert!(refused, "public client got: {} {}", r.status, r.text);
    let r = fx.token_basic(&fx.web_client_id, "anything", &[CC]).await;
    assert!(r.status == 400 || r.status == 401, "{}", r.text);
    let e = r.json["error"].as_str().unwrap_or_default();
    assert!(
        e == "invalid_client" || e == "unauthorized_client",
        "{}",
        r.text
    );
}

#[tokio::test]
async fn confidential_client_without_its_secret_is_invalid_client() {
    let fx = Fixture::new().await;
    let form = [CC, ("client_id", fx.server_client_id.as_str())];
    let r = fx.post_form("/oauth/token", None, &form).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.json["error"], "invalid_client");
    let r = fx.token_basic(&fx.server_client_id, "", &[CC]).await;
    assert_eq!(r.status, 401, "empty secret: {}", r.text);
    assert_eq!(r.json["error"], "invalid_client");
}

#[tokio::test]
async fn admin_client_token_targets_the_admin_api() {
    let fx = Fixture::new().await;
    let c = decode_jwt(&fx.admin_token).1;
    assert_eq!(c["sub"], fx.admin_id.as_str());
    assert_eq!(audiences(&c), [format!("{}/v1", fx.issuer())]);
    assert!(scopes(&c["scope"]).contains(&"admin".to_string()));
}

#[tokio::test]
async fn rotated_secret_replaces_the_old_one_at_once() {
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
    let new_secret = s(&r.json, "client_secret").to_string();
    assert_ne!(new_secret, fx.server_secret);
    assert!(new_secret.len() >= 43, "secret must carry >= 256 bits");

    let old = fx
        .token_basic(&fx.server_client_id, &fx.server_secret, &[CC])
        .await;
    assert_eq!(old.status, 401, "old secret still works: {}", old.text);
    assert_eq!(old.json["error"], "invalid_client");
    let new = fx
        .token_basic(&fx.server_client_id, &new_secret, &[CC])
        .await;
    assert_eq!(new.status, 200, "{}", new.text);
}
