//! Dynamic client registration (RFC 7591) behind initial access tokens, open registration,
//! RFC 7592 management, RFC 8414 metadata, the admin API's registration tokens and
//! dynamic clients, and a registered client at the authorization and token endpoints.
//! One server for the whole file: each section uses its own tokens and clients.
mod common;
use common::db::sql_write;
use common::registration::*;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const AGENT_REDIRECT: &str = "https://agent.example/cb";

#[tokio::test]
async fn dynamic_client_registration() {
    let fx = Fixture::new().await;
    metadata_documents(&fx).await;
    let token = initial_access_tokens(&fx).await;
    let clients = registration_with_a_token(&fx, &token).await;
    let mut secrets = vec![token.clone()];
    for (client, rat) in &clients {
        secrets.push(rat.clone());
        secrets.extend(client["client_secret"].as_str().map(str::to_string));
    }
    metadata_errors(&fx, &token).await;
    refused_tokens(&fx).await;
    management(&fx, &clients).await;
    sign_in_and_disabling(&fx, &token).await;
    open_registration(&fx).await;
    open_registration_limits(&fx).await;
    admin_dynamic_clients(&fx, &token).await;
    audited(&fx, &secrets).await;
}

/// RFC 8414 metadata is the OIDC discovery document; both name the registration endpoint
/// and answer any origin.
async fn metadata_documents(fx: &Fixture) {
    let get = |path: &'static str| {
        fx.http
            .get(fx.url(path))
            .header("origin", "https://mcp.example")
            .send()
    };
    let oidc = Reply::read(get("/.well-known/openid-configuration").await.unwrap()).await;
    let oauth = Reply::read(
        get("/.well-known/oauth-authorization-server")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(oauth.status, 200, "{}", oauth.text);
    assert_eq!(oauth.json, oidc.json, "one document");
    let endpoint = fx.url("/oauth/register");
    assert_eq!(oauth.json["registration_endpoint"], endpoint.as_str());
    assert_eq!(
        oauth.header("access-control-allow-origin").as_deref(),
        Some("*")
    );

    let preflight = fx
        .http
        .request(Method::OPTIONS, &endpoint)
        .header("origin", "https://mcp.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap();
    let allowed = preflight.headers().get("access-control-allow-origin");
    assert_eq!(allowed.and_then(|v| v.to_str().ok()), Some("*"));
    assert!(preflight
        .headers()
        .get("access-control-allow-credentials")
        .is_none());
}

/// `/v1/registration-tokens`: created (token shown once, never replayed), listed with a
/// status, revoked. Returns an active token with uses to spare.
async fn initial_access_tokens(fx: &Fixture) -> String {
    let body = json!({"name": "CI", "expires_in": 3600, "max_uses": 50});
    let req = || {
        fx.http
            .post(fx.url("/v1/registration-tokens"))
            .bearer_auth(&fx.admin_token)
            .header("idempotency-key", "reg-token-1")
            .json(&body)
            .send()
    };
    let first = Reply::read(req().await.unwrap()).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let token = s(&first.json, "token").to_string();
    assert_eq!(first.json["status"], "active");
    assert_eq!(
        (first.json["uses"].as_i64(), first.json["max_uses"].as_i64()),
        (Some(0), Some(50))
    );
    let replay = Reply::read(req().await.unwrap()).await;
    assert_eq!(
        replay.status, 409,
        "the token is never replayed: {}",
        replay.text
    );
    assert!(!replay.text.contains(&token));

    for bad in [
        json!({"expires_in": 59, "max_uses": 1}),
        json!({"expires_in": 31_536_001, "max_uses": 1}),
        json!({"expires_in": 60, "max_uses": 0}),
        json!({"expires_in": 60, "max_uses": 10_001}),
        json!({"expires_in": 60, "max_uses": 1, "name": ""}),
        json!({"expires_in": 60, "max_uses": 1, "scope": "x"}),
    ] {
        let r = fx
            .admin(Method::POST, "/v1/registration-tokens", Some(&bad))
            .await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
    }
    let r = fx.admin(Method::GET, "/v1/registration-tokens", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let listed = &r.json["registration_tokens"][0];
    assert_eq!(listed["id"], first.json["id"]);
    assert_eq!(listed["name"], "CI");
    assert!(
        listed.get("token").is_none(),
        "a list never shows a token: {listed}"
    );
    assert!(!r.text.contains(&token));
    let r = fx
        .admin(Method::DELETE, "/v1/registration-tokens/nope", None)
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    token
}

/// Registration with a valid token: a public and a confidential client.
async fn registration_with_a_token(fx: &Fixture, token: &str) -> Vec<(Value, String)> {
    let mut body = public_client(AGENT_REDIRECT);
    body["scope"] = json!("openid profile orders:read");
    body["logo_uri"] = json!("https://agent.example/logo.png");
    body["contacts"] = json!(["ops@agent.example"]);
    body["software_id"] = json!("agent-1");
    body["unknown_member"] = json!({"ignored": true});
    let r = register(fx, Some(token), &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    let public = r.json.clone();
    let id = s(&public, "client_id");
    assert!(id.starts_with("dyn_"), "{id}");
    assert!(public.get("client_secret").is_none(), "{public}");
    assert_eq!(
        public["registration_client_uri"],
        fx.url(&format!("/oauth/register/{id}"))
    );
    assert_eq!(public["redirect_uris"], json!([AGENT_REDIRECT]));
    assert_eq!(public["scope"], "openid profile orders:read");
    assert_eq!(public["token_endpoint_auth_method"], "none");
    assert_eq!(public["client_name"], "Agent");
    assert_eq!(public["software_id"], "agent-1");
    assert!(public.get("unknown_member").is_none());
    assert!(public["client_id_issued_at"].as_i64().unwrap() > 0);
    let public_rat = s(&public, "registration_access_token").to_string();

    // Confidential: a secret once; it authenticates at the token endpoint (the code is
    // what fails then, not the client).
    let mut body = public_client("https://server.example/cb");
    body["token_endpoint_auth_method"] = json!("client_secret_basic");
    let r = register(fx, Some(token), &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let confidential = r.json.clone();
    assert_eq!(confidential["client_secret_expires_at"], 0);
    let (cid, secret) = (
        s(&confidential, "client_id"),
        s(&confidential, "client_secret"),
    );
    let form = [
        ("grant_type", "authorization_code"),
        ("code", "nope"),
        ("redirect_uri", "https://server.example/cb"),
        (
            "code_verifier",
            "0123456789012345678901234567890123456789abc",
        ),
    ];
    let r = fx.token_basic(cid, secret, &form).await;
    assert_eq!(
        (r.status, r.json["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "{}",
        r.text
    );
    let r = fx.token_basic(cid, "wrong", &form).await;
    assert_eq!(r.status, 401, "{}", r.text);
    let stored = fx.srv.sql(&format!(
        "SELECT kind, product_id, registered_via FROM clients WHERE client_id = '{cid}'"
    ));
    assert_eq!(stored[0]["kind"], "dynamic");
    assert!(stored[0]["product_id"].is_null());
    assert!(!stored[0]["registered_via"].is_null());
    let confidential_rat = s(&confidential, "registration_access_token").to_string();
    vec![(public, public_rat), (confidential, confidential_rat)]
}

/// Bad metadata: 400 with the RFC 7591 error; the token's use is not spent.
async fn metadata_errors(fx: &Fixture, token: &str) {
    let uses_before = token_uses(fx).await;
    let with = |k: &str, v: Value| {
        let mut b = public_client(AGENT_REDIRECT);
        b[k] = v;
        b
    };
    let cases = [
        (
            with("redirect_uris", json!(["not a url"])),
            "invalid_redirect_uri",
        ),
        (
            with("redirect_uris", json!(["http://agent.example/cb"])),
            "invalid_redirect_uri",
        ),
        (
            with("redirect_uris", json!(["https://agent.example/cb#frag"])),
            "invalid_redirect_uri",
        ),
        (
            with("redirect_uris", json!(["com.agent.app:/cb"])),
            "invalid_redirect_uri",
        ),
        (with("redirect_uris", json!([])), "invalid_redirect_uri"),
        (json!({"client_name": "no uris"}), "invalid_redirect_uri"),
        (
            with("token_endpoint_auth_method", json!("private_key_jwt")),
            "invalid_client_metadata",
        ),
        (
            with("token_endpoint_auth_method", json!("magic")),
            "invalid_client_metadata",
        ),
        (
            with("response_types", json!(["token"])),
            "invalid_client_metadata",
        ),
        (
            with("grant_types", json!(["client_credentials"])),
            "invalid_client_metadata",
        ),
        (
            with("client_name", json!("n".repeat(201))),
            "invalid_client_metadata",
        ),
        (
            with("logo_uri", json!("http://cdn.example/logo.png")),
            "invalid_client_metadata",
        ),
        (
            with("contacts", json!(["not an email"])),
            "invalid_client_metadata",
        ),
        (
            with("scope", json!("openid admin")),
            "invalid_client_metadata",
        ),
        (
            with("scope", json!("openid nobody:declares")),
            "invalid_client_metadata",
        ),
        (json!(["not", "an", "object"]), "invalid_client_metadata"),
    ];
    for (body, error) in cases {
        let r = register(fx, Some(token), &body).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert_eq!(r.json["error"], error, "{body}: {}", r.text);
        assert!(r.json["error_description"].is_string());
    }
    // A native app may use a private-use scheme and any loopback port.
    let mut native = with(
        "redirect_uris",
        json!(["com.agent.app:/cb", "http://127.0.0.1/cb"]),
    );
    native["application_type"] = json!("native");
    let r = register(fx, Some(token), &native).await;
    assert_eq!(r.status, 201, "{}", r.text);

    let raw = |ct: &'static str, body: String| {
        fx.http
            .post(fx.url("/oauth/register"))
            .bearer_auth(token)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let form = raw(
        "application/x-www-form-urlencoded",
        "redirect_uris=x".into(),
    )
    .await
    .unwrap();
    assert_eq!(form.status(), 415);
    let big =
        json!({"redirect_uris": [AGENT_REDIRECT], "client_name": "x", "pad": "p".repeat(17_000)});
    let r = raw("application/json", big.to_string()).await.unwrap();
    assert_eq!(r.status(), 413);
    let r = raw("application/json", "{".into()).await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        token_uses(fx).await,
        uses_before + 1,
        "only the native app spent a use"
    );
}

/// `uses` of the token named "CI".
async fn token_uses(fx: &Fixture) -> i64 {
    let r = fx.admin(Method::GET, "/v1/registration-tokens", None).await;
    let list = r.json["registration_tokens"]
        .as_array()
        .expect("list")
        .clone();
    let ci = list
        .iter()
        .find(|t| t["name"] == "CI")
        .expect("the CI token");
    ci["uses"].as_i64().expect("uses")
}

fn assert_invalid_token(r: &Reply) {
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.json["error"], "invalid_token", "{}", r.text);
    let challenge = r.header("www-authenticate").unwrap_or_default();
    assert!(
        challenge.starts_with("Bearer ") && challenge.contains("error=\"invalid_token\""),
        "{challenge}"
    );
}

/// No token (open registration off), an unknown, expired, used-up or revoked token: 401.
async fn refused_tokens(fx: &Fixture) {
    let body = public_client(AGENT_REDIRECT);
    assert_invalid_token(&register(fx, None, &body).await);
    assert_invalid_token(&register(fx, Some("not-a-token"), &body).await);
    let basic = fx
        .http
        .post(fx.url("/oauth/register"))
        .header("authorization", basic("a", "b"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_invalid_token(&Reply::read(basic).await);

    let (expired_id, expired) = registration_token(fx, 5, 60).await;
    sql_write(
        &fx.srv,
        &format!("UPDATE registration_tokens SET expires_at = 1 WHERE id = '{expired_id}'"),
    );
    assert_invalid_token(&register(fx, Some(&expired), &body).await);

    let (once_id, once) = registration_token(fx, 1, 600).await;
    assert_eq!(register(fx, Some(&once), &body).await.status, 201);
    assert_invalid_token(&register(fx, Some(&once), &body).await);

    let (revoked_id, revoked) = registration_token(fx, 5, 600).await;
    let r = fx
        .admin(
            Method::DELETE,
            &format!("/v1/registration-tokens/{revoked_id}"),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_invalid_token(&register(fx, Some(&revoked), &body).await);

    let r = fx.admin(Method::GET, "/v1/registration-tokens", None).await;
    let status_of = |id: &str| {
        let list = r.json["registration_tokens"].as_array().unwrap();
        list.iter()
            .find(|t| t["id"] == id)
            .map(|t| t["status"].clone())
    };
    assert_eq!(status_of(&expired_id), Some(json!("expired")));
    assert_eq!(status_of(&once_id), Some(json!("used_up")));
    assert_eq!(status_of(&revoked_id), Some(json!("revoked")));

    // Concurrent registrations never exceed max_uses.
    let (_, two) = registration_token(fx, 2, 600).await;
    let tries = (0..6).map(|_| register(fx, Some(&two), &body));
    let codes: Vec<u16> = futures_join_all(tries)
        .await
        .iter()
        .map(|r| r.status.as_u16())
        .collect();
    assert_eq!(codes.iter().filter(|c| **c == 201).count(), 2, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| **c == 401).count(), 4, "{codes:?}");
}

/// RFC 7592: read, update, delete with the registration access token; anything else 401.
async fn management(fx: &Fixture, clients: &[(Value, String)]) {
    let (public, rat) = &clients[0];
    let (confidential, conf_rat) = &clients[1];
    let r = manage(fx, Method::GET, public, rat, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    for k in [
        "client_id",
        "redirect_uris",
        "scope",
        "client_name",
        "registration_client_uri",
        "logo_uri",
    ] {
        assert_eq!(r.json[k], public[k], "{k}");
    }
    assert_invalid_token(&manage(fx, Method::GET, public, "wrong", None).await);
    assert_invalid_token(&manage(fx, Method::GET, public, conf_rat, None).await);
    // Another kind of client, or one that does not exist: the same answer.
    let web = json!({"registration_client_uri": fx.url(&format!("/oauth/register/{}", fx.web_client_id))});
    assert_invalid_token(&manage(fx, Method::GET, &web, rat, None).await);
    let none = json!({"registration_client_uri": fx.url("/oauth/register/dyn_nobody")});
    assert_invalid_token(&manage(fx, Method::DELETE, &none, rat, None).await);

    // A full replacement: members left out go back to their defaults.
    let id = s(public, "client_id");
    let update = json!({"client_id": id, "redirect_uris": ["https://agent.example/cb2"],
                        "token_endpoint_auth_method": "none", "client_name": "Agent 2",
                        "scope": "openid"});
    let r = manage(fx, Method::PUT, public, rat, Some(&update)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["client_name"], "Agent 2");
    assert_eq!(
        r.json["redirect_uris"],
        json!(["https://agent.example/cb2"])
    );
    assert_eq!(r.json["scope"], "openid");
    assert!(r.json.get("logo_uri").is_none(), "{}", r.json);
    assert_eq!(r.json["registration_access_token"], rat.as_str());
    let r = manage(fx, Method::GET, public, rat, None).await;
    assert_eq!(r.json["client_name"], "Agent 2");

    let mut other_id = update.clone();
    other_id["client_id"] = json!("dyn_other");
    let r = manage(fx, Method::PUT, public, rat, Some(&other_id)).await;
    assert_eq!(
        (r.status.as_u16(), r.json["error"].as_str()),
        (400, Some("invalid_client_metadata")),
        "{}",
        r.text
    );
    let mut bad_uri = update.clone();
    bad_uri["redirect_uris"] = json!(["http://agent.example/cb"]);
    let r = manage(fx, Method::PUT, public, rat, Some(&bad_uri)).await;
    assert_eq!(r.json["error"], "invalid_redirect_uri", "{}", r.text);

    // A confidential client: its secret, when sent, must be its own.
    let cid = s(confidential, "client_id");
    let mut conf = json!({"client_id": cid, "redirect_uris": ["https://server.example/cb"],
                          "token_endpoint_auth_method": "client_secret_post",
                          "client_secret": "wrong"});
    let r = manage(fx, Method::PUT, confidential, conf_rat, Some(&conf)).await;
    assert_eq!(r.json["error"], "invalid_client_metadata", "{}", r.text);
    conf["client_secret"] = confidential["client_secret"].clone();
    let r = manage(fx, Method::PUT, confidential, conf_rat, Some(&conf)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["token_endpoint_auth_method"], "client_secret_post");
    assert_eq!(r.json["client_secret"], confidential["client_secret"]);

    let r = manage(fx, Method::DELETE, confidential, conf_rat, None).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_invalid_token(&manage(fx, Method::GET, confidential, conf_rat, None).await);
    let left = fx.srv.sql(&format!(
        "SELECT client_id FROM clients WHERE client_id = '{cid}'"
    ));
    assert!(left.is_empty(), "{left:?}");
}

/// The authorize URL of a registered public client.
fn authorize_url(fx: &Fixture, client_id: &str, redirect: &str, scope: &str) -> String {
    let (_verifier, challenge) = pkce();
    let mut url = url::Url::parse(&fx.url("/oauth/authorize")).unwrap();
    url.query_pairs_mut().extend_pairs([
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect),
        ("scope", scope),
        ("state", "st"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ]);
    url.into()
}

/// `POST /v1/dynamic-clients/{id}:{action}`.
async fn switch(fx: &Fixture, id: &str, action: &str) -> Reply {
    let path = format!("/v1/dynamic-clients/{id}:{action}");
    fx.admin(Method::POST, &path, None).await
}

/// A code exchange of the public client `id` with a code that does not exist.
fn code_form(id: &str) -> [(&str, &str); 5] {
    [
        ("grant_type", "authorization_code"),
        ("code", "x"),
        ("client_id", id),
        ("redirect_uri", "https://signin.example/cb"),
        (
            "code_verifier",
            "0123456789012345678901234567890123456789abc",
        ),
    ]
}

/// A registered client's sign-in starts (the authorize request is accepted); disabled,
/// it is unknown at authorize and token; the token endpoint answers its origin (CORS).
async fn sign_in_and_disabling(fx: &Fixture, token: &str) {
    let mut body = public_client("https://signin.example/cb");
    body["scope"] = json!("openid orders:read");
    let r = register(fx, Some(token), &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = s(&r.json, "client_id").to_string();
    let accepted = |scope: &'static str| {
        let url = authorize_url(fx, &id, "https://signin.example/cb", scope);
        async move { fx.browser().get(&url).await }
    };
    let a = accepted("openid orders:read").await;
    assert_eq!(a.status, 303, "{a:?}");
    assert_eq!(
        a.location.as_ref().map(|l| l.path().to_string()).as_deref(),
        Some("/login")
    );
    // A scope it did not register for is refused back at its redirect URI.
    let a = accepted("openid orders:write").await;
    let back = a.location.expect("redirect");
    assert!(
        back.as_str().starts_with("https://signin.example/cb"),
        "{back}"
    );
    assert_eq!(param(&back, "error").as_deref(), Some("invalid_scope"));

    let cors = fx
        .http
        .post(fx.url("/oauth/token"))
        .header("origin", "https://signin.example")
        .form(&code_form(&id))
        .send()
        .await
        .unwrap();
    let allowed = cors
        .headers()
        .get("access-control-allow-origin")
        .and_then(|v| v.to_str().ok());
    assert_eq!(allowed, Some("https://signin.example"));
    let r = Reply::read(cors).await;
    assert_eq!(
        r.json["error"], "invalid_grant",
        "the client and its origin pass: {}",
        r.text
    );

    let r = switch(fx, &id, "disable").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.json["disabled_at"].is_i64(), "{}", r.text);
    let a = accepted("openid").await;
    assert_eq!(
        a.status, 400,
        "a disabled client is unknown at authorize: {a:?}"
    );
    assert!(a.location.is_none());
    let r = fx.post_form("/oauth/token", None, &code_form(&id)).await;
    assert_eq!(
        (r.status.as_u16(), r.json["error"].as_str()),
        (401, Some("invalid_client")),
        "{}",
        r.text
    );

    let r = switch(fx, &id, "enable").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.json["disabled_at"].is_null(), "{}", r.text);
    assert_eq!(accepted("openid").await.status, 303);
}

/// Open registration: off by default; on, it admits public clients with https or loopback
/// redirect URIs and the scopes the setting allows.
async fn open_registration(fx: &Fixture) {
    let r = fx.admin(Method::GET, "/v1/settings", None).await;
    assert_eq!(r.json["open_registration"], false, "{}", r.text);
    assert_eq!(
        r.json["open_registration_scopes"],
        json!(["openid", "profile", "email", "offline_access"])
    );
    for bad in [
        json!({"open_registration_scopes": ["admin"]}),
        json!({"open_registration_scopes": ["nobody:declares"]}),
        json!({"open_registration": "yes"}),
    ] {
        let r = fx.admin(Method::PATCH, "/v1/settings", Some(&bad)).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
    }
    let on = json!({"open_registration": true, "open_registration_scopes": ["openid", "offline_access", "orders:read"]});
    let r = fx.admin(Method::PATCH, "/v1/settings", Some(&on)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["open_registration"], true);
    assert_eq!(
        r.json["open_registration_scopes"],
        on["open_registration_scopes"]
    );

    let open = public_client("http://127.0.0.1:33418/callback");
    let r = register(fx, None, &open).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(r.json["registration_access_token"].is_string());
    assert_eq!(
        r.json["scope"], "openid offline_access orders:read",
        "the setting's scopes by default"
    );
    let mut https = public_client("https://mcp.example/cb");
    https["scope"] = json!("openid orders:read");
    let r = register(fx, None, &https).await;
    assert_eq!(
        (r.status.as_u16(), r.json["scope"].as_str()),
        (201, Some("openid orders:read")),
        "{}",
        r.text
    );
    let open_client = r.json.clone();

    let with = |k: &str, v: Value| {
        let mut b = public_client("https://mcp.example/cb");
        b[k] = v;
        b
    };
    let mut native = with("redirect_uris", json!(["com.mcp.app:/cb"]));
    native["application_type"] = json!("native");
    let cases = [
        (
            with("token_endpoint_auth_method", json!("client_secret_basic")),
            "invalid_client_metadata",
        ),
        (
            with("token_endpoint_auth_method", Value::Null),
            "invalid_client_metadata",
        ),
        (native, "invalid_redirect_uri"),
        (
            with("redirect_uris", json!(["http://mcp.example/cb"])),
            "invalid_redirect_uri",
        ),
        (
            with("scope", json!("openid email")),
            "invalid_client_metadata",
        ),
    ];
    for (body, error) in cases {
        let r = register(fx, None, &body).await;
        assert_eq!(
            (r.status.as_u16(), r.json["error"].as_str()),
            (400, Some(error)),
            "{body}: {}",
            r.text
        );
    }
    // An openly registered client stays within open registration's rules.
    let rat = s(&open_client, "registration_access_token").to_string();
    let mut update = with("token_endpoint_auth_method", json!("client_secret_post"));
    update["client_id"] = open_client["client_id"].clone();
    let r = manage(fx, Method::PUT, &open_client, &rat, Some(&update)).await;
    assert_eq!(r.json["error"], "invalid_client_metadata", "{}", r.text);
    let stored = fx.srv.sql(&format!(
        "SELECT registered_via FROM clients WHERE client_id = '{}'",
        s(&open_client, "client_id")
    ));
    assert!(stored[0]["registered_via"].is_null());

    let off = json!({"open_registration": false});
    assert_eq!(
        fx.admin(Method::PATCH, "/v1/settings", Some(&off))
            .await
            .status,
        200
    );
    assert_invalid_token(&register(fx, None, &public_client("https://mcp.example/cb")).await);
}

/// At most 20 open registrations an hour from one client IP: then 429 with Retry-After.
async fn open_registration_limits(fx: &Fixture) {
    let on = json!({"open_registration": true});
    assert_eq!(
        fx.admin(Method::PATCH, "/v1/settings", Some(&on))
            .await
            .status,
        200
    );
    let from = reqwest::Client::builder()
        .local_address(Some("127.0.0.9".parse().unwrap()))
        .build()
        .unwrap();
    let body = public_client("https://burst.example/cb");
    for i in 0..20 {
        let r = register_from(&from, fx, None, &body).await;
        assert_eq!(r.status, 201, "registration {i}: {}", r.text);
    }
    let r = register_from(&from, fx, None, &body).await;
    assert_eq!(r.status, 429, "{}", r.text);
    let wait: i64 = r
        .header("retry-after")
        .unwrap_or_default()
        .parse()
        .unwrap_or(0);
    assert!((1..=3600).contains(&wait), "Retry-After {wait}");
    // Another address is not held back; a token is never throttled this way.
    assert_eq!(register(fx, None, &body).await.status, 201);
    let off = json!({"open_registration": false});
    assert_eq!(
        fx.admin(Method::PATCH, "/v1/settings", Some(&off))
            .await
            .status,
        200
    );
}

/// `/v1/dynamic-clients`: listed newest first with the admitting token's name; deleted.
async fn admin_dynamic_clients(fx: &Fixture, token: &str) {
    let mut body = public_client("https://listed.example/cb");
    body["client_name"] = json!("Listed agent");
    body["software_version"] = json!("1.2");
    let r = register(fx, Some(token), &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = s(&r.json, "client_id").to_string();
    let rat = s(&r.json, "registration_access_token").to_string();
    let registered = r.json.clone();

    let r = fx.admin(Method::GET, "/v1/dynamic-clients", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let listed = r.json["dynamic_clients"].as_array().expect("list").clone();
    let created: Vec<i64> = listed
        .iter()
        .map(|c| c["created_at"].as_i64().unwrap())
        .collect();
    assert!(
        created.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {created:?}"
    );
    let newest = listed
        .iter()
        .find(|c| c["client_id"] == id.as_str())
        .expect("listed");
    assert_eq!(newest["created_at"], created[0]);
    assert_eq!(newest["client_name"], "Listed agent");
    assert_eq!(newest["registration_token_name"], "CI");
    assert_eq!(newest["software_version"], "1.2");
    assert_eq!(
        newest["redirect_uris"],
        json!(["https://listed.example/cb"])
    );
    assert_eq!(newest["consents"], 0);
    assert!(newest["last_used_at"].is_null() && newest["disabled_at"].is_null());
    assert!(!r.text.contains(&rat));
    let open = r.json["dynamic_clients"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["registration_token_id"].is_null());
    assert!(open, "openly registered clients are listed too");

    for (method, path, status) in [
        (Method::POST, format!("/v1/dynamic-clients/{id}:bogus"), 404),
        (
            Method::POST,
            "/v1/dynamic-clients/dyn_nobody:disable".to_string(),
            404,
        ),
        (
            Method::POST,
            format!("/v1/dynamic-clients/{}:disable", fx.web_client_id),
            404,
        ),
        (
            Method::DELETE,
            format!("/v1/dynamic-clients/{}", fx.web_client_id),
            404,
        ),
        (Method::DELETE, format!("/v1/dynamic-clients/{id}"), 204),
        (Method::DELETE, format!("/v1/dynamic-clients/{id}"), 404),
    ] {
        let r = fx.admin(method.clone(), &path, None).await;
        assert_eq!(r.status, status, "{method} {path}: {}", r.text);
    }
    assert_invalid_token(&manage(fx, Method::GET, &registered, &rat, None).await);
    let r = fx.admin(Method::GET, "/v1/dynamic-clients", None).await;
    assert!(!r.text.contains(&id));
}

/// Every change and refusal is audited, never with a token or secret.
async fn audited(fx: &Fixture, secrets: &[String]) {
    for (kind, outcome) in [
        ("registration_token.created", "success"),
        ("registration_token.revoked", "success"),
        ("client.registered", "success"),
        ("client.registration_refused", "failure"),
        ("client.registration_updated", "success"),
        ("client.registration_deleted", "success"),
        ("dynamic_client.disabled", "success"),
        ("dynamic_client.enabled", "success"),
        ("dynamic_client.deleted", "success"),
    ] {
        let events = fx.audit_events(&format!("type={kind}")).await;
        assert!(!events.is_empty(), "no {kind} event");
        assert!(
            events.iter().all(|e| e["outcome"] == outcome),
            "{kind}: {events:?}"
        );
    }
    let registered = fx.audit_events("type=client.registered&limit=1").await;
    assert!(
        registered[0]["detail"]["redirect_uris"].is_array(),
        "{registered:?}"
    );
    let text = serde_json::to_string(&fx.srv.audit_rows()).unwrap();
    assert_eq!(
        secrets.len(),
        4,
        "the token, two registration access tokens, a secret"
    );
    for secret in secrets {
        assert!(
            !text.contains(secret.as_str()),
            "an audit event holds a secret"
        );
    }
}
