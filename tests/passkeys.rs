//! Passkeys over HTTP: the sign-in page's passkey button and script, the WebAuthn
//! endpoints' binding (interaction cookie + CSRF token, the account page's token), the
//! options they hand out, and refused answers (audited, counted, one message whatever
//! failed). The WebAuthn ceremonies themselves run in Chromium with a virtual
//! authenticator: tests/e2e/passkeys.test.mjs.
mod common;
use common::account::*;
use common::*;
use serde_json::{json, Value};

/// A server whose issuer is `http://localhost:9`: WebAuthn needs a domain name as its
/// relying-party id. It still listens on 127.0.0.1 (the issuer's origin only matters to a
/// real authenticator's answer, which these tests never have).
async fn on_localhost() -> Fixture {
    Fixture::with_args(&["--issuer", "http://localhost:9"]).await
}

/// POSTs form fields and reads a JSON answer.
async fn post_json(browser: &Browser, path: &str, form: &[(String, String)]) -> (u16, Value) {
    let a = browser.post_form(path, form).await;
    let json = serde_json::from_str(&a.body).unwrap_or(Value::Null);
    (a.status.as_u16(), json)
}

fn bound(form: &LoginForm) -> Vec<(String, String)> {
    fields(&[
        ("interaction", &form.interaction),
        ("csrf_token", &form.csrf_token),
    ])
}

/// A well-formed WebAuthn assertion for a credential no one registered.
fn unknown_assertion() -> String {
    json!({
        "id": "AAAAAAAAAAAAAAAAAAAAAA",
        "rawId": "AAAAAAAAAAAAAAAAAAAAAA",
        "type": "public-key",
        "response": {
            "authenticatorData": "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAQ",
            "clientDataJSON": "e30",
            "signature": "MEUCIQ",
            "userHandle": "AAAAAAAAAAAAAAAAAAAAAA"
        },
        "extensions": {}
    })
    .to_string()
}

#[tokio::test]
async fn the_sign_in_page_offers_a_passkey_with_its_own_script() {
    let fx = Fixture::new().await;
    let browser = fx.browser();
    let form = browser.start_login(&fx.authorize(&[]).url).await;
    assert!(
        form.html.contains("Sign in with a passkey"),
        "{}",
        form.html
    );
    assert!(form.html.contains("data-passkey=\"get\""), "{}", form.html);
    assert!(
        form.html
            .contains("<script src=\"/assets/passkey.js\" defer>"),
        "{}",
        form.html
    );
    let page = fx
        .http
        .get(fx.url(&format!("/login?interaction={}", form.interaction)))
        .send()
        .await
        .expect("GET /login");
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(
        !csp.contains("unsafe-inline'; script") && !csp.contains("script-src 'unsafe"),
        "{csp}"
    );

    let script = fx
        .http
        .get(fx.url("/assets/passkey.js"))
        .send()
        .await
        .expect("GET");
    assert_eq!(script.status(), 200);
    assert!(script.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert_eq!(script.headers()["x-content-type-options"], "nosniff");
    assert!(script
        .text()
        .await
        .unwrap()
        .contains("navigator.credentials"));
}

#[tokio::test]
async fn passwordless_options_are_bound_to_the_interaction() {
    let fx = on_localhost().await;
    let browser = fx.browser();
    let form = browser.start_login(&fx.authorize(&[]).url).await;
    let forged = fields(&[("interaction", &form.interaction), ("csrf_token", "forged")]);
    let (status, body) = post_json(&browser, "/login/passkey/options", &forged).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("expired")),
        "{body}"
    );
    let other = fx.browser();
    let (status, _) = post_json(&other, "/login/passkey/options", &bound(&form)).await;
    assert_eq!(status, 400, "another browser has no interaction cookie");

    let (status, body) = post_json(&browser, "/login/passkey/options", &bound(&form)).await;
    assert_eq!(status, 200, "{body}");
    let pk = &body["publicKey"];
    assert!(
        body["ceremony"].as_str().is_some_and(|c| c.len() >= 20),
        "{body}"
    );
    assert!(
        pk["challenge"].as_str().is_some_and(|c| c.len() >= 40),
        "{body}"
    );
    assert_eq!(pk["userVerification"], "required", "{body}");
    assert_eq!(pk["rpId"], "localhost");
    assert!(
        pk["allowCredentials"]
            .as_array()
            .is_none_or(|a| a.is_empty()),
        "{body}"
    );
    let stored = fx
        .srv
        .sql("SELECT kind, user_id, expires_at FROM webauthn_ceremonies");
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0]["kind"], "passwordless");
    let ttl = stored[0]["expires_at"].as_i64().unwrap() - unix_now();
    assert!((290..=301).contains(&ttl), "5 minutes: {ttl}");
}

