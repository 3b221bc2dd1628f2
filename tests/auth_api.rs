//! The first-party auth API (`/v1/auth/*`): register, login (with the MFA step), mfa
//! verify, refresh (rotation and reuse shared with `/oauth/token`), logout, the caller's
//! session and sessions, in bearer and cookie mode (Origin checked), every error code of
//! the contract, the throttles, the claims of the tokens and the audit trail.
mod common;
use common::auth_api::*;
use common::totp::next_code;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};

fn claims(t: &Value) -> Value {
    decode_jwt(t["access_token"].as_str().expect("access_token")).1
}

fn assert_error(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.json["error"]["code"], code, "{}", r.text);
}

async fn get(fx: &Fixture, path: &str, headers: &[(&str, &str)]) -> Reply {
    call(fx, Method::GET, path, None, headers).await
}

#[tokio::test]
async fn login_issues_the_code_flows_tokens_bound_to_a_session() {
    let fx = Fixture::new().await;
    let t = login(&fx, json!({"scope": "openid profile email"})).await;
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 600);
    assert_eq!(t["user"]["email"], EMAIL);
    assert_eq!(t["user"]["id"], fx.user_id.as_str());
    assert!(t["refresh_token"].is_string(), "{t}");
    let c = claims(&t);
    assert_eq!(c["sub"], fx.user_id.as_str());
    assert_eq!(c["client_id"], fx.web_client_id.as_str());
    assert_eq!(c["scope"], "openid profile email");
    assert_eq!(c["aal"], "aal1");
    assert_eq!(c["acr"], "aal1");
    assert_eq!(c["amr"], json!(["pwd"]));
    assert_eq!(c["auth_method"], "password");
    let sid = c["sid"].as_str().expect("sid").to_string();
    assert!(c.get("org").is_none() && c.get("branch").is_none(), "{c}");
    verify_rs256(t["access_token"].as_str().unwrap(), &fx.jwks().await).expect("signed");
    assert_eq!(
        fx.introspect(t["access_token"].as_str().unwrap()).await["active"],
        true
    );

    let auth = bearer(&t);
    let r = get(&fx, "/v1/auth/session", &[("authorization", &auth)]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["user"]["email"], EMAIL);
    assert_eq!(r.json["session"]["sid"], sid.as_str());
    assert_eq!(r.json["session"]["aal"], "aal1");
    assert_eq!(r.json["session"]["auth_method"], "password");
    assert!(r.json["session"]["auth_time"].is_i64());

    // The same refresh family rules as the code flow: /oauth/token rotates it too.
    let rt = t["refresh_token"].as_str().unwrap();
    assert_eq!(fx.refresh(rt).await.status, 200);

    let ok = fx.audit_events("type=login.succeeded").await;
    assert_eq!(ok[0]["client_id"], fx.web_client_id.as_str(), "{ok:?}");
    assert_eq!(ok[0]["detail"]["method"], "password");
    assert_eq!(ok[0]["detail"]["session_id"], sid.as_str());
    let issued = fx.audit_events("type=token.issued").await;
    assert!(
        issued
            .iter()
            .any(|e| e["detail"]["grant_type"] == "first_party"),
        "{issued:?}"
    );
    let audit = serde_json::to_string(&fx.audit_events("limit=200").await).unwrap();
    assert!(
        !audit.contains(PASSWORD) && !audit.contains(rt),
        "no secret audited"
    );
}

