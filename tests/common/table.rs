//! Table-driven malformed-request checks shared by the malformed_* test files.
use super::{Fixture, Reply};
use reqwest::Method;
use serde_json::Value;

pub enum Shape {
    /// `{"error": code, "error_description"?}`; `None` = any code.
    OAuth(Option<&'static str>),
    /// `{"error": {"code", "message", "type"}}`.
    V1(Option<&'static str>),
    /// An HTML/plain error page without a `Location`.
    NoRedirect,
    StatusOnly,
}

pub struct Case {
    name: &'static str,
    method: Method,
    path: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    auth: Option<String>,
    status: &'static [u16],
    shape: Shape,
}

pub fn req(name: &'static str, method: Method, path: impl Into<String>) -> Case {
    Case {
        name,
        method,
        path: path.into(),
        content_type: None,
        body: Vec::new(),
        auth: None,
        status: &[],
        shape: Shape::StatusOnly,
    }
}

impl Case {
    pub fn raw(mut self, ct: &'static str, body: impl Into<Vec<u8>>) -> Case {
        self.content_type = Some(ct);
        self.body = body.into();
        self
    }
    pub fn form(self, body: impl Into<Vec<u8>>) -> Case {
        self.raw("application/x-www-form-urlencoded", body)
    }
    pub fn json(self, body: impl Into<Vec<u8>>) -> Case {
        self.raw("application/json", body)
    }
    pub fn auth(mut self, header: impl Into<String>) -> Case {
        self.auth = Some(header.into());
        self
    }
    pub fn expect(mut self, status: &'static [u16], shape: Shape) -> Case {
        self.status = status;
        self.shape = shape;
        self
    }
}

fn check(case: &Case, r: &Reply) -> Result<(), String> {
    if r.status.is_server_error() || !case.status.contains(&r.status.as_u16()) {
        return Err(format!(
            "status {} (want {:?}): {}",
            r.status, case.status, r.text
        ));
    }
    if r.status == 401 && case.path.starts_with("/oauth") && r.header("www-authenticate").is_none()
    {
        return Err("401 without WWW-Authenticate".into());
    }
    let fail = |what: &str| Err(format!("{what}: {}", r.text));
    match case.shape {
        Shape::OAuth(code) => {
            let Some(e) = r.json["error"].as_str() else {
                return fail("no OAuth error");
            };
            if code.is_some_and(|c| c != e) {
                return fail(&format!("error {e}, want {code:?}"));
            }
            if r.json
                .get("error_description")
                .is_some_and(|d| !d.is_string())
            {
                return fail("error_description not a string");
            }
        }
        Shape::V1(code) => {
            let e = &r.json["error"];
            if !(e["code"].is_string() && e["message"].is_string() && e["type"].is_string()) {
                return fail("no /v1 error envelope");
            }
            if code.is_some_and(|c| e["code"] != c) {
                return fail(&format!("code {}, want {code:?}", e["code"]));
            }
        }
        Shape::NoRedirect if r.header("location").is_some() => return fail("redirected"),
        _ => {}
    }
    Ok(())
}

/// Sends every case; returns one line per row that did not answer as expected.
pub async fn run_table(fx: &Fixture, cases: &[Case]) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases {
        let mut rq = fx.http.request(case.method.clone(), fx.url(&case.path));
        if let Some(ct) = case.content_type {
            rq = rq.header("content-type", ct).body(case.body.clone());
        }
        if let Some(a) = &case.auth {
            rq = rq.header("authorization", a);
        }
        match rq.send().await {
            Ok(resp) => {
                if let Err(e) = check(case, &Reply::read(resp).await) {
                    failures.push(format!("{}: {e}", case.name));
                }
            }
            Err(e) => failures.push(format!("{}: transport error {e}", case.name)),
        }
    }
    failures
}

fn successes(rows: &[Value], t: &str) -> usize {
    rows.iter()
        .filter(|e| e["type"] == t && e["outcome"] == "success")
        .count()
}

/// Asserts the bad requests created no product or user and the server is still healthy.
pub async fn assert_nothing_written(fx: &Fixture, audit_before: &[Value]) {
    let r = fx.admin(Method::GET, "/v1/products", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let n = r.json["products"].as_array().map(Vec::len);
    assert_eq!(n, Some(1), "a malformed request created a product");
    let audit = fx.srv.audit_rows();
    for t in ["admin.user.created", "admin.product.created"] {
        assert_eq!(successes(&audit, t), successes(audit_before, t), "{t}");
    }
    let n = &fx.srv.sql("SELECT count(*) AS n FROM users")[0]["n"];
    assert_eq!(n, 1, "a malformed request created a user");
    let health = fx.http.get(fx.url("/health")).send().await.expect("health");
    assert_eq!(health.status(), 200, "server unhealthy after the table");
}
