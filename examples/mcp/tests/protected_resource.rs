//! The MCP server as a protected resource, against the real Tessera binary (started by
//! `sdk/tests/support/tessera_server.rs`: `$TESSERA_BIN`, or a `cargo build` that is a
//! no-op after the server's own build). The MCP server runs in-process on 127.0.0.1:0.
//!
//! Set-up through the admin API: the product "Assistant" whose `audience` is the MCP
//! server's resource URL (so its web client's tokens are for the MCP server: what an MCP
//! client gets with `resource=<url>/mcp`), scope `orders:read`; the product "Elsewhere"
//! (audience `elsewhere-api`); Ann, clerk (orders:read) in the branch North.
//!
//! Checked: the RFC 9728 document at both well-known URLs (and CORS on it); 401 with
//! `resource_metadata` and no error without a token, with `error="invalid_token"` for a
//! bad token and for a token of another audience; an MCP session with Ann's token
//! (initialize, tools/list, `whoami` reports her `sub`, branch and scopes); `list_orders`
//! with a token lacking `orders:read` refused with 403 `insufficient_scope` and
//! `scope="orders:read"` before the tool runs; `list_orders` whose token exchange is
//! refused (the server is configured with an unknown agent) answers a tool error, not a
//! transport error.

#[path = "../../../sdk/tests/support/tessera_server.rs"]
mod tessera_server;

use reqwest::header::{HeaderMap, ACCEPT, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tessera_example_mcp::{App, Config};
use tessera_sdk::{Client, Discovery, LoginOptions, ServiceClient};
use tessera_server::TesseraServer;

const ANN: (&str, &str) = ("ann@example.com", "ann's long passphrase");
/// A loopback redirect URI nothing listens on: the browser below only reads `Location`.
const REDIRECT: &str = "http://127.0.0.1:9/cb";
const MCP_VERSION: &str = "2025-06-18";

/// The admin API with a client_credentials token (scope `admin`).
struct Admin {
    issuer: String,
    service: ServiceClient,
    http: reqwest::Client,
}

impl Admin {
    async fn create(&self, path: &str, body: Value) -> Value {
        let req = self.http.post(format!("{}{path}", self.issuer)).json(&body);
        let resp = self.service.send(req).await.expect("admin API");
        let status = resp.status();
        let value: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "POST {path}: {status} {value}");
        value
    }

    async fn id(&self, path: &str, body: Value) -> String {
        let v = self.create(path, body).await;
        v["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id: {v}"))
            .into()
    }
}

/// Signs Ann in with `client_id` (the hosted login form, or her SSO session) and returns
/// the access token.
async fn sign_in(discovery: &Discovery, client_id: &str, scopes: &[&str]) -> String {
    let client = Client::new(discovery.clone(), client_id);
    let login = client
        .begin_login(LoginOptions {
            redirect_uri: REDIRECT.into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        })
        .expect("login request");
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("browser");
    let callback = walk_login(&browser, &login.url).await;
    let session = client
        .complete_login(&login, &callback)
        .await
        .expect("code exchange");
    session.access_token().await.expect("access token")
}

/// Follows redirects from `url`, submits the sign-in form when it shows, and returns the
/// URL the browser is finally sent to at the redirect URI.
async fn walk_login(browser: &reqwest::Client, url: &str) -> String {
    let mut next = url::Url::parse(url).expect("authorize URL");
    for _ in 0..10 {
        if next.as_str().starts_with(REDIRECT) {
            return next.into();
        }
        let resp = browser.get(next.clone()).send().await.expect("GET");
        let page_url = resp.url().clone();
        let resp = if resp.status() == StatusCode::OK && page_url.path() == "/login" {
            let mut form = hidden_fields(&resp.text().await.unwrap_or_default());
            form.push(("email".into(), ANN.0.into()));
            form.push(("password".into(), ANN.1.into()));
            let action = page_url.join("/login").expect("login URL");
            browser.post(action).form(&form).send().await.expect("POST")
        } else {
            resp
        };
        let location = resp.headers().get(LOCATION).and_then(|l| l.to_str().ok());
        let Some(location) = location else {
            panic!("no redirect from {page_url}: {}", resp.status());
        };
        next = page_url.join(location).expect("Location");
    }
    panic!("the sign-in did not come back to {REDIRECT}");
}

/// `(name, value)` of the hidden inputs of the page's first form.
fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let form = html.split("</form>").next().unwrap_or(html);
    let value_of = |tag: &str, attr: &str| {
        let start = tag.find(&format!("{attr}=\""))? + attr.len() + 2;
        let len = tag[start..].find('"')?;
        Some(tag[start..start + len].replace("&amp;", "&"))
    };
    form.split("<input")
        .skip(1)
        .map(|rest| rest.split('>').next().unwrap_or(rest))
        .filter(|tag| tag.contains("type=\"hidden\""))
        .filter_map(|tag| Some((value_of(tag, "name")?, value_of(tag, "value")?)))
        .collect()
}