#[tokio::test]
async fn wrong_unknown_and_suspended_get_the_same_401_and_bad_input_is_refused() {
    let fx = Fixture::new().await;
    let body = |email: &str, password: &str| json!({"client_id": fx.web_client_id, "email": email, "password": password});
    for (email, password) in [(EMAIL, "wrong password"), ("nobody@example.com", PASSWORD)] {
        let r = post(&fx, "/v1/auth/login", &body(email, password), &[]).await;
        assert_error(&r, 401, "invalid_credentials");
        assert_eq!(r.json["error"]["type"], "authentication_error");
    }
    let path = format!("/v1/users/{}/suspend", fx.user_id);
    assert_eq!(fx.admin(Method::POST, &path, None).await.status, 200);
    let r = post(&fx, "/v1/auth/login", &body(EMAIL, PASSWORD), &[]).await;
    assert_error(&r, 401, "invalid_credentials");
    let failed = fx.audit_events("type=login.failed").await;
    let reasons: Vec<&str> = failed
        .iter()
        .filter_map(|e| e["detail"]["reason"].as_str())
        .collect();
    for reason in ["wrong_password", "unknown_email", "suspended"] {
        assert!(reasons.contains(&reason), "{reasons:?}");
    }
    assert!(failed
        .iter()
        .all(|e| e["client_id"] == fx.web_client_id.as_str()));

    // Not a product's web client; a scope the client has not registered; no JSON.
    let mut b = body(EMAIL, PASSWORD);
    b["client_id"] = json!(fx.server_client_id);
    assert_error(
        &post(&fx, "/v1/auth/login", &b, &[]).await,
        400,
        "invalid_client",
    );
    b["client_id"] = json!("tessera-console");
    assert_error(
        &post(&fx, "/v1/auth/login", &b, &[]).await,
        400,
        "invalid_client",
    );
    let mut b = body(EMAIL, PASSWORD);
    b["scope"] = json!("openid payroll:admin");
    assert_error(
        &post(&fx, "/v1/auth/login", &b, &[]).await,
        400,
        "invalid_scope",
    );
    let r = fx
        .http
        .post(fx.url("/v1/auth/login"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let refused = fx.audit_events("type=auth.refused").await;
    assert!(
        refused
            .iter()
            .any(|e| e["detail"]["code"] == "invalid_client"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn the_hosted_logins_throttles_answer_429_with_retry_after() {
    let fx = Fixture::new().await;
    let wrong = json!({"client_id": fx.web_client_id, "email": EMAIL, "password": "nope nope"});
    for _ in 0..5 {
        assert_error(
            &post(&fx, "/v1/auth/login", &wrong, &[]).await,
            401,
            "invalid_credentials",
        );
    }
    let right = json!({"client_id": fx.web_client_id, "email": EMAIL, "password": PASSWORD});
    let r = post(&fx, "/v1/auth/login", &right, &[]).await;
    assert_error(&r, 429, "rate_limited");
    assert_eq!(r.json["error"]["type"], "rate_limit_error");
    let secs: i64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=900).contains(&secs), "{secs}");
    let throttled = fx.audit_events("type=login.throttled").await;
    assert!(!throttled.is_empty());
    assert_eq!(throttled[0]["client_id"], fx.web_client_id.as_str());
    // The hosted form shares the counter.
    let browser = fx.browser();
    let form = browser.start_login(&fx.authorize(&[]).url).await;
    assert_eq!(
        browser.submit_login(&form, EMAIL, PASSWORD).await.status,
        429
    );
}

#[tokio::test]
async fn registration_is_closed_until_the_product_opens_it() {
    let fx = Fixture::new().await;
    let body = |email: &str, password: &str| json!({"client_id": fx.web_client_id, "email": email, "password": password, "name": "Bo"});
    assert_eq!(fx.product["self_registration"], false);
    let r = post(
        &fx,
        "/v1/auth/register",
        &body("bo@example.com", PASSWORD),
        &[],
    )
    .await;
    assert_error(&r, 403, "registration_closed");

    let product = set_self_registration(&fx, true).await;
    assert_eq!(product["self_registration"], true);
    let r = post(
        &fx,
        "/v1/auth/register",
        &body("bo@example.com", PASSWORD),
        &[],
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["user"]["email"], "bo@example.com");
    assert_eq!(r.json["user"]["name"], "Bo");
    assert_eq!(r.json["user"]["email_verified"], false);
    let c = claims(&r.json);
    assert_eq!(c["sub"], r.json["user"]["id"]);
    assert!(c["sid"].is_string());
    assert_eq!(fx.audit_events("type=user.registered").await.len(), 1);

    let r = post(
        &fx,
        "/v1/auth/register",
        &body("BO@example.com", PASSWORD),
        &[],
    )
    .await;
    assert_error(&r, 409, "email_taken");
    let r = post(
        &fx,
        "/v1/auth/register",
        &body("cy@example.com", "short"),
        &[],
    )
    .await;
    assert_error(&r, 422, "validation_failed");
    assert_eq!(r.json["error"]["field"], "password");
    let r = post(
        &fx,
        "/v1/auth/register",
        &body("not an email", PASSWORD),
        &[],
    )
    .await;
    assert_error(&r, 422, "validation_failed");

    // The new account signs in; closing sign-up again stops new ones only.
    let again =
        json!({"client_id": fx.web_client_id, "email": "bo@example.com", "password": PASSWORD});
    assert_eq!(post(&fx, "/v1/auth/login", &again, &[]).await.status, 200);
    set_self_registration(&fx, false).await;
    let r = post(
        &fx,
        "/v1/auth/register",
        &body("dee@example.com", PASSWORD),
        &[],
    )
    .await;
    assert_error(&r, 403, "registration_closed");
    let null = fx
        .admin(
            Method::PATCH,
            &format!("/v1/products/{}", s(&fx.product, "id")),
            Some(&json!({"self_registration": null})),
        )
        .await;
    assert_eq!(null.status, 422);
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_token_revokes_the_family() {
    let fx = Fixture::new().await;
    let t = login(&fx, json!({})).await;
    let first = t["refresh_token"].as_str().unwrap().to_string();
    let r = post(
        &fx,
        "/v1/auth/refresh",
        &json!({"refresh_token": first}),
        &[],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let second = r.json["refresh_token"].as_str().unwrap().to_string();
    let rotated_access = r.json["access_token"].as_str().unwrap().to_string();
    assert_ne!(second, first);
    assert_eq!(claims(&r.json)["sid"], claims(&t)["sid"]);
    assert_eq!(fx.introspect(&rotated_access).await["active"], true);

    // The first token again: the family is revoked, as at /oauth/token.
    let r = post(
        &fx,
        "/v1/auth/refresh",
        &json!({"refresh_token": first}),
        &[],
    )
    .await;
    assert_error(&r, 401, "invalid_grant");
    assert_eq!(fx.audit_events("type=token.reuse_detected").await.len(), 1);
    let at_token = fx.refresh(&second).await;
    assert_eq!(at_token.status, 400);
    assert_eq!(at_token.json["error"], "invalid_grant");
    assert_eq!(fx.introspect(&rotated_access).await["active"], false);

    let r = post(
        &fx,
        "/v1/auth/refresh",
        &json!({"refresh_token": "nope"}),
        &[],
    )
    .await;
    assert_error(&r, 401, "invalid_grant");
    let r = post(&fx, "/v1/auth/refresh", &json!({}), &[]).await;
    assert_error(&r, 400, "invalid_request");
    assert!(fx.audit_events("type=token.refused").await.len() >= 3);
}

#[tokio::test]
async fn logout_ends_the_session_and_revokes_its_tokens() {
    let fx = Fixture::new().await;
    let t = login(&fx, json!({})).await;
    let access = t["access_token"].as_str().unwrap();
    let r = call(
        &fx,
        Method::POST,
        "/v1/auth/logout",
        None,
        &[("authorization", &bearer(&t))],
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(fx.introspect(access).await["active"], false);
    let rt = t["refresh_token"].as_str().unwrap();
    let r = post(&fx, "/v1/auth/refresh", &json!({"refresh_token": rt}), &[]).await;
    assert_error(&r, 401, "invalid_grant");
    let r = get(&fx, "/v1/auth/session", &[("authorization", &bearer(&t))]).await;
    assert_error(&r, 401, "unauthenticated");
    let logout = fx.audit_events("type=logout").await;
    assert_eq!(
        logout[0]["detail"]["initiated_by"], "auth_api",
        "{logout:?}"
    );

    // By refresh token alone.
    let t = login(&fx, json!({})).await;
    let rt = t["refresh_token"].as_str().unwrap();
    let r = post(&fx, "/v1/auth/logout", &json!({"refresh_token": rt}), &[]).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(
        fx.introspect(t["access_token"].as_str().unwrap()).await["active"],
        false
    );
    let r = call(&fx, Method::POST, "/v1/auth/logout", None, &[]).await;
    assert_error(&r, 401, "unauthenticated");
}

#[tokio::test]
async fn sessions_are_the_callers_own() {
    let fx = Fixture::new().await;
    let a = login(&fx, json!({})).await;
    let b = login(&fx, json!({})).await;
    let r = get(&fx, "/v1/auth/sessions", &[("authorization", &bearer(&a))]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let list = r.json["sessions"].as_array().expect("sessions");
    assert_eq!(list.len(), 2, "{list:?}");
    let sid_a = claims(&a)["sid"].as_str().unwrap().to_string();
    let sid_b = claims(&b)["sid"].as_str().unwrap().to_string();
    let current: Vec<&Value> = list.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["sid"], sid_a.as_str());

    // Someone else cannot end them: 404, as for a session that does not exist.
    fx.create_user("eve@example.com", PASSWORD, "Eve").await;
    let eve = login(&fx, json!({"email": "eve@example.com"})).await;
    let path = format!("/v1/auth/sessions/{sid_b}");
    let r = call(
        &fx,
        Method::DELETE,
        &path,
        None,
        &[("authorization", &bearer(&eve))],
    )
    .await;
    assert_error(&r, 404, "not_found");
    assert_eq!(
        fx.introspect(b["access_token"].as_str().unwrap()).await["active"],
        true
    );

    let r = call(
        &fx,
        Method::DELETE,
        &path,
        None,
        &[("authorization", &bearer(&a))],
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(
        fx.introspect(b["access_token"].as_str().unwrap()).await["active"],
        false
    );
    let r = get(&fx, "/v1/auth/sessions", &[("authorization", &bearer(&a))]).await;
    assert_eq!(r.json["sessions"].as_array().unwrap().len(), 1);

    // Tokens that are not a product web client's user tokens are refused.
    let server = format!("Bearer {}", fx.server_token().await);
    let r = get(&fx, "/v1/auth/session", &[("authorization", &server)]).await;
    assert_error(&r, 401, "unauthenticated");
    let admin = format!("Bearer {}", fx.admin_token);
    assert_error(
        &get(&fx, "/v1/auth/session", &[("authorization", &admin)]).await,
        401,
        "unauthenticated",
    );
    assert_error(
        &get(&fx, "/v1/auth/session", &[]).await,
        401,
        "unauthenticated",
    );
}

#[tokio::test]
async fn cookie_mode_sets_http_only_cookies_and_checks_the_origin() {
    let fx = Fixture::new().await;
    let body = json!({"client_id": fx.web_client_id, "email": EMAIL, "password": PASSWORD, "mode": "cookie"});
    let r = post(&fx, "/v1/auth/login", &body, &[]).await;
    assert_error(&r, 403, "origin_not_allowed");
    let r = post(
        &fx,
        "/v1/auth/login",
        &body,
        &[("origin", "https://evil.example")],
    )
    .await;
    assert_error(&r, 403, "origin_not_allowed");
    let r = post(&fx, "/v1/auth/login", &body, &[("origin", ORIGIN)]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.json.get("access_token").is_none() && r.json.get("refresh_token").is_none());
    assert_eq!(r.json["user"]["email"], EMAIL);
    assert_eq!(r.json["expires_in"], 600);
    let (at_cookie, at) = cookie_named(&r, "tessera_at").expect("tessera_at");
    let (rt_cookie, rt) = cookie_named(&r, "tessera_rt").expect("tessera_rt");
    for part in ["HttpOnly", "SameSite=Strict", "Path=/;", "Max-Age=600"] {
        assert!(at_cookie.contains(part), "{at_cookie}");
    }
    for part in ["HttpOnly", "SameSite=Strict", "Path=/v1/auth"] {
        assert!(rt_cookie.contains(part), "{rt_cookie}");
    }
    assert!(!at_cookie.contains("Secure"), "http issuer: {at_cookie}");

    // Reads by cookie; writes by cookie need the origin.
    let at_header = format!("tessera_at={at}");
    let r = get(&fx, "/v1/auth/session", &[("cookie", &at_header)]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let sid = r.json["session"]["sid"].as_str().unwrap().to_string();
    let both = format!("tessera_at={at}; tessera_rt={rt}");
    let r = post(&fx, "/v1/auth/refresh", &json!({}), &[("cookie", &both)]).await;
    assert_error(&r, 403, "origin_not_allowed");
    let r = post(
        &fx,
        "/v1/auth/refresh",
        &json!({}),
        &[("cookie", &both), ("origin", ORIGIN)],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.json.get("refresh_token").is_none());
    let (_, at2) = cookie_named(&r, "tessera_at").expect("rotated tessera_at");
    let (_, rt2) = cookie_named(&r, "tessera_rt").expect("rotated tessera_rt");
    assert_ne!(rt2, rt);
    let both = format!("tessera_at={at2}; tessera_rt={rt2}");
    let path = format!("/v1/auth/sessions/{sid}");
    let evil = [
        ("cookie", both.as_str()),
        ("origin", "https://evil.example"),
    ];
    assert_error(
        &call(&fx, Method::DELETE, &path, None, &evil).await,
        403,
        "origin_not_allowed",
    );
    let r = call(
        &fx,
        Method::POST,
        "/v1/auth/logout",
        None,
        &[("cookie", &both)],
    )
    .await;
    assert_error(&r, 403, "origin_not_allowed");
    let r = call(
        &fx,
        Method::POST,
        "/v1/auth/logout",
        None,
        &[("cookie", &both), ("origin", ORIGIN)],
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let cleared = set_cookies(&r);
    assert!(
        cleared
            .iter()
            .any(|c| c.starts_with("tessera_at=;") && c.contains("Max-Age=0")),
        "{cleared:?}"
    );
    assert!(
        cleared
            .iter()
            .any(|c| c.starts_with("tessera_rt=;") && c.contains("Max-Age=0")),
        "{cleared:?}"
    );
    let r = get(
        &fx,
        "/v1/auth/session",
        &[("cookie", &format!("tessera_at={at2}"))],
    )
    .await;
    assert_error(&r, 401, "unauthenticated");
    // Bearer mode needs no Origin.
    let t = login(&fx, json!({})).await;
    assert_eq!(
        get(&fx, "/v1/auth/session", &[("authorization", &bearer(&t))])
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_user_with_an_authenticator_gives_a_code_through_the_api() {
    let fx = Fixture::new().await;
    let (secret, spent, codes) = enroll_totp(&fx).await;
    let body = json!({"client_id": fx.web_client_id, "email": EMAIL, "password": PASSWORD});
    let r = post(&fx, "/v1/auth/login", &body, &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["mfa_required"], true);
    assert_eq!(r.json["methods"], json!(["totp", "recovery_code"]));
    assert!(r.json.get("access_token").is_none());
    let token = r.json["mfa_token"].as_str().unwrap().to_string();

    let wrong = json!({"mfa_token": token, "code": "000000"});
    assert_error(
        &post(&fx, "/v1/auth/mfa/verify", &wrong, &[]).await,
        401,
        "invalid_code",
    );
    let unknown = json!({"mfa_token": "nope", "code": "123456"});
    assert_error(
        &post(&fx, "/v1/auth/mfa/verify", &unknown, &[]).await,
        401,
        "invalid_mfa_token",
    );
    let (code, _) = next_code(&secret, spent).await;
    let right = json!({"mfa_token": token, "code": code});
    let r = post(&fx, "/v1/auth/mfa/verify", &right, &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let c = claims(&r.json);
    assert_eq!(c["aal"], "aal2");
    assert_eq!(c["amr"], json!(["pwd", "otp", "mfa"]));
    assert!(c["sid"].is_string());
    // Spent: the token does not sign in twice.
    let again = json!({"mfa_token": token, "code": codes[0]});
    assert_error(
        &post(&fx, "/v1/auth/mfa/verify", &again, &[]).await,
        401,
        "invalid_mfa_token",
    );

    // A recovery code, once.
    let r = post(&fx, "/v1/auth/login", &body, &[]).await;
    let token = r.json["mfa_token"].as_str().unwrap().to_string();
    let r = post(
        &fx,
        "/v1/auth/mfa/verify",
        &json!({"mfa_token": token, "code": codes[0]}),
        &[],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(fx.audit_events("type=mfa.verified").await.len(), 2);
    assert!(!fx.audit_events("type=mfa.failed").await.is_empty());

    // Wrong codes count like passwords: the account ends up throttled.
    let r = post(&fx, "/v1/auth/login", &body, &[]).await;
    let token = r.json["mfa_token"].as_str().unwrap().to_string();
    let wrong = json!({"mfa_token": token, "code": "000000"});
    let mut last = None;
    for _ in 0..6 {
        last = Some(post(&fx, "/v1/auth/mfa/verify", &wrong, &[]).await);
    }
    let last = last.unwrap();
    assert_error(&last, 429, "rate_limited");
    assert!(last.header("retry-after").is_some());
}

#[tokio::test]
async fn a_required_second_factor_without_one_enrolled_is_refused() {
    let fx = Fixture::new().await;
    let path = format!("/v1/products/{}", s(&fx.product, "id"));
    let r = fx
        .admin(Method::PATCH, &path, Some(&json!({"mfa": "required"})))
        .await;
    assert_eq!(r.status, 200);
    let body = json!({"client_id": fx.web_client_id, "email": EMAIL, "password": PASSWORD});
    let r = post(&fx, "/v1/auth/login", &body, &[]).await;
    assert_error(&r, 403, "mfa_enrollment_required");
    assert!(r.json["error"]["message"]
        .as_str()
        .unwrap()
        .contains("/account"));
}

#[tokio::test]
async fn branches_come_from_the_request_or_the_users_only_branch() {
    let fx = Fixture::new().await;
    let created = |path: &'static str, body: Value| {
        let fx = &fx;
        async move {
            let r = fx.admin(Method::POST, path, Some(&body)).await;
            assert_eq!(r.status, 201, "{path}: {}", r.text);
            r.json
        }
    };
    let biz = created("/v1/businesses", json!({"name": "Bakery"})).await;
    let biz = s(&biz, "id").to_string();
    let mut ids = Vec::new();
    for (kind, body) in [
        ("branches", json!({"name": "North"})),
        ("branches", json!({"name": "South"})),
        ("roles", json!({"name": "clerk", "scopes": [PRODUCT_SCOPE]})),
    ] {
        let path = format!("/v1/businesses/{biz}/{kind}");
        let r = fx.admin(Method::POST, &path, Some(&body)).await;
        assert_eq!(r.status, 201, "{}", r.text);
        ids.push(s(&r.json, "id").to_string());
    }
    let member = |branch: &str| json!({"user_id": fx.user_id, "business_id": biz, "branch_id": branch, "role_id": ids[2]});
    let r = fx
        .admin(Method::POST, "/v1/memberships", Some(&member(&ids[0])))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // One branch: implied.
    let scope = format!("openid {PRODUCT_SCOPE}");
    let t = login(&fx, json!({"scope": scope})).await;
    let c = claims(&t);
    assert_eq!(c["org"], biz.as_str());
    assert_eq!(c["branch"], ids[0].as_str());
    assert_eq!(c["scope"], scope.as_str());
    let r = get(&fx, "/v1/auth/session", &[("authorization", &bearer(&t))]).await;
    assert_eq!(r.json["session"]["branch"], ids[0].as_str());
    assert_eq!(r.json["session"]["org"], biz.as_str());

    // Two branches: one must be named.
    let r = fx
        .admin(Method::POST, "/v1/memberships", Some(&member(&ids[1])))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let body = json!({"client_id": fx.web_client_id, "email": EMAIL, "password": PASSWORD});
    assert_error(
        &post(&fx, "/v1/auth/login", &body, &[]).await,
        400,
        "branch_required",
    );
    let t = login(&fx, json!({"branch": ids[1]})).await;
    assert_eq!(claims(&t)["branch"], ids[1].as_str());
    let mut other = body.clone();
    other["branch"] = json!("elsewhere");
    assert_error(
        &post(&fx, "/v1/auth/login", &other, &[]).await,
        403,
        "branch_not_allowed",
    );
}
