//! Multi-factor sign-in through the hosted forms: TOTP enrollment (codes computed here
//! from the secret the page shows), sign-in with a code, wrong and replayed codes,
//! recovery codes, the policies (product, user, `acr_values=aal2`), step-up of a live
//! session, fresh sign-ins (`prompt=login`, `max_age=0`), the claims, and the admin API.
mod common;
use common::totp::{base32_decode, next_code};
use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use url::Url;

/// A sign-in that stopped at a second-factor page: where, and its form fields.
struct Step {
    page: Url,
    fields: Vec<(String, String)>,
    html: String,
}

/// GETs a hosted page and reads its form fields.
async fn open(browser: &Browser, url: &Url) -> Step {
    let a = browser.get(url.as_str()).await;
    assert_eq!(a.status, 200, "{url}: {}", a.body);
    Step {
        page: url.clone(),
        fields: html_inputs(&a.body),
        html: a.body,
    }
}

/// The step's hidden fields plus `code`.
fn with_code(step: &Step, code: &str) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = step
        .fields
        .iter()
        .filter(|(k, _)| k != "code")
        .cloned()
        .collect();
    f.push(("code".into(), code.into()));
    f
}

/// Password on a fresh request (`overrides` on the authorize URL): expects a 303 to a
/// second-factor page at `path` and opens it.
async fn password_then(
    fx: &Fixture,
    browser: &Browser,
    overrides: &[(&str, Option<&str>)],
    path: &str,
) -> (Step, AuthRequest) {
    let req = fx.authorize(overrides);
    let form = browser.start_login(&req.url).await;
    let a = browser.submit_login(&form, EMAIL, PASSWORD).await;
    assert_eq!(a.status, 303, "password: {a:?}");
    let next = a.location.expect("Location");
    assert_eq!(next.path(), path, "went to {next}");
    (open(browser, &next).await, req)
}

/// The secret a setup page shows (text), checked against its `otpauth://` link and QR code.
fn shown_secret(step: &Step) -> Vec<u8> {
    let html = &step.html;
    assert!(html.contains("<svg"), "QR code as SVG: {html}");
    let at = html.find("id=\"totp-secret\">").expect("secret shown") + 17;
    let text: String = html[at..].split('<').next().unwrap().to_string();
    let plain: String = text.split_whitespace().collect();
    assert!(
        html.contains(&format!(
            "href=\"otpauth://totp/Tessera:ann%40example.com?secret={plain}&amp;issuer=Tessera"
        )),
        "otpauth link: {html}"
    );
    base32_decode(&plain)
}

/// Enrollment on a setup page: first code, recovery codes, Continue; returns the secret,
/// the step its code spent, the recovery codes and the redirect back to the client.
async fn enroll(browser: &Browser, step: &Step) -> (Vec<u8>, i64, Vec<String>, Url) {
    let secret = shown_secret(step);
    let (code, spent) = next_code(&secret, 0).await;
    let a = browser
        .post_form("/login/mfa/setup", &with_code(step, &code))
        .await;
    assert_eq!(a.status, 200, "setup: {}", a.body);
    let codes: Vec<String> = a
        .body
        .split("<li><code>")
        .skip(1)
        .map(|c| c.split('<').next().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 10, "{}", a.body);
    let done = browser
        .post_form("/login/mfa/continue", &html_inputs(&a.body))
        .await;
    assert_eq!(done.status, 303, "continue: {done:?}");
    (secret, spent, codes, done.location.expect("Location"))
}

/// The tokens of a redirect back to the client.
async fn tokens(fx: &Fixture, back: &Url, req: &AuthRequest) -> Value {
    assert!(back.as_str().starts_with(REDIRECT_URI), "went to {back}");
    let code = param(back, "code").unwrap_or_else(|| panic!("no code in {back}"));
    let r = fx.exchange(&code, &req.verifier).await;
    assert_eq!(r.status, 200, "exchange: {}", r.text);
    r.json
}

