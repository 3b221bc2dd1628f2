//! The example product end to end over HTTP, against the real Tessera binary.
//!
//! Tessera: `tessera serve` on 127.0.0.1:0 with a fresh data dir, via
//! `sdk/tests/support/tessera_server.rs`: it uses `$TESSERA_BIN` when set, otherwise runs
//! `cargo build --no-default-features -p tessera --bin tessera` once (a no-op after
//! `cargo test --no-default-features` / `cargo build --no-default-features`, which
//! `scripts/test.sh` runs first) and takes the executable cargo reports. The stock
//! service and the orders app run in-process (their library crates) on 127.0.0.1:0.
//!
//! Set-up through the admin API (an admin client from `tessera admin-client create`): the
//! product "Shop" (redirect URI `<orders>/callback`, scopes orders:read, orders:write,
//! stock:read, audience `shop-api`, access tokens of 60 s) whose server client is narrowed
//! to `stock:read`; a business with branches North (A), South (B) and East (C); the roles
//! clerk (orders:read) and manager (orders:read, orders:write); Ann, clerk in A and B, and
//! Max, manager in A.
//!
//! Then a cookie-keeping client acts as Ann's browser: hosted login with branch choice →
//! only A's orders → switch to B → only B's → switching to C (no role) is refused →
//! creating an order is refused with 403 insufficient_scope (also checked directly on
//! `POST /api/orders` with Ann's token) while Max creates one in A → the stock figures come
//! from the stock service with the service token (one token for many page views) → the
//! super-admin removes `stock:read` from the server client → a new service token is
//! refused with invalid_scope, a token issued before keeps working until it expires
//! (local validation), and the running app shows the failure as soon as the SDK renews
//! its cached token (at the latest 30 s before the 60 s token expires) → sign-out.

#[path = "../../../sdk/tests/support/tessera_server.rs"]
mod tessera_server;

use std::time::{Duration, Instant};

