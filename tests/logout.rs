//! RP-initiated logout: ends the SSO session, redirects only to registered URIs.
mod common;
use common::*;
use serde_json::Value;

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

/// A live session still answers `prompt=none` with a code.
async fn still_signed_in(fx: &Fixture, browser: &Browser) -> bool {
    let a = browser
        .get(&fx.authorize(&[("prompt", Some("none"))]).url)
        .await;
    let loc = a.location.expect("Location");
    param(&loc, "code").is_some()
}

#[tokio::test]
async fn logout_revokes_the_refresh_families_started_in_the_session() {
    let fx = Fixture::new().await;
    let (browser, t) = fx.user_tokens("openid").await;
    // A second sign-in of the same session (silent SSO) starts a second family.
    let (code, req) = fx.login_code_silent(&browser).await;
    let t2 = fx.exchange(&code, &req.verifier).await.json;
    // Another browser's session is not touched.
    let (other_browser, other) = fx.user_tokens("openid").await;
    assert_eq!(
        claims_of(&t, "id_token")["sid"],
        claims_of(&t2, "id_token")["sid"]
    );

    let url = logout_url(
        &fx,
        &[
            ("id_token_hint", s(&t, "id_token")),
            ("post_logout_redirect_uri", LOGOUT_URI),
        ],
    );
    let out = browser.get(&url).await;
    assert_eq!(out.status, 303, "{out:?}");

    for tokens in [&t, &t2] {
        let r = fx.refresh(s(tokens, "refresh_token")).await;
        assert_eq!(r.json["error"], "invalid_grant", "{}", r.text);
        let at = fx.introspect(s(tokens, "access_token")).await;
        assert_eq!(at["active"], false, "{at}");
    }
    let r = fx.refresh(s(&other, "refresh_token")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(still_signed_in(&fx, &other_browser).await);

    // Revoked in the transaction that ended the session, and recorded with it.
    let sid = claims_of(&t, "id_token")["sid"]
        .as_str()
        .unwrap()
        .to_string();
    let rows = fx.srv.sql(&format!(
        "SELECT s.ended_at AS ended, f.revoked_at AS revoked, f.revoked_reason AS reason
         FROM refresh_families f JOIN sso_sessions s ON s.id = f.session_id WHERE s.id = '{sid}'"
    ));
    assert_eq!(rows.len(), 2, "{rows:?}");
    for row in &rows {
        assert_eq!(row["ended"], row["revoked"], "{rows:?}");
        assert_eq!(row["reason"], "logout", "{rows:?}");
    }
    let logouts: Vec<Value> = fx
        .srv
        .audit_rows()
        .into_iter()
        .filter(|e| e["type"] == "logout")
        .collect();
    assert_eq!(logouts.len(), 1, "{logouts:?}");
    let detail: Value = serde_json::from_str(logouts[0]["detail"].as_str().unwrap()).unwrap();
    assert_eq!(detail["families_revoked"], 2, "{detail}");
    assert_eq!(detail["session_id"], sid.as_str());
}

#[tokio::test]
async fn a_get_logout_with_someone_elses_id_token_hint_asks_first() {
    let fx = Fixture::new().await;
    let (browser, mine) = fx.user_tokens("openid").await;
    // Another session (here the same user in another browser; its sid differs).
    let (_, theirs) = fx.user_tokens("openid").await;
    assert_ne!(
        claims_of(&mine, "id_token")["sid"],
        claims_of(&theirs, "id_token")["sid"]
    );

    let url = logout_url(
        &fx,
        &[
            ("id_token_hint", s(&theirs, "id_token")),
            ("post_logout_redirect_uri", LOGOUT_URI),
            ("state", "st"),
        ],
    );
    let page = browser.get(&url).await;
    assert_eq!(page.status, 200, "{page:?}");
    assert!(page.location.is_none());
    assert!(
        page.body.contains("<form") && page.body.contains("/oauth/logout"),
        "{}",
        page.body
    );
    assert!(still_signed_in(&fx, &browser).await, "the GET signed out");
    let r = fx.refresh(s(&mine, "refresh_token")).await;
    assert_eq!(r.status, 200, "{}", r.text);

    // Confirming (the form carries the client and where to go) signs out.
    let done = browser
        .post_form("/oauth/logout", &html_inputs(&page.body))
        .await;
    assert_eq!(done.status, 303, "{done:?}");
    let loc = done.location.expect("Location");
    assert!(loc.as_str().starts_with(LOGOUT_URI), "{loc}");
    assert_eq!(param(&loc, "state").as_deref(), Some("st"));
    assert!(!still_signed_in(&fx, &browser).await);
}

#[tokio::test]
async fn a_new_sign_in_ends_the_browsers_previous_session() {
    let fx = Fixture::new().await;
    fx.create_user("bob@example.com", "bob's long password", "Bob")
        .await;
    let (browser, first) = fx.user_tokens("openid").await;
    let first_sid = claims_of(&first, "id_token")["sid"]
        .as_str()
        .unwrap()
        .to_string();

    // The same browser signs in again (as someone else) with prompt=login.
    let req = fx.authorize(&[("prompt", Some("login")), ("scope", Some("openid"))]);
    let back = browser
        .login(&req.url, "bob@example.com", "bob's long password")
        .await;
    let code = param(&back, "code").unwrap_or_else(|| panic!("no code in {back}"));
    let second = fx.exchange(&code, &req.verifier).await;
    assert_eq!(second.status, 200, "{}", second.text);
    assert_ne!(
        claims_of(&second.json, "id_token")["sid"],
        first_sid.as_str()
    );

    let dead = fx.refresh(s(&first, "refresh_token")).await;
    assert_eq!(dead.json["error"], "invalid_grant", "{}", dead.text);
    let at = fx.introspect(s(&first, "access_token")).await;
    assert_eq!(at["active"], false, "{at}");
    let ended = fx.srv.sql(&format!(
        "SELECT CASE WHEN ended_at IS NULL THEN 0 ELSE 1 END AS ended FROM sso_sessions WHERE id = '{first_sid}'"
    ));
    assert_eq!(ended[0]["ended"], 1);
    let live = fx.refresh(s(&second.json, "refresh_token")).await;
    assert_eq!(live.status, 200, "{}", live.text);
    let replaced = fx
        .srv
        .audit_rows()
        .into_iter()
        .filter(|e| e["type"] == "logout")
        .filter(|e| {
            e["detail"]
                .as_str()
                .unwrap_or("")
                .contains("\"new_sign_in\"")
        })
        .count();
    assert_eq!(replaced, 1);

    // A failed sign-in ends nothing.
    let req = fx.authorize(&[("prompt", Some("login"))]);
    let form = browser.start_login(&req.url).await;
    let wrong = browser.submit_login(&form, EMAIL, "wrong password").await;
    assert_eq!(wrong.status, 401, "{wrong:?}");
    let live = fx.refresh(s(&live.json, "refresh_token")).await;
    assert_eq!(live.status, 200, "{}", live.text);
}
