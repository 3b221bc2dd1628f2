//! A server with an admin client, one product (web + server client) and one user.
use super::{decode_jwt, param, pkce, random_token, Browser, Server};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use reqwest::header::{HeaderMap, AUTHORIZATION};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use url::Url;

pub const REDIRECT_URI: &str = "https://app.example/cb";
pub const LOGOUT_URI: &str = "https://app.example/signed-out";
pub const PRODUCT_SCOPE: &str = "orders:read";
pub const EMAIL: &str = "ann@example.com";
pub const PASSWORD: &str = "correct horse battery staple";

pub struct Fixture {
    pub srv: Server,
    /// Plain client: no cookies, no redirects.
    pub http: reqwest::Client,
    pub admin_id: String,
    pub admin_secret: String,
    pub admin_token: String,
    pub product: Value,
    pub web_client_id: String,
    pub server_client_id: String,
    pub server_secret: String,
    pub user_id: String,
}

/// A prepared authorization request and the values a client keeps for it.
pub struct AuthRequest {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

/// Status, headers and body (JSON or `Null`) of a response.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Reply {
    pub async fn read(resp: reqwest::Response) -> Reply {
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            text,
            json,
        }
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

pub fn basic(id: &str, secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", enc(id), enc(secret)))
    )
}

impl Fixture {
    pub async fn new() -> Fixture {
        Self::on(Server::start()).await
    }

    /// The same fixture on a server started with extra `tessera serve` flags.
    pub async fn with_args(args: &[&str]) -> Fixture {
        Self::on(Server::start_with(args)).await
    }

    /// The same setup on a server started by the caller (e.g. with other flags).
    pub async fn on(srv: Server) -> Fixture {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client");
        let (admin_id, admin_secret) = srv.admin_client_create("tests");
        let mut fx = Fixture {
            srv,
            http,
            admin_id,
            admin_secret,
            admin_token: String::new(),
            product: Value::Null,
            web_client_id: String::new(),
            server_client_id: String::new(),
            server_secret: String::new(),
            user_id: String::new(),
        };
        let r = fx
            .token_basic(
                &fx.admin_id,
                &fx.admin_secret,
                &[("grant_type", "client_credentials"), ("scope", "admin")],
            )
            .await;
        assert_eq!(r.status, 200, "admin token: {}", r.text);
        fx.admin_token = r.json["access_token"].as_str().expect("token").into();
        fx.product = fx.create_product("Shop", &[PRODUCT_SCOPE], true).await;
        fx.web_client_id = fx.product["web_client"]["client_id"]
            .as_str()
            .expect("web_client.client_id")
            .into();
        fx.server_client_id = fx.product["server_client"]["client_id"]
            .as_str()
            .expect("server_client.client_id")
            .into();
        fx.server_secret = fx.product["server_client"]["client_secret"]
            .as_str()
            .expect("server_client.client_secret")
            .into();
        let user = fx.create_user(EMAIL, PASSWORD, "Ann B").await;
        fx.user_id = user["id"].as_str().expect("user id").into();
        fx
    }