/// One answer of the MCP endpoint: the JSON-RPC message in it (plain JSON or SSE `data:`).
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    message: Value,
}

impl Reply {
    fn challenge(&self) -> String {
        let value = self.headers.get(WWW_AUTHENTICATE);
        value.and_then(|v| v.to_str().ok()).unwrap_or("").into()
    }
}

/// An MCP client speaking JSON-RPC over Streamable HTTP by hand.
struct Mcp {
    http: reqwest::Client,
    url: String,
    token: Option<String>,
    session: Option<String>,
}

impl Mcp {
    fn new(url: &str, token: Option<&str>) -> Mcp {
        Mcp {
            http: reqwest::Client::new(),
            url: url.into(),
            token: token.map(String::from),
            session: None,
        }
    }

    async fn post(&self, body: Value) -> Reply {
        let mut req = self
            .http
            .post(&self.url)
            .header(ACCEPT, "application/json, text/event-stream")
            .header(CONTENT_TYPE, "application/json")
            .json(&body);
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        if let Some(session) = &self.session {
            req = req
                .header("mcp-session-id", session)
                .header("mcp-protocol-version", MCP_VERSION);
        }
        let resp = req.send().await.expect("POST /mcp");
        let (status, headers) = (resp.status(), resp.headers().clone());
        let text = resp.text().await.unwrap_or_default();
        let message = serde_json::from_str(&text).unwrap_or_else(|_| {
            // text/event-stream: the event whose data is the JSON-RPC answer.
            text.lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
                .find(|m| m.get("jsonrpc").is_some())
                .unwrap_or(Value::Null)
        });
        Reply {
            status,
            headers,
            message,
        }
    }

