//! Password reset by email through the hosted pages, against a real SMTP server
//! (tests/smtp/sink.py): "Forgot password?" on the sign-in page, the same answer for
//! known and unknown addresses, the email (product name, link), the reset page (rules,
//! single use, expiry), a reset ending every session, an SMTP outage losing nothing, and
//! the flows being off without SMTP.

mod common;

use common::db::sql_write;
use common::smtp::{Mail, SmtpSink};
use common::*;
use std::time::Duration;

/// A fixture whose server sends email through `sink`.
async fn with_email(sink: &SmtpSink) -> Fixture {
    let args = sink.serve_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Fixture::with_args(&args).await
}

/// The fields of the page's first form, with `extra` set.
fn form_fields(html: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let first = &html[..html.find("</form>").unwrap_or(html.len())];
    let mut fields = html_inputs(first);
    for (k, v) in extra {
        fields.retain(|(n, _)| n != k);
        fields.push((k.to_string(), v.to_string()));
    }
    fields
}

/// "Forgot password?" from a pending sign-in of the web client: returns the browser, its
/// login form and the answer to the forgot form.
async fn ask_reset(fx: &Fixture, email: &str) -> (Browser, LoginForm, Answer) {
    let browser = fx.browser();
    let req = fx.authorize(&[]);
    let login = browser.start_login(&req.url).await;
    let forgot = format!("/password/forgot?interaction={}", login.interaction);
    assert!(
        login.html.contains(&forgot.replace('&', "&amp;")),
        "{}",
        login.html
    );
    let page = browser.get(&fx.url(&forgot)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let done = browser
        .post_form(
            "/password/forgot",
            &form_fields(&page.body, &[("email", email)]),
        )
        .await;
    (browser, login, done)
}

fn reset_link(fx: &Fixture, mail: &Mail) -> String {
    mail.link(&fx.url("/password/reset?token="))
        .unwrap_or_else(|| panic!("no reset link in {mail:?}"))
}

/// Sets `password` on the reset page of `link` in `browser`.
async fn reset(browser: &Browser, link: &str, password: &str, confirm: &str) -> Answer {
    let page = browser.get(link).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let fields = form_fields(&page.body, &[("password", password), ("confirm", confirm)]);
    browser.post_form("/password/reset", &fields).await
}

#[tokio::test]
async fn forgot_password_resets_it_through_the_emailed_link_and_ends_every_session() {
    let sink = SmtpSink::start();
    let fx = with_email(&sink).await;
    // A sign-in from before the reset: its refresh token must stop working.
    let (_, before) = fx.user_tokens("openid").await;

    let (browser, login, done) = ask_reset(&fx, EMAIL).await;
    assert_eq!(done.status, 200);
    assert!(done.body.contains("Check your email"), "{}", done.body);
    let mail = sink.wait_for(EMAIL).await;
    assert_eq!(mail.subject, "Reset your Shop password");
    assert!(mail.from.contains("no-reply@tessera.test"), "{}", mail.from);
    assert!(mail.html.contains("Choose a new password"), "{}", mail.html);
    let link = reset_link(&fx, &mail);

    // The page names the account; the rules are the same as everywhere.
    let page = browser.get(&link).await;
    assert!(page.body.contains(EMAIL), "{}", page.body);
    let short = reset(&browser, &link, "short", "short").await;
    assert_eq!(short.status, 422);
    assert!(
        short.body.contains("at least 8 characters"),
        "{}",
        short.body
    );
    let mismatch = reset(&browser, &link, "new password 1", "new password 2").await;
    assert_eq!(mismatch.status, 422);

    let changed = reset(
        &browser,
        &link,
        "a brand new password",
        "a brand new password",
    )
    .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    let back = changed.location.expect("back to sign-in");
    assert_eq!(back.path(), "/login");
    assert_eq!(
        param(&back, "interaction").as_deref(),
        Some(login.interaction.as_str())
    );

    // Every session ended: the earlier refresh token is refused.
    let r = fx.refresh(s(&before, "refresh_token")).await;
    assert_eq!(r.status, 400, "{}", r.text);
    // The old password fails, the new one signs in (on the same pending sign-in).
    let form = browser.login_form(&back).await;
    assert!(
        form.html.contains("Your password is changed"),
        "{}",
        form.html
    );
    let old = browser.submit_login(&form, EMAIL, PASSWORD).await;
    assert_eq!(old.status, 401, "{}", old.body);
    let ok = browser
        .submit_login(&form, EMAIL, "a brand new password")
        .await;
    assert_eq!(ok.status, 303);
    assert!(ok.location.unwrap().as_str().starts_with(REDIRECT_URI));

    // The link was single use.
    let again = browser.get(&link).await;
    assert_eq!(again.status, 400);
    assert!(again.body.contains("expired or was already used"));
    let types: Vec<String> = fx
        .audit_events("type=password.reset")
        .await
        .iter()
        .map(|e| format!("{}:{}", e["type"], e["outcome"]))
        .collect();
    assert!(types.iter().any(|t| t.contains("success")), "{types:?}");
}

#[tokio::test]
async fn known_and_unknown_addresses_get_the_same_answer_and_only_accounts_get_mail() {
    let sink = SmtpSink::start();
    let fx = with_email(&sink).await;
    let (_, _, known) = ask_reset(&fx, EMAIL).await;
    let (_, _, unknown) = ask_reset(&fx, "nobody@example.com").await;
    assert_eq!(known.status, unknown.status);
    let strip = |b: &str| b.replace(char::is_numeric, "").replace(['-', '_'], "");
    assert_eq!(
        strip(&known.body).split("interaction=").next(),
        strip(&unknown.body).split("interaction=").next()
    );
    sink.wait_for(EMAIL).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.count_to("nobody@example.com"), 0);
    let refused = fx
        .audit_events("type=password.reset_requested&outcome=failure")
        .await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0]["detail"]["reason"], "unknown_email");
}

