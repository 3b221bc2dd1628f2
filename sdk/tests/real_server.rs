//! The SDK against the real Tessera: discovery, a client_credentials token for an admin
//! client, local verification, an admin API call; then a user's login (code + PKCE through
//! the hosted login page), refresh, branch switch and logout URL.
//!
//! By default each test starts its own `tessera serve` (127.0.0.1:0, fresh data dir) and
//! creates the admin client with `tessera admin-client create`; the binary is found or
//! built as `support/tessera_server.rs` explains (`$TESSERA_BIN`, else a
//! `cargo build --no-default-features -p tessera --bin tessera` that is a no-op after the
//! root package's tests). To run against a server you started yourself instead:
//!
//! ```text
//! tessera serve --data-dir D --listen 127.0.0.1:7470
//! tessera admin-client create --name sdk --data-dir D    # prints id + secret
//! TESSERA_SDK_ISSUER=http://127.0.0.1:7470 TESSERA_SDK_CLIENT_ID=... \
//!   TESSERA_SDK_CLIENT_SECRET=... cargo test -p tessera-sdk --test real_server
//! ```

mod support {
    pub mod tessera_server;
}

use support::tessera_server::TesseraServer;
use tessera_sdk::{Discovery, ServiceClient};

/// The server under test and an admin client of it.
struct Target {
    issuer: String,
    client_id: String,
    client_secret: String,
    /// The server this test started (stopped on drop); `None` for `TESSERA_SDK_ISSUER`.
    _server: Option<TesseraServer>,
}

/// `TESSERA_SDK_ISSUER` + `TESSERA_SDK_CLIENT_ID` + `TESSERA_SDK_CLIENT_SECRET` when set,
/// else a freshly started server with a new admin client.
async fn target() -> Target {
    if let Ok(issuer) = std::env::var("TESSERA_SDK_ISSUER") {
        let env = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} not set"));
        return Target {
            issuer,
            client_id: env("TESSERA_SDK_CLIENT_ID"),
            client_secret: env("TESSERA_SDK_CLIENT_SECRET"),
            _server: None,
        };
    }
    let server = tokio::task::spawn_blocking(TesseraServer::start)
        .await
        .expect("start tessera");
    let (client_id, client_secret) = server.admin_client("sdk");
    Target {
        issuer: server.issuer.clone(),
        client_id,
        client_secret,
        _server: Some(server),
    }
}

