//! Third-party consent (PRODUCT.md "Agents, token exchange, dynamic registration"): a
//! dynamically registered client's users approve its scopes on the hosted consent page
//! once; the consent is remembered per user, client and scopes, asked again for more
//! scopes or `prompt=consent`, refused silently with `consent_required`; denial, CSRF,
//! hostile metadata; removal on the account page and through the admin API revokes the
//! client's tokens. First-party clients never see the page.
mod common;
use common::account::{fields, input, open_account};
use common::consent::*;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};

/// The scopes remembered for the fixture user and `client` (`None`: no consent).
fn remembered(fx: &Fixture, user_id: &str, client: &DynamicClient) -> Option<Value> {
    let rows = fx.srv.sql(&format!(
        "SELECT scopes FROM consents WHERE user_id = '{user_id}' AND client_id = '{}'",
        client.client_id
    ));
    rows.first()
        .map(|r| serde_json::from_str(r["scopes"].as_str().expect("scopes")).expect("JSON"))
}

/// Signs the fixture user in to `client` with the password and approves the consent page;
/// returns the browser and the tokens.
async fn signed_in_and_approved(
    fx: &Fixture,
    client: &DynamicClient,
    scope: &str,
) -> (Browser, Value) {
    let browser = fx.browser();
    let req = authorize(fx, client, scope, &[]);
    let form = browser.start_login(&req.url).await;
    let after_password = browser.submit_login(&form, EMAIL, PASSWORD).await;
    let page = open_consent(&browser, &after_password).await;
    let back = decide(&browser, &page, "approve").await;
    let code = code_of(fx, client, &req, &back);
    let tokens = exchange(fx, client, &code, &req.verifier).await;
    assert_eq!(tokens.status, 200, "{}", tokens.text);
    (browser, tokens.json)
}