use reqwest::header::{LOCATION, SET_COOKIE, WWW_AUTHENTICATE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tessera_example_orders::{App, Config};
use tessera_sdk::{Client, Discovery, LoginOptions, ServiceClient};
use tessera_server::TesseraServer;
use url::Url;

const AUDIENCE: &str = "shop-api";
const ANN: (&str, &str) = ("ann@example.com", "ann's long passphrase");
const MAX: (&str, &str) = ("max@example.com", "max's long passphrase");
/// Stock levels given to the stock service (not its defaults, so the page must show these).
const LEVELS: &str = "FLOUR-25=41,SUGAR-10=13,YEAST-500=8";

/// One HTTP answer.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    url: Url,
    location: Option<Url>,
    set_cookies: Vec<String>,
    www_authenticate: Option<String>,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// A browser: keeps cookies, follows no redirect by itself.
struct Browser {
    http: reqwest::Client,
}

impl Browser {
    fn new() -> Browser {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("browser client");
        Browser { http }
    }

    async fn read(resp: reqwest::Response) -> Answer {
        let url = resp.url().clone();
        let header = |name| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let location = header(LOCATION).map(|l| url.join(&l).expect("Location is a URL"));
        let www_authenticate = header(WWW_AUTHENTICATE);
        let set_cookies = resp
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect();
        Answer {
            status: resp.status(),
            url,
            location,
            set_cookies,
            www_authenticate,
            body: resp.text().await.unwrap_or_default(),
        }
    }

    async fn get(&self, url: &str) -> Answer {
        Browser::read(self.http.get(url).send().await.expect("GET")).await
    }

    async fn post(&self, url: &str, fields: &[(String, String)]) -> Answer {
        let resp = self.http.post(url).form(fields).send().await;
        Browser::read(resp.expect("POST")).await
    }

    /// GETs `url` and follows 3xx answers (GET) until one is not a redirect.
    async fn follow(&self, url: &str) -> Answer {
        let mut answer = self.get(url).await;
        for _ in 0..10 {
            match (&answer.location, answer.status.is_redirection()) {
                (Some(next), true) => answer = self.get(next.as_str()).await,
                _ => return answer,
            }
        }
        panic!("too many redirects from {url}");
    }

    /// The whole sign-in from the orders app's `/login`: Tessera's login form, then (when
    /// shown) the branch page, where `branch` is picked; returns the orders page.
    async fn sign_in(
        &self,
        orders: &str,
        (email, password): (&str, &str),
        branch: Option<&str>,
        offered: &[&str],
    ) -> Answer {
        let form = self.follow(&format!("{orders}/login")).await;
        assert_eq!(form.status, 200, "login page: {form:?}");
        assert_eq!(form.url.path(), "/login", "{}", form.url);
        let mut fields = inputs(&form.body);
        assert!(fields.iter().any(|(k, _)| k == "password"), "{}", form.body);
        fields.retain(|(k, _)| k != "email" && k != "password");
        fields.push(("email".into(), email.into()));
        fields.push(("password".into(), password.into()));
        let done = self.post(form.url.as_str(), &fields).await;
        assert_eq!(done.status, 303, "POST /login: {done:?}");
        let mut next = done.location.expect("login redirects");
        if next.path() == "/login/branch" {
            let page = self.get(next.as_str()).await;
            let fields = inputs(&page.body);
            let mut shown: Vec<&str> = fields
                .iter()
                .filter(|(k, _)| k == "branch")
                .map(|(_, v)| v.as_str())
                .collect();
            shown.sort_unstable();
            let mut expected = offered.to_vec();
            expected.sort_unstable();
            assert_eq!(shown, expected, "branches offered");
            let mut form: Vec<(String, String)> =
                fields.into_iter().filter(|(k, _)| k != "branch").collect();
            form.push(("branch".into(), branch.expect("a branch to pick").into()));
            let picked = self.post(next.as_str(), &form).await;
            assert_eq!(picked.status, 303, "POST /login/branch: {picked:?}");
            next = picked.location.expect("branch choice redirects");
        } else {
            assert!(offered.len() <= 1, "no branch page, expected {offered:?}");
        }
        assert!(
            next.as_str().starts_with(&format!("{orders}/callback?")),
            "{next}"
        );
        let back = self.get(next.as_str()).await;
        assert_eq!(back.status, 303, "callback: {back:?}");
        let cookie = back
            .set_cookies
            .iter()
            .find(|c| c.starts_with("orders_session="))
            .expect("the callback sets the session cookie");
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        assert_eq!(back.location.as_ref().map(Url::path), Some("/"));
        self.page(orders).await
    }

    /// The orders page (200 expected).
    async fn page(&self, orders: &str) -> Answer {
        let page = self.get(&format!("{orders}/")).await;
        assert_eq!(page.status, 200, "{page:?}");
        page
    }

    /// Submits one of the page's forms (its CSRF token added) to `path`.
    async fn submit(
        &self,
        orders: &str,
        page: &Answer,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Answer {
        let csrf = inputs(&page.body)
            .into_iter()
            .find(|(k, _)| k == "csrf_token")
            .unwrap_or_else(|| panic!("no csrf_token on {}", page.body));
        let mut form = vec![csrf];
        form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self.post(&format!("{orders}{path}"), &form).await
    }
}

/// `(name, value)` of every `<input>` of the page's first form (attribute values
/// unescaped).
fn inputs(html: &str) -> Vec<(String, String)> {
    fn attr(tag: &str, name: &str) -> Option<String> {
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        let value = &tag[at..at + tag[at..].find('"')?];
        Some(
            value
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&"),
        )
    }
    // The page's first form: the one a person fills in (the sign-in page has a second
    // one, the passkey button's, with the same hidden fields).
    let form = html
        .split("<form")
        .nth(1)
        .map_or(html, |f| f.split("</form>").next().unwrap_or(f));
    form.split("<input")
        .skip(1)
        .filter_map(|rest| {
            let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
            Some((attr(tag, "name")?, attr(tag, "value").unwrap_or_default()))
        })
        .collect()
}

/// The admin API through the SDK's service client (scope `admin`).
struct AdminApi {
    issuer: String,
    client: ServiceClient,
    http: reqwest::Client,
}

impl AdminApi {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.issuer));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = self.client.send(req).await.expect("admin API request");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        serde_json::from_str(&text).expect("admin API JSON")
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn id(&self, path: &str, body: Value) -> String {
        let v = self.post(path, body).await;
        v["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id in {v}"))
            .into()
    }
}

fn text<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer} in {v}"))
}

