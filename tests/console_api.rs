//! The built-in console client `tessera-console` (super-admins only, redirect URI at the
//! issuer only, the `admin` scope nowhere else), `GET /v1/stats`, the JWS header in
//! `token.issued` events. (`POST /v1/backup` is in tests/backup.rs; tests/console_client.rs:
//! the confirmation page and the refused loopback ports.)
mod common;
use common::console::*;
use common::db::sql_write;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use url::Url;

const DENIED: &str = "only super-admins can sign in to the console";

/// A fixture with a super-admin; returns its id.
async fn with_superadmin() -> (Fixture, String) {
    let fx = Fixture::new().await;
    let id = fx.srv.superadmin_create(SUPER_EMAIL, SUPER_PASSWORD);
    (fx, id)
}

/// Signs `email` in to the console through the hosted login; returns the browser and the
/// URL the browser was sent back to.
async fn console_login(
    fx: &Fixture,
    redirect: &str,
    email: &str,
    password: &str,
) -> (Browser, AuthRequest, Url) {
    let browser = fx.browser();
    let req = fx.console_authorize(redirect, &[]);
    let back = browser.login(&req.url, email, password).await;
    (browser, req, back)
}

/// A super-admin's console tokens through the console's redirect URI at the issuer.
async fn console_tokens(fx: &Fixture) -> (Browser, Value) {
    let redirect = issuer_callback(fx);
    let (browser, req, back) = console_login(fx, &redirect, SUPER_EMAIL, SUPER_PASSWORD).await;
    assert!(back.as_str().starts_with(&redirect), "went to {back}");
    assert_eq!(param(&back, "state").as_deref(), Some(req.state.as_str()));
    assert_eq!(param(&back, "iss").as_deref(), Some(fx.issuer()));
    let code = param(&back, "code").unwrap_or_else(|| panic!("no code in {back}"));
    let r = fx.console_exchange(&code, &req.verifier, &redirect).await;
    assert_eq!(r.status, 200, "console code exchange: {}", r.text);
    (browser, r.json)
}

async fn get_with(fx: &Fixture, token: &str, path: &str) -> Reply {
    let req = fx.http.get(fx.url(path)).bearer_auth(token);
    Reply::read(req.send().await.expect("GET")).await
}

fn events_of<'a>(rows: &'a [Value], kind: &str) -> Vec<&'a Value> {
    rows.iter().filter(|r| r["type"] == kind).collect()
}

fn detail(row: &Value) -> Value {
    serde_json::from_str(row["detail"].as_str().unwrap_or("null")).unwrap_or(Value::Null)
}