#[tokio::test]
async fn consent_is_asked_once_per_scope_set_and_remembered() {
    let fx = Fixture::new().await;
    let client = dynamic_client(
        &fx,
        &json!({"client_name": "Notes Agent"}),
        &[PRODUCT_SCOPE],
    )
    .await;
    let browser = fx.browser();

    // After the password, the consent page instead of a code.
    let req = authorize(&fx, &client, &format!("openid {PRODUCT_SCOPE}"), &[]);
    let form = browser.start_login(&req.url).await;
    let after_password = browser.submit_login(&form, EMAIL, PASSWORD).await;
    assert!(
        after_password
            .set_cookies
            .iter()
            .any(|c| c.starts_with("tessera_interaction=") && !c.contains("Max-Age=0")),
        "the consent step is bound to the browser: {after_password:?}"
    );
    let page = open_consent(&browser, &after_password).await;
    for text in [
        "Notes Agent</span> wants to access your Tessera account",
        "This app was registered by a third party; Tessera has not verified its name.",
        "Confirm who you are",
        "orders:read — Shop",
        EMAIL,
        client.redirect_uri.trim_end_matches("/callback"),
        "value=\"approve\"",
        "value=\"deny\"",
    ] {
        assert!(page.body.contains(text), "{text:?} missing: {}", page.body);
    }
    assert!(
        !page.body.contains("class=\"badge\""),
        "nothing is new the first time"
    );
    assert_eq!(
        remembered(&fx, &fx.user_id, &client),
        None,
        "nothing before the answer"
    );

    let back = decide(&browser, &page, "approve").await;
    let code = code_of(&fx, &client, &req, &back);
    let tokens = exchange(&fx, &client, &code, &req.verifier).await;
    assert_eq!(tokens.status, 200, "{}", tokens.text);
    // (The product scope itself comes with a role, as for first-party clients.)
    let claims = claims_of(&tokens.json, "access_token");
    assert_eq!(claims["sub"], fx.user_id.as_str());
    assert_eq!(claims["client_id"], client.client_id.as_str());
    assert_eq!(
        remembered(&fx, &fx.user_id, &client),
        Some(json!(["openid", PRODUCT_SCOPE]))
    );
    let granted = fx.audit_events("type=consent.granted").await;
    assert_eq!(granted.len(), 1, "{granted:?}");
    assert_eq!(granted[0]["client_id"], client.client_id.as_str());
    assert_eq!(granted[0]["actor"], fx.user_id.as_str());
    assert_eq!(
        granted[0]["detail"]["scopes"],
        json!(["openid", PRODUCT_SCOPE])
    );

    // The same scopes again: silent SSO answers at once, `prompt=none` too.
    for extra in [&[][..], &[("prompt", "none")][..]] {
        let again = authorize(&fx, &client, &format!("{PRODUCT_SCOPE} openid"), extra);
        let silent = browser.get(&again.url).await;
        code_of(&fx, &client, &again, &silent);
    }

    // More scopes: asked again, the new one marked.
    let more = authorize(
        &fx,
        &client,
        &format!("openid profile {PRODUCT_SCOPE}"),
        &[],
    );
    let page = open_consent(&browser, &browser.get(&more.url).await).await;
    assert!(
        page.body
            .contains("See your name and language <span class=\"badge\">new</span>"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("Confirm who you are <span"),
        "{}",
        page.body
    );
    let back = decide(&browser, &page, "approve").await;
    code_of(&fx, &client, &more, &back);
    assert_eq!(
        remembered(&fx, &fx.user_id, &client),
        Some(json!(["openid", PRODUCT_SCOPE, "profile"]))
    );

    // `prompt=consent` asks even so.
    let forced = authorize(&fx, &client, "openid", &[("prompt", "consent")]);
    let page = open_consent(&browser, &browser.get(&forced.url).await).await;
    let back = decide(&browser, &page, "approve").await;
    code_of(&fx, &client, &forced, &back);

    // `prompt=none` with a scope never approved: consent_required, back to the client.
    let silent = authorize(&fx, &client, "openid email", &[("prompt", "none")]);
    let refused = browser.get(&silent.url).await;
    let to = refused.location.expect("Location");
    assert!(to.as_str().starts_with(&client.redirect_uri), "{to}");
    assert_eq!(param(&to, "error").as_deref(), Some("consent_required"));
    assert_eq!(param(&to, "state").as_deref(), Some(silent.state.as_str()));
    assert_eq!(param(&to, "iss").as_deref(), Some(fx.issuer()));

    // First-party: the product's own web client never sees the page (SSO or password).
    let (code, _) = fx.login_code_silent(&browser).await;
    assert!(!code.is_empty());
    let (first_party, _) = fx.user_tokens("openid profile").await;
    drop(first_party);
    assert_eq!(fx.audit_events("type=consent.granted").await.len(), 3);
}

#[tokio::test]
async fn deny_csrf_and_hostile_metadata() {
    let fx = Fixture::new().await;
    let hostile = json!({
        "client_name": "<script>alert(1)</script><img src=x onerror=alert(2)>\u{202E}Evil",
        "logo_uri": "https://evil.example/logo.png",
        "client_uri": "javascript:alert(3)",
    });
    let client = stored_dynamic_client(&fx, &hostile).await;
    let browser = fx.browser();
    let req = authorize(&fx, &client, "openid email", &[]);
    let form = browser.start_login(&req.url).await;
    let after_password = browser.submit_login(&form, EMAIL, PASSWORD).await;
    let page = open_consent(&browser, &after_password).await;

    // The registered name is text: escaped, without the bidi override; nothing registered
    // becomes an image or a link.
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    assert!(!page.body.contains("<img"), "{}", page.body);
    assert!(!page.body.contains("\u{202E}"), "{}", page.body);
    assert!(
        page.body.contains(
            "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;Evil"
        ),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("https://evil.example/logo.png"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("href=\"javascript"), "{}", page.body);
    assert!(!page.body.contains("src=\"https://evil"), "{}", page.body);
    assert!(!page.body.contains("<a "), "no link at all: {}", page.body);

    // Frame-busting like the other pages (here on a refusal: no interaction cookie).
    let headers = fx
        .http
        .get(fx.url("/consent?interaction=nothing"))
        .send()
        .await
        .expect("GET /consent");
    assert_eq!(headers.status(), 400);
    assert_eq!(headers.headers()["x-frame-options"], "DENY");
    assert!(headers.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));

    // CSRF: another browser (no interaction cookie), or a wrong token, is refused.
    let (interaction, csrf) = consent_fields(&page.body);
    let post = |csrf: &str| {
        fields(&[
            ("interaction", &interaction),
            ("csrf_token", csrf),
            ("decision", "approve"),
        ])
    };
    let stranger = fx.browser().post_form("/consent", &post(&csrf)).await;
    assert_eq!(stranger.status, 400, "{stranger:?}");
    let forged = browser.post_form("/consent", &post("wrong-token")).await;
    assert_eq!(forged.status, 400, "{forged:?}");
    let nonsense = browser
        .post_form(
            "/consent",
            &fields(&[
                ("interaction", &interaction),
                ("csrf_token", &csrf),
                ("decision", "maybe"),
            ]),
        )
        .await;
    assert_eq!(nonsense.status, 400, "{nonsense:?}");
    assert!(
        nonsense.body.contains("Choose Allow or Deny."),
        "{}",
        nonsense.body
    );
    assert_eq!(remembered(&fx, &fx.user_id, &client), None);

    // Deny: access_denied back to the client, nothing remembered, audited.
    let back = decide(&browser, &page, "deny").await;
    let to = back.location.clone().expect("Location");
    assert!(to.as_str().starts_with(&client.redirect_uri), "{to}");
    assert_eq!(param(&to, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&to, "state").as_deref(), Some(req.state.as_str()));
    assert_eq!(param(&to, "iss").as_deref(), Some(fx.issuer()));
    assert_eq!(param(&to, "code"), None);
    assert_eq!(remembered(&fx, &fx.user_id, &client), None);
    let denied = fx.audit_events("type=consent.denied").await;
    assert_eq!(denied.len(), 1, "{denied:?}");
    assert_eq!(denied[0]["client_id"], client.client_id.as_str());
    assert_eq!(denied[0]["detail"]["scopes"], json!(["openid", "email"]));
    // The answer spent the interaction: a replay is refused.
    let replay = decide(&browser, &page, "approve").await;
    assert_eq!(replay.status, 400, "{replay:?}");
    // And the next sign-in asks again.
    let next = authorize(&fx, &client, "openid email", &[]);
    open_consent(&browser, &browser.get(&next.url).await).await;
}

#[tokio::test]
async fn removing_access_revokes_the_clients_tokens_and_asks_again() {
    let fx = Fixture::new().await;
    let client = dynamic_client(
        &fx,
        &json!({"client_name": "Calendar Bot"}),
        &[PRODUCT_SCOPE],
    )
    .await;
    let scope = format!("openid {PRODUCT_SCOPE}");

    // On the account page: listed, then removed with the page's CSRF token.
    let (browser, tokens) = signed_in_and_approved(&fx, &client, &scope).await;
    let page = open_account(&fx, &browser, None).await;
    for text in [
        "Apps with access",
        "Calendar Bot",
        "Confirm who you are",
        "orders:read — Shop",
        "Remove access",
    ] {
        assert!(page.body.contains(text), "{text:?} missing: {}", page.body);
    }
    let csrf = input(&page.body, "csrf_token");
    let forged = browser
        .post_form(
            "/account/consents/remove",
            &fields(&[("csrf_token", "nope"), ("client_id", &client.client_id)]),
        )
        .await;
    assert_eq!(forged.status, 403, "{forged:?}");
    let removed = browser
        .post_form(
            "/account/consents/remove",
            &fields(&[("csrf_token", &csrf), ("client_id", &client.client_id)]),
        )
        .await;
    assert_eq!(removed.status, 303, "{removed:?}");
    assert_eq!(
        removed.location.expect("Location").as_str(),
        fx.url("/account/?done=consent_removed")
    );
    assert_eq!(remembered(&fx, &fx.user_id, &client), None);
    let r = refresh(&fx, &client, s(&tokens, "refresh_token")).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["error"], "invalid_grant");
    assert_eq!(
        fx.introspect(s(&tokens, "access_token")).await["active"],
        false
    );
    let again = browser
        .post_form(
            "/account/consents/remove",
            &fields(&[("csrf_token", &csrf), ("client_id", &client.client_id)]),
        )
        .await;
    assert_eq!(again.status, 404, "{again:?}");
    let by_user = fx.audit_events("type=consent.revoked").await;
    assert_eq!(by_user.len(), 1, "{by_user:?}");
    assert_eq!(by_user[0]["actor"], fx.user_id.as_str());
    assert_eq!(by_user[0]["client_id"], client.client_id.as_str());
    // The next authorize asks again (the SSO session lives on).
    let next = authorize(&fx, &client, &scope, &[]);
    let page = open_consent(&browser, &browser.get(&next.url).await).await;
    let code = code_of(
        &fx,
        &client,
        &next,
        &decide(&browser, &page, "approve").await,
    );
    let tokens = exchange(&fx, &client, &code, &next.verifier).await.json;

    // Through the admin API: listed, removed (204), then 404.
    let path = format!("/v1/users/{}/consents", fx.user_id);
    let list = fx.admin(Method::GET, &path, None).await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(
        list.json["consents"].as_array().map(Vec::len),
        Some(1),
        "{}",
        list.text
    );
    let listed = &list.json["consents"][0];
    assert_eq!(listed["client_id"], client.client_id.as_str());
    assert_eq!(listed["client_name"], "Calendar Bot");
    assert_eq!(listed["scopes"], json!(["openid", PRODUCT_SCOPE]));
    assert!(
        listed["created_at"].is_i64() && listed["updated_at"].is_i64(),
        "{listed}"
    );
    let one = format!("{path}/{}", client.client_id);
    let deleted = fx.admin(Method::DELETE, &one, None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    let r = refresh(&fx, &client, s(&tokens, "refresh_token")).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(
        fx.introspect(s(&tokens, "access_token")).await["active"],
        false
    );
    assert_eq!(fx.admin(Method::DELETE, &one, None).await.status, 404);
    let unknown = fx
        .admin(Method::GET, "/v1/users/nobody/consents", None)
        .await;
    assert_eq!(unknown.status, 404, "{}", unknown.text);
    let empty = fx.admin(Method::GET, &path, None).await;
    assert_eq!(empty.json["consents"], json!([]));
    let by_admin = fx.audit_events("type=consent.revoked").await;
    assert_eq!(by_admin.len(), 2, "{by_admin:?}");
    assert!(
        by_admin.iter().any(|e| e["actor"] == fx.admin_id.as_str()),
        "{by_admin:?}"
    );
    let next = authorize(&fx, &client, &scope, &[]);
    open_consent(&browser, &browser.get(&next.url).await).await;
}

#[tokio::test]
async fn consent_follows_the_branch_choice_and_keeps_the_branch() {
    let fx = Fixture::new().await;
    let created = |path: String, body: Value| {
        let fx = &fx;
        async move {
            let r = fx.admin(Method::POST, &path, Some(&body)).await;
            assert_eq!(r.status, 201, "POST {path}: {}", r.text);
            s(&r.json, "id").to_string()
        }
    };
    let biz = created("/v1/businesses".into(), json!({"name": "Bakery"})).await;
    let north = created(
        format!("/v1/businesses/{biz}/branches"),
        json!({"name": "North"}),
    )
    .await;
    let south = created(
        format!("/v1/businesses/{biz}/branches"),
        json!({"name": "South"}),
    )
    .await;
    let clerk = created(
        format!("/v1/businesses/{biz}/roles"),
        json!({"name": "clerk", "scopes": [PRODUCT_SCOPE]}),
    )
    .await;
    for branch in [&north, &south] {
        let body = json!({"user_id": fx.user_id, "business_id": biz, "branch_id": branch, "role_id": clerk});
        created("/v1/memberships".into(), body).await;
    }
    let client = dynamic_client(
        &fx,
        &json!({"client_name": "Stock Agent"}),
        &[PRODUCT_SCOPE],
    )
    .await;
    let browser = fx.browser();
    let req = authorize(&fx, &client, &format!("openid {PRODUCT_SCOPE}"), &[]);
    let form = browser.start_login(&req.url).await;
    let to_branch = browser.submit_login(&form, EMAIL, PASSWORD).await;
    let branch_page = to_branch.location.clone().expect("Location");
    assert_eq!(branch_page.path(), "/login/branch", "{to_branch:?}");
    let page = browser.get(branch_page.as_str()).await;
    let (interaction, csrf) = consent_fields(&page.body);
    let chosen = browser
        .post_form(
            "/login/branch",
            &fields(&[
                ("interaction", &interaction),
                ("csrf_token", &csrf),
                ("branch", &south),
            ]),
        )
        .await;
    let page = open_consent(&browser, &chosen).await;
    let back = decide(&browser, &page, "approve").await;
    let code = code_of(&fx, &client, &req, &back);
    let tokens = exchange(&fx, &client, &code, &req.verifier).await;
    assert_eq!(tokens.status, 200, "{}", tokens.text);
    let claims = claims_of(&tokens.json, "access_token");
    assert_eq!(claims["branch"], south.as_str(), "{claims}");
    assert_eq!(claims["org"], biz.as_str(), "{claims}");
    assert_eq!(
        claims["scope"],
        format!("openid {PRODUCT_SCOPE}"),
        "{claims}"
    );
}

#[tokio::test]
async fn a_registered_client_asks_only_for_the_scopes_it_registered() {
    let fx = Fixture::new().await;
    let client = dynamic_client(
        &fx,
        &json!({"client_name": "Narrow Agent", "scope": "openid"}),
        &[],
    )
    .await;
    let browser = fx.browser();
    // RFC 7591 `scope` bounds what it may ask for, the OIDC scopes included.
    let req = authorize(&fx, &client, "openid email", &[]);
    let refused = browser.get(&req.url).await;
    assert_eq!(refused.status, 303, "{refused:?}");
    let to = refused.location.clone().expect("Location");
    assert!(
        to.as_str().starts_with(&client.redirect_uri),
        "went to {to}"
    );
    assert_eq!(param(&to, "error").as_deref(), Some("invalid_scope"));
    // What it registered still works.
    let req = authorize(&fx, &client, "openid", &[]);
    let form = browser.start_login(&req.url).await;
    let after_password = browser.submit_login(&form, EMAIL, PASSWORD).await;
    open_consent(&browser, &after_password).await;
}

#[tokio::test]
async fn a_client_registered_without_refresh_token_gets_none() {
    let fx = Fixture::new().await;
    let client = dynamic_client(
        &fx,
        &json!({"client_name": "Code Only", "grant_types": ["authorization_code"]}),
        &[],
    )
    .await;
    let (_browser, tokens) = signed_in_and_approved(&fx, &client, "openid offline_access").await;
    assert!(tokens["access_token"].is_string(), "{tokens}");
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");

    // One registered with it gets one, and may use it.
    let both = dynamic_client(&fx, &json!({"client_name": "Stays Signed In"}), &[]).await;
    let (_browser, tokens) = signed_in_and_approved(&fx, &both, "openid offline_access").await;
    let refreshed = refresh(&fx, &both, tokens["refresh_token"].as_str().expect("rt")).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
}
