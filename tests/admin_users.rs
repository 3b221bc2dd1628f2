//! /v1 users CRUD: read, search + cursor paging, profile update, password, unsuspend,
//! delete, SSO sessions (list, end all, end one), and a table of bad input.
mod common;
use common::admin_cases::user_cases;
use common::table::run_table;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};

fn upath(fx: &Fixture, tail: &str) -> String {
    format!("/v1/users/{}{tail}", fx.user_id)
}

fn count_events(fx: &Fixture, t: &str) -> usize {
    let rows = fx.srv.audit_rows();
    rows.iter()
        .filter(|e| e["type"] == t && e["outcome"] == "success")
        .count()
}

async fn userinfo_status(fx: &Fixture, token: &str) -> u16 {
    let r = fx
        .http
        .get(fx.url("/oauth/userinfo"))
        .bearer_auth(token)
        .send();
    r.await.expect("userinfo").status().as_u16()
}

/// Whether `browser`'s SSO cookie still mints a code without a login.
async fn sso_alive(fx: &Fixture, browser: &Browser) -> bool {
    let a = browser
        .get(&fx.authorize(&[("prompt", Some("none"))]).url)
        .await;
    a.location
        .as_ref()
        .is_some_and(|l| param(l, "code").is_some())
}

async fn sessions(fx: &Fixture) -> Vec<Value> {
    let r = fx.admin(Method::GET, &upath(fx, "/sessions"), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["sessions"].as_array().expect("sessions").clone()
}

#[tokio::test]
async fn get_and_patch_a_user() {
    let fx = Fixture::new().await;
    let r = fx.admin(Method::GET, &upath(&fx, ""), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["email"], EMAIL);
    assert_eq!(r.json["name"], "Ann B");
    assert_eq!(r.json["status"], "active");
    assert!(!r.text.contains("argon2"), "leaks the hash");

    let body = json!({"name": "Ann C", "given_name": "Ann", "family_name": "C",
                      "locale": "de-CH", "email_verified": true});
    let r = fx.admin(Method::PATCH, &upath(&fx, ""), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    for (k, v) in body.as_object().expect("object") {
        assert_eq!(&r.json[k], v, "{k}: {}", r.text);
    }
    assert_eq!(
        fx.admin(Method::GET, &upath(&fx, ""), None).await.json,
        r.json
    );

    // A new email is unverified unless told otherwise; null clears optional fields.
    let body = json!({"email": "ann.c@example.com", "given_name": null});
    let r = fx.admin(Method::PATCH, &upath(&fx, ""), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["email"], "ann.c@example.com");
    assert_eq!(r.json["email_verified"], false);
    assert!(r.json["given_name"].is_null(), "{}", r.text);
    assert_eq!(r.json["family_name"], "C", "untouched fields stay");
    assert_eq!(count_events(&fx, "admin.user.updated"), 2);

    // The new email signs in, and the ID token carries the new profile.
    let browser = fx.browser();
    let req = fx.authorize(&[("scope", Some("openid email profile"))]);
    let back = browser.login(&req.url, "ann.c@example.com", PASSWORD).await;
    let code = param(&back, "code").expect("code");
    let t = fx.exchange(&code, &req.verifier).await;
    assert_eq!(t.status, 200, "{}", t.text);
    let id = claims_of(&t.json, "id_token");
    assert_eq!(id["email"], "ann.c@example.com");
    assert_eq!(id["email_verified"], false);
    assert_eq!(id["name"], "Ann C");
    assert_eq!(id["locale"], "de-CH");
}

#[tokio::test]
async fn search_and_cursor_paging() {
    let fx = Fixture::new().await;
    let mut zeds = Vec::new();
    for i in 0..7 {
        let u = fx
            .create_user(
                &format!("z{i}@example.com"),
                PASSWORD,
                &format!("Zed Number{i}"),
            )
            .await;
        zeds.push(s(&u, "id").to_string());
    }
    fx.create_user("other@example.org", PASSWORD, "Bo").await;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut path = "/v1/users?q=zED%20num&limit=3".to_string();
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={}", urlencode(c)));
        }
        let r = fx.admin(Method::GET, &path, None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let users = r.json["users"].as_array().expect("users");
        assert!(users.len() <= 3, "{}", r.text);
        seen.extend(users.iter().map(|u| s(u, "id").to_string()));
        pages += 1;
        match r.json["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, zeds, "every match once, in creation order");

    // Email substring, no query, and status filter.
    let r = fx.admin(Method::GET, "/v1/users?q=EXAMPLE.ORG", None).await;
    let emails: Vec<&str> = r.json["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| s(u, "email"))
        .collect();
    assert_eq!(emails, vec!["other@example.org"], "{}", r.text);
    let r = fx.admin(Method::GET, "/v1/users", None).await;
    assert_eq!(
        r.json["users"].as_array().map(Vec::len),
        Some(9),
        "{}",
        r.text
    );
    assert!(r.json["next_cursor"].is_null());
    let r = fx.admin(Method::GET, "/v1/users?q=%25", None).await;
    assert_eq!(
        r.json["users"],
        json!([]),
        "% is matched literally: {}",
        r.text
    );
    fx.admin(
        Method::POST,
        &format!("/v1/users/{}/suspend", zeds[2]),
        None,
    )
    .await;
    let r = fx
        .admin(Method::GET, "/v1/users?status=suspended", None)
        .await;
    let ids: Vec<&str> = r.json["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| s(u, "id"))
        .collect();
    assert_eq!(ids, vec![zeds[2].as_str()], "{}", r.text);
}

fn urlencode(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

#[tokio::test]
async fn password_change_ends_sessions_and_refresh() {
    let fx = Fixture::new().await;
    let (browser, t) = fx.user_tokens("openid offline_access").await;
    let listed = sessions(&fx).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let sess = &listed[0];
    assert_eq!(sess["active"], true);
    for k in ["id", "created_at", "auth_time", "expires_at", "ip"] {
        assert!(sess.get(k).is_some_and(|v| !v.is_null()), "{k} in {sess}");
    }
    // reqwest sends no User-Agent, so the field is present but null.
    assert!(sess.get("user_agent").is_some(), "{sess}");
    assert!(sso_alive(&fx, &browser).await);

    let new_pw = "a brand new password";
    let r = fx
        .admin(
            Method::POST,
            &upath(&fx, "/password"),
            Some(&json!({"password": new_pw})),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);

    assert_eq!(sessions(&fx).await[0]["active"], false);
    assert!(!sso_alive(&fx, &browser).await, "SSO session survived");
    let refresh = fx.refresh(s(&t, "refresh_token")).await;
    assert_eq!(refresh.json["error"], "invalid_grant", "{}", refresh.text);
    assert_eq!(
        fx.introspect(s(&t, "access_token")).await,
        json!({"active": false})
    );

    let b = fx.browser();
    let form = b.start_login(&fx.authorize(&[]).url).await;
    assert_eq!(
        b.submit_login(&form, EMAIL, PASSWORD).await.status,
        401,
        "old password"
    );
    let back = b.login(&fx.authorize(&[]).url, EMAIL, new_pw).await;
    assert!(param(&back, "code").is_some(), "new password: {back}");
    assert_eq!(count_events(&fx, "admin.user.password_set"), 1);
    let audit = serde_json::to_string(&fx.srv.audit_rows()).unwrap_or_default();
    assert!(!audit.contains(new_pw), "the audit log holds the password");
}

#[tokio::test]
async fn sessions_are_ended_one_or_all() {
    let fx = Fixture::new().await;
    let (b1, t1) = fx.user_tokens("openid offline_access").await;
    let (b2, t2) = fx.user_tokens("openid offline_access").await;
    let listed = sessions(&fx).await;
    assert_eq!(listed.len(), 2);
    // Newest first: the second login's session.
    let second = s(&listed[0], "id").to_string();

    let r = fx
        .admin(
            Method::DELETE,
            &upath(&fx, &format!("/sessions/{second}")),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(sso_alive(&fx, &b1).await, "the other session must stay");
    assert!(!sso_alive(&fx, &b2).await, "the ended session still works");
    assert_eq!(
        fx.refresh(s(&t2, "refresh_token")).await.json["error"],
        "invalid_grant"
    );
    let r1 = fx.refresh(s(&t1, "refresh_token")).await;
    assert_eq!(r1.status, 200, "{}", r1.text);
    let unknown = upath(&fx, "/sessions/nope");
    assert_eq!(fx.admin(Method::DELETE, &unknown, None).await.status, 404);

    let r = fx
        .admin(Method::DELETE, &upath(&fx, "/sessions"), None)
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(!sso_alive(&fx, &b1).await);
    assert!(sessions(&fx).await.iter().all(|x| x["active"] == false));
    let again = fx.refresh(s(&r1.json, "refresh_token")).await;
    assert_eq!(again.json["error"], "invalid_grant", "{}", again.text);
    assert_eq!(
        fx.introspect(s(&r1.json, "access_token")).await["active"],
        false
    );
    assert_eq!(count_events(&fx, "admin.user.sessions_revoked"), 2);
}

/// Suspension blocks, it does not revoke: after unsuspend the refresh token works again,
/// while the SSO sessions the suspension ended stay ended.
#[tokio::test]
async fn unsuspend_restores_refresh_but_not_sessions() {
    let fx = Fixture::new().await;
    let (browser, t) = fx.user_tokens("openid offline_access").await;
    let suspend = fx.admin(Method::POST, &upath(&fx, "/suspend"), None).await;
    assert_eq!(suspend.status, 200, "{}", suspend.text);
    assert_eq!(
        fx.refresh(s(&t, "refresh_token")).await.json["error"],
        "invalid_grant"
    );
    assert_eq!(userinfo_status(&fx, s(&t, "access_token")).await, 401);

    let r = fx
        .admin(Method::POST, &upath(&fx, "/unsuspend"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["status"], "active");
    assert_eq!(userinfo_status(&fx, s(&t, "access_token")).await, 200);
    let r = fx.refresh(s(&t, "refresh_token")).await;
    assert_eq!(r.status, 200, "refresh after unsuspend: {}", r.text);
    assert!(
        !sso_alive(&fx, &browser).await,
        "suspension ended the SSO session"
    );
    let again = fx
        .browser()
        .login(&fx.authorize(&[]).url, EMAIL, PASSWORD)
        .await;
    assert!(param(&again, "code").is_some());
    assert_eq!(count_events(&fx, "admin.user.unsuspended"), 1);
}

#[tokio::test]
async fn deleting_a_user_cascades() {
    let fx = Fixture::new().await;
    let (browser, t) = fx.user_tokens("openid offline_access").await;
    let r = fx.admin(Method::DELETE, &upath(&fx, ""), None).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(
        fx.admin(Method::GET, &upath(&fx, ""), None).await.status,
        404
    );
    assert_eq!(
        fx.admin(Method::DELETE, &upath(&fx, ""), None).await.status,
        404
    );
    assert_eq!(
        fx.admin(Method::GET, &upath(&fx, "/sessions"), None)
            .await
            .status,
        404
    );
    assert_eq!(
        fx.introspect(s(&t, "access_token")).await,
        json!({"active": false})
    );
    assert_eq!(
        fx.introspect(s(&t, "refresh_token")).await,
        json!({"active": false})
    );
    assert_eq!(userinfo_status(&fx, s(&t, "access_token")).await, 401);
    assert!(!sso_alive(&fx, &browser).await);
    let rows = fx.srv.sql(&format!(
        "SELECT (SELECT count(*) FROM sso_sessions WHERE user_id = '{0}') +
                (SELECT count(*) FROM refresh_families WHERE user_id = '{0}') AS n",
        fx.user_id
    ));
    assert_eq!(rows[0]["n"], 0, "rows left behind");
    let b = fx.browser();
    let form = b.start_login(&fx.authorize(&[]).url).await;
    assert_eq!(b.submit_login(&form, EMAIL, PASSWORD).await.status, 401);
    // The email is free again.
    fx.create_user(EMAIL, PASSWORD, "Ann again").await;
    assert_eq!(count_events(&fx, "admin.user.deleted"), 1);
}

#[tokio::test]
async fn bad_user_requests_are_refused_and_change_nothing() {
    let fx = Fixture::new().await;
    fx.create_user("taken@example.com", PASSWORD, "Taken").await;
    let server_token = fx.server_token().await;
    let (browser, _) = fx.user_tokens("openid").await;
    let before = fx.admin(Method::GET, &upath(&fx, ""), None).await.json;
    let audit_before = fx.srv.audit_rows().len();
    let failures = run_table(&fx, &user_cases(&fx, &server_token)).await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    for (body, field) in [
        (json!({"email": "x"}), "email"),
        (json!({"name": " "}), "name"),
        (json!({"given_name": ""}), "given_name"),
        (json!({"family_name": "\u{7}"}), "family_name"),
        (json!({"locale": "e"}), "locale"),
        (json!({"email_verified": null}), "email_verified"),
    ] {
        let r = fx.admin(Method::PATCH, &upath(&fx, ""), Some(&body)).await;
        assert_eq!(r.status, 422, "{body}: {}", r.text);
        assert_eq!(r.json["error"]["field"], field, "{body}: {}", r.text);
    }
    let r = fx.admin(Method::GET, "/v1/users?limit=0", None).await;
    assert_eq!(r.json["error"]["field"], "limit", "{}", r.text);
    let r = fx
        .admin(
            Method::POST,
            &upath(&fx, "/password"),
            Some(&json!({"password": "x"})),
        )
        .await;
    assert_eq!(r.json["error"]["field"], "password", "{}", r.text);

    assert_eq!(
        fx.admin(Method::GET, &upath(&fx, ""), None).await.json,
        before
    );
    assert!(
        sso_alive(&fx, &browser).await,
        "a refused request ended a session"
    );
    let written: Vec<Value> = fx.srv.audit_rows().into_iter().skip(audit_before).collect();
    assert!(
        written
            .iter()
            .all(|e| !e["type"].as_str().unwrap_or("").starts_with("admin.")),
        "a refused request wrote an admin event: {written:?}"
    );
    let b = fx.browser();
    let back = b.login(&fx.authorize(&[]).url, EMAIL, PASSWORD).await;
    assert!(param(&back, "code").is_some(), "the password was changed");
}