#[tokio::test]
async fn super_admin_signs_in_to_the_console() {
    let (fx, root_id) = with_superadmin().await;
    let (browser, t) = console_tokens(&fx).await;
    assert_eq!(scopes(&t["scope"]), ["admin", "email", "openid", "profile"]);
    assert_eq!(t["expires_in"], 600, "access token lives 10 minutes");
    let at = s(&t, "access_token").to_string();
    let claims = claims_of(&t, "access_token");
    assert_eq!(claims["sub"], root_id.as_str());
    assert_eq!(claims["client_id"], CONSOLE_ID);
    assert_eq!(claims["aud"], fx.url("/v1"));
    let id_claims = claims_of(&t, "id_token");
    assert_eq!(id_claims["aud"], CONSOLE_ID);
    assert_eq!(id_claims["email"], SUPER_EMAIL);

    // The token opens the admin API.
    let users = get_with(&fx, &at, "/v1/users").await;
    assert_eq!(users.status, 200, "{}", users.text);

    // The refresh token lives 12 hours and rotates; `admin` survives the refresh.
    let rows = fx.srv.sql(
        "SELECT t.expires_at - t.created_at AS ttl FROM refresh_tokens t
         JOIN refresh_families f ON f.id = t.family_id WHERE f.client_id = 'tessera-console'",
    );
    assert_eq!(rows, vec![json!({"ttl": 43_200})]);
    let rt = s(&t, "refresh_token").to_string();
    let r = fx.console_refresh(&rt).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        scopes(&r.json["scope"]),
        ["admin", "email", "openid", "profile"]
    );
    assert_ne!(s(&r.json, "refresh_token"), rt);
    let again = fx.console_refresh(&rt).await;
    assert_eq!(again.json["error"], "invalid_grant", "{}", again.text);

    // With the SSO session the next sign-in needs only a confirmation (see
    // tests/console_client.rs); `branch` is ignored.
    let redirect = issuer_callback(&fx);
    let req = fx.console_authorize(&redirect, &[("branch", Some("nope"))]);
    let (_, inputs) = browser.console_confirmation(&req.url).await;
    let a = browser.confirm_console(&inputs, "continue").await;
    assert_eq!(a.status, 303, "{a:?}");
    let back = a.location.expect("Location");
    assert!(back.as_str().starts_with(&redirect), "went to {back}");
    let code = param(&back, "code").unwrap_or_else(|| panic!("no code in {back}"));
    let r = fx.console_exchange(&code, &req.verifier, &redirect).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(scopes(&r.json["scope"]).contains(&"admin".to_string()));

    // Audited as other sign-ins are.
    let audit = fx.srv.audit_rows();
    let logins = events_of(&audit, "login.succeeded");
    assert!(
        logins
            .iter()
            .any(|e| e["client_id"] == CONSOLE_ID && e["subject"] == root_id.as_str()),
        "{logins:?}"
    );
    let issued = events_of(&audit, "token.issued");
    assert!(issued.iter().any(|e| e["client_id"] == CONSOLE_ID));

    // The console is not a product and cannot be deleted through the API.
    let products = fx.admin(Method::GET, "/v1/products", None).await;
    let listed = products.json["products"].as_array().expect("products");
    assert!(listed
        .iter()
        .all(|p| p["web_client"]["client_id"] != CONSOLE_ID));
    assert_eq!(listed.len(), 1);
    let del = fx
        .admin(Method::DELETE, &format!("/v1/products/{CONSOLE_ID}"), None)
        .await;
    assert_eq!(del.status, 404, "{}", del.text);
    let row = fx.srv.sql(
        "SELECT kind, product_id, secret_hash FROM clients WHERE client_id = 'tessera-console'",
    );
    assert_eq!(
        row,
        vec![json!({"kind": "web", "product_id": null, "secret_hash": null})]
    );

    // Sign-out returns to the console's /console/ page.
    let id_token = s(&t, "id_token");
    let signed_out = fx.url("/console/");
    let mut out = Url::parse(&fx.url("/oauth/logout")).expect("url");
    out.query_pairs_mut()
        .append_pair("id_token_hint", id_token)
        .append_pair("post_logout_redirect_uri", &signed_out)
        .append_pair("client_id", CONSOLE_ID);
    let a = browser.get(out.as_str()).await;
    assert_eq!(a.status, 303, "{a:?}");
    let back = a.location.expect("Location");
    assert!(back.as_str().starts_with(&signed_out), "{back}");
}

#[tokio::test]
async fn a_normal_user_gets_access_denied_and_no_code() {
    let fx = Fixture::new().await;
    let redirect = issuer_callback(&fx);
    let (browser, req, back) = console_login(&fx, &redirect, EMAIL, PASSWORD).await;
    assert!(back.as_str().starts_with(&redirect), "went to {back}");
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&back, "error_description").as_deref(), Some(DENIED));
    assert_eq!(param(&back, "state").as_deref(), Some(req.state.as_str()));
    assert_eq!(param(&back, "code"), None);
    let n = fx
        .srv
        .sql("SELECT COUNT(*) AS n FROM authorization_codes WHERE client_id = 'tessera-console'");
    assert_eq!(n[0]["n"], 0);
    let refused: Vec<Value> = events_of(&fx.srv.audit_rows(), "login.failed")
        .into_iter()
        .cloned()
        .collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0]["subject"], fx.user_id.as_str());
    assert_eq!(refused[0]["client_id"], CONSOLE_ID);
    assert_eq!(detail(&refused[0])["reason"], "not_superadmin");

    // The refused sign-in started no SSO session.
    let silent = browser
        .get(&fx.authorize(&[("prompt", Some("none"))]).url)
        .await;
    let loc = silent.location.expect("Location");
    assert_eq!(
        param(&loc, "error").as_deref(),
        Some("login_required"),
        "{loc}"
    );

    // With an SSO session from a product sign-in, the console is still refused, with
    // and without prompt=none.
    let (code, _) = fx.login_code(&browser, "openid").await;
    assert!(!code.is_empty());
    for prompt in [None, Some("none")] {
        let req = fx.console_authorize(&redirect, &[("prompt", prompt)]);
        let a = browser.get(&req.url).await;
        assert_eq!(a.status, 303, "{a:?}");
        let back = a.location.expect("Location");
        assert!(back.as_str().starts_with(&redirect), "went to {back}");
        assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
        assert_eq!(param(&back, "error_description").as_deref(), Some(DENIED));
        assert_eq!(param(&back, "code"), None);
    }
    let audit = fx.srv.audit_rows();
    let sso = events_of(&audit, "login.failed")
        .into_iter()
        .filter(|e| detail(e)["method"] == "sso")
        .count();
    assert_eq!(sso, 2);
}