    /// The same product, user and admin client, served by another node of the cluster.
    pub fn on_node(&self, srv: Server) -> Fixture {
        Fixture {
            srv,
            http: self.http.clone(),
            admin_id: self.admin_id.clone(),
            admin_secret: self.admin_secret.clone(),
            admin_token: self.admin_token.clone(),
            product: self.product.clone(),
            web_client_id: self.web_client_id.clone(),
            server_client_id: self.server_client_id.clone(),
            server_secret: self.server_secret.clone(),
            user_id: self.user_id.clone(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        self.srv.url(path)
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.srv.base)
    }

    /// A browser connecting from another loopback address (another client IP).
    pub fn browser_from(&self, ip: &str) -> Browser {
        Browser::from_ip(&self.srv.base, ip)
    }

    pub async fn admin(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        let mut req = self
            .http
            .request(method, self.url(path))
            .bearer_auth(&self.admin_token);
        if let Some(b) = body {
            req = req.json(b);
        }
        Reply::read(req.send().await.expect("admin request")).await
    }

    /// The events of `GET /v1/audit-events?{q}` (which must answer 200).
    pub async fn audit_events(&self, q: &str) -> Vec<Value> {
        let r = self
            .admin(Method::GET, &format!("/v1/audit-events?{q}"), None)
            .await;
        assert_eq!(r.status, 200, "{q}: {}", r.text);
        r.json["events"].as_array().expect("events").clone()
    }

    pub async fn create_product(&self, name: &str, scopes: &[&str], server: bool) -> Value {
        let body = json!({
            "name": name,
            "redirect_uris": [REDIRECT_URI],
            "post_logout_redirect_uris": [LOGOUT_URI],
            "scopes": scopes,
            "server_client": server,
        });
        let r = self.admin(Method::POST, "/v1/products", Some(&body)).await;
        assert_eq!(r.status, 201, "create product: {}", r.text);
        r.json
    }

    pub async fn create_user(&self, email: &str, password: &str, name: &str) -> Value {
        let body = json!({"email": email, "password": password, "name": name});
        let r = self.admin(Method::POST, "/v1/users", Some(&body)).await;
        assert_eq!(r.status, 201, "create user: {}", r.text);
        r.json
    }

    pub async fn post_form(&self, path: &str, auth: Option<&str>, form: &[(&str, &str)]) -> Reply {
        let mut req = self.http.post(self.url(path)).form(form);
        if let Some(a) = auth {
            req = req.header(AUTHORIZATION, a);
        }
        Reply::read(req.send().await.expect("POST form")).await
    }

    pub async fn token_basic(&self, id: &str, secret: &str, form: &[(&str, &str)]) -> Reply {
        self.post_form("/oauth/token", Some(&basic(id, secret)), form)
            .await
    }

    /// Token request from the public web client (client_id in the body).
    pub async fn token_public(&self, form: &[(&str, &str)]) -> Reply {
        let mut f = form.to_vec();
        f.push(("client_id", &self.web_client_id));
        self.post_form("/oauth/token", None, &f).await
    }

    pub async fn introspect(&self, token: &str) -> Value {
        let auth = basic(&self.admin_id, &self.admin_secret);
        let r = self
            .post_form("/oauth/introspect", Some(&auth), &[("token", token)])
            .await;
        assert_eq!(r.status, 200, "introspect: {}", r.text);
        r.json
    }

    pub async fn revoke_public(&self, token: &str) -> Reply {
        let form = [("token", token), ("client_id", self.web_client_id.as_str())];
        self.post_form("/oauth/revoke", None, &form).await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Reply {
        self.token_public(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    pub async fn jwks(&self) -> Value {
        let r = self.http.get(self.url("/.well-known/jwks.json")).send();
        Reply::read(r.await.expect("jwks")).await.json
    }

    /// Authorize URL for the web client; `overrides` replace (Some) or drop (None) params.
    pub fn authorize(&self, overrides: &[(&str, Option<&str>)]) -> AuthRequest {
        let (verifier, challenge) = pkce();
        let (state, nonce) = (random_token(), random_token());
        let mut params: Vec<(String, String)> = [
            ("response_type", "code"),
            ("client_id", self.web_client_id.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "openid profile email"),
            ("state", state.as_str()),
            ("nonce", nonce.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in overrides {
            params.retain(|(pk, _)| pk != k);
            if let Some(v) = v {
                params.push((k.to_string(), v.to_string()));
            }
        }
        let mut url = Url::parse(&self.url("/oauth/authorize")).expect("authorize url");
        url.query_pairs_mut().extend_pairs(params);
        AuthRequest {
            url: url.into(),
            state,
            nonce,
            verifier,
        }
    }

    /// Logs the fixture user in with `browser` and returns (code, request).
    pub async fn login_code(&self, browser: &Browser, scope: &str) -> (String, AuthRequest) {
        let req = self.authorize(&[("scope", Some(scope))]);
        let back = browser.login(&req.url, EMAIL, PASSWORD).await;
        assert!(back.as_str().starts_with(REDIRECT_URI), "went to {back}");
        assert_eq!(param(&back, "state").as_deref(), Some(req.state.as_str()));
        let code = param(&back, "code").unwrap_or_else(|| panic!("no code in {back}"));
        (code, req)
    }

    pub async fn exchange(&self, code: &str, verifier: &str) -> Reply {
        self.token_public(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", verifier),
        ])
        .await
    }

    /// Full browser login + code exchange; returns the browser (with its SSO cookie) and tokens.
    pub async fn user_tokens(&self, scope: &str) -> (Browser, Value) {
        let browser = self.browser();
        let (code, req) = self.login_code(&browser, scope).await;
        let r = self.exchange(&code, &req.verifier).await;
        assert_eq!(r.status, 200, "code exchange: {}", r.text);
        (browser, r.json)
    }

    /// Client-credentials token of the product's server client.
    pub async fn server_token(&self) -> String {
        let r = self
            .token_basic(
                &self.server_client_id,
                &self.server_secret,
                &[("grant_type", "client_credentials")],
            )
            .await;
        assert_eq!(r.status, 200, "server client token: {}", r.text);
        r.json["access_token"].as_str().expect("token").to_string()
    }

    pub fn issuer(&self) -> &str {
        &self.srv.base
    }
}

/// Claims of a JWT in a JSON field of a token response.
pub fn claims_of(resp: &Value, field: &str) -> Value {
    decode_jwt(resp[field].as_str().expect("token field")).1
}

pub fn s<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("no string {field} in {v}"))
}

impl Fixture {
    /// A second sign-in of `browser`'s SSO session (no password): the code and request.
    pub async fn login_code_silent(&self, browser: &Browser) -> (String, AuthRequest) {
        let req = self.authorize(&[("prompt", Some("none"))]);
        let a = browser.get(&req.url).await;
        let back = a.location.expect("Location");
        let code = param(&back, "code").unwrap_or_else(|| panic!("no code in {back}"));
        (code, req)
    }
}