#[tokio::test]
async fn refused_assertions_are_audited_counted_and_say_nothing_about_the_credential() {
    let fx = on_localhost().await;
    let browser = fx.browser();
    let form = browser.start_login(&fx.authorize(&[]).url).await;
    let finish = |ceremony: &str, credential: &str| {
        let mut f = bound(&form);
        f.extend(fields(&[
            ("ceremony", ceremony),
            ("credential", credential),
        ]));
        f
    };
    let (_, options) = post_json(&browser, "/login/passkey/options", &bound(&form)).await;
    let ceremony = options["ceremony"].as_str().expect("ceremony").to_string();

    let (status, unknown) = post_json(
        &browser,
        "/login/passkey/finish",
        &finish(&ceremony, &unknown_assertion()),
    )
    .await;
    assert_eq!(status, 401, "{unknown}");
    assert_eq!(unknown["error"], "passkey_refused");
    // The ceremony was spent by that answer: single use.
    let (status, again) = post_json(
        &browser,
        "/login/passkey/finish",
        &finish(&ceremony, &unknown_assertion()),
    )
    .await;
    assert_eq!(
        (status, again["error"].as_str()),
        (400, Some("expired")),
        "{again}"
    );
    // Garbage gets the very same answer as an unknown credential.
    let (_, options) = post_json(&browser, "/login/passkey/options", &bound(&form)).await;
    let ceremony = options["ceremony"].as_str().expect("ceremony").to_string();
    let (status, garbage) = post_json(
        &browser,
        "/login/passkey/finish",
        &finish(&ceremony, "{not json"),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(garbage, unknown, "one message for every refusal");

    let failed = fx.audit_events("type=login.failed").await;
    let reasons: Vec<&str> = failed
        .iter()
        .filter_map(|e| e["detail"]["reason"].as_str())
        .collect();
    assert!(reasons.contains(&"passkey_unknown"), "{failed:?}");
    assert!(reasons.contains(&"passkey_ceremony"), "{failed:?}");
    assert!(reasons.contains(&"passkey_refused"), "{failed:?}");
    let ip = fx
        .srv
        .sql("SELECT failures FROM throttles WHERE scope = 'ip'");
    assert_eq!(
        ip[0]["failures"].as_i64(),
        Some(3),
        "counted by the IP throttle: {ip:?}"
    );
    assert!(fx.srv.sql("SELECT id FROM sso_sessions").is_empty());
}

#[tokio::test]
async fn repeated_refusals_are_throttled() {
    let fx = on_localhost().await;
    let browser = fx.browser();
    let form = browser.start_login(&fx.authorize(&[]).url).await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let (_, options) = post_json(&browser, "/login/passkey/options", &bound(&form)).await;
        let mut f = bound(&form);
        let ceremony = options["ceremony"].as_str().unwrap_or("").to_string();
        f.extend(fields(&[
            ("ceremony", &ceremony),
            ("credential", &unknown_assertion()),
        ]));
        let a = browser.post_form("/login/passkey/finish", &f).await;
        statuses.push(a.status.as_u16());
        if a.status == 429 {
            assert!(a.retry_after.is_some(), "{a:?}");
            break;
        }
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
}

#[tokio::test]
async fn the_second_factor_endpoints_wait_for_the_password_step() {
    let fx = Fixture::new().await;
    let browser = fx.browser();
    let form = browser.start_login(&fx.authorize(&[]).url).await;
    let (status, body) = post_json(&browser, "/login/mfa/passkey/options", &bound(&form)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("expired")),
        "{body}"
    );
    assert!(fx.srv.sql("SELECT id FROM webauthn_ceremonies").is_empty());
}

#[tokio::test]
async fn the_account_page_registers_passkeys_for_its_own_user_only() {
    let fx = on_localhost().await;
    let browser = fx.browser();
    let page = open_account(&fx, &browser, Some((EMAIL, PASSWORD))).await;
    assert!(page.body.contains("No passkeys yet."), "{}", page.body);
    let csrf = input(&page.body, "csrf_token");

    let (status, body) = post_json(
        &browser,
        "/account/passkeys/options",
        &fields(&[("csrf_token", "x")]),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("csrf")),
        "{body}"
    );
    let (status, body) = post_json(
        &fx.browser(),
        "/account/passkeys/options",
        &fields(&[("csrf_token", &csrf)]),
    )
    .await;
    assert_eq!(status, 401, "no account cookie: {body}");
    assert_eq!(body["reauth"], "/account/");

    let (status, body) = post_json(
        &browser,
        "/account/passkeys/options",
        &fields(&[("csrf_token", &csrf)]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let pk = &body["publicKey"];
    assert_eq!(pk["user"]["name"], EMAIL);
    assert_eq!(pk["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(pk["authenticatorSelection"]["userVerification"], "required");
    let stored = fx.srv.sql("SELECT kind, user_id FROM webauthn_ceremonies");
    assert_eq!(stored[0]["kind"], "register");
    assert_eq!(stored[0]["user_id"].as_str(), Some(fx.user_id.as_str()));

    // A registration answer that is not one is refused; the ceremony is spent.
    let mut f = fields(&[("csrf_token", &csrf), ("name", "Laptop")]);
    f.extend(fields(&[
        ("ceremony", body["ceremony"].as_str().unwrap()),
        ("credential", "{}"),
    ]));
    let (status, refused) = post_json(&browser, "/account/passkeys/finish", &f).await;
    assert_eq!(status, 400, "{refused}");
    assert!(fx.srv.sql("SELECT id FROM passkeys").is_empty());

    // Someone else's (or no) passkey cannot be renamed or removed.
    for path in ["/account/passkeys/rename", "/account/passkeys/remove"] {
        let f = fields(&[("csrf_token", &csrf), ("passkey_id", "nope"), ("name", "X")]);
        let a = browser.post_form(path, &f).await;
        assert_eq!(a.status, 404, "{path}: {a:?}");
    }
}

#[tokio::test]
async fn an_issuer_on_an_ip_address_has_no_passkeys() {
    let fx = Fixture::new().await;
    let browser = fx.browser();
    let form = browser.start_login(&fx.authorize(&[]).url).await;
    let (status, body) = post_json(&browser, "/login/passkey/options", &bound(&form)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (503, Some("unavailable")),
        "{body}"
    );
    let page = open_account(&fx, &browser, Some((EMAIL, PASSWORD))).await;
    assert!(
        page.body.contains("Passkeys need this server"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("data-passkey=\"create\""),
        "{}",
        page.body
    );
}
