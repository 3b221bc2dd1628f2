//! GET /v1/openapi.json: public, OpenAPI 3.1, valid per openapi-spec-validator, and in step
//! with the router: the router is built from the same declarations (`routes!`), and here
//! every documented operation reaches its handler and no other method on its path is routed.
mod common;
use common::*;
use reqwest::Method;
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Command;

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// The documented (METHOD, path) pairs.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            ops.insert((method.to_uppercase(), path.clone()));
        }
    }
    ops
}

/// A concrete URL for a template: every `{param}` becomes `p1`.
fn concrete(template: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in template.chars() {
        match c {
            '{' => in_param = true,
            '}' => {
                in_param = false;
                out.push_str("p1");
            }
            _ if !in_param => out.push(c),
            _ => {}
        }
    }
    out
}

/// Whether a URL matches a path template (a `{param}` matches a non-empty run without `/`).
fn matches(template: &str, url: &str) -> bool {
    let (t, u): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), url.split('/').collect());
    t.len() == u.len()
        && t.iter().zip(&u).all(|(t, u)| match t.split_once('{') {
            None => t == u,
            Some((pre, rest)) => {
                let post = rest.split_once('}').map_or("", |(_, p)| p);
                u.len() > pre.len() + post.len() && u.starts_with(pre) && u.ends_with(post)
            }
        })
}

/// A JSON answer's schema names a component that has properties (not `{}` or a bare
/// object): the wire type of the answer, from `tessera-proto`.
fn assert_named_schema(doc: &Value, schema: &Value, what: &str) {
    let reference = schema["$ref"].as_str().unwrap_or_default();
    let name = reference
        .strip_prefix("#/components/schemas/")
        .unwrap_or_else(|| panic!("{what}: the JSON answer names no schema: {schema}"));
    let component = &doc["components"]["schemas"][name];
    if let Some(variants) = component["oneOf"].as_array() {
        // An answer of several shapes (`/v1/auth/login`: tokens or `mfa_required`).
        for v in variants {
            assert_named_schema(doc, v, &format!("{what} ({name})"));
        }
        return;
    }
    let properties = &component["properties"];
    assert!(
        properties.as_object().is_some_and(|p| !p.is_empty()),
        "{what}: schema {name} is untyped"
    );
}

async fn fetch_doc(fx: &Fixture) -> Value {
    let r = Reply::read(
        fx.http
            .get(fx.url("/v1/openapi.json"))
            .send()
            .await
            .expect("GET openapi.json"),
    )
    .await;
    assert_eq!(r.status, 200, "served without a token: {}", r.text);
    let ct = r.header("content-type").unwrap_or_default();
    assert!(ct.starts_with("application/json"), "{ct}");
    r.json
}

#[tokio::test]
async fn openapi_document_matches_the_router() {
    let fx = Fixture::new().await;
    let doc = fetch_doc(&fx).await;
    let version = doc["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3.1."), "openapi: {version}");

    let documented = operations(&doc);
    assert!(documented.len() > 50, "{} operations", documented.len());

    // The router agrees: each documented operation reaches its handler (401 without a token,
    // not the 404/405 fallbacks), and undocumented methods on documented paths are 405 (or the
    // `endpoint not found` 404 that `POST /v1/keys/{kid}` without `:retire` gives).
    for (method, path) in &documented {
        let url = concrete(path);
        let m = Method::from_bytes(method.as_bytes()).expect("method");
        let r = Reply::read(
            fx.http
                .request(m, fx.url(&url))
                .send()
                .await
                .expect("probe"),
        )
        .await;
        if path.starts_with("/v1/auth/") {
            // The first-party auth API: public writes refuse the missing body, the
            // caller's reads the missing token; never a fallback.
            let reached = r.json["error"]["message"] != "endpoint not found"
                && r.status != 405
                && r.status.is_client_error();
            assert!(reached, "{method} {url}: {} {}", r.status, r.text);
        } else {
            let want = if path == "/v1/openapi.json" { 200 } else { 401 };
            assert_eq!(r.status, want, "{method} {url}: {}", r.text);
        }
        for other in METHODS {
            let routed_elsewhere = documented
                .iter()
                .any(|(m, p)| m == other && matches(p, &url));
            if routed_elsewhere {
                continue;
            }
            let m = Method::from_bytes(other.as_bytes()).expect("method");
            let r = fx.admin(m, &url, None).await;
            let unrouted = r.status == 405
                || (r.status == 404 && r.json["error"]["message"] == "endpoint not found");
            assert!(
                unrouted,
                "{other} {url} is routed but not documented: {} {}",
                r.status, r.text
            );
        }
    }
}

