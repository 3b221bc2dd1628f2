//! Calling the first-party auth API (`/v1/auth/*`) as a product's backend or browser app
//! would, and setting up what its tests need (sign-up switch, an enrolled authenticator).
use super::totp::{base32_decode, next_code};
use super::{html_inputs, Fixture, Reply, EMAIL, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};

/// The product's registered origin (of its redirect URI).
pub const ORIGIN: &str = "https://app.example";

/// A `/v1/auth` call: JSON `body` (if any), extra `headers`.
pub async fn call(
    fx: &Fixture,
    method: Method,
    path: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> Reply {
    let mut req = fx.http.request(method, fx.url(path));
    if let Some(b) = body {
        req = req.json(b);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    Reply::read(req.send().await.expect("auth API call")).await
}

pub async fn post(fx: &Fixture, path: &str, body: &Value, headers: &[(&str, &str)]) -> Reply {
    call(fx, Method::POST, path, Some(body), headers).await
}

/// A bearer-mode login of the fixture's user (must answer 200 with tokens).
pub async fn login(fx: &Fixture, extra: Value) -> Value {
    let mut body = json!({"client_id": fx.web_client_id, "email": EMAIL, "password": PASSWORD});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let r = post(fx, "/v1/auth/login", &body, &[]).await;
    assert_eq!(r.status, 200, "login: {}", r.text);
    r.json
}

/// `Authorization: Bearer` of `tokens`.
pub fn bearer(tokens: &Value) -> String {
    format!(
        "Bearer {}",
        tokens["access_token"].as_str().expect("access_token")
    )
}

/// The `Set-Cookie` values of a reply.
pub fn set_cookies(r: &Reply) -> Vec<String> {
    r.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect()
}

/// The `Set-Cookie` value setting cookie `name`, and its value.
pub fn cookie_named(r: &Reply, name: &str) -> Option<(String, String)> {
    set_cookies(r).into_iter().find_map(|c| {
        let value = c
            .strip_prefix(&format!("{name}="))?
            .split(';')
            .next()?
            .to_string();
        Some((c.clone(), value))
    })
}

/// Turns the product's sign-up switch on or off.
pub async fn set_self_registration(fx: &Fixture, on: bool) -> Value {
    let path = format!("/v1/products/{}", fx.product["id"].as_str().expect("id"));
    let r = fx
        .admin(
            Method::PATCH,
            &path,
            Some(&json!({"self_registration": on})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json
}

/// Enrolls an authenticator app for the fixture's user through the hosted sign-in (the
/// user is required to, then no longer): returns the secret, the step spent and the
/// recovery codes.
pub async fn enroll_totp(fx: &Fixture) -> (Vec<u8>, i64, Vec<String>) {
    let require = |on: bool| {
        let path = format!("/v1/users/{}/mfa:require", fx.user_id);
        async move {
            let r = fx
                .admin(Method::POST, &path, Some(&json!({"required": on})))
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
    };
    require(true).await;
    let browser = fx.browser();
    let form = browser.start_login(&fx.authorize(&[]).url).await;
    let a = browser.submit_login(&form, EMAIL, PASSWORD).await;
    let setup = a.location.expect("to the setup page");
    let page = browser.get(setup.as_str()).await;
    let at = page.body.find("id=\"totp-secret\">").expect("secret shown") + 17;
    let secret = base32_decode(page.body[at..].split('<').next().expect("secret"));
    let (code, spent) = next_code(&secret, 0).await;
    let mut fields: Vec<(String, String)> = html_inputs(&page.body)
        .into_iter()
        .filter(|(k, _)| k != "code")
        .collect();
    fields.push(("code".into(), code));
    let done = browser.post_form("/login/mfa/setup", &fields).await;
    assert_eq!(done.status, 200, "setup: {}", done.body);
    let codes = done
        .body
        .split("<li><code>")
        .skip(1)
        .map(|c| c.split('<').next().unwrap_or_default().to_string())
        .collect();
    require(false).await;
    (secret, spent, codes)
}
