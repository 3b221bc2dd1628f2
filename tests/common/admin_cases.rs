//! Bad-input tables for the /v1 users and products CRUD tests (admin_users.rs,
//! admin_products.rs): unknown ids, duplicates, invalid values, wrong content type,
//! oversize bodies, missing or insufficient tokens.
use super::table::{req, Case, Shape::*};
use super::{Fixture, LOGOUT_URI, REDIRECT_URI};
use reqwest::Method;
use serde_json::json;

pub fn product_cases(fx: &Fixture, server_token: &str) -> Vec<Case> {
    let admin = format!("Bearer {}", fx.admin_token);
    let a = |c: Case| c.auth(admin.clone());
    let p = format!("/v1/products/{}", fx.product["id"].as_str().unwrap_or(""));
    let nope = "/v1/products/00000000-0000-0000-0000-000000000000".to_string();
    let uris = format!("{p}/redirect-uris");
    let logout = format!("{p}/post-logout-redirect-uris");
    let uri = |u: &str| json!({"uri": u}).to_string();
    let big = json!({"name": "x".repeat(70 * 1024)}).to_string();
    vec![
        a(req("GET unknown", Method::GET, nope.clone())).expect(&[404], V1(Some("not_found"))),
        a(req("PATCH unknown", Method::PATCH, nope.clone()).json(r#"{"name":"N"}"#))
            .expect(&[404], V1(Some("not_found"))),
        a(req("DELETE unknown", Method::DELETE, nope.clone()))
            .expect(&[404], V1(Some("not_found"))),
        a(req(
            "server-client unknown",
            Method::POST,
            format!("{nope}/server-client"),
        ))
        .expect(&[404], V1(Some("not_found"))),
        a(req(
            "server-client twice",
            Method::POST,
            format!("{p}/server-client"),
        ))
        .expect(&[409], V1(Some("conflict"))),
        a(req(
            "URI on unknown product",
            Method::POST,
            format!("{nope}/redirect-uris"),
        )
        .json(uri("https://a.example/cb")))
        .expect(&[404], V1(Some("not_found"))),
        a(req("empty name", Method::PATCH, p.clone()).json(r#"{"name":"  "}"#))
            .expect(&[422], V1(Some("validation_failed"))),
        a(req("null name", Method::PATCH, p.clone()).json(r#"{"name":null}"#))
            .expect(&[422], V1(Some("validation_failed"))),
        a(req("scope with space", Method::PATCH, p.clone()).json(r#"{"scopes":["a b"]}"#))
            .expect(&[422], V1(Some("validation_failed"))),
        a(req("reserved scope", Method::PATCH, p.clone()).json(r#"{"scopes":["openid"]}"#))
            .expect(&[422], V1(Some("validation_failed"))),
        a(req("access ttl 59", Method::PATCH, p.clone()).json(r#"{"access_token_ttl":59}"#))
            .expect(&[422], V1(Some("validation_failed"))),
        a(req("access ttl 86401", Method::PATCH, p.clone()).json(r#"{"access_token_ttl":86401}"#))
            .expect(&[422], V1(Some("validation_failed"))),
        a(req("refresh ttl 299", Method::PATCH, p.clone()).json(r#"{"refresh_token_ttl":299}"#))
            .expect(&[422], V1(Some("validation_failed"))),
        a(req("refresh ttl > 1y", Method::PATCH, p.clone())
            .json(r#"{"refresh_token_ttl":31536001}"#))
        .expect(&[422], V1(Some("validation_failed"))),
        a(req("ttl not a number", Method::PATCH, p.clone()).json(r#"{"access_token_ttl":"60"}"#))
            .expect(&[422], V1(Some("validation_failed"))),
        a(req("server scope not declared", Method::PATCH, p.clone())
            .json(r#"{"server_client_scopes":["x:y"]}"#))
        .expect(&[422], V1(Some("validation_failed"))),
        a(req("unknown field", Method::PATCH, p.clone()).json(r#"{"colour":"red"}"#))
            .expect(&[422], V1(Some("validation_failed"))),
        a(req("PATCH text/plain", Method::PATCH, p.clone()).raw("text/plain", r#"{"name":"N"}"#))
            .expect(&[415], V1(Some("unsupported_media_type"))),
        a(req("PATCH > 64 KiB", Method::PATCH, p.clone()).json(big))
            .expect(&[413], V1(Some("payload_too_large"))),
        a(req("PATCH bad JSON", Method::PATCH, p.clone()).json("{"))
            .expect(&[400], V1(Some("invalid_json"))),
        req("PATCH without token", Method::PATCH, p.clone())
            .json(r#"{"name":"N"}"#)
            .expect(&[401], V1(Some("unauthenticated"))),
        req("DELETE with a server token", Method::DELETE, p.clone())
            .auth(format!("Bearer {server_token}"))
            .expect(&[403], V1(Some("insufficient_scope"))),
        a(
            req("http non-loopback", Method::POST, uris.clone())
                .json(uri("http://shop.example/cb")),
        )
        .expect(&[422], V1(Some("validation_failed"))),
        a(req("fragment", Method::POST, uris.clone()).json(uri("https://a.example/cb#x")))
            .expect(&[422], V1(Some("validation_failed"))),
        a(req("wildcard", Method::POST, uris.clone()).json(uri("https://*.example/cb")))
            .expect(&[422], V1(Some("validation_failed"))),
        a(req("relative", Method::POST, uris.clone()).json(uri("/cb")))
            .expect(&[422], V1(Some("validation_failed"))),
        a(req("duplicate URI", Method::POST, uris.clone()).json(uri(REDIRECT_URI)))
            .expect(&[409], V1(Some("conflict"))),
        a(req("duplicate logout URI", Method::POST, logout.clone()).json(uri(LOGOUT_URI)))
            .expect(&[409], V1(Some("conflict"))),
        a(req("URI form body", Method::POST, uris.clone())
            .form("uri=https%3A%2F%2Fa.example%2Fcb"))
        .expect(&[415], V1(Some("unsupported_media_type"))),
        a(req("DELETE URI without uri", Method::DELETE, uris.clone()))
            .expect(&[422], V1(Some("validation_failed"))),
        a(req(
            "DELETE URI not registered",
            Method::DELETE,
            format!("{uris}?uri=https%3A%2F%2Fz.example%2Fcb"),
        ))
        .expect(&[404], V1(Some("not_found"))),
        a(req(
            "DELETE URI unknown param",
            Method::DELETE,
            format!("{uris}?url=x"),
        ))
        .expect(&[422], V1(Some("validation_failed"))),
        a(req(
            "DELETE URI repeated",
            Method::DELETE,
            format!("{uris}?uri=a&uri=b"),
        ))
        .expect(&[422], V1(Some("validation_failed"))),
    ]
}

pub fn user_cases(fx: &Fixture, server_token: &str) -> Vec<Case> {
    let admin = format!("Bearer {}", fx.admin_token);
    let a = |c: Case| c.auth(admin.clone());
    let u = format!("/v1/users/{}", fx.user_id);
    let nope = "/v1/users/00000000-0000-0000-0000-000000000000".to_string();
    let big = json!({"name": "x".repeat(70 * 1024)}).to_string();
    let bad = || V1(Some("validation_failed"));
    let nf = || V1(Some("not_found"));
    vec![
        a(req("GET unknown", Method::GET, nope.clone())).expect(&[404], nf()),
        a(req("PATCH unknown", Method::PATCH, nope.clone()).json(r#"{"name":"N"}"#))
            .expect(&[404], nf()),
        a(req("DELETE unknown", Method::DELETE, nope.clone())).expect(&[404], nf()),
        a(
            req("password unknown", Method::POST, format!("{nope}/password"))
                .json(r#"{"password":"long enough pw"}"#),
        )
        .expect(&[404], nf()),
        a(req(
            "unsuspend unknown",
            Method::POST,
            format!("{nope}/unsuspend"),
        ))
        .expect(&[404], nf()),
        a(req(
            "sessions unknown",
            Method::GET,
            format!("{nope}/sessions"),
        ))
        .expect(&[404], nf()),
        a(req(
            "end sessions unknown",
            Method::DELETE,
            format!("{nope}/sessions"),
        ))
        .expect(&[404], nf()),
        a(req(
            "end unknown session",
            Method::DELETE,
            format!("{u}/sessions/nope"),
        ))
        .expect(&[404], nf()),
        a(req("duplicate email", Method::PATCH, u.clone())
            .json(r#"{"email":"taken@example.com"}"#))
        .expect(&[409], V1(Some("conflict"))),
        a(req("duplicate email other case", Method::PATCH, u.clone())
            .json(r#"{"email":"TAKEN@example.com"}"#))
        .expect(&[409], V1(Some("conflict"))),
        a(req("bad email", Method::PATCH, u.clone()).json(r#"{"email":"nope"}"#))
            .expect(&[422], bad()),
        a(req("null email", Method::PATCH, u.clone()).json(r#"{"email":null}"#))
            .expect(&[422], bad()),
        a(req("empty name", Method::PATCH, u.clone()).json(r#"{"name":""}"#)).expect(&[422], bad()),
        a(req("bad locale", Method::PATCH, u.clone()).json(r#"{"locale":"en_US"}"#))
            .expect(&[422], bad()),
        a(req("verified not bool", Method::PATCH, u.clone()).json(r#"{"email_verified":"yes"}"#))
            .expect(&[422], bad()),
        a(req("unknown field", Method::PATCH, u.clone()).json(r#"{"status":"active"}"#))
            .expect(&[422], bad()),
        a(req("PATCH text/plain", Method::PATCH, u.clone()).raw("text/plain", r#"{"name":"N"}"#))
            .expect(&[415], V1(Some("unsupported_media_type"))),
        a(req("PATCH > 64 KiB", Method::PATCH, u.clone()).json(big))
            .expect(&[413], V1(Some("payload_too_large"))),
        a(req("short password", Method::POST, format!("{u}/password"))
            .json(r#"{"password":"short"}"#))
        .expect(&[422], bad()),
        a(req(
            "password no body",
            Method::POST,
            format!("{u}/password"),
        ))
        .expect(&[415], V1(Some("unsupported_media_type"))),
        a(req("limit 0", Method::GET, "/v1/users?limit=0")).expect(&[422], bad()),
        a(req("limit 201", Method::GET, "/v1/users?limit=201")).expect(&[422], bad()),
        a(req("limit text", Method::GET, "/v1/users?limit=ten")).expect(&[422], bad()),
        a(req("bad status", Method::GET, "/v1/users?status=gone")).expect(&[422], bad()),
        a(req("unknown param", Method::GET, "/v1/users?sort=name")).expect(&[422], bad()),
        a(req("repeated param", Method::GET, "/v1/users?q=a&q=b")).expect(&[422], bad()),
        req("list without token", Method::GET, "/v1/users")
            .expect(&[401], V1(Some("unauthenticated"))),
        req("delete with a server token", Method::DELETE, u.clone())
            .auth(format!("Bearer {server_token}"))
            .expect(&[403], V1(Some("insufficient_scope"))),
    ]
}