#[tokio::test]
async fn openapi_operations_describe_params_bodies_errors_and_security() {
    let fx = Fixture::new().await;
    let doc = fetch_doc(&fx).await;
    let schemes = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(schemes["type"], "http");
    assert_eq!(schemes["scheme"], "bearer");
    assert_eq!(doc["security"], serde_json::json!([{"bearer": ["admin"]}]));
    let envelope = &doc["components"]["schemas"]["ErrorEnvelope"];
    assert_eq!(
        envelope["properties"]["error"]["$ref"],
        "#/components/schemas/ErrorDetail"
    );
    let detail = &doc["components"]["schemas"]["ErrorDetail"];
    for field in ["code", "message", "type", "field"] {
        assert!(
            detail["properties"].get(field).is_some(),
            "ErrorDetail.{field}"
        );
    }

    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let what = format!("{method} {path}");
            let params: Vec<&Value> = op["parameters"].as_array().into_iter().flatten().collect();
            for name in path.split('{').skip(1).filter_map(|s| s.split_once('}')) {
                let declared = params
                    .iter()
                    .any(|p| p["in"] == "path" && p["name"] == name.0);
                assert!(declared, "{what}: path param {}", name.0);
            }
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{what}: success"
            );
            for (status, response) in responses.iter().filter(|(s, _)| s.starts_with('2')) {
                let json = &response["content"]["application/json"];
                if !json.is_null() {
                    assert_named_schema(&doc, &json["schema"], &format!("{what} {status}"));
                }
            }
            if path == "/v1/openapi.json" {
                assert_eq!(op["security"], serde_json::json!([{}]), "public document");
                continue;
            }
            if path.starts_with("/v1/auth/") {
                // The first-party auth API: no admin token; its own errors, each in the
                // envelope.
                assert_ne!(op["security"], serde_json::json!([{"bearer": ["admin"]}]));
                let errors = responses.iter().filter(|(s, _)| !s.starts_with('2'));
                for (status, response) in errors {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(
                        schema, "#/components/schemas/ErrorEnvelope",
                        "{what} {status}"
                    );
                }
                continue;
            }
            let mut errors = vec!["401", "403"];
            if path.contains('{') {
                errors.push("404");
            }
            if method != "get" {
                errors.push("409");
            }
            if op.get("requestBody").is_some() {
                errors.extend(["400", "413", "415", "422"]);
            }
            for status in errors {
                let schema = &responses.get(status).unwrap_or(&Value::Null)["content"]
                    ["application/json"]["schema"]["$ref"];
                assert_eq!(
                    schema, "#/components/schemas/ErrorEnvelope",
                    "{what} {status}"
                );
            }
        }
    }

    // Request bodies and query parameters are described, with the JSON shapes the API takes.
    let body = |method: &str, path: &str| -> Value {
        let r = &doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
            ["$ref"];
        let name = r
            .as_str()
            .unwrap_or_default()
            .rsplit('/')
            .next()
            .unwrap_or_default();
        doc["components"]["schemas"][name].clone()
    };
    let create_user = body("post", "/v1/users");
    assert_eq!(
        create_user["additionalProperties"], false,
        "deny_unknown_fields"
    );
    let required = create_user["required"].as_array().expect("required");
    assert!(required.contains(&"email".into()));
    // A password, or `invite: true` (the user chooses one through the emailed link).
    for field in ["password", "invite"] {
        assert!(create_user["properties"].get(field).is_some(), "{field}");
    }
    assert!(body("patch", "/v1/settings")["properties"]
        .get("key_rotation_days")
        .is_some());
    assert!(body("post", "/v1/memberships")["properties"]
        .get("role_id")
        .is_some());
    let query = |path: &str| -> Vec<String> {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query")
            .filter_map(|p| p["name"].as_str().map(String::from))
            .collect()
    };
    assert_eq!(query("/v1/users"), ["q", "status", "limit", "cursor"]);
    assert!(query("/v1/audit-events").contains(&"outcome".to_string()));
    assert!(query("/v1/memberships").contains(&"business_id".to_string()));

    // A real error fits the documented envelope.
    let r = fx.admin(Method::GET, "/v1/users/nope", None).await;
    assert_eq!(r.status, 404);
    for key in r.json["error"].as_object().expect("error").keys() {
        assert!(
            detail["properties"].get(key).is_some(),
            "undocumented error field {key}"
        );
    }
}

#[tokio::test]
async fn openapi_document_passes_openapi_spec_validator() {
    let fx = Fixture::new().await;
    let doc = fetch_doc(&fx).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).expect("json")).expect("write");
    let importable = Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .status()
        .is_ok_and(|s| s.success());
    if !importable {
        let pip = Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "openapi-spec-validator"])
            .status()
            .expect("run pip");
        assert!(pip.success(), "pip install openapi-spec-validator failed");
    }
    let out = Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .expect("run openapi_spec_validator");
    assert!(
        out.status.success(),
        "openapi-spec-validator rejected the document:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
