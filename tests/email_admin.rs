//! The admin API's email: `/v1/settings/email` (set, masked, removed, fixed by the
//! environment), the test email and `/v1/email-outbox` (delivered to a real SMTP server,
//! retried through an outage), and invitations (`POST /v1/users {"invite": true}`,
//! `invitation:resend`), against the real server and `tests/smtp/sink.py`.
mod common;
use common::smtp::SmtpSink;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const SENDER: &str = "Tessera <no-reply@tessera.test>";

/// A server whose email goes through `sink`, set by the environment (`--smtp-url`).
async fn with_env_smtp(sink: &SmtpSink) -> Fixture {
    let args = sink.serve_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Fixture::with_args(&args).await
}

fn assert_error(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.json["error"]["code"], code, "{}", r.text);
}

fn assert_field(r: &Reply, field: &str) {
    assert_error(r, 422, "validation_failed");
    assert_eq!(r.json["error"]["field"], field, "{}", r.text);
}

/// Waits (up to `secs`) until the outbox lists email `id` with `status`; returns it.
async fn outbox_until(fx: &Fixture, id: &str, status: &str, secs: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let r = fx.admin(Method::GET, "/v1/email-outbox", None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let found = r.json["emails"]
            .as_array()
            .expect("emails")
            .iter()
            .find(|e| e["id"] == id)
            .cloned();
        if let Some(e) = found.as_ref().filter(|e| e["status"] == status) {
            return e.clone();
        }
        assert!(
            Instant::now() < deadline,
            "email {id} not {status} within {secs} s: {found:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn send_test(fx: &Fixture, to: &str) -> String {
    let r = fx
        .admin(
            Method::POST,
            "/v1/settings/email:test",
            Some(&json!({ "to": to })),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    r.json["id"].as_str().expect("outbox id").to_string()
}

#[tokio::test]
async fn settings_are_checked_masked_and_removed() {
    let fx = Fixture::new().await;
    let off = json!({"configured": false, "source": null, "smtp_url": null, "from": null});
    let r = fx.admin(Method::GET, "/v1/settings/email", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json, off);

    let put = |body: Value| {
        let fx = &fx;
        async move {
            fx.admin(Method::PUT, "/v1/settings/email", Some(&body))
                .await
        }
    };
    for (url, from, field) in [
        ("http://mail.example.com", SENDER, "smtp_url"),
        ("not a url", SENDER, "smtp_url"),
        ("smtp://", SENDER, "smtp_url"),
        ("smtp://mail.example.com:587", "nobody", "from"),
        // The mask with nothing stored: the password must be typed.
        ("smtp://ann:***@mail.example.com:587", SENDER, "smtp_url"),
    ] {
        let r = put(json!({"smtp_url": url, "from": from})).await;
        assert_field(&r, field);
    }
    let r = put(json!({"smtp_url": "smtp://h:25"})).await;
    assert_error(&r, 422, "validation_failed");
    let r = put(json!({"smtp_url": "smtp://h:25", "from": SENDER, "x": 1})).await;
    assert_error(&r, 422, "validation_failed");

    let secret_url = "smtp://ann:s3cret@mail.example.com:587";
    let r = put(json!({"smtp_url": secret_url, "from": SENDER})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let masked = json!({"configured": true, "source": "console",
        "smtp_url": "smtp://ann:***@mail.example.com:587", "from": SENDER});
    assert_eq!(r.json, masked);
    let r = fx.admin(Method::GET, "/v1/settings/email", None).await;
    assert_eq!(r.json, masked);

    // The masked URL sent back keeps the password, for the same server and user only.
    let r = put(json!({"smtp_url": "smtp://ann:***@mail.example.com:587",
        "from": "Shop <shop@example.com>"}))
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["from"], "Shop <shop@example.com>");
    assert_eq!(r.json["smtp_url"], "smtp://ann:***@mail.example.com:587");
    let r = put(json!({"smtp_url": "smtp://ann:***@evil.example:587", "from": SENDER})).await;
    assert_field(&r, "smtp_url");

    let events = fx.audit_events("type=admin.settings.email_updated").await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0]["actor"], fx.admin_id.as_str());
    assert_eq!(
        events[1]["detail"]["after"]["smtp_url"],
        "smtp://ann:***@mail.example.com:587"
    );
    let all = fx
        .admin(Method::GET, "/v1/audit-events?limit=200", None)
        .await;
    assert!(!all.text.contains("s3cret"), "the password was audited");

    let r = fx.admin(Method::DELETE, "/v1/settings/email", None).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = fx.admin(Method::GET, "/v1/settings/email", None).await;
    assert_eq!(r.json, off);
    assert_eq!(
        fx.audit_events("type=admin.settings.email_updated")
            .await
            .len(),
        3
    );

    // Email off: no test email, no invitation (and no user created).
    let r = fx
        .admin(
            Method::POST,
            "/v1/settings/email:test",
            Some(&json!({"to": "ops@example.com"})),
        )
        .await;
    assert_error(&r, 409, "email_unavailable");
    let body = json!({"email": "ivy@example.com", "invite": true});
    let r = fx.admin(Method::POST, "/v1/users", Some(&body)).await;
    assert_error(&r, 409, "email_unavailable");
    let r = fx.admin(Method::GET, "/v1/users?q=ivy", None).await;
    assert_eq!(r.json["users"], json!([]), "{}", r.text);
}

#[tokio::test]
async fn a_test_email_is_delivered_and_listed_as_sent() {
    let sink = SmtpSink::start();
    let fx = Fixture::new().await;
    let r = fx
        .admin(
            Method::PUT,
            "/v1/settings/email",
            Some(&json!({"smtp_url": sink.url(), "from": SENDER})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = fx
        .admin(
            Method::POST,
            "/v1/settings/email:test",
            Some(&json!({"to": "nope"})),
        )
        .await;
    assert_field(&r, "to");
    let id = send_test(&fx, "ops@example.com").await;
    let mail = sink.wait_for("ops@example.com").await;
    assert_eq!(mail.subject, "Tessera test email");
    assert!(mail.from.contains("no-reply@tessera.test"), "{mail:?}");
    assert!(mail.text.contains(fx.issuer()), "{mail:?}");
    let e = outbox_until(&fx, &id, "sent", 20).await;
    assert_eq!(e["kind"], "test");
    assert_eq!(e["to"], "ops@example.com");
    assert_eq!(e["subject"], "Tessera test email");
    assert_eq!(e["attempts"], 1);
    assert_eq!(e["last_error"], Value::Null);
    assert_eq!(e["next_attempt_at"], Value::Null);
    assert!(e["sent_at"].as_i64().is_some(), "{e}");

    let listed = |q: &'static str| {
        let fx = &fx;
        async move {
            let r = fx
                .admin(Method::GET, &format!("/v1/email-outbox?{q}"), None)
                .await;
            assert_eq!(r.status, 200, "{q}: {}", r.text);
            r.json["emails"].as_array().expect("emails").len()
        }
    };
    assert_eq!(listed("status=sent").await, 1);
    assert_eq!(listed("status=failed").await, 0);
    assert_eq!(listed("status=queued&limit=200").await, 0);
    assert_eq!(listed("limit=1").await, 1);
    for (q, field) in [
        ("status=lost", "status"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("limit=1&limit=2", "limit"),
        ("page=2", "page"),
    ] {
        let r = fx
            .admin(Method::GET, &format!("/v1/email-outbox?{q}"), None)
            .await;
        assert_field(&r, field);
    }
    let events = fx.audit_events("type=admin.settings.email_tested").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["detail"]["email_id"], id.as_str());
}

#[tokio::test]
async fn environment_settings_are_read_only() {
    let sink = SmtpSink::start();
    let fx = with_env_smtp(&sink).await;
    let r = fx.admin(Method::GET, "/v1/settings/email", None).await;
    assert_eq!(
        r.json,
        json!({"configured": true, "source": "environment", "smtp_url": sink.url(),
            "from": SENDER})
    );
    let body = json!({"smtp_url": "smtp://other:25", "from": SENDER});
    let r = fx
        .admin(Method::PUT, "/v1/settings/email", Some(&body))
        .await;
    assert_error(&r, 409, "settings_from_environment");
    let r = fx.admin(Method::DELETE, "/v1/settings/email", None).await;
    assert_error(&r, 409, "settings_from_environment");
    send_test(&fx, "env@example.com").await;
    sink.wait_for("env@example.com").await;
}

#[tokio::test]
async fn an_smtp_outage_is_retried_until_the_server_is_back() {
    let mut sink = SmtpSink::start();
    let fx = with_env_smtp(&sink).await;
    sink.stop();
    let id = send_test(&fx, "late@example.com").await;
    let e = outbox_until(&fx, &id, "retrying", 20).await;
    assert!(
        e["last_error"].as_str().is_some_and(|m| !m.is_empty()),
        "{e}"
    );
    assert!(e["next_attempt_at"].as_i64().is_some(), "{e}");
    let r = fx
        .admin(Method::GET, "/v1/email-outbox?status=retrying", None)
        .await;
    assert_eq!(r.json["emails"][0]["id"], id.as_str(), "{}", r.text);
    sink.restart();
    // The first retry comes 5 s after the failure, the next 10 s later.
    sink.wait_for_nth("late@example.com", 1, 40).await;
    let e = outbox_until(&fx, &id, "sent", 10).await;
    assert!(e["attempts"].as_i64().is_some_and(|a| a >= 2), "{e}");
    assert_eq!(e["last_error"], Value::Null);
}

/// Signs in to the product as `email` and returns the failed answer and how long it took.
async fn failed_sign_in(fx: &Fixture, email: &str, password: &str) -> (Answer, Duration) {
    let browser = fx.browser();
    let form = browser.start_login(&fx.authorize(&[]).url).await;
    let started = Instant::now();
    let answer = browser.submit_login(&form, email, password).await;
    (answer, started.elapsed())
}

#[tokio::test]
async fn invited_users_get_an_email_and_cannot_sign_in_yet() {
    let sink = SmtpSink::start();
    let fx = with_env_smtp(&sink).await;
    let invite = json!({"email": "ivy@example.com", "invite": true, "name": "Ivy",
        "client_id": fx.web_client_id});
    let r = fx.admin(Method::POST, "/v1/users", Some(&invite)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["status"], "invited");
    assert_eq!(r.json["name"], "Ivy");
    let id = r.json["id"].as_str().expect("id").to_string();
    let first = sink.wait_for("ivy@example.com").await;
    assert!(first.subject.contains("Shop"), "{first:?}");
    let prefix = format!("{}/invitation?token=", fx.issuer());
    let first_link = first.link(&prefix).expect("an invitation link");
    let r = fx
        .admin(Method::GET, &format!("/v1/users/{id}"), None)
        .await;
    assert_eq!(r.json["status"], "invited");
    // The list filters by the status it shows.
    let listed = |status: &'static str| {
        let fx = &fx;
        async move {
            let r = fx
                .admin(Method::GET, &format!("/v1/users?status={status}"), None)
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
            r.json["users"]
                .as_array()
                .expect("users")
                .iter()
                .map(|u| u["email"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed("invited").await, ["ivy@example.com"]);
    assert!(!listed("active")
        .await
        .contains(&"ivy@example.com".to_string()));

    // Any password fails exactly like a wrong one, after as much work.
    let (wrong, wrong_took) = failed_sign_in(&fx, EMAIL, "not the password").await;
    for password in ["whatever password", "another password"] {
        let (invited, took) = failed_sign_in(&fx, "ivy@example.com", password).await;
        assert_eq!(invited.status, wrong.status, "{}", invited.body);
        assert!(
            invited.body.contains("Wrong email or password"),
            "{}",
            invited.body
        );
        assert!(
            took * 5 > wrong_took,
            "an invited user fails fast: {took:?} vs {wrong_took:?}"
        );
    }

    let r = fx
        .admin(
            Method::POST,
            &format!("/v1/users/{id}/invitation:resend"),
            None,
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.json["status"], "invited");
    let second = sink.wait_for_nth("ivy@example.com", 2, 20).await;
    assert!(
        second.subject.contains("Shop"),
        "the resend names the product: {second:?}"
    );
    let second_link = second.link(&prefix).expect("a new link");
    assert_ne!(first_link, second_link);

    let events = fx.audit_events("type=user.invited").await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0]["detail"]["resent"], true);
    assert_eq!(events[1]["detail"]["resent"], false);
    assert_eq!(events[1]["actor"], fx.admin_id.as_str());
    let created = fx.audit_events("type=admin.user.created").await;
    assert_eq!(created[0]["detail"]["invited"], true, "{created:?}");
}

#[tokio::test]
async fn invitation_errors() {
    let sink = SmtpSink::start();
    let fx = with_env_smtp(&sink).await;
    let users = |body: Value| {
        let fx = &fx;
        async move { fx.admin(Method::POST, "/v1/users", Some(&body)).await }
    };
    let r = users(json!({"email": "a@example.com", "invite": true, "password": PASSWORD})).await;
    assert_field(&r, "password");
    let r = users(json!({"email": "a@example.com"})).await;
    assert_field(&r, "password");
    let r = users(json!({"email": "a@example.com", "invite": false})).await;
    assert_field(&r, "password");
    let r = users(json!({"email": "a@example.com", "password": PASSWORD,
        "client_id": fx.web_client_id}))
    .await;
    assert_field(&r, "client_id");
    for client in [fx.server_client_id.as_str(), "tessera-console", "nope"] {
        let r = users(json!({"email": "a@example.com", "invite": true, "client_id": client})).await;
        assert_field(&r, "client_id");
    }
    let r = users(json!({"email": "not-an-email", "invite": true})).await;
    assert_field(&r, "email");
    let r = users(json!({"email": EMAIL, "invite": true})).await;
    assert_error(&r, 409, "conflict");
    let r = fx
        .admin(Method::GET, "/v1/users?q=a%40example.com", None)
        .await;
    assert_eq!(
        r.json["users"],
        json!([]),
        "a refused invitation created a user"
    );
    assert_eq!(sink.count_to("a@example.com"), 0);

    let resend = |id: String, body: Option<Value>| {
        let fx = &fx;
        async move {
            let path = format!("/v1/users/{id}/invitation:resend");
            fx.admin(Method::POST, &path, body.as_ref()).await
        }
    };
    let r = resend(fx.user_id.clone(), None).await;
    assert_error(&r, 409, "not_invited");
    let r = resend("nope".into(), None).await;
    assert_error(&r, 404, "not_found");
    let r = users(json!({"email": "b@example.com", "invite": true})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json["id"].as_str().expect("id").to_string();
    let r = resend(id.clone(), Some(json!({"client_id": fx.server_client_id}))).await;
    assert_field(&r, "client_id");
    let r = resend(id.clone(), Some(json!({"other": 1}))).await;
    assert_error(&r, 422, "validation_failed");
    // Naming a product now: the new email names it (the first named Tessera).
    let r = resend(id.clone(), Some(json!({"client_id": fx.web_client_id}))).await;
    assert_eq!(r.status, 202, "{}", r.text);
    let first = sink.wait_for("b@example.com").await;
    assert!(first.subject.contains("Tessera"), "{first:?}");
    let second = sink.wait_for_nth("b@example.com", 2, 20).await;
    assert!(second.subject.contains("Shop"), "{second:?}");
}
