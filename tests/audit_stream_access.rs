//! The live audit stream checks its bearer token again every 30 s: a super-admin suspended,
//! or a token revoked, while a stream is open loses it within that time instead of at the
//! token's expiry (10 minutes for the console, an hour for admin clients).
mod common;
use common::console::*;
use common::sse::{SseEnd, SseReader};
use common::*;
use reqwest::Method;
use std::time::{Duration, Instant};

/// How long a stream may outlive the loss of access: the re-check period and some slack.
const ENDS_WITHIN: Duration = Duration::from_secs(40);

async fn open(fx: &Fixture, token: &str) -> SseReader {
    let resp = fx
        .http
        .get(fx.url("/v1/audit-events/stream"))
        .bearer_auth(token)
        .send()
        .await
        .expect("open stream");
    assert_eq!(resp.status(), 200);
    SseReader::new(resp)
}

/// Reads until the server ends the stream; returns how long that took.
async fn until_closed(stream: &mut SseReader) -> Duration {
    let start = Instant::now();
    loop {
        let left = ENDS_WITHIN.saturating_sub(start.elapsed());
        match stream.next(left).await {
            Ok(_) => continue,
            Err(SseEnd::Closed) => return start.elapsed(),
            Err(end) => panic!("the stream did not end cleanly: {end:?}"),
        }
    }
}

#[tokio::test]
async fn the_stream_ends_after_its_super_admin_is_suspended() {
    let fx = Fixture::new().await;
    let root = fx.srv.superadmin_create(SUPER_EMAIL, SUPER_PASSWORD);
    let redirect = issuer_callback(&fx);
    let req = fx.console_authorize(&redirect, &[]);
    let back = fx
        .browser()
        .login(&req.url, SUPER_EMAIL, SUPER_PASSWORD)
        .await;
    let code = param(&back, "code").expect("code");
    let t = fx.console_exchange(&code, &req.verifier, &redirect).await;
    assert_eq!(t.status, 200, "{}", t.text);
    let token = s(&t.json, "access_token").to_string();

    let mut stream = open(&fx, &token).await;
    // It delivers while access holds.
    fx.create_user("live@example.com", "a long enough password", "Live")
        .await;
    let ev = stream
        .until(Duration::from_secs(10), |e| {
            e.data["type"] == "admin.user.created"
        })
        .await;
    assert_eq!(ev.event.as_deref(), Some("audit"));

    let r = fx
        .admin(Method::POST, &format!("/v1/users/{root}/suspend"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let took = until_closed(&mut stream).await;
    assert!(took < ENDS_WITHIN, "ended after {took:?}");

    // And it cannot be reopened.
    let again = fx
        .http
        .get(fx.url("/v1/audit-events/stream"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 401);
}

#[tokio::test]
async fn the_stream_ends_after_its_token_is_revoked() {
    let fx = Fixture::new().await;
    let mut stream = open(&fx, &fx.admin_token).await;
    let auth = basic(&fx.admin_id, &fx.admin_secret);
    let r = fx
        .post_form("/oauth/revoke", Some(&auth), &[("token", &fx.admin_token)])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let took = until_closed(&mut stream).await;
    assert!(took < ENDS_WITHIN, "ended after {took:?}");
}