#[tokio::test]
async fn other_console_redirect_uris_are_shown_not_redirected() {
    let (fx, _) = with_superadmin().await;
    let bad = [
        loopback_callback(5000),
        "http://localhost:5000/console/callback".to_string(),
        "http://127.0.0.1:5000/console/other".to_string(),
        "http://127.0.0.1:5000/console/callback/".to_string(),
        "http://127.0.0.1:5000/console/callback?x=1".to_string(),
        "http://127.0.0.1:5000/console/".to_string(),
        "https://127.0.0.1:5000/console/callback".to_string(),
        "http://evil.example/console/callback".to_string(),
        "http://192.168.1.2:5000/console/callback".to_string(),
        "http://127.0.0.1:0/console/callback".to_string(),
        "http://127.0.0.1:5000@evil.example/console/callback".to_string(),
        REDIRECT_URI.to_string(),
        fx.url("/console/callback/x"),
    ];
    for uri in &bad {
        let req = fx.console_authorize(uri, &[]);
        let a = fx.browser().get(&req.url).await;
        assert_eq!(a.status, 400, "{uri}: {a:?}");
        assert!(a.location.is_none(), "{uri} was redirected");
        assert!(a.body.contains("redirect_uri"), "{uri}: {}", a.body);
    }
    // A product's client keeps its exact list.
    let req = fx.authorize(&[("redirect_uri", Some(&fx.url("/console/callback")))]);
    let a = fx.browser().get(&req.url).await;
    assert_eq!(a.status, 400, "{a:?}");
    assert!(a.location.is_none());

    // Post-logout URIs follow the same rule with /console/.
    let logout = |uri: &str| {
        let mut u = Url::parse(&fx.url("/oauth/logout")).expect("url");
        u.query_pairs_mut()
            .append_pair("client_id", CONSOLE_ID)
            .append_pair("post_logout_redirect_uri", uri);
        u.to_string()
    };
    let ok = fx.browser().get(&logout(&fx.url("/console/"))).await;
    assert_eq!(ok.status, 200, "confirmation page: {ok:?}");
    for uri in [
        "http://localhost:5000/console/",
        "http://127.0.0.1:5000/console/",
        "http://localhost:5000/console/callback",
        "https://evil.example/console/",
    ] {
        let a = fx.browser().get(&logout(uri)).await;
        assert_eq!(a.status, 400, "{uri}: {a:?}");
        assert!(a.location.is_none());
    }
}

