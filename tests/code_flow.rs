//! Authorization code grant: single use, PKCE binding, redirect binding, SSO.
mod common;
use common::*;

#[tokio::test]
async fn code_exchange_returns_bearer_tokens() {
    let fx = Fixture::new().await;
    let browser = fx.browser();
    let (code, req) = fx.login_code(&browser, "openid profile email").await;
    let r = fx.exchange(&code, &req.verifier).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(r.json["token_type"], "Bearer");
    assert_eq!(r.json["expires_in"], 600);
    assert!(r.json["refresh_token"].is_string());
    let id = claims_of(&r.json, "id_token");
    assert_eq!(id["nonce"], req.nonce.as_str());
    assert_eq!(id["aud"], fx.web_client_id.as_str());
    assert_eq!(id["iss"], fx.issuer());
    let (header, at) = decode_jwt(s(&r.json, "access_token"));
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(at["sub"], fx.user_id.as_str());
    assert_eq!(at["client_id"], fx.web_client_id.as_str());
    assert!(scopes(&at["scope"]).contains(&"openid".to_string()));
}

#[tokio::test]
async fn replayed_code_is_refused_and_revokes_what_it_issued() {
    let fx = Fixture::new().await;
    let browser = fx.browser();
    let (code, req) = fx.login_code(&browser, "openid email").await;
    let first = fx.exchange(&code, &req.verifier).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let at = s(&first.json, "access_token");
    assert_eq!(
        fx.introspect(at).await["active"],
        true,
        "fresh token active"
    );

    let second = fx.exchange(&code, &req.verifier).await;
    assert_eq!(second.status, 400, "{}", second.text);
    assert_eq!(second.json["error"], "invalid_grant");
    assert!(second.json.get("access_token").is_none());

    assert_eq!(
        fx.introspect(at).await,
        serde_json::json!({"active": false}),
        "access token of a replayed code must be revoked"
    );
    let refresh = fx.refresh(s(&first.json, "refresh_token")).await;
    assert_eq!(refresh.status, 400, "{}", refresh.text);
    assert_eq!(refresh.json["error"], "invalid_grant");
}

#[tokio::test]
async fn wrong_code_verifier_is_invalid_grant() {
    let fx = Fixture::new().await;
    let browser = fx.browser();
    let (code, _req) = fx.login_code(&browser, "openid").await;
    let (other_verifier, _) = pkce();
    let r = fx.exchange(&code, &other_verifier).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["error"], "invalid_grant");
    assert!(r.json.get("access_token").is_none());
}

#[tokio::test]
async fn missing_code_verifier_is_refused() {
    let fx = Fixture::new().await;
    let browser = fx.browser();
    let (code, _req) = fx.login_code(&browser, "openid").await;
    let r = fx
        .token_public(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
        ])
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let e = r.json["error"].as_str().unwrap_or_default();
    assert!(e == "invalid_request" || e == "invalid_grant", "{}", r.text);
}

#[tokio::test]
async fn redirect_uri_mismatch_at_token_endpoint_is_invalid_grant() {
    let fx = Fixture::new().await;
    let browser = fx.browser();
    let (code, req) = fx.login_code(&browser, "openid").await;
    let r = fx
        .token_public(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://app.example/other"),
            ("code_verifier", &req.verifier),
        ])
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["error"], "invalid_grant");
}

#[tokio::test]
async fn code_issued_to_one_client_is_refused_for_another() {
    let fx = Fixture::new().await;
    let other = fx.create_product("Other", &["x:read"], false).await;
    let other_id = s(&other["web_client"], "client_id").to_string();
    let browser = fx.browser();
    let (code, req) = fx.login_code(&browser, "openid").await;
    let r = fx
        .post_form(
            "/oauth/token",
            None,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", &req.verifier),
                ("client_id", &other_id),
            ],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["error"], "invalid_grant");
}

#[tokio::test]
async fn sso_session_skips_the_login_page() {
    let fx = Fixture::new().await;
    let browser = fx.browser();
    fx.login_code(&browser, "openid").await;

    let req = fx.authorize(&[]);
    let again = browser.get(&req.url).await;
    assert_eq!(again.status, 303, "{again:?}");
    let back = again.location.expect("Location");
    assert!(back.as_str().starts_with(REDIRECT_URI), "went to {back}");
    assert_eq!(param(&back, "state").as_deref(), Some(req.state.as_str()));
    assert_eq!(param(&back, "iss").as_deref(), Some(fx.issuer()));
    let code = param(&back, "code").expect("code via SSO");
    let r = fx.exchange(&code, &req.verifier).await;
    assert_eq!(r.status, 200, "{}", r.text);

    // prompt=none with the session also works; prompt=login forces the form.
    let silent = browser
        .get(&fx.authorize(&[("prompt", Some("none"))]).url)
        .await;
    let loc = silent.location.expect("Location");
    assert!(
        param(&loc, "code").is_some(),
        "prompt=none with session: {loc}"
    );
    let forced = browser
        .get(&fx.authorize(&[("prompt", Some("login"))]).url)
        .await;
    assert_eq!(forced.status, 303);
    assert_eq!(forced.location.expect("Location").path(), "/login");

    // A browser without the cookie is sent to the login page.
    let fresh = fx.browser().get(&fx.authorize(&[]).url).await;
    assert_eq!(fresh.location.expect("Location").path(), "/login");
}

#[tokio::test]
async fn login_cookies_are_httponly_and_lax() {
    let fx = Fixture::new().await;
    let browser = fx.browser();
    let req = fx.authorize(&[]);
    let first = browser.get(&req.url).await;
    let interaction = first
        .set_cookies
        .iter()
        .find(|c| c.starts_with("tessera_interaction="))
        .unwrap_or_else(|| panic!("no interaction cookie: {:?}", first.set_cookies));
    let form = browser
        .login_form(first.location.as_ref().expect("Location"))
        .await;
    let done = browser.submit_login(&form, EMAIL, PASSWORD).await;
    assert_eq!(done.status, 303, "{done:?}");
    let session = done
        .set_cookies
        .iter()
        .find(|c| c.starts_with("tessera_session="))
        .unwrap_or_else(|| panic!("no session cookie: {:?}", done.set_cookies));
    for c in [interaction, session] {
        let l = c.to_ascii_lowercase();
        assert!(l.contains("httponly"), "{c}");
        assert!(l.contains("samesite=lax"), "{c}");
        assert!(l.contains("path=/"), "{c}");
    }
}

#[tokio::test]
async fn concurrent_exchanges_of_one_code_succeed_at_most_once() {
    let fx = Fixture::new().await;
    let browser = fx.browser();
    let (code, req) = fx.login_code(&browser, "openid").await;
    let attempts = (0..8).map(|_| fx.exchange(&code, &req.verifier));
    let replies = futures_join_all(attempts).await;
    let ok: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
    assert!(ok.len() <= 1, "{} concurrent exchanges succeeded", ok.len());
    for r in replies.iter().filter(|r| r.status != 200) {
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(r.json["error"], "invalid_grant");
    }
}
