//! The auth API's email flows against a real SMTP server (tests/smtp/sink.py):
//! `password/forgot` (the same 202 for known and unknown addresses), `password/reset`
//! (single use, expiry, the rules, every session ended), sign-up sending a verification
//! email and `email/verify`, and the flows being off without SMTP.

mod common;

use common::auth_api::{bearer, login, post, set_self_registration};
use common::db::sql_write;
use common::smtp::SmtpSink;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

async fn with_email(sink: &SmtpSink) -> Fixture {
    let args = sink.serve_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Fixture::with_args(&args).await
}

fn assert_error(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.json["error"]["code"], code, "{}", r.text);
}

fn token_of(link: &str) -> String {
    link.split("token=")
        .nth(1)
        .expect("token in link")
        .to_string()
}

async fn forgot(fx: &Fixture, email: &str) -> Reply {
    let body = json!({"client_id": fx.web_client_id, "email": email});
    post(fx, "/v1/auth/password/forgot", &body, &[]).await
}

async fn reset(fx: &Fixture, token: &str, password: &str) -> Reply {
    let body = json!({"token": token, "password": password});
    post(fx, "/v1/auth/password/reset", &body, &[]).await
}

#[tokio::test]
async fn forgot_answers_202_for_any_address_and_the_link_resets_once() {
    let sink = SmtpSink::start();
    let fx = with_email(&sink).await;
    let before = login(&fx, json!({})).await;

    let known = forgot(&fx, EMAIL).await;
    let unknown = forgot(&fx, "nobody@example.com").await;
    assert_eq!(known.status, 202);
    assert_eq!(unknown.status, 202);
    assert_eq!(known.text, unknown.text);
    let mail = sink.wait_for(EMAIL).await;
    assert_eq!(mail.subject, "Reset your Shop password");
    let link = mail
        .link(&fx.url("/password/reset?token="))
        .expect("reset link");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.count_to("nobody@example.com"), 0);

    let token = token_of(&link);
    let weak = reset(&fx, &token, "short").await;
    assert_error(&weak, 422, "validation_failed");
    assert_eq!(reset(&fx, &token, "a fresh new password").await.status, 204);
    assert_error(
        &reset(&fx, &token, "another new password").await,
        400,
        "invalid_token",
    );
    assert_error(
        &reset(&fx, "not-a-token", "another new password").await,
        400,
        "invalid_token",
    );

    // Every session ended: the earlier tokens no longer work.
    let session = common::auth_api::call(
        &fx,
        reqwest::Method::GET,
        "/v1/auth/session",
        None,
        &[("authorization", &bearer(&before))],
    )
    .await;
    assert_eq!(session.status, 401, "{}", session.text);
    let r = post(
        &fx,
        "/v1/auth/refresh",
        &json!({"refresh_token": before["refresh_token"]}),
        &[],
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.text);
    // The new password signs in; the old one does not.
    let old = json!({"client_id": fx.web_client_id, "email": EMAIL, "password": PASSWORD});
    assert_error(
        &post(&fx, "/v1/auth/login", &old, &[]).await,
        401,
        "invalid_credentials",
    );
    login(&fx, json!({"password": "a fresh new password"})).await;
}

#[tokio::test]
async fn an_expired_reset_link_is_refused() {
    let sink = SmtpSink::start();
    let fx = with_email(&sink).await;
    assert_eq!(forgot(&fx, EMAIL).await.status, 202);
    let link = sink
        .wait_for(EMAIL)
        .await
        .link(&fx.url("/password/reset?token="))
        .unwrap();
    sql_write(&fx.srv, "UPDATE email_links SET expires_at = 1");
    assert_error(
        &reset(&fx, &token_of(&link), "a fresh new password").await,
        400,
        "invalid_token",
    );
    login(&fx, json!({})).await;
}

#[tokio::test]
async fn sign_up_sends_a_verification_email_whose_link_verifies_once() {
    let sink = SmtpSink::start();
    let fx = with_email(&sink).await;
    set_self_registration(&fx, true).await;
    let body = json!({"client_id": fx.web_client_id, "email": "new.user@example.com", "password": "a long new password"});
    let r = post(&fx, "/v1/auth/register", &body, &[]).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["user"]["email_verified"], false);

    let mail = sink.wait_for("new.user@example.com").await;
    assert_eq!(mail.subject, "Confirm your email for Shop");
    let link = mail
        .link(&fx.url("/email/verify?token="))
        .expect("verify link");
    let verify = |token: String| {
        let fx = &fx;
        async move { post(fx, "/v1/auth/email/verify", &json!({"token": token}), &[]).await }
    };
    assert_eq!(verify(token_of(&link)).await.status, 204);
    assert_error(&verify(token_of(&link)).await, 400, "invalid_token");
    let me = common::auth_api::call(
        &fx,
        reqwest::Method::GET,
        "/v1/auth/session",
        None,
        &[("authorization", &bearer(&r.json))],
    )
    .await;
    assert_eq!(me.json["user"]["email_verified"], true, "{}", me.text);
    let events: Vec<Value> = fx.audit_events("type=email.verified").await;
    let outcomes: Vec<&str> = events
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["failure", "success"], "{events:?}");
}

#[tokio::test]
async fn without_smtp_the_email_flows_are_off() {
    let fx = Fixture::new().await;
    assert_error(&forgot(&fx, EMAIL).await, 503, "email_unavailable");
    let bad_client = json!({"client_id": "nope", "email": EMAIL});
    assert_error(
        &post(&fx, "/v1/auth/password/forgot", &bad_client, &[]).await,
        400,
        "invalid_client",
    );
    // Sign-up still works; no verification email is queued.
    set_self_registration(&fx, true).await;
    let body = json!({"client_id": fx.web_client_id, "email": "quiet@example.com", "password": "a long new password"});
    assert_eq!(post(&fx, "/v1/auth/register", &body, &[]).await.status, 201);
    assert!(fx.srv.sql("SELECT id FROM email_outbox").is_empty());
}
