//! Every kind of app (PRODUCT.md "Kinds of apps"): confidential web clients (secret by its
//! registered method, rotation), native apps (private-use schemes, loopback redirects on
//! any port), CORS for browser apps, and the admin API's checks of web client settings.
mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// PATCHes the fixture product's web client settings.
async fn patch_web_client(fx: &Fixture, settings: Value) -> Reply {
    let path = format!("/v1/products/{}", s(&fx.product, "id"));
    fx.admin(
        Method::PATCH,
        &path,
        Some(&json!({ "web_client": settings })),
    )
    .await
}

/// [`patch_web_client`], which must answer 200: the product.
async fn set_web_client(fx: &Fixture, settings: Value) -> Value {
    let r = patch_web_client(fx, settings).await;
    assert_eq!(r.status, 200, "PATCH web_client: {}", r.text);
    r.json
}

/// A new product whose web client has `settings` and `redirect_uris`: the raw answer.
async fn create_app(fx: &Fixture, name: &str, uris: &[&str], settings: Value) -> Reply {
    let body = json!({"name": name, "redirect_uris": uris, "web_client": settings});
    fx.admin(Method::POST, "/v1/products", Some(&body)).await
}

/// A code for the fixture user from a fresh browser, sent to `redirect_uri` of `client_id`.
async fn code_for(fx: &Fixture, client_id: &str, redirect_uri: &str) -> (String, AuthRequest) {
    let req = fx.authorize(&[
        ("client_id", Some(client_id)),
        ("redirect_uri", Some(redirect_uri)),
        ("scope", Some("openid offline_access")),
    ]);
    let back = fx.browser().login(&req.url, EMAIL, PASSWORD).await;
    assert!(back.as_str().starts_with(redirect_uri), "went to {back}");
    (param(&back, "code").expect("code"), req)
}

/// The code exchange of the fixture's web client, its secret sent as `how` says.
async fn exchange_with(fx: &Fixture, how: Auth<'_>, code: &str, verifier: &str) -> Reply {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", verifier),
    ];
    token_with(fx, how, &form).await
}

