//! The console client under attack from the super-admin's own machine: its redirect URI is
//! the issuer's `/console/callback` only (no other loopback port), and a live SSO session
//! never hands it a code without the super-admin confirming on the hosted page, or typing
//! the password again once the session is older than 10 minutes.
mod common;
use common::console::*;
use common::db::sql_write;
use common::*;
use serde_json::Value;

async fn with_superadmin() -> (Fixture, String) {
    let fx = Fixture::new().await;
    let id = fx.srv.superadmin_create(SUPER_EMAIL, SUPER_PASSWORD);
    (fx, id)
}

/// A browser with the super-admin signed in to the console (password) and its tokens.
async fn signed_in(fx: &Fixture) -> (Browser, Value) {
    let browser = fx.browser();
    let redirect = issuer_callback(fx);
    let req = fx.console_authorize(&redirect, &[]);
    let back = browser.login(&req.url, SUPER_EMAIL, SUPER_PASSWORD).await;
    assert!(back.as_str().starts_with(&redirect), "went to {back}");
    let code = param(&back, "code").unwrap_or_else(|| panic!("no code in {back}"));
    let r = fx.console_exchange(&code, &req.verifier, &redirect).await;
    assert_eq!(r.status, 200, "{}", r.text);
    (browser, r.json)
}

fn console_codes(fx: &Fixture) -> Value {
    fx.srv
        .sql("SELECT COUNT(*) AS n FROM authorization_codes WHERE client_id = 'tessera-console'")[0]
        ["n"]
        .clone()
}

#[tokio::test]
async fn other_loopback_ports_are_refused_like_any_unregistered_uri() {
    let (fx, _) = with_superadmin().await;
    let port = url::Url::parse(fx.issuer()).unwrap().port().unwrap();
    let other = if port == 65_535 { port - 1 } else { port + 1 };
    for uri in [
        loopback_callback(other),
        loopback_callback(54_321),
        format!("http://localhost:{port}/console/callback"),
        format!("http://localhost:{other}/console/callback"),
        format!("http://[::1]:{other}/console/callback"),
        "http://localhost/console/callback".to_string(),
    ] {
        let req = fx.console_authorize(&uri, &[]);
        let a = fx.browser().get(&req.url).await;
        assert_eq!(a.status, 400, "{uri}: {a:?}");
        assert!(a.location.is_none(), "{uri} was redirected");
        assert!(a.body.contains("redirect_uri"), "{uri}: {}", a.body);
    }
    // The issuer's own callback is the console's (tessera serve has no other).
    let req = fx.console_authorize(&issuer_callback(&fx), &[]);
    let a = fx.browser().get(&req.url).await;
    assert_eq!(a.status, 303, "{a:?}");
    assert_eq!(a.location.expect("Location").path(), "/login");

    // Signing out is no detour to another port either.
    let mut out = url::Url::parse(&fx.url("/oauth/logout")).unwrap();
    out.query_pairs_mut()
        .append_pair("client_id", CONSOLE_ID)
        .append_pair(
            "post_logout_redirect_uri",
            &format!("http://127.0.0.1:{other}/console/"),
        );
    let a = fx.browser().get(out.as_str()).await;
    assert_eq!(a.status, 400, "{a:?}");
    assert!(a.location.is_none());
}

