//! Dynamic client registration from a test: initial access tokens through the admin API,
//! `POST /oauth/register` and RFC 7592 requests.
use super::{Fixture, Reply};
use reqwest::Method;
use serde_json::{json, Value};

/// A new initial access token: (id, token).
pub async fn registration_token(fx: &Fixture, max_uses: i64, expires_in: i64) -> (String, String) {
    let body = json!({"name": "tests", "expires_in": expires_in, "max_uses": max_uses});
    let r = fx
        .admin(Method::POST, "/v1/registration-tokens", Some(&body))
        .await;
    assert_eq!(r.status, 201, "registration token: {}", r.text);
    let token = r.json["token"].as_str().expect("token").to_string();
    (r.json["id"].as_str().expect("id").to_string(), token)
}

/// `POST /oauth/register` with `body`, with the initial access token `token` if any.
pub async fn register(fx: &Fixture, token: Option<&str>, body: &Value) -> Reply {
    register_from(&fx.http, fx, token, body).await
}

/// [`register`] through `http` (e.g. a client bound to another source IP).
pub async fn register_from(
    http: &reqwest::Client,
    fx: &Fixture,
    token: Option<&str>,
    body: &Value,
) -> Reply {
    let mut req = http.post(fx.url("/oauth/register")).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    Reply::read(req.send().await.expect("POST /oauth/register")).await
}

/// An RFC 7592 request to a registered client's `registration_client_uri`.
pub async fn manage(
    fx: &Fixture,
    method: Method,
    client: &Value,
    token: &str,
    body: Option<&Value>,
) -> Reply {
    let uri = client["registration_client_uri"]
        .as_str()
        .expect("registration_client_uri");
    let mut req = fx.http.request(method, uri).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(b);
    }
    Reply::read(req.send().await.expect("RFC 7592 request")).await
}

/// A public client's registration body (PKCE, `none`) for `redirect_uri`.
pub fn public_client(redirect_uri: &str) -> Value {
    json!({
        "redirect_uris": [redirect_uri],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "client_name": "Agent",
    })
}