#[tokio::test]
async fn an_account_gets_at_most_three_reset_emails_in_fifteen_minutes() {
    let sink = SmtpSink::start();
    let fx = with_email(&sink).await;
    for _ in 0..4 {
        let (_, _, done) = ask_reset(&fx, EMAIL).await;
        assert_eq!(done.status, 200);
    }
    sink.wait_for_nth(EMAIL, 3, 20).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(sink.count_to(EMAIL), 3);
    let refused = fx
        .audit_events("type=password.reset_requested&outcome=failure")
        .await;
    assert_eq!(refused[0]["detail"]["reason"], "too_many", "{refused:?}");
}

#[tokio::test]
async fn an_expired_link_is_refused_and_a_newer_reset_ends_the_older_link() {
    let sink = SmtpSink::start();
    let fx = with_email(&sink).await;
    ask_reset(&fx, EMAIL).await;
    let first = reset_link(&fx, &sink.wait_for(EMAIL).await);
    ask_reset(&fx, EMAIL).await;
    let second = reset_link(&fx, &sink.wait_for_nth(EMAIL, 2, 20).await);
    let browser = fx.browser();

    // Spending the second ends the first.
    let ok = reset(
        &browser,
        &second,
        "another new password",
        "another new password",
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(ok.body.contains("Password changed"), "{}", ok.body);
    assert_eq!(browser.get(&first).await.status, 400);

    // A link past its hour.
    ask_reset(&fx, EMAIL).await;
    let third = reset_link(&fx, &sink.wait_for_nth(EMAIL, 3, 20).await);
    sql_write(
        &fx.srv,
        "UPDATE email_links SET expires_at = 1 WHERE used_at IS NULL",
    );
    assert_eq!(browser.get(&third).await.status, 400);
    let fields = vec![
        (
            "token".to_string(),
            third.split("token=").nth(1).unwrap().to_string(),
        ),
        ("password".to_string(), "yet another password".to_string()),
        ("confirm".to_string(), "yet another password".to_string()),
    ];
    let late = browser.post_form("/password/reset", &fields).await;
    assert_eq!(late.status, 400, "{}", late.body);
    // Garbage tokens of any length get the same page.
    for token in ["", "x", &"a".repeat(5000)] {
        let r = browser
            .get(&fx.url(&format!("/password/reset?token={token}")))
            .await;
        assert_eq!(r.status, 400);
    }
}

#[tokio::test]
async fn an_smtp_outage_delays_the_email_but_never_loses_it() {
    let mut sink = SmtpSink::start();
    let fx = with_email(&sink).await;
    sink.stop();
    let (_, _, done) = ask_reset(&fx, EMAIL).await;
    assert_eq!(done.status, 200, "the request does not wait for SMTP");
    // The sender tried and failed: the outbox holds it for a retry.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let rows = fx
            .srv
            .sql("SELECT status, attempts, last_error FROM email_outbox");
        if rows.len() == 1
            && rows[0]["attempts"].as_i64() >= Some(1)
            && !rows[0]["last_error"].is_null()
        {
            assert_eq!(rows[0]["status"], "queued");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no failed attempt: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    sink.restart();
    let mail = sink.wait_for_nth(EMAIL, 1, 40).await;
    assert!(mail.link(&fx.url("/password/reset?token=")).is_some());
    let rows = fx.srv.sql("SELECT status, body FROM email_outbox");
    assert_eq!(rows[0]["status"], "sent");
    assert!(rows[0]["body"].is_null(), "a sent email's body is dropped");
}

#[tokio::test]
async fn without_smtp_the_flow_is_off_and_the_sign_in_page_names_the_product() {
    let fx = Fixture::new().await;
    let browser = fx.browser();
    let login = browser.start_login(&fx.authorize(&[]).url).await;
    assert!(login.html.contains("Sign in to Shop"), "{}", login.html);
    assert!(!login.html.contains("Forgot password?"));
    let page = browser.get(&fx.url("/password/forgot")).await;
    assert_eq!(page.status, 503);
    let fields = vec![("email".to_string(), EMAIL.to_string())];
    assert_eq!(
        browser.post_form("/password/forgot", &fields).await.status,
        503
    );
}

#[tokio::test]
async fn the_email_body_is_sealed_in_the_outbox() {
    let mut sink = SmtpSink::start();
    let fx = with_email(&sink).await;
    sink.stop();
    ask_reset(&fx, EMAIL).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let rows = loop {
        let hex = if common::engine::on_postgres() {
            "encode(body, 'hex')"
        } else {
            "hex(body)"
        };
        let rows = fx
            .srv
            .sql(&format!("SELECT {hex} AS body, subject FROM email_outbox"));
        if !rows.is_empty() || std::time::Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(rows.len(), 1);
    let body = rows[0]["body"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    // The link's path would show in a plain body ("/password/reset" in hex).
    let plain = "/password/reset"
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    assert!(!body.is_empty() && !body.contains(&plain));
}

#[tokio::test]
async fn a_reset_lifts_the_accounts_sign_in_throttle() {
    let sink = SmtpSink::start();
    let fx = with_email(&sink).await;
    let browser = fx.browser();
    let form = browser.start_login(&fx.authorize(&[]).url).await;
    for _ in 0..5 {
        browser.submit_login(&form, EMAIL, "wrong password").await;
    }
    let throttled = browser.submit_login(&form, EMAIL, PASSWORD).await;
    assert_eq!(throttled.status, 429, "{}", throttled.body);

    ask_reset(&fx, EMAIL).await;
    let link = reset_link(&fx, &sink.wait_for(EMAIL).await);
    let done = reset(
        &fx.browser(),
        &link,
        "a brand new password",
        "a brand new password",
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let form = browser.start_login(&fx.authorize(&[]).url).await;
    let ok = browser
        .submit_login(&form, EMAIL, "a brand new password")
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
}