#[tokio::test]
async fn admin_scope_is_never_granted_to_other_clients() {
    let (fx, _) = with_superadmin().await;
    // A product's sign-in client may not ask for it, even for a super-admin.
    let req = fx.authorize(&[("scope", Some("openid admin"))]);
    let a = fx.browser().get(&req.url).await;
    let loc = a.location.expect("Location");
    assert!(loc.as_str().starts_with(REDIRECT_URI), "{loc}");
    assert_eq!(
        param(&loc, "error").as_deref(),
        Some("invalid_scope"),
        "{loc}"
    );

    // A super-admin signed in to a product gets no admin scope, and the admin API refuses it.
    let browser = fx.browser();
    let req = fx.authorize(&[("scope", Some("openid profile"))]);
    let back = browser.login(&req.url, SUPER_EMAIL, SUPER_PASSWORD).await;
    let code = param(&back, "code").unwrap_or_else(|| panic!("no code in {back}"));
    let r = fx.exchange(&code, &req.verifier).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(!scopes(&r.json["scope"]).contains(&"admin".to_string()));
    let users = get_with(&fx, s(&r.json, "access_token"), "/v1/users").await;
    assert_eq!(users.status, 403, "{}", users.text);

    // The product's server client cannot get it either.
    let cc = fx
        .token_basic(
            &fx.server_client_id,
            &fx.server_secret,
            &[("grant_type", "client_credentials"), ("scope", "admin")],
        )
        .await;
    assert_eq!(cc.json["error"], "invalid_scope", "{}", cc.text);

    // A product scope named `admin` stays refused.
    let body = json!({"name": "Sneaky", "redirect_uris": [REDIRECT_URI], "scopes": ["admin"]});
    let p = fx.admin(Method::POST, "/v1/products", Some(&body)).await;
    assert_eq!(p.status, 422, "{}", p.text);

    // The console itself needs PKCE S256 like any public client, and its code is bound to
    // the verifier and redirect URI.
    let redirect = issuer_callback(&fx);
    for (k, v) in [
        ("code_challenge", None),
        ("code_challenge_method", Some("plain")),
    ] {
        let req = fx.console_authorize(&redirect, &[(k, v)]);
        let a = fx.browser().get(&req.url).await;
        let loc = a.location.expect("Location");
        assert_eq!(
            param(&loc, "error").as_deref(),
            Some("invalid_request"),
            "{loc}"
        );
    }
    let (_, req, back) = console_login(&fx, &redirect, SUPER_EMAIL, SUPER_PASSWORD).await;
    let code = param(&back, "code").expect("code");
    let wrong = fx
        .console_exchange(&code, "x".repeat(43).as_str(), &redirect)
        .await;
    assert_eq!(wrong.json["error"], "invalid_grant", "{}", wrong.text);
    let other = fx
        .console_exchange(&code, &req.verifier, &fx.url("/console/callback/"))
        .await;
    assert_eq!(other.json["error"], "invalid_grant", "{}", other.text);
    // A console code is not redeemable by a product's client.
    let (_, req, back) = console_login(&fx, &redirect, SUPER_EMAIL, SUPER_PASSWORD).await;
    let code = param(&back, "code").expect("code");
    let stolen = fx
        .token_public(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect),
            ("code_verifier", &req.verifier),
        ])
        .await;
    assert_eq!(stolen.json["error"], "invalid_grant", "{}", stolen.text);
}

#[tokio::test]
async fn a_suspended_or_demoted_super_admin_cannot_refresh() {
    let (fx, root_id) = with_superadmin().await;
    // Demoted (no API does it; the database can): refresh and the admin API refuse.
    let (_, t) = console_tokens(&fx).await;
    sql_write(
        &fx.srv,
        &format!("UPDATE users SET is_superadmin = FALSE WHERE id = '{root_id}'"),
    );
    let r = fx.console_refresh(s(&t, "refresh_token")).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["error"], "invalid_grant");
    assert_eq!(r.json["error_description"], DENIED);
    let users = get_with(&fx, s(&t, "access_token"), "/v1/users").await;
    assert_eq!(users.status, 403, "{}", users.text);
    sql_write(
        &fx.srv,
        &format!("UPDATE users SET is_superadmin = TRUE WHERE id = '{root_id}'"),
    );

    // Suspended: refresh fails and the access token stops working.
    let (_, t) = console_tokens(&fx).await;
    let r = fx
        .admin(Method::POST, &format!("/v1/users/{root_id}/suspend"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = fx.console_refresh(s(&t, "refresh_token")).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["error"], "invalid_grant");
    let users = get_with(&fx, s(&t, "access_token"), "/v1/users").await;
    assert_eq!(users.status, 401, "{}", users.text);
}