#[tokio::test]
async fn admin_client_token_verifies_locally_and_calls_the_api() {
    let target = target().await;
    let (issuer, client_id) = (&target.issuer, &target.client_id);
    let discovery = Discovery::fetch(issuer).await.unwrap();
    let service = ServiceClient::new(
        discovery.clone(),
        client_id,
        &target.client_secret,
        &["admin"],
    );
    let token = service.access_token().await.unwrap();
    assert_eq!(service.access_token().await.unwrap(), token, "cached");
    let caller = discovery
        .verifier(&format!("{issuer}/v1"))
        .verify(&token)
        .await
        .unwrap();
    assert_eq!(&caller.subject, client_id);
    assert!(caller.has_scope("admin"));
    let wrong_audience = discovery.verifier("someone-else").verify(&token).await;
    assert_eq!(wrong_audience, Err(tessera_sdk::TokenRejection::Audience));
    let http = discovery.http().clone();
    let resp = service
        .send(http.get(format!("{issuer}/v1/products")))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

/// The target's admin API, called as its admin client.
struct AdminApi {
    issuer: String,
    discovery: Discovery,
    admin: ServiceClient,
}

impl AdminApi {
    async fn of(target: &Target) -> AdminApi {
        let discovery = Discovery::fetch(&target.issuer).await.unwrap();
        let admin = ServiceClient::new(
            discovery.clone(),
            &target.client_id,
            &target.client_secret,
            &["admin"],
        );
        AdminApi {
            issuer: target.issuer.clone(),
            discovery,
            admin,
        }
    }

    /// `method path` with a JSON body; must succeed: the answer's JSON.
    async fn call(
        &self,
        method: reqwest::Method,
        path: String,
        body: serde_json::Value,
    ) -> serde_json::Value {
        let url = format!("{}{path}", self.issuer);
        let req = self.discovery.http().request(method, url).json(&body);
        let resp = self.admin.send(req).await.unwrap();
        assert!(resp.status().is_success(), "{}", resp.status());
        resp.json().await.unwrap()
    }
}

/// The value of the hidden input `name` in a hosted page.
fn hidden(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no {name} in {html}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_string()
}

#[tokio::test]
async fn login_refresh_switch_branch_and_logout_against_tessera() {
    use serde_json::{json, Value};
    use tessera_sdk::{Client, Error, LoginOptions};
    let target = target().await;
    let issuer = target.issuer.clone();
    let api = AdminApi::of(&target).await;
    let discovery = api.discovery.clone();
    let post = |path: &str, body: Value| api.call(reqwest::Method::POST, path.to_string(), body);
    let n = std::process::id();
    let email = format!("sdk{n}-{}@example.com", tessera_sdk_nonce());
    let user = post(
        "/v1/users",
        json!({"email": email, "password": "correct horse 1", "name": "S"}),
    )
    .await;
    let redirect = "http://127.0.0.1:9/cb";
    let product = post(
        "/v1/products",
        json!({"name": "SDK", "redirect_uris": [redirect], "post_logout_redirect_uris": [],
               "scopes": ["orders:read"], "server_client": false}),
    )
    .await;
    let client_id = product["web_client"]["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let biz = post("/v1/businesses", json!({"name": "Bakery"})).await;
    let biz_id = biz["id"].as_str().unwrap();
    let a = post(
        &format!("/v1/businesses/{biz_id}/branches"),
        json!({"name": "A"}),
    )
    .await;
    let b = post(
        &format!("/v1/businesses/{biz_id}/branches"),
        json!({"name": "B"}),
    )
    .await;
    let role = post(
        &format!("/v1/businesses/{biz_id}/roles"),
        json!({"name": "clerk", "scopes": ["orders:read"]}),
    )
    .await;
    for branch in [&a, &b] {
        post(
            "/v1/memberships",
            json!({"user_id": user["id"], "business_id": biz_id, "branch_id": branch["id"],
                   "role_id": role["id"]}),
        )
        .await;
    }
    let (a, b) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());

    let client = Client::new(discovery.clone(), &client_id);
    let login = client
        .begin_login(LoginOptions {
            redirect_uri: redirect.into(),
            scopes: vec!["orders:read".into(), "offline_access".into()],
            branch: Some(a.into()),
            ..Default::default()
        })
        .unwrap();
    let callback = browser_login(&issuer, &login.url, &email, "correct horse 1").await;
    let session = client.complete_login(&login, &callback).await.unwrap();
    assert_eq!(session.branch().as_deref(), Some(a));
    assert_eq!(session.org().as_deref(), Some(biz_id));
    assert!(session.scopes().contains(&"orders:read".to_string()));
    let aud = product["audience"]
        .as_str()
        .unwrap_or(&client_id)
        .to_string();
    let caller = discovery
        .verifier(&aud)
        .verify(&session.access_token().await.unwrap())
        .await
        .unwrap();
    assert_eq!(caller.branch.as_deref(), Some(a));

    session.refresh().await.unwrap();
    session.switch_branch(b).await.unwrap();
    assert_eq!(session.branch().as_deref(), Some(b));
    let err = session.switch_branch("no-such-branch").await.unwrap_err();
    assert!(matches!(err, Error::BranchRefused { .. }), "{err}");
    assert_eq!(session.branch().as_deref(), Some(b));
    session.refresh().await.unwrap(); // the refresh token survived the refusal
    let bye = session.logout_url(None, None).unwrap();
    assert!(bye.contains("id_token_hint="));
    // A replayed callback (code already spent) is a typed OAuth error.
    let err = client.complete_login(&login, &callback).await.unwrap_err();
    assert_eq!(err.oauth_error(), Some("invalid_grant"));
}

/// The browser: authorize -> login form -> back to the redirect URI (the callback URL).
async fn browser_login(issuer: &str, url: &str, email: &str, password: &str) -> String {
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = browser.get(url).send().await.unwrap();
    let to = resp.headers()["location"].to_str().unwrap().to_string();
    let page = browser
        .get(format!("{issuer}{to}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let resp = browser
        .post(format!("{issuer}/login"))
        .form(&[
            ("interaction", hidden(&page, "interaction")),
            ("csrf_token", hidden(&page, "csrf_token")),
            ("email", email.to_string()),
            ("password", password.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    resp.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn a_confidential_web_client_signs_in_refreshes_and_revokes_with_its_secret() {
    use serde_json::json;
    use tessera_sdk::{Client, ClientSecret, LoginOptions};
    let target = target().await;
    let issuer = target.issuer.clone();
    let api = AdminApi::of(&target).await;
    let discovery = api.discovery.clone();
    let call = |method, path, body| api.call(method, path, body);
    let email = format!("conf{}@example.com", tessera_sdk_nonce());
    let user = json!({"email": email, "password": "correct horse 2", "name": "C"});
    call(reqwest::Method::POST, "/v1/users".into(), user).await;
    let redirect = "http://127.0.0.1:9/conf";
    let product = call(
        reqwest::Method::POST,
        "/v1/products".into(),
        json!({"name": "Conf", "redirect_uris": [redirect],
               "web_client": {"token_endpoint_auth_method": "client_secret_basic"}}),
    )
    .await;
    let web = &product["web_client"];
    let client_id = web["client_id"].as_str().unwrap();
    let secret = web["client_secret"].as_str().unwrap().to_string();
    let product_id = product["id"].as_str().unwrap();

    for method in ["client_secret_basic", "client_secret_post"] {
        let settings = json!({"web_client": {"token_endpoint_auth_method": method}});
        call(
            reqwest::Method::PATCH,
            format!("/v1/products/{product_id}"),
            settings,
        )
        .await;
        let with_secret = match method {
            "client_secret_basic" => ClientSecret::Basic(secret.clone()),
            _ => ClientSecret::Post(secret.clone()),
        };
        let client = Client::confidential(discovery.clone(), client_id, with_secret);
        let options = LoginOptions {
            redirect_uri: redirect.into(),
            scopes: vec!["offline_access".into()],
            ..Default::default()
        };
        // The public client's way (no secret) is refused; the secret's way works.
        let public = Client::new(discovery.clone(), client_id);
        let login = public.begin_login(options.clone()).unwrap();
        let callback = browser_login(&issuer, &login.url, &email, "correct horse 2").await;
        let err = public.complete_login(&login, &callback).await.unwrap_err();
        assert_eq!(err.oauth_error(), Some("invalid_client"), "{method}");
        let session = client.complete_login(&login, &callback).await.unwrap();
        session.refresh().await.unwrap();
        session.revoke().await.unwrap();
        let err = session.refresh().await.unwrap_err();
        assert_eq!(err.oauth_error(), Some("invalid_grant"), "{method}: {err}");
    }
}

fn tessera_sdk_nonce() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// A new P-256 key: its PKCS#8 PEM and public JWK.
fn p256_key(kid: &str) -> (String, serde_json::Value) {
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING as P256};
    use base64::Engine;
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let der = EcdsaKeyPair::generate_pkcs8(&P256, &rng).unwrap();
    let point = EcdsaKeyPair::from_pkcs8(&P256, der.as_ref())
        .unwrap()
        .public_key()
        .as_ref()
        .to_vec();
    let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
    let lines: Vec<String> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    );
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let jwk = serde_json::json!({"kty": "EC", "crv": "P-256", "kid": kid,
        "x": url.encode(&point[1..33]), "y": url.encode(&point[33..])});
    (pem, jwk)
}

#[tokio::test]
async fn private_key_jwt_login_and_refresh_against_tessera() {
    use serde_json::json;
    use tessera_sdk::{Client, LoginOptions, PrivateKeyJwt};
    let target = target().await;
    let issuer = target.issuer.clone();
    let api = AdminApi::of(&target).await;
    let discovery = api.discovery.clone();
    let call = |method, path, body| api.call(method, path, body);
    let email = format!(
        "pk{}-{}@example.com",
        std::process::id(),
        tessera_sdk_nonce()
    );
    let user = json!({"email": email, "password": "correct horse 1", "name": "K"});
    call(reqwest::Method::POST, "/v1/users".into(), user).await;
    let redirect = "http://127.0.0.1:9/cb";
    let product = call(
        reqwest::Method::POST,
        "/v1/products".into(),
        json!({"name": "Keyed", "redirect_uris": [redirect], "post_logout_redirect_uris": [],
               "scopes": [], "server_client": false}),
    )
    .await;
    let (pem, jwk) = p256_key("sdk-1");
    let web = json!({"token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [jwk]}});
    let path = format!("/v1/products/{}", product["id"].as_str().unwrap());
    call(reqwest::Method::PATCH, path, json!({"web_client": web})).await;
    let client_id = product["web_client"]["client_id"].as_str().unwrap();

    let key = PrivateKeyJwt::es256_pem(pem.as_bytes(), "sdk-1").unwrap();
    let client = Client::with_private_key_jwt(discovery.clone(), client_id, key);
    let login = client
        .begin_login(LoginOptions {
            redirect_uri: redirect.into(),
            scopes: vec!["offline_access".into()],
            ..Default::default()
        })
        .unwrap();
    let callback = browser_login(&issuer, &login.url, &email, "correct horse 1").await;
    // Without the key the code exchange is refused; with it, a session that refreshes.
    let public = Client::new(discovery.clone(), client_id);
    let err = public.complete_login(&login, &callback).await.unwrap_err();
    assert_eq!(err.oauth_error(), Some("invalid_client"));
    let session = client.complete_login(&login, &callback).await.unwrap();
    session.refresh().await.unwrap();
    session.refresh().await.unwrap(); // every request a fresh jti
}

#[tokio::test]
async fn an_agent_exchanges_a_users_token_and_the_verifier_sees_the_act_chain() {
    use reqwest::Method;
    use serde_json::json;
    use tessera_sdk::{Client, ExchangeRequest, LoginOptions, ACCESS_TOKEN_TYPE};
    let target = target().await;
    let issuer = target.issuer.clone();
    let api = AdminApi::of(&target).await;
    let discovery = api.discovery.clone();
    let nonce = tessera_sdk_nonce();
    let email = format!("agent{nonce}@example.com");
    let body = json!({"email": email, "password": "correct horse 3", "name": "A"});
    let user = api.call(Method::POST, "/v1/users".into(), body).await;
    let (redirect, aud) = (
        "http://127.0.0.1:9/agent",
        format!("https://agents{nonce}.example"),
    );
    let body = json!({"name": "Agents", "redirect_uris": [redirect], "audience": aud});
    let product = api.call(Method::POST, "/v1/products".into(), body).await;
    let path = format!("/v1/products/{}/agents", product["id"].as_str().unwrap());
    let body = json!({"name": "Helper", "scopes": ["openid"]});
    let agent = api.call(Method::POST, path, body).await;
    let agent_id = agent["client_id"].as_str().unwrap();

    // The user signs in to the product's web client.
    let client = Client::new(
        discovery.clone(),
        product["web_client"]["client_id"].as_str().unwrap(),
    );
    let login = client
        .begin_login(LoginOptions {
            redirect_uri: redirect.into(),
            scopes: vec!["openid".into()],
            ..Default::default()
        })
        .unwrap();
    let callback = browser_login(&issuer, &login.url, &email, "correct horse 3").await;
    let session = client.complete_login(&login, &callback).await.unwrap();
    let user_token = session.access_token().await.unwrap();

    // The agent acts for the user; the API's verifier sees who acts.
    let secret = agent["client_secret"].as_str().unwrap();
    let agent_client = ServiceClient::new(discovery.clone(), agent_id, secret, &[] as &[&str]);
    let exchanged = agent_client
        .exchange_token(&user_token, ExchangeRequest::default())
        .await
        .unwrap();
    assert_eq!(exchanged.issued_token_type, ACCESS_TOKEN_TYPE);
    assert_eq!(exchanged.scopes(), ["openid"]);
    let verifier = discovery.verifier(&aud);
    let caller = verifier.verify(&exchanged.access_token).await.unwrap();
    assert_eq!(caller.subject, user["id"].as_str().unwrap());
    assert_eq!(caller.client_id.as_deref(), Some(agent_id));
    assert_eq!(caller.actors(), [agent_id]);
    assert_eq!(caller.act.as_ref().map(|a| a.sub.as_str()), Some(agent_id));
    assert!(verifier.verify(&user_token).await.unwrap().act.is_none());

    // Refusals are typed OAuth errors: never wider, only registered targets.
    let wider = ExchangeRequest {
        scope: vec!["profile".into()],
        ..Default::default()
    };
    let err = agent_client.exchange_token(&user_token, wider).await;
    assert_eq!(err.unwrap_err().oauth_error(), Some("invalid_scope"));
    let elsewhere = ExchangeRequest {
        audience: Some("https://nowhere.example".into()),
        ..Default::default()
    };
    let err = agent_client.exchange_token(&user_token, elsewhere).await;
    assert_eq!(err.unwrap_err().oauth_error(), Some("invalid_target"));
}
