//! Pushed authorization requests (RFC 9126): `/oauth/par` checks and keeps a request
//! under a one-time `request_uri` (60 s); `/oauth/authorize` takes it instead of its own
//! parameters; a client may be required to push.
mod common;

use common::db::sql_write;
use common::*;
use reqwest::Method;
use serde_json::json;
use url::Url;

const PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// The authorization request's parameters (as `fx.authorize` builds them) for a push.
fn request_fields(
    fx: &Fixture,
    client_id: &str,
    overrides: &[(&str, Option<&str>)],
) -> (AuthRequest, Vec<(String, String)>) {
    let req = fx.authorize(overrides);
    let url = Url::parse(&req.url).expect("authorize url");
    let fields = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "client_id" {
                client_id.to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    (req, fields)
}

async fn push(fx: &Fixture, fields: &[(String, String)]) -> Reply {
    let r = fx.http.post(fx.url("/oauth/par")).form(fields).send().await;
    Reply::read(r.expect("POST /oauth/par")).await
}

/// Pushes the web client's request; returns it and its request_uri.
async fn pushed(fx: &Fixture, client_id: &str) -> (AuthRequest, String) {
    let (req, fields) = request_fields(fx, client_id, &[]);
    let r = push(fx, &fields).await;
    assert_eq!(r.status, 201, "PAR: {}", r.text);
    assert_eq!(r.json["expires_in"], 60);
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    let uri = s(&r.json, "request_uri").to_string();
    assert!(uri.starts_with(PREFIX), "{uri}");
    (req, uri)
}

fn authorize_by_reference(
    fx: &Fixture,
    client_id: &str,
    request_uri: &str,
    extra: &[(&str, &str)],
) -> String {
    let mut url = Url::parse(&fx.url("/oauth/authorize")).expect("url");
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("request_uri", request_uri)
        .extend_pairs(extra);
    url.into()
}

#[tokio::test]
async fn pushed_request_signs_in_once() {
    let fx = Fixture::new().await;
    let discovery = fx
        .http
        .get(fx.url("/.well-known/openid-configuration"))
        .send()
        .await;
    let discovery = Reply::read(discovery.expect("discovery")).await.json;
    assert_eq!(
        discovery["pushed_authorization_request_endpoint"],
        fx.url("/oauth/par")
    );
    assert_eq!(discovery["require_pushed_authorization_requests"], false);

    let (req, uri) = pushed(&fx, &fx.web_client_id).await;
    // Other parameters at authorize are ignored: the pushed ones count (RFC 9126 §4).
    let url = authorize_by_reference(&fx, &fx.web_client_id, &uri, &[("state", "not-this")]);
    let browser = fx.browser();
    let back = browser.login(&url, EMAIL, PASSWORD).await;
    assert!(back.as_str().starts_with(REDIRECT_URI), "{back}");
    assert_eq!(param(&back, "state").as_deref(), Some(req.state.as_str()));
    let code = param(&back, "code").expect("code");
    let r = fx.exchange(&code, &req.verifier).await;
    assert_eq!(r.status, 200, "exchange: {}", r.text);
    assert_eq!(claims_of(&r.json, "id_token")["nonce"], req.nonce.as_str());

    // Single use: the same request_uri again is shown as an error, never redirected.
    let again = browser.get(&url).await;
    assert_eq!(again.status, 400, "{again:?}");
    assert!(again.location.is_none());

    // A new pushed request meets the live session: a code at once (silent SSO).
    let (_, uri) = pushed(&fx, &fx.web_client_id).await;
    let silent = browser
        .get(&authorize_by_reference(&fx, &fx.web_client_id, &uri, &[]))
        .await;
    let to = silent.location.expect("redirect");
    assert!(
        to.as_str().starts_with(REDIRECT_URI) && param(&to, "code").is_some(),
        "{to}"
    );
}

#[tokio::test]
async fn pushed_requests_are_checked_like_authorize() {
    let fx = Fixture::new().await;
    let id = fx.web_client_id.clone();
    type Override<'a> = (&'a str, Option<&'a str>);
    let cases: Vec<(&str, Vec<Override>, &str)> = vec![
        (
            "unregistered redirect",
            vec![("redirect_uri", Some("https://evil.example/cb"))],
            "invalid_request",
        ),
        ("no PKCE", vec![("code_challenge", None)], "invalid_request"),
        (
            "unknown scope",
            vec![("scope", Some("openid nope:write"))],
            "invalid_scope",
        ),
        ("no state", vec![("state", None)], "invalid_request"),
        (
            "request_uri inside",
            vec![("request_uri", Some("urn:x"))],
            "invalid_request",
        ),
    ];
    for (what, overrides, error) in cases {
        let (_, fields) = request_fields(&fx, &id, &overrides);
        let r = push(&fx, &fields).await;
        assert_eq!(r.status, 400, "{what}: {}", r.text);
        assert_eq!(r.json["error"], error, "{what}: {}", r.text);
    }
    let (_, fields) = request_fields(&fx, "no-such-client", &[]);
    assert_eq!(push(&fx, &fields).await.status, 401, "unknown client");
    // A confidential client authenticates at the PAR endpoint as at the token endpoint.
    let (_, mut fields) = request_fields(&fx, &fx.server_client_id, &[]);
    fields.push(("client_secret".into(), "wrong".into()));
    assert_eq!(push(&fx, &fields).await.json["error"], "invalid_client");
}

#[tokio::test]
async fn required_expired_and_foreign_request_uris_are_refused() {
    let fx = Fixture::new().await;
    let pid = s(&fx.product, "id").to_string();
    let body = json!({"web_client": {"require_pushed_authorization_requests": true}});
    let r = fx
        .admin(Method::PATCH, &format!("/v1/products/{pid}"), Some(&body))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json["web_client"]["require_pushed_authorization_requests"],
        true
    );

    // Required: a plain authorization request is refused (shown, not redirected).
    let browser = fx.browser();
    let plain = browser.get(&fx.authorize(&[]).url).await;
    assert_eq!(plain.status, 400, "{plain:?}");
    assert!(plain.body.contains("PAR"), "{}", plain.body);

    // Expired (the stored expiry has passed): refused.
    let (_, uri) = pushed(&fx, &fx.web_client_id).await;
    sql_write(&fx.srv, "UPDATE par_requests SET expires_at = 0");
    let old = browser
        .get(&authorize_by_reference(&fx, &fx.web_client_id, &uri, &[]))
        .await;
    assert_eq!(old.status, 400, "expired: {old:?}");

    // Another client's request_uri: refused, and not spent by the attempt.
    let other = fx.create_product("Other", &[], false).await;
    let other_id = s(&other["web_client"], "client_id").to_string();
    let (_, uri) = pushed(&fx, &other_id).await;
    let foreign = browser
        .get(&authorize_by_reference(&fx, &fx.web_client_id, &uri, &[]))
        .await;
    assert_eq!(foreign.status, 400, "foreign: {foreign:?}");
    let own = browser
        .get(&authorize_by_reference(&fx, &other_id, &uri, &[]))
        .await;
    assert_eq!(own.status, 303, "own: {own:?}");
    assert_eq!(own.location.expect("login").path(), "/login");

    // Pushed, the required client signs in.
    let (_, uri) = pushed(&fx, &fx.web_client_id).await;
    let url = authorize_by_reference(&fx, &fx.web_client_id, &uri, &[]);
    let back = browser.login(&url, EMAIL, PASSWORD).await;
    assert!(param(&back, "code").is_some(), "{back}");
}