    /// `initialize` + `notifications/initialized`; keeps the session id.
    async fn initialize(&mut self) -> Value {
        let init = self
            .post(
                json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": MCP_VERSION, "capabilities": {},
                "clientInfo": {"name": "tessera-test", "version": "0"}}}),
            )
            .await;
        assert_eq!(init.status, 200, "initialize: {}", init.message);
        let session = init.headers.get("mcp-session-id").expect("a session id");
        self.session = Some(session.to_str().expect("session id").into());
        let done = self
            .post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        assert_eq!(done.status, 202, "initialized");
        init.message
    }

    async fn call_tool(&self, name: &str) -> Reply {
        self.post(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                         "params": {"name": name, "arguments": {}}}))
            .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_server_is_a_protected_resource_of_tessera() {
    let tessera = tokio::task::spawn_blocking(TesseraServer::start)
        .await
        .expect("start tessera");
    let issuer = tessera.issuer.clone();
    let (admin_id, admin_secret) = tessera.admin_client("mcp-tests");
    let discovery = Discovery::fetch(&issuer).await.expect("discovery");
    let admin = Admin {
        issuer: issuer.clone(),
        service: ServiceClient::new(discovery.clone(), &admin_id, &admin_secret, &["admin"]),
        http: discovery.http().clone(),
    };

    // The MCP server's address first: the product's audience names it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let resource = format!("{base}/mcp");
    let product = |name: &str, audience: &str, scopes: Value| json!({"name": name, "redirect_uris": [REDIRECT], "audience": audience, "scopes": scopes});
    let assistant = admin
        .create(
            "/v1/products",
            product("Assistant", &resource, json!(["orders:read"])),
        )
        .await;
    let elsewhere = admin
        .create(
            "/v1/products",
            product("Elsewhere", "elsewhere-api", json!([])),
        )
        .await;
    let biz = admin.id("/v1/businesses", json!({"name": "Bakery"})).await;
    let branches = format!("/v1/businesses/{biz}/branches");
    let north = admin.id(&branches, json!({"name": "North"})).await;
    let roles = format!("/v1/businesses/{biz}/roles");
    let clerk = admin
        .id(&roles, json!({"name": "clerk", "scopes": ["orders:read"]}))
        .await;
    let ann = admin
        .id(
            "/v1/users",
            json!({"email": ANN.0, "password": ANN.1, "name": "Ann"}),
        )
        .await;
    let membership =
        json!({"user_id": ann, "business_id": biz, "branch_id": north, "role_id": clerk});
    admin.create("/v1/memberships", membership).await;

    // The MCP server, with an agent Tessera does not know (its exchanges are refused).
    let config = Config {
        issuer: issuer.clone(),
        listen: listener.local_addr().unwrap(),
        public_url: None,
        agent_id: "no-such-agent".into(),
        agent_secret: "not-a-secret".into(),
        orders_api: "http://127.0.0.1:9".into(),
        orders_audience: "shop-api".into(),
    };
    let app = App::new(&config, &base).await.expect("the MCP server");
    assert_eq!(app.resource(), resource);
    let router = app.router();
    tokio::spawn(async move { axum::serve(listener, router).await });

    // RFC 9728 metadata, at the path-aware and the bare well-known URL; CORS for browsers.
    let metadata_url = format!("{base}/.well-known/oauth-protected-resource/mcp");
    for url in [
        metadata_url.clone(),
        format!("{base}/.well-known/oauth-protected-resource"),
    ] {
        let resp = reqwest::Client::new()
            .get(&url)
            .header("origin", "http://localhost:6274")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{url}");
        assert_eq!(resp.headers()["access-control-allow-origin"], "*");
        let doc: Value = resp.json().await.unwrap();
        assert_eq!(
            doc,
            json!({"resource": resource, "authorization_servers": [issuer],
                   "scopes_supported": ["orders:read"], "bearer_methods_supported": ["header"],
                   "resource_name": "Tessera MCP example"})
        );
    }

    // No token: 401, the challenge names the metadata and no error (RFC 6750 §3.1).
    let mut anonymous = Mcp::new(&resource, None);
    let refused = anonymous
        .post(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize"}))
        .await;
    assert_eq!(refused.status, 401);
    assert_eq!(
        refused.challenge(),
        format!("Bearer resource_metadata=\"{metadata_url}\"")
    );
    // A token that is not one: invalid_token.
    anonymous.token = Some("not-a-jwt".into());
    let refused = anonymous
        .post(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize"}))
        .await;
    assert_eq!(refused.status, 401);
    let challenge = refused.challenge();
    assert!(
        challenge.starts_with("Bearer error=\"invalid_token\""),
        "{challenge}"
    );
    assert!(
        challenge.ends_with(&format!("resource_metadata=\"{metadata_url}\"")),
        "{challenge}"
    );

    // A valid token of another audience: refused the same way.
    let elsewhere_client = elsewhere["web_client"]["client_id"].as_str().unwrap();
    let foreign = sign_in(&discovery, elsewhere_client, &["openid"]).await;
    let refused = Mcp::new(&resource, Some(&foreign))
        .post(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize"}))
        .await;
    assert_eq!(refused.status, 401);
    assert!(refused.challenge().contains("error=\"invalid_token\""));
    assert!(
        refused.challenge().contains("audience"),
        "{}",
        refused.challenge()
    );

    // Ann's token for the MCP server: a session, the tools, whoami.
    let assistant_client = assistant["web_client"]["client_id"].as_str().unwrap();
    let token = sign_in(&discovery, assistant_client, &["openid", "orders:read"]).await;
    let mut mcp = Mcp::new(&resource, Some(&token));
    let init = mcp.initialize().await;
    assert_eq!(init["result"]["serverInfo"]["name"], "tessera-example-mcp");
    let tools = mcp
        .post(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
        .await;
    let mut names: Vec<&str> = tools.message["result"]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["list_orders", "whoami"]);
    let whoami = mcp.call_tool("whoami").await;
    let me = &whoami.message["result"]["structuredContent"];
    assert_eq!(me["sub"], ann.as_str(), "{}", whoami.message);
    assert_eq!(me["branch"], north.as_str());
    assert_eq!(me["aud"], resource.as_str());
    assert_eq!(me["act"], Value::Null);
    assert!(me["scopes"]
        .as_array()
        .unwrap()
        .contains(&json!("orders:read")));

    // list_orders: the exchange is refused (unknown agent): a tool error the model can read.
    let orders = mcp.call_tool("list_orders").await;
    let result = &orders.message["result"];
    assert_eq!(result["isError"], true, "{}", orders.message);
    assert_eq!(
        result["structuredContent"]["error"],
        "token_exchange_failed"
    );

    // A token without orders:read may use whoami, but list_orders is refused up front.
    let narrow = sign_in(&discovery, assistant_client, &["openid"]).await;
    let mut mcp = Mcp::new(&resource, Some(&narrow));
    mcp.initialize().await;
    assert_eq!(mcp.call_tool("whoami").await.status, 200);
    let refused = mcp.call_tool("list_orders").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let challenge = refused.challenge();
    assert!(
        challenge.starts_with("Bearer error=\"insufficient_scope\""),
        "{challenge}"
    );
    assert!(challenge.contains("scope=\"orders:read\""), "{challenge}");
    assert!(challenge.contains(&format!("resource_metadata=\"{metadata_url}\"")));
}