/// Which of the test's customers a page shows (in this list's order).
fn customers(page: &str) -> Vec<&str> {
    [
        "Alpha Bakery",
        "Alpha Bistro",
        "Beta Cafe",
        "Gamma Diner",
        "Delta Deli",
    ]
    .into_iter()
    .filter(|c| page.contains(c))
    .collect()
}

/// The scopes the page says the user's token grants, sorted.
fn page_scopes(page: &str) -> Vec<&str> {
    let at = page.find(r#"id="scopes">"#).expect("the page shows scopes") + 12;
    let mut scopes: Vec<&str> = page[at..at + page[at..].find('<').unwrap()]
        .split_whitespace()
        .collect();
    scopes.sort_unstable();
    scopes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_app_end_to_end() {
    // Tessera, an admin client and its token.
    let tessera = tokio::task::spawn_blocking(TesseraServer::start)
        .await
        .expect("start tessera");
    let issuer = tessera.issuer.clone();
    let (admin_id, admin_secret) = tessera.admin_client("e2e");
    let discovery = Discovery::fetch(&issuer).await.expect("discovery");
    let http = discovery.http().clone();
    let admin = AdminApi {
        issuer: issuer.clone(),
        client: ServiceClient::new(discovery.clone(), &admin_id, &admin_secret, &["admin"]),
        http: http.clone(),
    };

    // Addresses first: the product's redirect URI names the orders app's port.
    let orders_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let orders_addr = orders_listener.local_addr().unwrap();
    let orders = format!("http://{orders_addr}");
    let stock_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let stock = format!("http://{}", stock_listener.local_addr().unwrap());

    // The product, its server client narrowed to stock:read.
    let product = admin
        .post(
            "/v1/products",
            json!({"name": "Shop", "redirect_uris": [format!("{orders}/callback")],
                   "post_logout_redirect_uris": [format!("{orders}/")],
                   "scopes": ["orders:read", "orders:write", "stock:read"],
                   "server_client": true, "audience": AUDIENCE, "access_token_ttl": 60}),
        )
        .await;
    let product_id = text(&product, "/id").to_string();
    let web_client_id = text(&product, "/web_client/client_id").to_string();
    let server_id = text(&product, "/server_client/client_id").to_string();
    let server_secret = text(&product, "/server_client/client_secret").to_string();
    let narrowed = admin
        .call(
            reqwest::Method::PATCH,
            &format!("/v1/products/{product_id}"),
            Some(json!({"server_client_scopes": ["stock:read"]})),
        )
        .await;
    assert_eq!(narrowed["server_client"]["scopes"], json!(["stock:read"]));

    // The business: branches, roles, users, memberships.
    let biz = admin.id("/v1/businesses", json!({"name": "Bakery"})).await;
    let branch = |name: &str| {
        let (admin, path) = (&admin, format!("/v1/businesses/{biz}/branches"));
        let body = json!({ "name": name });
        async move { admin.id(&path, body).await }
    };
    let (a, b, c) = (
        branch("North").await,
        branch("South").await,
        branch("East").await,
    );
    let roles = format!("/v1/businesses/{biz}/roles");
    let clerk = admin
        .id(&roles, json!({"name": "clerk", "scopes": ["orders:read"]}))
        .await;
    let manager = admin
        .id(
            &roles,
            json!({"name": "manager", "scopes": ["orders:read", "orders:write"]}),
        )
        .await;
    let ann = admin
        .id(
            "/v1/users",
            json!({"email": ANN.0, "password": ANN.1, "name": "Ann B"}),
        )
        .await;
    let max = admin
        .id(
            "/v1/users",
            json!({"email": MAX.0, "password": MAX.1, "name": "Max M"}),
        )
        .await;
    for (user, branch, role) in [(&ann, &a, &clerk), (&ann, &b, &clerk), (&max, &a, &manager)] {
        admin
            .post(
                "/v1/memberships",
                json!({"user_id": user, "business_id": biz, "branch_id": branch, "role_id": role}),
            )
            .await;
    }

    // The stock service and the orders app, in-process.
    let levels = tessera_example_stock::parse_levels(LEVELS).unwrap();
    let stock_app = tessera_example_stock::router(
        tessera_sdk::Verifier::new(&issuer, AUDIENCE).unwrap(),
        levels,
    );
    tokio::spawn(async move { axum::serve(stock_listener, stock_app).await });
    let data_file = tessera.data_dir.parent().unwrap().join("orders.json");
    let data = json!({"branches": [
        {"id": a, "name": "North", "orders": [
            {"sku": "FLOUR-25", "quantity": 3, "customer": "Alpha Bakery"},
            {"sku": "SUGAR-10", "quantity": 1, "customer": "Alpha Bistro"}]},
        {"id": b, "name": "South", "orders": [
            {"sku": "YEAST-500", "quantity": 2, "customer": "Beta Cafe"}]},
        {"id": c, "name": "East", "orders": [
            {"sku": "FLOUR-25", "quantity": 9, "customer": "Delta Deli"}]},
    ]});
    std::fs::write(&data_file, data.to_string()).unwrap();
    let config = Config {
        issuer: issuer.clone(),
        web_client_id: web_client_id.clone(),
        client_id: server_id.clone(),
        client_secret: server_secret.clone(),
        audience: Some(AUDIENCE.into()),
        listen: orders_addr,
        public_url: Some(orders.clone()),
        stock_url: stock.clone(),
        data: data_file,
    };
    let app = App::new(&config).await.expect("orders app starts");
    tokio::spawn(async move { axum::serve(orders_listener, app.router()).await });

    // Signed out: "Sign in".
    let ann_browser = Browser::new();
    let page = ann_browser.page(&orders).await;
    assert!(page.body.contains("Sign in"), "{}", page.body);

    // Ann signs in and picks North (A): only A's orders; stock from the stock service.
    let page = ann_browser.sign_in(&orders, ANN, Some(&a), &[&a, &b]).await;
    let first_stock_view = Instant::now();
    let mut stock_views = 1;
    assert!(page.body.contains("Ann B"), "{}", page.body);
    assert!(
        page.body.contains(r#"id="branch-name">North<"#),
        "{}",
        page.body
    );
    assert_eq!(customers(&page.body), ["Alpha Bakery", "Alpha Bistro"]);
    assert!(
        page.body.contains("FLOUR-25: 41 available"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("SUGAR-10: 13 available"),
        "{}",
        page.body
    );
    assert_eq!(
        page_scopes(&page.body),
        ["email", "openid", "orders:read", "profile"],
        "orders:write is asked for but not granted"
    );

    // Switch to South (B): only B's orders.
    let switched = ann_browser
        .submit(&orders, &page, "/switch-branch", &[("branch", &b)])
        .await;
    assert_eq!(switched.status, 303, "{switched:?}");
    let page = ann_browser.page(&orders).await;
    stock_views += 1;
    assert!(
        page.body.contains(r#"id="branch-name">South<"#),
        "{}",
        page.body
    );
    assert_eq!(customers(&page.body), ["Beta Cafe"]);
    assert!(
        page.body.contains("YEAST-500: 8 available"),
        "{}",
        page.body
    );

    // East (C): no role there, refused; Ann stays in South. A forged form is refused too.
    let refused = ann_browser
        .submit(&orders, &page, "/switch-branch", &[("branch", &c)])
        .await;
    assert_eq!(refused.status, 403, "{refused:?}");
    assert!(
        refused.body.contains("no role in branch East"),
        "{}",
        refused.body
    );
    let forged = ann_browser
        .post(
            &format!("{orders}/switch-branch"),
            &[
                ("csrf_token".into(), "forged".into()),
                ("branch".into(), a.clone()),
            ],
        )
        .await;
    assert_eq!(forged.status, 403, "{forged:?}");
    let page = ann_browser.page(&orders).await;
    stock_views += 1;
    assert!(
        page.body.contains(r#"id="branch-name">South<"#),
        "{}",
        page.body
    );
    assert_eq!(customers(&page.body), ["Beta Cafe"]);

    // Creating an order needs orders:write, which Ann's role lacks: 403 from the API.
    let created = ann_browser
        .submit(
            &orders,
            &page,
            "/orders",
            &[
                ("sku", "FLOUR-25"),
                ("quantity", "2"),
                ("customer", "Gamma Diner"),
            ],
        )
        .await;
    assert_eq!(created.status, 403, "{created:?}");
    assert!(
        created.body.contains("insufficient_scope"),
        "{}",
        created.body
    );
    assert!(!customers(&ann_browser.page(&orders).await.body).contains(&"Gamma Diner"));
    stock_views += 1;

    // The same directly on the API with Ann's own token (SSO: no second password).
    let sdk_client = Client::new(discovery.clone(), &web_client_id);
    let login = sdk_client
        .begin_login(LoginOptions {
            redirect_uri: format!("{orders}/callback"),
            scopes: vec!["orders:read".into(), "orders:write".into()],
            branch: Some(a.clone()),
            ..Default::default()
        })
        .unwrap();
    let sso = ann_browser.get(&login.url).await;
    let back = sso
        .location
        .clone()
        .unwrap_or_else(|| panic!("SSO redirect: {sso:?}"));
    assert!(
        back.as_str().starts_with(&format!("{orders}/callback?")),
        "{back}"
    );
    let session = sdk_client
        .complete_login(&login, back.as_str())
        .await
        .unwrap();
    let mut scopes = session.scopes();
    scopes.sort();
    assert_eq!(scopes, ["openid", "orders:read"]);
    let token = session.access_token().await.unwrap();
    let api = format!("{orders}/api/orders");
    let anonymous = Browser::read(http.get(&api).send().await.unwrap()).await;
    assert_eq!(anonymous.status, 401);
    assert!(
        anonymous
            .www_authenticate
            .as_deref()
            .unwrap_or("")
            .contains("invalid_token"),
        "{anonymous:?}"
    );
    let listed = Browser::read(http.get(&api).bearer_auth(&token).send().await.unwrap()).await;
    assert_eq!(listed.status, 200, "{listed:?}");
    assert_eq!(listed.json()["branch"], json!(a));
    // Who asked: Ann herself, no agent acting for her.
    let caller = json!({"sub": session.subject(), "act": null});
    assert_eq!(listed.json()["caller"], caller);
    assert_eq!(customers(&listed.body), ["Alpha Bakery", "Alpha Bistro"]);
    let order = json!({"sku": "FLOUR-25", "quantity": 1, "customer": "Gamma Diner"});
    let posted = http
        .post(&api)
        .bearer_auth(&token)
        .json(&order)
        .send()
        .await;
    let posted = Browser::read(posted.unwrap()).await;
    assert_eq!(posted.status, 403, "{posted:?}");
    assert_eq!(posted.json()["error"], "insufficient_scope");
    let challenge = posted.www_authenticate.clone().unwrap_or_default();
    assert!(
        challenge.contains(r#"error="insufficient_scope""#)
            && challenge.contains(r#"scope="orders:write""#),
        "{challenge}"
    );
    // Ann's token is for the same audience but has no stock:read: the stock service says no.
    let stock_by_ann = http
        .get(format!("{stock}/stock/FLOUR-25"))
        .bearer_auth(&token)
        .send()
        .await;
    let stock_by_ann = Browser::read(stock_by_ann.unwrap()).await;
    assert_eq!(stock_by_ann.status, 403, "{stock_by_ann:?}");
    assert!(stock_by_ann
        .www_authenticate
        .unwrap_or_default()
        .contains(r#"scope="stock:read""#));

    // Max, manager in North only (no branch page), creates an order there.
    let max_browser = Browser::new();
    let max_page = max_browser.sign_in(&orders, MAX, None, &[&a]).await;
    assert_eq!(customers(&max_page.body), ["Alpha Bakery", "Alpha Bistro"]);
    let created = max_browser
        .submit(
            &orders,
            &max_page,
            "/orders",
            &[
                ("sku", "FLOUR-25"),
                ("quantity", "5"),
                ("customer", "Gamma Diner"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{created:?}");
    let max_page = max_browser.page(&orders).await;
    stock_views += 1;
    assert_eq!(
        customers(&max_page.body),
        ["Alpha Bakery", "Alpha Bistro", "Gamma Diner"]
    );
    // Ann (still in South) does not see it; back in North she does.
    let page = ann_browser.page(&orders).await;
    stock_views += 1;
    assert_eq!(customers(&page.body), ["Beta Cafe"]);
    let switched = ann_browser
        .submit(&orders, &page, "/switch-branch", &[("branch", &a)])
        .await;
    assert_eq!(switched.status, 303, "{switched:?}");
    let page = ann_browser.page(&orders).await;
    stock_views += 1;
    assert_eq!(
        customers(&page.body),
        ["Alpha Bakery", "Alpha Bistro", "Gamma Diner"]
    );
    assert!(
        page.body.contains("FLOUR-25: 41 available"),
        "{}",
        page.body
    );

    // The page views shared cached service tokens: a new one at most every 30 s.
    let issued = admin
        .call(
            reqwest::Method::GET,
            &format!("/v1/audit-events?type=token.issued&client_id={server_id}&limit=200"),
            None,
        )
        .await["events"]
        .as_array()
        .map_or(0, Vec::len) as u64;
    // (28 s, not 30: `exp` has whole seconds, so a renewal may come a little early.)
    let renewals = (first_stock_view.elapsed().as_secs() + 2) / 28;
    assert!(
        (1..=1 + renewals).contains(&issued),
        "{issued} service tokens for {stock_views} page views in {:?}",
        first_stock_view.elapsed()
    );

    // The super-admin takes stock:read away from the server client.
    let before = ServiceClient::new(
        discovery.clone(),
        &server_id,
        &server_secret,
        &["stock:read"],
    );
    let old_token = before
        .access_token()
        .await
        .expect("token before the change");
    let revoked = admin
        .call(
            reqwest::Method::PATCH,
            &format!("/v1/products/{product_id}"),
            Some(json!({"server_client_scopes": []})),
        )
        .await;
    assert_eq!(revoked["server_client"]["scopes"], json!([]));
    // A new token is refused at the token endpoint...
    let after = ServiceClient::new(
        discovery.clone(),
        &server_id,
        &server_secret,
        &["stock:read"],
    );
    let err = after.access_token().await.expect_err("stock:read is gone");
    assert_eq!(err.oauth_error(), Some("invalid_scope"), "{err}");
    // ...while a token issued before still passes the stock service's local validation
    // until it expires: that is what local validation means.
    let old = http
        .get(format!("{stock}/stock/SUGAR-10"))
        .bearer_auth(&old_token)
        .send()
        .await;
    assert_eq!(old.unwrap().status(), 200);

    // The running app fails once the SDK renews its cached token (at the latest 30 s
    // before the 60 s token expires): the page shows the refusal, the orders stay.
    let deadline = first_stock_view + Duration::from_secs(60 + 45);
    let failed = loop {
        let page = ann_browser.page(&orders).await;
        if page.body.contains(r#"id="stock-error""#) {
            break page;
        }
        assert!(
            page.body.contains("FLOUR-25: 41 available"),
            "before the renewal the cached token still works: {}",
            page.body
        );
        assert!(
            Instant::now() < deadline,
            "the stock call still succeeds {:?} after the first service token",
            first_stock_view.elapsed()
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    assert!(failed.body.contains("invalid_scope"), "{}", failed.body);
    assert!(!failed.body.contains(" available<"), "{}", failed.body);
    assert_eq!(
        customers(&failed.body),
        ["Alpha Bakery", "Alpha Bistro", "Gamma Diner"]
    );

    // Sign-out: the app forgets the session, Tessera ends SSO and comes back to `/`.
    let out = ann_browser.submit(&orders, &failed, "/logout", &[]).await;
    assert_eq!(out.status, 303, "{out:?}");
    let to = out.location.clone().expect("logout redirect");
    assert!(
        to.as_str().starts_with(&format!("{issuer}/oauth/logout?")),
        "{to}"
    );
    assert!(
        out.set_cookies.iter().any(|c| c.contains("Max-Age=0")),
        "{out:?}"
    );
    let home = ann_browser.follow(to.as_str()).await;
    // Back at the registered post-logout URI (Tessera may spell it with an empty `?`).
    let mut landed = home.url.clone();
    landed.set_query(None);
    assert_eq!(landed.as_str(), format!("{orders}/"), "{home:?}");
    assert!(home.body.contains("Sign in"), "{}", home.body);
    let again = ann_browser.follow(&format!("{orders}/login")).await;
    assert_eq!(again.url.path(), "/login", "SSO ended: {again:?}");
    assert!(again.url.as_str().starts_with(&issuer), "{}", again.url);
}
