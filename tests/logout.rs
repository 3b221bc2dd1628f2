//! RP-initiated logout: ends the SSO session, redirects only to registered URIs.
mod common;
use common::*;

fn logout_url(fx: &Fixture, params: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&fx.url("/oauth/logout")).expect("url");
    url.query_pairs_mut().extend_pairs(params);
    url.into()
}

#[tokio::test]
async fn logout_redirects_with_state_and_ends_the_session() {
    let fx = Fixture::new().await;
    let (browser, t) = fx.user_tokens("openid").await;
    let silent = browser
        .get(&fx.authorize(&[("prompt", Some("none"))]).url)
        .await;
    let loc = silent.location.expect("Location");
    assert!(
        param(&loc, "code").is_some(),
        "session works before logout: {loc}"
    );

    let url = logout_url(
        &fx,
        &[
            ("id_token_hint", s(&t, "id_token")),
            ("post_logout_redirect_uri", LOGOUT_URI),
            ("state", "bye-123"),
        ],
    );
    let out = browser.get(&url).await;
    assert_eq!(out.status, 303, "{out:?}");
    let loc = out.location.expect("Location");
    assert!(loc.as_str().starts_with(LOGOUT_URI), "went to {loc}");
    assert_eq!(param(&loc, "state").as_deref(), Some("bye-123"));
    assert!(
        out.set_cookies
            .iter()
            .any(|c| c.starts_with("tessera_session=")),
        "logout must clear the session cookie: {:?}",
        out.set_cookies
    );

    let req = fx.authorize(&[("prompt", Some("none"))]);
    let after = browser.get(&req.url).await;
    assert_eq!(after.status, 303, "{after:?}");
    let loc = after.location.expect("Location");
    assert!(loc.as_str().starts_with(REDIRECT_URI), "{loc}");
    assert_eq!(
        param(&loc, "error").as_deref(),
        Some("login_required"),
        "{loc}"
    );
    assert!(param(&loc, "code").is_none());
}

#[tokio::test]
async fn logout_session_is_dead_even_with_a_replayed_cookie() {
    let fx = Fixture::new().await;
    let browser = fx.browser();
    let req = fx.authorize(&[]);
    let form = browser.start_login(&req.url).await;
    let done = browser.submit_login(&form, EMAIL, PASSWORD).await;
    let cookie = done
        .set_cookies
        .iter()
        .find(|c| c.starts_with("tessera_session="))
        .expect("session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let out = browser.sign_out().await;
    assert_eq!(out.status, 200, "{out:?}");
    // Replaying the old cookie value in a new client must not revive the session.
    let r = fx
        .http
        .get(fx.authorize(&[("prompt", Some("none"))]).url)
        .header("cookie", cookie)
        .send()
        .await
        .expect("authorize");
    let loc = r.headers().get("location").expect("Location");
    let loc = url::Url::parse(loc.to_str().unwrap()).expect("absolute redirect");
    assert_eq!(
        param(&loc, "error").as_deref(),
        Some("login_required"),
        "{loc}"
    );
}

#[tokio::test]
async fn unregistered_post_logout_uri_is_400_without_redirect() {
    let fx = Fixture::new().await;
    let (browser, t) = fx.user_tokens("openid").await;
    for uri in ["https://evil.example/bye", REDIRECT_URI, "not a uri"] {
        let url = logout_url(
            &fx,
            &[
                ("id_token_hint", s(&t, "id_token")),
                ("post_logout_redirect_uri", uri),
                ("state", "s"),
            ],
        );
        let out = browser.get(&url).await;
        assert_eq!(out.status, 400, "{uri}: {out:?}");
        assert!(out.location.is_none(), "{uri}: redirected");
    }
}

#[tokio::test]
async fn logout_without_hint_asks_then_signs_out() {
    let fx = Fixture::new().await;
    let (browser, _) = fx.user_tokens("openid").await;
    let out = browser.sign_out().await;
    assert_eq!(out.status, 200, "{out:?}");
    assert!(
        out.body.to_lowercase().contains("signed out"),
        "{}",
        out.body
    );
    let after = browser
        .get(&fx.authorize(&[("prompt", Some("none"))]).url)
        .await;
    let loc = after.location.expect("Location");
    assert_eq!(param(&loc, "error").as_deref(), Some("login_required"));
}

#[tokio::test]
async fn logout_with_a_forged_id_token_hint_is_refused() {
    let fx = Fixture::new().await;
    let (browser, t) = fx.user_tokens("openid").await;
    let (_, other) = fx.user_tokens("openid").await;
    // Header and claims of one ID token with the signature of another.
    let id = s(&t, "id_token");
    let other_sig = s(&other, "id_token").rsplit('.').next().expect("sig");
    let forged = format!("{}.{other_sig}", id.rsplit_once('.').expect("jws").0);
    let url = logout_url(
        &fx,
        &[
            ("id_token_hint", forged.as_str()),
            ("post_logout_redirect_uri", LOGOUT_URI),
        ],
    );
    let out = browser.get(&url).await;
    assert_eq!(out.status, 400, "{out:?}");
    assert!(out.location.is_none());
    let still = browser
        .get(&fx.authorize(&[("prompt", Some("none"))]).url)
        .await;
    let loc = still.location.expect("Location");
    assert!(
        param(&loc, "code").is_some(),
        "forged hint ended the session: {loc}"
    );
}

#[tokio::test]
async fn logout_get_without_hint_does_not_end_the_session_by_itself() {
    // OIDC RP-Initiated Logout 1.0 §2: without id_token_hint the OP asks the user, so a
    // cross-site GET cannot sign people out. Only applies if the server shows a confirmation.
    let fx = Fixture::new().await;
    let (browser, _) = fx.user_tokens("openid").await;
    let page = browser.get(&fx.url("/oauth/logout")).await;
    assert_eq!(page.status, 200, "{page:?}");
    if page.body.contains("<form") {
        let silent = browser
            .get(&fx.authorize(&[("prompt", Some("none"))]).url)
            .await;
        let loc = silent.location.expect("Location");
        assert!(
            param(&loc, "code").is_some(),
            "confirm page ended the session"
        );
    }
}