fn assert_aal(t: &Value, amr: &[&str], aal: &str) {
    for field in ["id_token", "access_token"] {
        let c = claims_of(t, field);
        assert_eq!(c["amr"], json!(amr), "{field}: {c}");
        assert_eq!(c["acr"], aal, "{field}");
        assert_eq!(c["aal"], aal, "{field}");
        assert_eq!(c["auth_method"], "password", "{field}");
    }
}

async fn require_mfa(fx: &Fixture, body: Option<&Value>) -> Reply {
    let path = format!("/v1/users/{}/mfa:require", fx.user_id);
    fx.admin(Method::POST, &path, body).await
}

async fn user(fx: &Fixture) -> Value {
    let r = fx
        .admin(Method::GET, &format!("/v1/users/{}", fx.user_id), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json
}

/// An enrolled user (product policy `required`): the secret, the last step spent and the
/// recovery codes; the browser is signed in.
async fn enrolled(fx: &Fixture) -> (Browser, Vec<u8>, i64, Vec<String>) {
    let id = fx.product["id"].as_str().unwrap();
    let r = fx
        .admin(
            Method::PATCH,
            &format!("/v1/products/{id}"),
            Some(&json!({"mfa": "required"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["mfa"], "required");
    let browser = fx.browser();
    let (step, req) = password_then(fx, &browser, &[], "/login/mfa/setup").await;
    let (secret, spent, codes, back) = enroll(&browser, &step).await;
    let t = tokens(fx, &back, &req).await;
    assert_aal(&t, &["pwd", "otp", "mfa"], "aal2");
    (browser, secret, spent, codes)
}

#[tokio::test]
async fn product_policy_enrolls_then_totp_signs_in_and_a_replayed_code_is_refused() {
    let fx = Fixture::new().await;
    let (_, secret, spent, _) = enrolled(&fx).await;
    let u = user(&fx).await;
    assert_eq!(
        u["mfa"],
        json!({"totp": true, "passkeys": 0, "recovery_codes_left": 10, "required": false})
    );
    assert_eq!(fx.audit_events("type=mfa.enrolled").await.len(), 1);

    // A later sign-in asks for the code; the enrollment's code is spent.
    let browser = fx.browser();
    let (step, req) = password_then(&fx, &browser, &[], "/login/mfa").await;
    let replay = common::totp::totp_code(&secret, spent);
    let a = browser
        .post_form("/login/mfa", &with_code(&step, &replay))
        .await;
    assert_eq!(a.status, 401, "replayed code: {}", a.body);
    let (code, _) = next_code(&secret, spent).await;
    let a = browser
        .post_form("/login/mfa", &with_code(&step, &code))
        .await;
    assert_eq!(a.status, 303, "{a:?}");
    let t = tokens(&fx, &a.location.unwrap(), &req).await;
    assert_aal(&t, &["pwd", "otp", "mfa"], "aal2");
    // Refreshing keeps how the sign-in was made.
    let r = fx.refresh(s(&t, "refresh_token")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_aal(&r.json, &["pwd", "otp", "mfa"], "aal2");
    // The same code again, in another browser: refused.
    let other = fx.browser();
    let (step, _) = password_then(&fx, &other, &[], "/login/mfa").await;
    let a = other
        .post_form("/login/mfa", &with_code(&step, &code))
        .await;
    assert_eq!(a.status, 401, "{}", a.body);
    let failed = fx.audit_events("type=mfa.failed").await;
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(!serde_json::to_string(&failed).unwrap().contains(&code));
    assert_eq!(fx.audit_events("type=mfa.verified").await.len(), 1);
}

#[tokio::test]
async fn wrong_codes_are_counted_then_throttled() {
    let fx = Fixture::new().await;
    enrolled(&fx).await;
    let browser = fx.browser();
    let (step, _) = password_then(&fx, &browser, &[], "/login/mfa").await;
    for i in 0..5 {
        let a = browser
            .post_form("/login/mfa", &with_code(&step, "000000"))
            .await;
        assert_eq!(a.status, 401, "attempt {i}: {}", a.body);
        assert!(a.body.contains("name=\"code\""), "the form again");
    }
    let a = browser
        .post_form("/login/mfa", &with_code(&step, "000000"))
        .await;
    assert_eq!(a.status, 429, "{}", a.body);
    assert!(a.retry_after.is_some(), "Retry-After");
    assert_eq!(fx.audit_events("type=mfa.failed").await.len(), 5);
}

#[tokio::test]
async fn a_recovery_code_signs_in_once() {
    let fx = Fixture::new().await;
    let (_, _, _, codes) = enrolled(&fx).await;
    let browser = fx.browser();
    let (step, req) = password_then(&fx, &browser, &[], "/login/mfa").await;
    let typed = codes[3].replace('-', "").to_lowercase();
    let a = browser
        .post_form("/login/mfa", &with_code(&step, &typed))
        .await;
    assert_eq!(a.status, 303, "{a:?}");
    tokens(&fx, &a.location.unwrap(), &req).await;
    assert_eq!(user(&fx).await["mfa"]["recovery_codes_left"], 9);

    let other = fx.browser();
    let (step, _) = password_then(&fx, &other, &[], "/login/mfa").await;
    let a = other
        .post_form("/login/mfa", &with_code(&step, &codes[3]))
        .await;
    assert_eq!(a.status, 401, "{}", a.body);
}

#[tokio::test]
async fn the_second_factor_page_is_bound_to_the_browser_that_gave_the_password() {
    let fx = Fixture::new().await;
    enrolled(&fx).await;
    let browser = fx.browser();
    let (step, _) = password_then(&fx, &browser, &[], "/login/mfa").await;
    let stranger = fx.browser();
    assert_eq!(stranger.get(step.page.as_str()).await.status, 400);
    let a = stranger
        .post_form("/login/mfa", &with_code(&step, "123456"))
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
    // Without the password there is no pending factor: a fresh request's interaction
    // does not open the code page.
    let req = fx.authorize(&[]);
    let form = stranger.start_login(&req.url).await;
    let url = fx.url(&format!("/login/mfa?interaction={}", form.interaction));
    assert_eq!(stranger.get(&url).await.status, 400);
}

#[tokio::test]
async fn user_requirement_enrolls_and_admin_reset_removes_the_factors() {
    let fx = Fixture::new().await;
    let r = require_mfa(&fx, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["mfa"]["required"], true);
    assert_eq!(
        require_mfa(&fx, Some(&json!({"required": "yes"})))
            .await
            .status,
        422
    );
    let missing = fx
        .admin(Method::POST, "/v1/users/nobody/mfa:require", None)
        .await;
    assert_eq!(missing.status, 404);

    let browser = fx.browser();
    let (step, req) = password_then(&fx, &browser, &[], "/login/mfa/setup").await;
    let (_, _, _, back) = enroll(&browser, &step).await;
    tokens(&fx, &back, &req).await;

    let r = require_mfa(&fx, Some(&json!({"required": false}))).await;
    assert_eq!(r.json["mfa"]["required"], false);
    let path = format!("/v1/users/{}/mfa:reset", fx.user_id);
    let r = fx.admin(Method::POST, &path, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json["mfa"],
        json!({"totp": false, "passkeys": 0, "recovery_codes_left": 0, "required": false})
    );
    let events = fx.audit_events("type=mfa.reset").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["actor"], fx.admin_id.as_str(), "{events:?}");
    // Nothing else ended: the browser's session still yields a code.
    let (code, req) = fx.login_code_silent(&browser).await;
    assert_eq!(fx.exchange(&code, &req.verifier).await.status, 200);
    // A new sign-in is password-only again.
    let (code, req) = fx.login_code(&fx.browser(), "openid").await;
    let t = fx.exchange(&code, &req.verifier).await.json;
    assert_aal(&t, &["pwd"], "aal1");
}

#[tokio::test]
async fn acr_values_aal2_steps_up_a_live_session() {
    let fx = Fixture::new().await;
    let (browser, t) = fx.user_tokens("openid").await;
    assert_aal(&t, &["pwd"], "aal1");
    let silent = fx.authorize(&[("acr_values", Some("aal2")), ("prompt", Some("none"))]);
    let a = browser.get(&silent.url).await;
    let back = a.location.expect("Location");
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("interaction_required"),
        "{back}"
    );

    // No factor yet: enrollment for this session, without the password.
    let req = fx.authorize(&[("acr_values", Some("aal2"))]);
    let a = browser.get(&req.url).await;
    let next = a.location.expect("Location");
    assert_eq!(next.path(), "/login/mfa/setup", "{next}");
    let step = open(&browser, &next).await;
    let (secret, spent, _, back) = enroll(&browser, &step).await;
    let t = tokens(&fx, &back, &req).await;
    assert_aal(&t, &["pwd", "otp", "mfa"], "aal2");
    // The session itself is aal2 now.
    let (code, req) = fx.login_code_silent(&browser).await;
    let t = fx.exchange(&code, &req.verifier).await.json;
    assert_aal(&t, &["pwd", "otp", "mfa"], "aal2");

    // Another aal1 session of the same user... there is none: a password now always asks
    // for the code. prompt=login and max_age=0 force the password (then the code).
    for fresh in [("prompt", "login"), ("max_age", "0")] {
        let req = fx.authorize(&[(fresh.0, Some(fresh.1))]);
        let a = browser.get(&req.url).await;
        let next = a.location.expect("Location");
        assert_eq!(next.path(), "/login", "{fresh:?} went to {next}");
    }
    let (step, req) = password_then(&fx, &browser, &[("max_age", Some("0"))], "/login/mfa").await;
    let (code, _) = next_code(&secret, spent).await;
    let a = browser
        .post_form("/login/mfa", &with_code(&step, &code))
        .await;
    assert_eq!(a.status, 303, "{a:?}");
    tokens(&fx, &a.location.unwrap(), &req).await;
}

#[tokio::test]
async fn step_up_asks_an_enrolled_user_for_the_code_of_an_older_session() {
    let fx = Fixture::new().await;
    // Browser A signs in with the password only (no factor yet).
    let (a_browser, _) = fx.user_tokens("openid").await;
    // Browser B enrolls (asked for aal2).
    let b_browser = fx.browser();
    let (step, req) = password_then(
        &fx,
        &b_browser,
        &[("acr_values", Some("aal2"))],
        "/login/mfa/setup",
    )
    .await;
    let (secret, spent, _, back) = enroll(&b_browser, &step).await;
    tokens(&fx, &back, &req).await;
    // A's session is still aal1: asked for aal2, it gets the code page.
    let req = fx.authorize(&[("acr_values", Some("aal2"))]);
    let next = a_browser.get(&req.url).await.location.expect("Location");
    assert_eq!(next.path(), "/login/mfa", "{next}");
    let step = open(&a_browser, &next).await;
    let (code, _) = next_code(&secret, spent).await;
    let a = a_browser
        .post_form("/login/mfa", &with_code(&step, &code))
        .await;
    assert_eq!(a.status, 303, "{a:?}");
    let t = tokens(&fx, &a.location.unwrap(), &req).await;
    assert_aal(&t, &["pwd", "otp", "mfa"], "aal2");
    let ok = fx.audit_events("type=login.succeeded").await;
    assert!(ok.iter().any(|e| e["detail"]["step_up"] == true), "{ok:?}");
}

#[tokio::test]
async fn product_mfa_policy_is_validated() {
    let fx = Fixture::new().await;
    let r = fx
        .admin(
            Method::POST,
            "/v1/products",
            Some(&json!({"name": "Bank", "mfa": "sometimes"})),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json["error"]["code"], "validation_failed");
    let r = fx
        .admin(
            Method::POST,
            "/v1/products",
            Some(&json!({"name": "Bank", "mfa": "required"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["mfa"], "required");
    let id = fx.product["id"].as_str().unwrap();
    assert_eq!(fx.product["mfa"], "optional");
    for bad in [json!({"mfa": null}), json!({"mfa": "always"})] {
        let r = fx
            .admin(Method::PATCH, &format!("/v1/products/{id}"), Some(&bad))
            .await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
    }
    // Password-only users keep aal1 on an optional product.
    let (_, t) = fx.user_tokens("openid").await;
    assert_aal(&t, &["pwd"], "aal1");
}
