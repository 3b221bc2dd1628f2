//! Sign-in throttling (PRODUCT.md "Sign-in protection"): per account, per client IP (read
//! from X-Forwarded-For only behind a `--trusted-proxy`), per client at /oauth/token;
//! 429 + Retry-After, the right secret refused too, audited; listed and cleared over /v1.
mod common;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};

const WRONG: &str = "not the password at all";

/// Audit rows of one type, `detail` parsed.
fn events(fx: &Fixture, kind: &str) -> Vec<Value> {
    fx.srv
        .audit_rows()
        .into_iter()
        .filter(|r| r["type"] == kind)
        .map(|mut r| {
            let detail = r["detail"].as_str().unwrap_or("null").to_string();
            r["detail"] = serde_json::from_str(&detail).unwrap_or(Value::Null);
            r
        })
        .collect()
}

fn retry_after_secs(a: &Answer) -> u64 {
    let v = a
        .retry_after
        .as_deref()
        .unwrap_or_else(|| panic!("no Retry-After: {a:?}"));
    let secs: u64 = v.parse().expect("Retry-After is seconds");
    assert!((1..=900).contains(&secs), "Retry-After {secs}");
    secs
}

/// POST /login on `form` with an X-Forwarded-For header.
async fn submit_forwarded(
    browser: &Browser,
    fx: &Fixture,
    form: &LoginForm,
    email: &str,
    password: &str,
    forwarded_for: &str,
) -> Answer {
    let resp = browser
        .client
        .post(fx.url("/login"))
        .header("x-forwarded-for", forwarded_for)
        .form(&[
            ("interaction", form.interaction.as_str()),
            ("csrf_token", form.csrf_token.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .expect("POST /login");
    browser.answer(resp).await
}

#[tokio::test]
async fn five_wrong_passwords_throttle_the_account_even_for_the_right_one() {
    let fx = Fixture::new().await;
    let browser = fx.browser();
    let form = browser.start_login(&fx.authorize(&[]).url).await;
    for i in 0..5 {
        let r = browser.submit_login(&form, EMAIL, WRONG).await;
        assert_eq!(r.status, 401, "attempt {i}: {r:?}");
    }
    let r = browser.submit_login(&form, EMAIL, PASSWORD).await;
    assert_eq!(r.status, 429, "the right password while throttled: {r:?}");
    let secs = retry_after_secs(&r);
    assert!(secs <= 60, "first backoff is a minute: {secs}");
    assert!(
        r.body.contains("Too many attempts. Try again in 1 minute."),
        "{}",
        r.body
    );
    // The form is still there for a later try.
    assert!(r.body.contains("name=\"password\""), "{}", r.body);

    let throttled = events(&fx, "login.throttled");
    assert_eq!(throttled.len(), 1, "{throttled:#?}");
    let e = &throttled[0];
    assert_eq!(e["subject"], fx.user_id.as_str());
    assert_eq!(e["outcome"], "failure");
    assert_eq!(e["detail"]["scope"], "account");
    let ra = e["detail"]["retry_after"].as_i64().unwrap_or(0);
    assert!((1..=900).contains(&ra), "{e}");
    let rows = fx.srv.audit_rows();
    let text = serde_json::to_string(&rows).unwrap();
    assert!(
        !text.contains(WRONG) && !text.contains(PASSWORD),
        "a password in the audit log"
    );

    // Another IP does not help: the account is throttled wherever the guesses come from.
    let other = fx.browser_from("127.0.0.3");
    let form = other.start_login(&fx.authorize(&[]).url).await;
    let r = other.submit_login(&form, EMAIL, PASSWORD).await;
    assert_eq!(r.status, 429, "{r:?}");
}

#[tokio::test]
async fn unknown_and_known_emails_are_throttled_alike() {
    let fx = Fixture::new().await;
    let browser = fx.browser();
    let form = browser.start_login(&fx.authorize(&[]).url).await;
    let nobody = "nobody@example.com";
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(
            browser
                .submit_login(&form, nobody, WRONG)
                .await
                .status
                .as_u16(),
        );
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);
    // Case and spaces do not give an unknown email fresh guesses.
    let r = browser
        .submit_login(&form, " NOBODY@example.com", WRONG)
        .await;
    assert_eq!(r.status, 429, "{r:?}");
    let e = events(&fx, "login.throttled");
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(e[0]["subject"].is_null(), "no user behind an unknown email");
    let key = e[0]["detail"]["key"].as_str().unwrap_or_default();
    assert!(
        key.starts_with("email:") && !key.contains("nobody"),
        "hashed key: {key}"
    );
    // The real user is not affected.
    let back = browser.login(&fx.authorize(&[]).url, EMAIL, PASSWORD).await;
    assert!(back.as_str().starts_with(REDIRECT_URI), "{back}");
}

#[tokio::test]
async fn twenty_failures_from_one_ip_throttle_that_ip() {
    let fx = Fixture::new().await;
    let attacker = fx.browser_from("127.0.0.2");
    let form = attacker.start_login(&fx.authorize(&[]).url).await;
    // 4 guesses each on 5 accounts: no account reaches its own limit.
    for i in 0..20 {
        let email = format!("user{}@example.com", i % 5);
        let r = attacker.submit_login(&form, &email, WRONG).await;
        assert_eq!(r.status, 401, "attempt {i}: {r:?}");
    }
    // The fixture user's right password, from that IP: refused.
    let r = attacker.submit_login(&form, EMAIL, PASSWORD).await;
    assert_eq!(r.status, 429, "{r:?}");
    retry_after_secs(&r);
    let e = events(&fx, "login.throttled");
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(e[0]["detail"]["scope"], "ip");
    assert_eq!(e[0]["detail"]["key"], "127.0.0.2");
    assert_eq!(e[0]["ip"], "127.0.0.2");
    // From another IP the same user signs in.
    let user = fx.browser_from("127.0.0.4");
    let back = user.login(&fx.authorize(&[]).url, EMAIL, PASSWORD).await;
    assert!(back.as_str().starts_with(REDIRECT_URI), "{back}");
}

#[tokio::test]
async fn ten_wrong_client_secrets_throttle_the_client() {
    let fx = Fixture::new().await;
    let cc = [("grant_type", "client_credentials")];
    for i in 0..10 {
        let r = fx
            .token_basic(&fx.server_client_id, "wrong-secret", &cc)
            .await;
        assert_eq!(r.status, 401, "attempt {i}: {}", r.text);
        assert_eq!(r.json["error"], "invalid_client");
    }
    for secret in ["wrong-secret", fx.server_secret.as_str()] {
        let r = fx.token_basic(&fx.server_client_id, secret, &cc).await;
        assert_eq!(r.status, 429, "{}", r.text);
        assert_eq!(r.json["error"], "invalid_client", "{}", r.text);
        assert!(r.json["error_description"].is_string(), "{}", r.text);
        let secs: u64 = r
            .header("retry-after")
            .expect("Retry-After")
            .parse()
            .unwrap();
        assert!((1..=900).contains(&secs), "{secs}");
    }
    // client_secret_post is the same client.
    let r = fx
        .post_form(
            "/oauth/token",
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &fx.server_client_id),
                ("client_secret", &fx.server_secret),
            ],
        )
        .await;
    assert_eq!(r.status, 429, "{}", r.text);
    let e = events(&fx, "client.throttled");
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(e[0]["client_id"], fx.server_client_id.as_str());
    assert_eq!(e[0]["detail"]["scope"], "client");
    // Other clients are unaffected.
    let r = fx
        .token_basic(
            &fx.admin_id,
            &fx.admin_secret,
            &[("grant_type", "client_credentials"), ("scope", "admin")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn forwarded_for_is_ignored_from_an_untrusted_peer() {
    let fx = Fixture::new().await;
    let browser = fx.browser();
    let form = browser.start_login(&fx.authorize(&[]).url).await;
    // Every guess claims another client IP; the peer (127.0.0.1) is what counts.
    for i in 0..20 {
        let email = format!("user{}@example.com", i % 5);
        let fake = format!("198.51.100.{i}");
        let r = submit_forwarded(&browser, &fx, &form, &email, WRONG, &fake).await;
        assert_eq!(r.status, 401, "attempt {i}: {r:?}");
    }
    let r = submit_forwarded(&browser, &fx, &form, EMAIL, PASSWORD, "203.0.113.50").await;
    assert_eq!(
        r.status, 429,
        "spoofed X-Forwarded-For escaped the IP throttle: {r:?}"
    );
    for e in events(&fx, "login.failed") {
        assert_eq!(e["ip"], "127.0.0.1", "{e}");
    }
}

#[tokio::test]
async fn forwarded_for_is_honoured_from_a_trusted_proxy() {
    let fx = Fixture::with_args(&["--trusted-proxy", "127.0.0.1"]).await;
    let proxy = fx.browser();
    let form = proxy.start_login(&fx.authorize(&[]).url).await;
    // The client prepends a lie; the proxy appends the real address.
    for i in 0..20 {
        let email = format!("user{}@example.com", i % 5);
        let r = submit_forwarded(&proxy, &fx, &form, &email, WRONG, "10.9.9.9, 198.51.100.7").await;
        assert_eq!(r.status, 401, "attempt {i}: {r:?}");
    }
    let r = submit_forwarded(&proxy, &fx, &form, EMAIL, PASSWORD, "198.51.100.7").await;
    assert_eq!(r.status, 429, "{r:?}");
    let e = events(&fx, "login.throttled");
    assert_eq!(e[0]["detail"]["key"], "198.51.100.7", "{e:#?}");
    assert!(events(&fx, "login.failed")
        .iter()
        .all(|e| e["ip"] == "198.51.100.7"));
    // Another client behind the same proxy is not throttled.
    let r = submit_forwarded(&proxy, &fx, &form, EMAIL, PASSWORD, "198.51.100.8").await;
    assert_eq!(r.status, 303, "{r:?}");
    // A peer that is not the proxy cannot pick its address.
    let direct = fx.browser_from("127.0.0.5");
    let form = direct.start_login(&fx.authorize(&[]).url).await;
    let r = submit_forwarded(&direct, &fx, &form, "x@example.com", WRONG, "198.51.100.9").await;
    assert_eq!(r.status, 401);
    let last = events(&fx, "login.failed").pop().expect("login.failed");
    assert_eq!(last["ip"], "127.0.0.5", "{last}");
}

#[tokio::test]
async fn admin_lists_and_clears_throttles() {
    let fx = Fixture::new().await;
    // A token without the admin scope, taken before its client gets throttled.
    let non_admin = fx.server_token().await;
    let browser = fx.browser();
    let form = browser.start_login(&fx.authorize(&[]).url).await;
    for _ in 0..5 {
        assert_eq!(browser.submit_login(&form, EMAIL, WRONG).await.status, 401);
    }
    for _ in 0..10 {
        let r = fx
            .token_basic(
                &fx.server_client_id,
                "nope",
                &[("grant_type", "client_credentials")],
            )
            .await;
        assert_eq!(r.status, 401);
    }
    let r = fx.admin(Method::GET, "/v1/throttles", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let list = r.json["throttles"].as_array().expect("throttles").clone();
    assert_eq!(list.len(), 2, "{list:#?}");
    // Newest first: the client was throttled last (ties keep scope order, so check by scope).
    let account = list
        .iter()
        .find(|t| t["scope"] == "account")
        .expect("account");
    let until = account["until"].as_i64().expect("until");
    let retry = account["retry_after"].as_i64().expect("retry_after");
    assert!((1..=900).contains(&retry), "{account}");
    assert_eq!(
        account,
        &json!({"scope": "account", "key": fx.user_id, "email": EMAIL, "client_id": null,
                "failures": 5, "until": until, "retry_after": retry})
    );
    let client = list
        .iter()
        .find(|t| t["scope"] == "client")
        .expect("client");
    assert_eq!(client["key"], fx.server_client_id.as_str());
    assert_eq!(client["client_id"], fx.server_client_id.as_str());
    assert!(client["email"].is_null());
    assert_eq!(client["failures"], 10);

    // Only admins.
    for (method, path) in [
        (Method::GET, "/v1/throttles".to_string()),
        (
            Method::DELETE,
            format!("/v1/throttles/account/{}", fx.user_id),
        ),
    ] {
        let r = Reply::read(
            fx.http
                .request(method.clone(), fx.url(&path))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, 401, "{method} {path}: {}", r.text);
        let r = Reply::read(
            fx.http
                .request(method.clone(), fx.url(&path))
                .bearer_auth(&non_admin)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, 403, "{method} {path}: {}", r.text);
    }

    let r = fx
        .admin(Method::DELETE, "/v1/throttles/everything/x", None)
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json["error"]["field"], "scope");
    let path = format!("/v1/throttles/account/{}", fx.user_id);
    let r = fx.admin(Method::DELETE, &path, None).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = fx.admin(Method::DELETE, &path, None).await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(r.json["error"]["code"], "not_found");
    let cleared = events(&fx, "admin.throttle.cleared");
    assert_eq!(cleared.len(), 1, "{cleared:#?}");
    assert_eq!(cleared[0]["subject"], fx.user_id.as_str());
    assert_eq!(cleared[0]["actor"], fx.admin_id.as_str());
    assert_eq!(
        cleared[0]["detail"],
        json!({"scope": "account", "key": fx.user_id})
    );

    // After the clear the right password works at once, and the count starts over.
    let r = browser.submit_login(&form, EMAIL, PASSWORD).await;
    assert_eq!(r.status, 303, "{r:?}");
    let r = fx.admin(Method::GET, "/v1/throttles", None).await;
    let left: Vec<&Value> = r.json["throttles"].as_array().unwrap().iter().collect();
    assert_eq!(left.len(), 1, "{left:#?}");
    assert_eq!(left[0]["scope"], "client");
    let path = format!("/v1/throttles/client/{}", fx.server_client_id);
    assert_eq!(fx.admin(Method::DELETE, &path, None).await.status, 204);
    assert!(!fx.server_token().await.is_empty());
}

#[tokio::test]
async fn settings_show_the_throttle_policy_read_only() {
    let fx = Fixture::with_args(&["--hash-concurrency", "3"]).await;
    let policy = json!({"account_failures": 5, "account_window_secs": 900, "ip_failures": 20,
        "ip_window_secs": 60, "client_failures": 10, "client_window_secs": 300,
        "max_backoff_secs": 900, "hash_concurrency": 3});
    let r = fx.admin(Method::GET, "/v1/settings", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["throttle"], policy);
    let body = json!({"throttle": {"account_failures": 1000}});
    let r = fx.admin(Method::PATCH, "/v1/settings", Some(&body)).await;
    assert_eq!(r.status, 422, "{}", r.text);
    let r = fx.admin(Method::GET, "/v1/settings", None).await;
    assert_eq!(r.json["throttle"], policy);
}
