//! /oauth/authorize refusals: which go back to the client and which must never redirect.
mod common;
use common::*;

/// GET the URL in a fresh browser and expect a 303 error redirect to the client.
async fn error_redirect(fx: &Fixture, req: &AuthRequest, expect_state: bool) -> String {
    let a = fx.browser().get(&req.url).await;
    assert_eq!(a.status, 303, "{a:?}");
    let loc = a.location.expect("error redirect has a Location");
    assert!(loc.as_str().starts_with(REDIRECT_URI), "went to {loc}");
    assert!(
        param(&loc, "code").is_none(),
        "error redirect carries a code: {loc}"
    );
    assert_eq!(param(&loc, "iss").as_deref(), Some(fx.issuer()), "{loc}");
    if expect_state {
        assert_eq!(param(&loc, "state").as_deref(), Some(req.state.as_str()));
    }
    param(&loc, "error").unwrap_or_else(|| panic!("no error in {loc}"))
}

/// GET the URL and expect a 400 page and no redirect at all.
async fn no_redirect(fx: &Fixture, url: &str) {
    let a = fx.browser().get(url).await;
    assert_eq!(a.status, 400, "{a:?}");
    assert!(a.location.is_none(), "must not redirect: {a:?}");
    assert!(!a.body.contains("code="), "page leaks a code");
}

#[tokio::test]
async fn missing_code_challenge_is_invalid_request() {
    let fx = Fixture::new().await;
    let req = fx.authorize(&[("code_challenge", None)]);
    assert_eq!(error_redirect(&fx, &req, true).await, "invalid_request");
}

#[tokio::test]
async fn plain_and_missing_challenge_method_are_invalid_request() {
    let fx = Fixture::new().await;
    let (verifier, _) = pkce();
    let plain = fx.authorize(&[
        ("code_challenge", Some(verifier.as_str())),
        ("code_challenge_method", Some("plain")),
    ]);
    assert_eq!(error_redirect(&fx, &plain, true).await, "invalid_request");
    let missing = fx.authorize(&[("code_challenge_method", None)]);
    assert_eq!(error_redirect(&fx, &missing, true).await, "invalid_request");
}

#[tokio::test]
async fn missing_state_is_invalid_request_without_code() {
    let fx = Fixture::new().await;
    let req = fx.authorize(&[("state", None)]);
    assert_eq!(error_redirect(&fx, &req, false).await, "invalid_request");
}

#[tokio::test]
async fn unsupported_response_type_is_reported_to_the_client() {
    let fx = Fixture::new().await;
    let req = fx.authorize(&[("response_type", Some("token"))]);
    assert_eq!(
        error_redirect(&fx, &req, true).await,
        "unsupported_response_type"
    );
}

#[tokio::test]
async fn unregistered_redirect_uri_gets_400_and_no_redirect() {
    let fx = Fixture::new().await;
    for bad in [
        "https://evil.example/cb",
        "https://app.example/cb/extra",
        "https://app.example/cb?x=1",
        "https://APP.example/cb",
        "http://app.example/cb",
    ] {
        no_redirect(&fx, &fx.authorize(&[("redirect_uri", Some(bad))]).url).await;
    }
    no_redirect(&fx, &fx.authorize(&[("redirect_uri", None)]).url).await;
}

#[tokio::test]
async fn unknown_client_id_gets_400_and_no_redirect() {
    let fx = Fixture::new().await;
    no_redirect(
        &fx,
        &fx.authorize(&[("client_id", Some("no-such-client"))]).url,
    )
    .await;
    no_redirect(&fx, &fx.authorize(&[("client_id", None)]).url).await;
    // The server client of the same product is not a browser client either.
    let server = fx.server_client_id.clone();
    let r = fx
        .browser()
        .get(&fx.authorize(&[("client_id", Some(&server))]).url)
        .await;
    assert_ne!(r.status, 200);
    if let Some(loc) = r.location {
        assert!(
            param(&loc, "code").is_none() && loc.path() != "/login",
            "{loc}"
        );
    }
}

#[tokio::test]
async fn scope_not_registered_is_invalid_scope() {
    let fx = Fixture::new().await;
    let req = fx.authorize(&[("scope", Some("openid orders:write"))]);
    assert_eq!(error_redirect(&fx, &req, true).await, "invalid_scope");
    let admin = fx.authorize(&[("scope", Some("openid admin"))]);
    assert_eq!(error_redirect(&fx, &admin, true).await, "invalid_scope");
}

#[tokio::test]
async fn prompt_none_without_session_is_login_required() {
    let fx = Fixture::new().await;
    let req = fx.authorize(&[("prompt", Some("none"))]);
    assert_eq!(error_redirect(&fx, &req, true).await, "login_required");
}

#[tokio::test]
async fn wrong_password_shows_the_form_again() {
    let fx = Fixture::new().await;
    let browser = fx.browser();
    for (email, password) in [(EMAIL, "wrong password!"), ("nobody@example.com", PASSWORD)] {
        let form = browser.start_login(&fx.authorize(&[]).url).await;
        let r = browser.submit_login(&form, email, password).await;
        assert_eq!(r.status, 401, "{r:?}");
        assert!(r.location.is_none());
        assert!(r.body.contains("Wrong email or password"), "{}", r.body);
        let inputs = html_inputs(&r.body);
        assert!(
            inputs.iter().any(|(k, _)| k == "password"),
            "form shown again"
        );
        assert!(!r.body.contains(password), "page echoes the password");
    }
}

#[tokio::test]
async fn login_post_without_valid_csrf_is_refused() {
    let fx = Fixture::new().await;
    let browser = fx.browser();
    let mut form = browser.start_login(&fx.authorize(&[]).url).await;
    form.csrf_token = "forged".into();
    let r = browser.submit_login(&form, EMAIL, PASSWORD).await;
    assert_eq!(r.status, 400, "{r:?}");
    assert!(r.location.is_none());

    // Same form, submitted from a browser without the interaction cookie.
    let good = browser.start_login(&fx.authorize(&[]).url).await;
    let r = fx.browser().submit_login(&good, EMAIL, PASSWORD).await;
    assert_eq!(r.status, 400, "{r:?}");
    assert!(r.location.is_none());
}