#[tokio::test]
async fn an_sso_session_gets_the_confirmation_page_and_no_code_until_continue() {
    let (fx, root_id) = with_superadmin().await;
    let (browser, _) = signed_in(&fx).await;
    let redirect = issuer_callback(&fx);
    let codes = console_codes(&fx);

    // prompt=none never yields a console code.
    let req = fx.console_authorize(&redirect, &[("prompt", Some("none"))]);
    let a = browser.get(&req.url).await;
    let back = a.location.expect("Location");
    assert!(back.as_str().starts_with(&redirect), "{back}");
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("interaction_required"),
        "{back}"
    );
    assert_eq!(param(&back, "code"), None);

    // Without it the browser lands on the confirmation page; nothing is issued yet.
    let req = fx.console_authorize(&redirect, &[]);
    let (page, inputs) = browser.console_confirmation(&req.url).await;
    assert!(
        page.body.contains(&format!(
            "Continue to the Tessera console as <strong>{SUPER_EMAIL}</strong>?"
        )),
        "{}",
        page.body
    );
    assert!(page.body.contains(">Cancel<"), "{}", page.body);
    assert_eq!(
        console_codes(&fx),
        codes,
        "a code was issued before Continue"
    );

    // The form is bound to this browser and to its CSRF token.
    let stranger = fx.browser();
    let forged = stranger.confirm_console(&inputs, "continue").await;
    assert_eq!(forged.status, 400, "{forged:?}");
    assert!(forged.location.is_none());
    let mut wrong_csrf = inputs.clone();
    for (k, v) in wrong_csrf.iter_mut() {
        if k == "csrf_token" {
            *v = "x".repeat(32);
        }
    }
    let forged = browser.confirm_console(&wrong_csrf, "continue").await;
    assert_eq!(forged.status, 400, "{forged:?}");
    assert_eq!(console_codes(&fx), codes);

    // Continue: back to the console with a code that opens the admin API.
    let done = browser.confirm_console(&inputs, "continue").await;
    assert_eq!(done.status, 303, "{done:?}");
    let back = done.location.expect("Location");
    assert!(back.as_str().starts_with(&redirect), "{back}");
    assert_eq!(param(&back, "state").as_deref(), Some(req.state.as_str()));
    let code = param(&back, "code").unwrap_or_else(|| panic!("no code in {back}"));
    let r = fx.console_exchange(&code, &req.verifier, &redirect).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(scopes(&r.json["scope"]).contains(&"admin".to_string()));
    let audit = fx.srv.audit_rows();
    let confirmed = audit
        .iter()
        .filter(|e| e["type"] == "login.succeeded" && e["subject"] == root_id.as_str())
        .filter(|e| {
            e["detail"]
                .as_str()
                .unwrap_or("")
                .contains("\"sso_confirm\"")
        })
        .count();
    assert_eq!(confirmed, 1, "{audit:?}");

    // The page is spent.
    let again = browser.confirm_console(&inputs, "continue").await;
    assert_eq!(again.status, 400, "{again:?}");

    // Cancel: access_denied back to the console, no code.
    let req = fx.console_authorize(&redirect, &[]);
    let (_, inputs) = browser.console_confirmation(&req.url).await;
    let before = console_codes(&fx);
    let cancelled = browser.confirm_console(&inputs, "cancel").await;
    assert_eq!(cancelled.status, 303, "{cancelled:?}");
    let back = cancelled.location.expect("Location");
    assert!(back.as_str().starts_with(&redirect), "{back}");
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&back, "state").as_deref(), Some(req.state.as_str()));
    assert_eq!(param(&back, "code"), None);
    assert_eq!(console_codes(&fx), before);

    // A product's client keeps its silent single sign-on.
    let req = fx.authorize(&[("prompt", Some("none")), ("scope", Some("openid"))]);
    let a = browser.get(&req.url).await;
    let back = a.location.expect("Location");
    assert!(back.as_str().starts_with(REDIRECT_URI), "{back}");
    assert!(param(&back, "code").is_some(), "{back}");
}

#[tokio::test]
async fn a_session_older_than_ten_minutes_must_type_the_password_again() {
    let (fx, root_id) = with_superadmin().await;
    let (browser, old_tokens) = signed_in(&fx).await;
    let redirect = issuer_callback(&fx);
    // The password was typed 11 minutes ago (the server reads sessions from the database).
    sql_write(
        &fx.srv,
        &format!("UPDATE sso_sessions SET auth_time = auth_time - 660 WHERE user_id = '{root_id}'"),
    );
    let codes = console_codes(&fx);

    let req = fx.console_authorize(&redirect, &[("prompt", Some("none"))]);
    let back = browser.get(&req.url).await.location.expect("Location");
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("login_required"),
        "{back}"
    );

    let req = fx.console_authorize(&redirect, &[]);
    let form = browser.start_login(&req.url).await;
    assert!(
        form.html.contains("Enter your password again"),
        "{}",
        form.html
    );
    let email = html_inputs(&form.html)
        .into_iter()
        .find(|(k, _)| k == "email")
        .map(|(_, v)| v);
    assert_eq!(email.as_deref(), Some(SUPER_EMAIL));
    assert!(form.html.contains("readonly"), "{}", form.html);
    assert_eq!(console_codes(&fx), codes);

    // A wrong password gets nothing; the right one a code and a fresh session.
    let wrong = browser.submit_login(&form, SUPER_EMAIL, "not it").await;
    assert_eq!(wrong.status, 401, "{wrong:?}");
    assert_eq!(console_codes(&fx), codes);
    let done = browser
        .submit_login(&form, SUPER_EMAIL, SUPER_PASSWORD)
        .await;
    assert_eq!(done.status, 303, "{done:?}");
    let back = done.location.expect("Location");
    let code = param(&back, "code").unwrap_or_else(|| panic!("no code in {back}"));
    let r = fx.console_exchange(&code, &req.verifier, &redirect).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let auth_time = claims_of(&r.json, "id_token")["auth_time"]
        .as_i64()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(now - auth_time < 60, "auth_time {auth_time} is not fresh");

    // The stale session ended with its refresh family; the next request confirms again.
    let sessions = fx.srv.sql(&format!(
        "SELECT CASE WHEN ended_at IS NULL THEN 0 ELSE 1 END AS ended FROM sso_sessions WHERE user_id = '{root_id}' ORDER BY created_at, id"
    ));
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    assert_eq!(sessions[0]["ended"], 1, "{sessions:?}");
    assert_eq!(sessions[1]["ended"], 0, "{sessions:?}");
    let dead = fx.console_refresh(s(&old_tokens, "refresh_token")).await;
    assert_eq!(dead.json["error"], "invalid_grant", "{}", dead.text);
    let req = fx.console_authorize(&redirect, &[]);
    browser.console_confirmation(&req.url).await;
}