#[tokio::test]
async fn stats_count_things_and_bucket_issued_tokens_per_hour() {
    let fx = Fixture::new().await;
    let r = Reply::read(fx.http.get(fx.url("/v1/stats")).send().await.expect("GET")).await;
    assert_eq!(r.status, 401, "{}", r.text);
    let forbidden = get_with(&fx, &fx.server_token().await, "/v1/stats").await;
    assert_eq!(forbidden.status, 403, "{}", forbidden.text);

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let hour = now / 3600 * 3600;
    // Token events 5 h ago (counted) and 30 h ago (outside the window), and another type.
    for (ago, kind) in [
        (5, "token.issued"),
        (30, "token.issued"),
        (5, "token.refused"),
    ] {
        let at = (hour - ago * 3600) * 1000 + 1;
        sql_write(
            &fx.srv,
            &format!(
                "INSERT INTO audit_events (at, type, outcome) VALUES ({at}, '{kind}', 'success')"
            ),
        );
    }
    let before = fx.admin(Method::GET, "/v1/stats", None).await;
    assert_eq!(before.status, 200, "{}", before.text);
    for _ in 0..3 {
        fx.server_token().await;
    }
    let st = fx.admin(Method::GET, "/v1/stats", None).await;
    assert_eq!(st.status, 200, "{}", st.text);
    let j = &st.json;

    assert_eq!(j["server"]["issuer"], fx.issuer());
    assert_eq!(
        format!("http://{}", j["server"]["listen"].as_str().expect("listen")),
        fx.issuer()
    );
    assert_eq!(j["server"]["version"], env!("CARGO_PKG_VERSION"));
    let started = j["server"]["started_at"].as_i64().expect("started_at");
    let uptime = j["server"]["uptime_seconds"].as_i64().expect("uptime");
    assert!(
        started <= now + 1 && started > now - 120,
        "{started} vs {now}"
    );
    assert!((0..120).contains(&uptime), "{uptime}");
    assert_eq!(
        j["counts"],
        json!({"products": 1, "users": 1, "businesses": 0, "signing_keys": 1})
    );

    let buckets = j["tokens_per_hour"].as_array().expect("tokens_per_hour");
    assert_eq!(buckets.len(), 25);
    let starts: Vec<i64> = buckets
        .iter()
        .map(|b| b["hour_start"].as_i64().expect("hour"))
        .collect();
    for w in starts.windows(2) {
        assert_eq!(w[1] - w[0], 3600);
    }
    let last = *starts.last().expect("last");
    assert!(
        last <= now && now < last + 3600 + 5,
        "last bucket {last}, now {now}"
    );
    let count = |v: &Value, start: i64| -> i64 {
        v["tokens_per_hour"]
            .as_array()
            .expect("buckets")
            .iter()
            .find(|b| b["hour_start"] == start)
            .map_or(0, |b| b["count"].as_i64().expect("count"))
    };
    assert_eq!(count(j, last - 5 * 3600), 1, "the event 5 h ago");
    let total = |v: &Value| -> i64 {
        v["tokens_per_hour"]
            .as_array()
            .expect("buckets")
            .iter()
            .map(|b| b["count"].as_i64().expect("count"))
            .sum()
    };
    // The admin client's and the server client's tokens, and the one 5 h ago; not the 30 h one.
    assert_eq!(total(&before.json), 3, "{}", before.text);
    assert_eq!(total(j), 6, "three more client_credentials tokens");

    // The newest audit events, as /v1/audit-events shows them.
    let recent = j["recent_events"].as_array().expect("recent_events");
    assert_eq!(recent.len(), 10);
    let page = fx
        .admin(Method::GET, "/v1/audit-events?limit=10", None)
        .await;
    assert_eq!(&page.json["events"], &j["recent_events"]);
}