/// How a token request authenticates the fixture's web client.
#[derive(Clone, Copy)]
enum Auth<'a> {
    None,
    Basic(&'a str),
    Post(&'a str),
}

async fn call_with(fx: &Fixture, path: &str, how: Auth<'_>, form: &[(&str, &str)]) -> Reply {
    let id = fx.web_client_id.as_str();
    let mut f = form.to_vec();
    match how {
        Auth::None => f.push(("client_id", id)),
        Auth::Post(secret) => f.extend([("client_id", id), ("client_secret", secret)]),
        Auth::Basic(secret) => return fx.post_form(path, Some(&basic(id, secret)), &f).await,
    }
    fx.post_form(path, None, &f).await
}

async fn token_with(fx: &Fixture, how: Auth<'_>, form: &[(&str, &str)]) -> Reply {
    call_with(fx, "/oauth/token", how, form).await
}

fn refused(r: &Reply, error: &str) {
    assert_eq!(r.json["error"], error, "{}: {}", r.status, r.text);
}

#[tokio::test]
async fn a_confidential_web_client_runs_the_code_flow_with_its_secret() {
    let fx = Fixture::new().await;
    let answer = set_web_client(
        &fx,
        json!({"token_endpoint_auth_method": "client_secret_basic"}),
    )
    .await;
    let secret = s(&answer["web_client"], "client_secret").to_string();
    let (code, req) = fx.login_code(&fx.browser(), "openid offline_access").await;
    // No secret, the wrong one, or the right one by the other method: refused, the code kept.
    refused(
        &exchange_with(&fx, Auth::None, &code, &req.verifier).await,
        "invalid_client",
    );
    refused(
        &exchange_with(&fx, Auth::Basic("wrong"), &code, &req.verifier).await,
        "invalid_client",
    );
    let post = exchange_with(&fx, Auth::Post(&secret), &code, &req.verifier).await;
    refused(&post, "invalid_client");
    assert!(post.json["error_description"]
        .as_str()
        .unwrap()
        .contains("client_secret_basic"));
    let ok = exchange_with(&fx, Auth::Basic(&secret), &code, &req.verifier).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let rt = s(&ok.json, "refresh_token").to_string();
    let refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.as_str()),
    ];
    refused(
        &token_with(&fx, Auth::None, &refresh).await,
        "invalid_client",
    );
    let r = token_with(&fx, Auth::Basic(&secret), &refresh).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let rt = s(&r.json, "refresh_token").to_string();

    // PKCE is still required of a confidential client.
    let no_pkce = fx.authorize(&[("code_challenge", None), ("code_challenge_method", None)]);
    let back = fx
        .browser()
        .get(&no_pkce.url)
        .await
        .location
        .expect("redirect");
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("invalid_request"),
        "{back}"
    );

    // Revocation and introspection want the secret too.
    let at = s(&r.json, "access_token").to_string();
    refused(
        &call_with(&fx, "/oauth/revoke", Auth::None, &[("token", &rt)]).await,
        "invalid_client",
    );
    let i = call_with(
        &fx,
        "/oauth/introspect",
        Auth::Basic(&secret),
        &[("token", &at)],
    )
    .await;
    assert_eq!(
        (i.status, &i.json["active"]),
        (StatusCode::OK, &json!(true)),
        "{}",
        i.text
    );

    // Rotation: the new secret is shown once, the old one is refused at once.
    let path = format!(
        "/v1/products/{}/web-client/secret:rotate",
        s(&fx.product, "id")
    );
    let rot = fx.admin(Method::POST, &path, None).await;
    assert_eq!(rot.status, 200, "{}", rot.text);
    assert_eq!(s(&rot.json, "client_id"), fx.web_client_id);
    let new_secret = s(&rot.json, "client_secret").to_string();
    let refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.as_str()),
    ];
    refused(
        &token_with(&fx, Auth::Basic(&secret), &refresh).await,
        "invalid_client",
    );
    let r = token_with(&fx, Auth::Basic(&new_secret), &refresh).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let q = format!(
        "type=admin.product.secret_rotated&client_id={}",
        fx.web_client_id
    );
    assert_eq!(fx.audit_events(&q).await.len(), 1);

    // Moved to client_secret_post: the same secret, now only in the body.
    let rt = s(&r.json, "refresh_token").to_string();
    let moved = set_web_client(
        &fx,
        json!({"token_endpoint_auth_method": "client_secret_post"}),
    )
    .await;
    assert!(moved["web_client"]["client_secret"].is_null(), "{moved}");
    let refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.as_str()),
    ];
    refused(
        &token_with(&fx, Auth::Basic(&new_secret), &refresh).await,
        "invalid_client",
    );
    let r = token_with(&fx, Auth::Post(&new_secret), &refresh).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn rotating_the_secret_of_a_public_web_client_is_refused() {
    let fx = Fixture::new().await;
    let path = format!(
        "/v1/products/{}/web-client/secret:rotate",
        s(&fx.product, "id")
    );
    let r = fx.admin(Method::POST, &path, None).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(r.text.contains("uses no secret"), "{}", r.text);
    let missing = fx
        .admin(
            Method::POST,
            "/v1/products/nope/web-client/secret:rotate",
            None,
        )
        .await;
    assert_eq!(missing.status, 404, "{}", missing.text);
}

#[tokio::test]
async fn server_clients_keep_accepting_both_secret_methods() {
    let fx = Fixture::new().await;
    let grant = [("grant_type", "client_credentials")];
    let basic = fx
        .token_basic(&fx.server_client_id, &fx.server_secret, &grant)
        .await;
    assert_eq!(basic.status, 200, "{}", basic.text);
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", fx.server_client_id.as_str()),
        ("client_secret", fx.server_secret.as_str()),
    ];
    let post = fx.post_form("/oauth/token", None, &form).await;
    assert_eq!(post.status, 200, "{}", post.text);
}

const NATIVE_LOOPBACK: &str = "http://127.0.0.1/cb";
const NATIVE_SCHEME: &str = "com.example.app:/callback";

