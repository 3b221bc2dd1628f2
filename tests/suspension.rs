//! Suspending a user takes effect at once on every path.
mod common;
use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn suspended_user_loses_everything_at_once() {
    let fx = Fixture::new().await;
    let (browser, t) = fx.user_tokens("openid email").await;
    let at = s(&t, "access_token").to_string();
    let rt = s(&t, "refresh_token").to_string();
    let userinfo = |token: String| {
        let req = fx.http.get(fx.url("/oauth/userinfo")).bearer_auth(token);
        async move { Reply::read(req.send().await.expect("userinfo")).await }
    };
    assert_eq!(userinfo(at.clone()).await.status, 200, "before suspension");

    let r = fx
        .admin(
            Method::POST,
            &format!("/v1/users/{}/suspend", fx.user_id),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["status"], "suspended");
    assert_eq!(r.json["id"], fx.user_id.as_str());

    assert_eq!(fx.introspect(&at).await, json!({"active": false}));
    assert_eq!(fx.introspect(&rt).await, json!({"active": false}));

    let info = userinfo(at.clone()).await;
    assert_eq!(info.status, 401, "{}", info.text);
    assert_eq!(info.json["error"], "invalid_token");
    let www = info.header("www-authenticate").unwrap_or_default();
    assert!(www.contains("invalid_token"), "WWW-Authenticate: {www}");

    let refresh = fx.refresh(&rt).await;
    assert_eq!(refresh.status, 400, "{}", refresh.text);
    assert_eq!(refresh.json["error"], "invalid_grant");

    // A new login with the right password is refused with a page saying why.
    let fresh = fx.browser();
    let form = fresh.start_login(&fx.authorize(&[]).url).await;
    let login = fresh.submit_login(&form, EMAIL, PASSWORD).await;
    assert_eq!(login.status, 403, "{login:?}");
    assert!(login.location.is_none());
    assert!(
        login.body.to_lowercase().contains("suspended"),
        "{}",
        login.body
    );

    // The old SSO session must not mint a code either.
    let sso = browser
        .get(&fx.authorize(&[("prompt", Some("none"))]).url)
        .await;
    if let Some(loc) = &sso.location {
        assert!(
            param(loc, "code").is_none(),
            "SSO of a suspended user: {loc}"
        );
    }
}

#[tokio::test]
async fn suspending_unknown_user_is_404_and_others_are_untouched() {
    let fx = Fixture::new().await;
    let (_, t) = fx.user_tokens("openid").await;
    let r = fx
        .admin(
            Method::POST,
            "/v1/users/00000000-0000-0000-0000-000000000000/suspend",
            None,
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(r.json["error"]["code"], "not_found");
    let other = fx
        .create_user("bob@example.com", "another long password", "Bob")
        .await;
    let r = fx
        .admin(
            Method::POST,
            &format!("/v1/users/{}/suspend", s(&other, "id")),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Ann's tokens are unaffected by Bob's suspension.
    assert_eq!(fx.introspect(s(&t, "access_token")).await["active"], true);
    let refresh = fx.refresh(s(&t, "refresh_token")).await;
    assert_eq!(refresh.status, 200, "{}", refresh.text);
}