/// `GET /v1/stats`' `setup` (the dashboard's first-run checklist).
async fn setup_of(fx: &Fixture) -> Value {
    let r = fx.admin(Method::GET, "/v1/stats", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["setup"].clone()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
}

#[tokio::test]
async fn stats_setup_follows_the_first_run_steps() {
    let (fx, _) = with_superadmin().await;
    let shop = s(&fx.product, "id").to_string();
    // The fixture's product is registered; the admin client already has a token.
    assert_eq!(
        setup_of(&fx).await,
        json!({"first_product_id": shop, "first_product_token_at_ms": null, "branch_membership": false})
    );

    // The console's own tokens and a server client's token are not a product's sign-in.
    console_tokens(&fx).await;
    fx.server_token().await;
    assert!(setup_of(&fx).await["first_product_token_at_ms"].is_null());

    let before = now_ms();
    fx.user_tokens("openid").await;
    let after = now_ms();
    let first = setup_of(&fx).await["first_product_token_at_ms"]
        .as_i64()
        .expect("a product token is counted");
    assert!(
        (before..=after).contains(&first),
        "{before} <= {first} <= {after}"
    );

    // A second product and a second sign-in move neither: the oldest stays.
    let kiosk = fx.create_product("Kiosk", &["kiosk:read"], false).await;
    fx.user_tokens("openid").await;
    let st = fx.admin(Method::GET, "/v1/stats", None).await;
    assert_eq!(st.json["counts"]["products"], 2);
    assert_eq!(st.json["setup"]["first_product_id"], shop.as_str());
    assert_eq!(st.json["setup"]["first_product_token_at_ms"], first);

    // A role in every branch is not yet a role in a branch.
    let created = |path: String, body: Value| {
        let fx = &fx;
        async move {
            let r = fx.admin(Method::POST, &path, Some(&body)).await;
            assert_eq!(r.status, 201, "POST {path}: {}", r.text);
            r.json
        }
    };
    let biz = created("/v1/businesses".into(), json!({"name": "Bakery"})).await;
    let bid = s(&biz, "id");
    let branch = created(
        format!("/v1/businesses/{bid}/branches"),
        json!({"name": "North"}),
    )
    .await;
    let role = created(
        format!("/v1/businesses/{bid}/roles"),
        json!({"name": "clerk", "scopes": [PRODUCT_SCOPE]}),
    )
    .await;
    let member = |branch_id: Value| json!({"user_id": fx.user_id, "business_id": bid, "branch_id": branch_id, "role_id": role["id"]});
    created("/v1/memberships".into(), member(Value::Null)).await;
    assert_eq!(setup_of(&fx).await["branch_membership"], false);
    created("/v1/memberships".into(), member(branch["id"].clone())).await;
    assert_eq!(setup_of(&fx).await["branch_membership"], true);

    // Deleting the product takes its clients, so its tokens no longer count.
    let r = fx
        .admin(Method::DELETE, &format!("/v1/products/{shop}"), None)
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let setup = setup_of(&fx).await;
    assert_eq!(setup["first_product_id"], kiosk["id"]);
    assert!(setup["first_product_token_at_ms"].is_null(), "{setup}");
}

#[tokio::test]
async fn token_issued_events_carry_the_jws_header() {
    let (fx, _) = with_superadmin().await;
    let jwks = fx.jwks().await;
    let kid = jwks["keys"][0]["kid"].as_str().expect("kid").to_string();
    let service = fx.server_token().await;
    let (_, user) = fx.user_tokens("openid").await;
    let (_, console) = console_tokens(&fx).await;
    let refreshed = fx.console_refresh(s(&console, "refresh_token")).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);

    let audit = fx.srv.audit_rows();
    let tokens = [
        (service.as_str(), "token.issued", "client_credentials"),
        (
            s(&user, "access_token"),
            "token.issued",
            "authorization_code",
        ),
        (
            s(&console, "access_token"),
            "token.issued",
            "authorization_code",
        ),
        (
            s(&refreshed.json, "access_token"),
            "token.refreshed",
            "refresh_token",
        ),
    ];
    for (token, kind, grant) in tokens {
        let (header, claims) = decode_jwt(token);
        let jti = claims["jti"].as_str().expect("jti");
        let row = audit
            .iter()
            .find(|r| r["type"] == kind && r["jti"] == jti)
            .unwrap_or_else(|| panic!("no {kind} event for {jti}"));
        let d = detail(row);
        assert_eq!(d["grant_type"], grant);
        assert_eq!(
            d["header"],
            json!({"alg": "RS256", "typ": "at+jwt", "kid": kid}),
            "{kind} {grant}"
        );
        assert_eq!(d["header"], header);
        assert_eq!(d["claims"], claims);
        let raw = row["detail"].as_str().expect("detail");
        let signature = token.rsplit('.').next().expect("signature");
        assert!(!raw.contains(signature), "the token is never stored");
    }
}