async fn native_app(fx: &Fixture) -> String {
    let uris = [
        NATIVE_LOOPBACK,
        NATIVE_SCHEME,
        "http://localhost/cb",
        "http://[::1]/cb",
    ];
    let r = create_app(fx, "Desk", &uris, json!({"application_type": "native"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["web_client"]["application_type"], "native");
    s(&r.json["web_client"], "client_id").to_string()
}

#[tokio::test]
async fn a_native_app_redirects_to_a_loopback_ip_on_any_port() {
    let fx = Fixture::new().await;
    let client = native_app(&fx).await;
    let port = 20_000 + rand::random::<u16>() % 40_000;
    let uri = format!("http://127.0.0.1:{port}/cb");
    let (code, req) = code_for(&fx, &client, &uri).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", uri.as_str()),
        ("code_verifier", req.verifier.as_str()),
        ("client_id", client.as_str()),
    ];
    let r = fx.post_form("/oauth/token", None, &form).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // [::1] too, and the private-use scheme.
    code_for(&fx, &client, &format!("http://[::1]:{port}/cb")).await;
    code_for(&fx, &client, NATIVE_SCHEME).await;

    // Path and query still match exactly; localhost gets no any-port rule (RFC 8252 §8.3).
    for bad in [
        format!("http://127.0.0.1:{port}/cb2"),
        format!("http://127.0.0.1:{port}/cb?x=1"),
        format!("http://localhost:{port}/cb"),
        format!("http://127.0.0.2:{port}/cb"),
        format!("https://127.0.0.1:{port}/cb"),
        format!("http://127.0.0.1:0{port}/cb"),
    ] {
        let req = fx.authorize(&[("client_id", Some(&client)), ("redirect_uri", Some(&bad))]);
        let a = fx.browser().get(&req.url).await;
        assert_eq!(a.status, 400, "{bad}: {a:?}");
    }
}

#[tokio::test]
async fn a_web_app_gets_no_any_port_rule_and_no_private_use_scheme() {
    let fx = Fixture::new().await;
    let r = create_app(&fx, "Web", &[NATIVE_LOOPBACK], json!({})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let client = s(&r.json["web_client"], "client_id").to_string();
    let req = fx.authorize(&[
        ("client_id", Some(&client)),
        ("redirect_uri", Some("http://127.0.0.1:43123/cb")),
    ]);
    assert_eq!(fx.browser().get(&req.url).await.status, 400);
    let scheme = fx.authorize(&[("redirect_uri", Some(NATIVE_SCHEME))]);
    let page = fx.browser().get(&scheme.url).await;
    assert_eq!(page.status, 400, "{page:?}");
    assert!(page.body.contains("redirect_uri"), "{}", page.body);

    let web = create_app(&fx, "Web2", &[NATIVE_SCHEME], json!({})).await;
    assert_eq!(web.status, 422, "{}", web.text);
    assert!(web.text.contains("application_type native"), "{}", web.text);
    let path = format!("/v1/products/{}/redirect-uris", s(&fx.product, "id"));
    let add = fx
        .admin(Method::POST, &path, Some(&json!({"uri": NATIVE_SCHEME})))
        .await;
    assert_eq!(add.status, 422, "{}", add.text);
    let logout = format!(
        "/v1/products/{}/post-logout-redirect-uris",
        s(&fx.product, "id")
    );
    let add = fx
        .admin(Method::POST, &logout, Some(&json!({"uri": NATIVE_SCHEME})))
        .await;
    assert_eq!(add.status, 422, "{}", add.text);
}

#[tokio::test]
async fn private_use_schemes_are_checked_for_native_apps() {
    let fx = Fixture::new().await;
    for bad in [
        "javascript:alert(1)",
        "data:text/html,hi",
        "file:///etc/passwd",
        "myapp:/cb",
    ] {
        let r = create_app(&fx, "Bad", &[bad], json!({"application_type": "native"})).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
    }
    let r = create_app(
        &fx,
        "Plain",
        &["http://app.example/cb"],
        json!({"application_type": "native"}),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    native_app(&fx).await;

    // The fixture's product becomes native, takes a scheme (login and post-logout), and
    // cannot go back to web while one is registered.
    let id = s(&fx.product, "id").to_string();
    set_web_client(&fx, json!({"application_type": "native"})).await;
    let add = |kind: &'static str| format!("/v1/products/{id}/{kind}");
    let r = fx
        .admin(
            Method::POST,
            &add("redirect-uris"),
            Some(&json!({"uri": NATIVE_SCHEME})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = fx
        .admin(
            Method::POST,
            &add("post-logout-redirect-uris"),
            Some(&json!({"uri": "com.example.app:/bye"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let back = fx
        .admin(
            Method::PATCH,
            &format!("/v1/products/{id}"),
            Some(&json!({"web_client": {"application_type": "web"}})),
        )
        .await;
    assert_eq!(back.status, 422, "{}", back.text);
    assert!(back.text.contains(NATIVE_SCHEME), "{}", back.text);
}

/// A CORS preflight of `method path` from `origin`.
async fn preflight(fx: &Fixture, path: &str, method: &str, origin: &str) -> Reply {
    let r = fx
        .http
        .request(Method::OPTIONS, fx.url(path))
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header("access-control-request-headers", "content-type,dpop")
        .send();
    Reply::read(r.await.expect("preflight")).await
}

const CORS_PATHS: [(&str, &str); 5] = [
    ("/oauth/token", "POST"),
    ("/oauth/userinfo", "GET"),
    ("/oauth/revoke", "POST"),
    ("/v1/auth/login", "POST"),
    ("/v1/auth/sessions", "GET"),
];

#[tokio::test]
async fn cors_allows_exactly_the_origins_of_clients() {
    let fx = Fixture::new().await;
    // By default the origins of the redirect URIs (https://app.example).
    for (path, method) in CORS_PATHS {
        let ok = preflight(&fx, path, method, "https://app.example").await;
        assert!(ok.status.is_success(), "{path}: {}", ok.status);
        assert_eq!(
            ok.header("access-control-allow-origin").as_deref(),
            Some("https://app.example"),
            "{path}"
        );
        assert_eq!(
            ok.header("access-control-max-age").as_deref(),
            Some("600"),
            "{path}"
        );
        let headers = ok
            .header("access-control-allow-headers")
            .unwrap_or_default();
        assert!(
            headers.contains("dpop") && headers.contains("authorization"),
            "{path}: {headers}"
        );
        assert!(
            ok.header("access-control-allow-credentials").is_none(),
            "{path}"
        );
        let no = preflight(&fx, path, method, "https://evil.example").await;
        assert!(
            no.header("access-control-allow-origin").is_none(),
            "{path}: {:?}",
            no.headers
        );
    }
    // An actual answer names the origin and exposes the DPoP nonce header.
    let r = fx
        .http
        .post(fx.url("/oauth/token"))
        .header("origin", "https://app.example")
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", &fx.web_client_id),
        ])
        .send()
        .await
        .expect("token");
    let r = Reply::read(r).await;
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some("https://app.example")
    );
    let exposed = r
        .header("access-control-expose-headers")
        .unwrap_or_default();
    assert!(
        exposed.contains("dpop-nonce") && exposed.contains("www-authenticate"),
        "{exposed}"
    );

    // allowed_origins replaces the default at once (the origin cache is cleared).
    set_web_client(&fx, json!({"allowed_origins": ["https://spa.example"]})).await;
    let spa = preflight(&fx, "/oauth/token", "POST", "https://spa.example").await;
    assert_eq!(
        spa.header("access-control-allow-origin").as_deref(),
        Some("https://spa.example")
    );
    let old = preflight(&fx, "/oauth/token", "POST", "https://app.example").await;
    assert!(
        old.header("access-control-allow-origin").is_none(),
        "{:?}",
        old.headers
    );
}

#[tokio::test]
async fn metadata_answers_any_origin_and_the_admin_api_none() {
    let fx = Fixture::new().await;
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/jwks.json",
    ] {
        let r = fx
            .http
            .get(fx.url(path))
            .header("origin", "https://any.example")
            .send();
        let r = Reply::read(r.await.expect("metadata")).await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("access-control-allow-origin").as_deref(),
            Some("*"),
            "{path}"
        );
        assert!(
            r.header("access-control-allow-credentials").is_none(),
            "{path}"
        );
        let p = preflight(&fx, path, "GET", "https://any.example").await;
        assert_eq!(
            p.header("access-control-allow-origin").as_deref(),
            Some("*"),
            "{path}"
        );
    }
    for origin in ["https://app.example", "https://evil.example"] {
        let p = preflight(&fx, "/v1/products", "GET", origin).await;
        assert!(
            p.header("access-control-allow-origin").is_none(),
            "{:?}",
            p.headers
        );
        let r = fx
            .http
            .get(fx.url("/v1/products"))
            .bearer_auth(&fx.admin_token)
            .header("origin", origin)
            .send();
        let r = Reply::read(r.await.expect("products")).await;
        assert_eq!(r.status, 200);
        assert!(
            r.header("access-control-allow-origin").is_none(),
            "{:?}",
            r.headers
        );
    }
    let d = fx
        .http
        .get(fx.url("/.well-known/openid-configuration"))
        .send();
    let d = Reply::read(d.await.expect("discovery")).await.json;
    let methods = [
        "none",
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    ];
    assert_eq!(d["token_endpoint_auth_methods_supported"], json!(methods));
    assert_eq!(
        d["revocation_endpoint_auth_methods_supported"],
        json!(methods)
    );
    assert_eq!(
        d["introspection_endpoint_auth_methods_supported"],
        json!(methods[1..])
    );
}

#[tokio::test]
async fn the_token_endpoint_refuses_an_origin_its_client_does_not_allow() {
    let fx = Fixture::new().await;
    // Another product's origin: allowed by CORS (some client allows it), not for this client.
    let other = create_app(&fx, "Other", &["https://other.example/cb"], json!({})).await;
    assert_eq!(other.status, 201, "{}", other.text);
    let (_, tokens) = fx.user_tokens("openid offline_access").await;
    let rt = s(&tokens, "refresh_token").to_string();
    for origin in ["https://other.example", "https://evil.example", "null"] {
        let r = refresh_from(&fx, origin, &rt).await;
        assert_eq!(r.status, 401, "{origin}: {}", r.text);
        refused(&r, "invalid_client");
    }
    let r = refresh_from(&fx, "https://app.example", &rt).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The issuer's own origin (the console's "Try sign-in") is always allowed.
    let r = refresh_from(&fx, fx.issuer(), s(&r.json, "refresh_token")).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// A refresh of the fixture's public web client from a page of `origin`.
async fn refresh_from(fx: &Fixture, origin: &str, rt: &str) -> Reply {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt),
        ("client_id", fx.web_client_id.as_str()),
    ];
    let req = fx
        .http
        .post(fx.url("/oauth/token"))
        .header("origin", origin);
    Reply::read(req.form(&form).send().await.expect("token")).await
}

#[tokio::test]
async fn web_client_settings_are_checked_by_the_admin_api() {
    let fx = Fixture::new().await;
    let r = create_app(
        &fx,
        "Conf",
        &["https://conf.example/cb"],
        json!({"token_endpoint_auth_method": "client_secret_post"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let secret = s(&r.json["web_client"], "client_secret");
    assert!(secret.len() >= 32, "{secret}");
    assert_eq!(
        r.json["web_client"]["token_endpoint_auth_method"],
        "client_secret_post"
    );
    let got = fx
        .admin(
            Method::GET,
            &format!("/v1/products/{}", s(&r.json, "id")),
            None,
        )
        .await;
    assert!(
        got.json["web_client"]["client_secret"].is_null(),
        "{}",
        got.text
    );
    assert!(!got.text.contains(secret));
    let list = fx.admin(Method::GET, "/v1/products", None).await;
    assert!(!list.text.contains(secret));

    let key = json!({"kty": "EC", "crv": "P-256", "x": "eA", "y": "eQ"});
    let private = json!({"kty": "EC", "crv": "P-256", "x": "eA", "y": "eQ", "d": "cw"});
    for (body, field) in [
        (
            json!({"token_endpoint_auth_method": "private_key_jwt"}),
            "web_client.jwks",
        ),
        (
            json!({"token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [private]}}),
            "web_client.jwks",
        ),
        (
            json!({"allowed_origins": ["https://spa.example/app"]}),
            "web_client.allowed_origins",
        ),
        (
            json!({"allowed_origins": ["https://spa.example/"]}),
            "web_client.allowed_origins",
        ),
        (
            json!({"application_type": "desktop"}),
            "web_client.application_type",
        ),
        (
            json!({"token_endpoint_auth_method": "tls_client_auth"}),
            "web_client.token_endpoint_auth_method",
        ),
    ] {
        let r = patch_web_client(&fx, body.clone()).await;
        assert_eq!(r.status, 422, "{body}: {}", r.text);
        assert!(r.text.contains(field), "{body}: {}", r.text);
    }
    let jwt = json!({"token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [key]}});
    let ok = patch_web_client(&fx, jwt).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert!(ok.json["web_client"]["client_secret"].is_null());
}

/// The first-party auth API issues tokens without client authentication or a DPoP
/// proof, so it serves public clients only: a confidential client's password login and
/// the refresh of its refresh token are refused there (the secret would otherwise be
/// bypassed), as is a DPoP-bound client's login.
#[tokio::test]
async fn the_auth_api_serves_no_confidential_or_dpop_bound_client() {
    use common::auth_api::{login, post};
    let fx = Fixture::new().await;
    // Public: the auth API's login works, and its refresh token refreshes there.
    let public = login(&fx, json!({})).await;
    let rt = public["refresh_token"].as_str().expect("refresh token");
    let r = post(&fx, "/v1/auth/refresh", &json!({"refresh_token": rt}), &[]).await;
    assert_eq!(r.status, 200, "public refresh: {}", r.text);

    // Confidential: a code-flow refresh token works at /oauth/token with the secret only.
    let web = set_web_client(
        &fx,
        json!({"token_endpoint_auth_method": "client_secret_basic"}),
    )
    .await;
    let secret = web["web_client"]["client_secret"]
        .as_str()
        .expect("secret")
        .to_string();
    let (code, req) = code_for(&fx, &fx.web_client_id, REDIRECT_URI).await;
    let tokens = exchange_with(&fx, Auth::Basic(&secret), &code, &req.verifier).await;
    assert_eq!(tokens.status, 200, "{}", tokens.text);
    let rt = tokens.json["refresh_token"]
        .as_str()
        .expect("refresh token");
    let r = post(&fx, "/v1/auth/refresh", &json!({"refresh_token": rt}), &[]).await;
    // Refused like an unknown refresh token (nothing said about the client).
    assert_eq!(
        r.status, 401,
        "confidential refresh at the auth API: {}",
        r.text
    );
    assert_eq!(r.json["error"]["code"], "invalid_grant", "{}", r.text);
    let body = json!({"client_id": fx.web_client_id, "email": EMAIL, "password": PASSWORD});
    let r = post(&fx, "/v1/auth/login", &body, &[]).await;
    assert_eq!(r.status, 400, "confidential login: {}", r.text);
    assert_eq!(r.json["error"]["code"], "invalid_client", "{}", r.text);
    let form = [("grant_type", "refresh_token"), ("refresh_token", rt)];
    let r = token_with(&fx, Auth::Basic(&secret), &form).await;
    assert_eq!(
        r.status, 200,
        "the refresh token itself is fine: {}",
        r.text
    );

    // Public again but DPoP-bound: its tokens need a key the auth API never sees.
    set_web_client(
        &fx,
        json!({"token_endpoint_auth_method": "none", "dpop_bound_access_tokens": true}),
    )
    .await;
    let r = post(&fx, "/v1/auth/login", &body, &[]).await;
    assert_eq!(r.status, 400, "DPoP-bound login: {}", r.text);
    assert_eq!(r.json["error"]["code"], "invalid_client", "{}", r.text);
}
