//! Malformed requests to the /v1 admin API: right status and /v1 error envelope, never a
//! 5xx, and nothing written.
mod common;
use common::table::{assert_nothing_written, req, run_table, Case, Shape::*};
use common::*;
use reqwest::Method as M;

const U: &str = "/v1/users";
const P: &str = "/v1/products";

fn product(uri: &str) -> String {
    format!(
        r#"{{"name":"P","redirect_uris":["{uri}"],"post_logout_redirect_uris":[],"scopes":["a:b"],"server_client":false}}"#
    )
}

fn user(email: &str, pw: &str) -> String {
    format!(r#"{{"email":"{email}","password":"{pw}","name":"N"}}"#)
}

fn cases(fx: &Fixture) -> Vec<Case> {
    let admin = format!("Bearer {}", fx.admin_token);
    let admin_basic = basic(&fx.admin_id, &fx.admin_secret);
    let big = user("big@example.com", &"p".repeat(70 * 1024));
    let nested = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let a = |c: Case| c.auth(admin.clone());
    vec![
        a(req("malformed JSON", M::POST, U).json(r#"{"email":"#))
            .expect(&[400], V1(Some("invalid_json"))),
        a(req("invalid UTF-8", M::POST, U).json(b"{\"email\":\"\xff\xfe\"}".to_vec()))
            .expect(&[400], V1(Some("invalid_json"))),
        a(req("deeply nested JSON", M::POST, U).json(nested)).expect(&[400, 422], V1(None)),
        a(req("wrong types", M::POST, U).json(r#"{"email":5,"password":true,"name":[]}"#))
            .expect(&[400, 422], V1(None)),
        a(req("missing fields", M::POST, U).json("{}")).expect(&[400, 422], V1(None)),
        a(req("array body", M::POST, U).json("[]")).expect(&[400, 422], V1(None)),
        a(req("text/plain", M::POST, U).raw("text/plain", user("t@example.com", "long enough pw")))
            .expect(&[415], V1(Some("unsupported_media_type"))),
        a(req("form body", M::POST, U).form("email=f%40example.com&password=long+enough+pw&name=F"))
            .expect(&[415], V1(Some("unsupported_media_type"))),
        a(req("bad email", M::POST, U).json(user("not-an-email", "long enough pw")))
            .expect(&[422], V1(Some("validation_failed"))),
        a(req("short password", M::POST, U).json(user("s@example.com", "short")))
            .expect(&[422], V1(Some("validation_failed"))),
        a(req("1025-char password", M::POST, U).json(user("l@example.com", &"p".repeat(1025))))
            .expect(&[422], V1(Some("validation_failed"))),
        a(req("duplicate email", M::POST, U).json(user(EMAIL, "long enough pw")))
            .expect(&[409], V1(Some("conflict"))),
        a(req("duplicate email, other case", M::POST, U)
            .json(user(&EMAIL.to_uppercase(), "long enough pw")))
        .expect(&[409], V1(Some("conflict"))),
        a(req("user body > 64 KiB", M::POST, U).json(big.clone()))
            .expect(&[413], V1(Some("payload_too_large"))),
        a(req("suspend unknown user", M::POST, format!("{U}/00000000-0000-0000-0000-000000000000/suspend")))
            .expect(&[404], V1(Some("not_found"))),
        a(req("unknown path", M::GET, "/v1/nope")).expect(&[404], V1(Some("not_found"))),
        a(req("wrong method", M::GET, format!("{U}/{}/suspend", fx.user_id)))
            .expect(&[405], V1(None)),
        a(req("redirect URI not a URI", M::POST, P).json(product("not a uri")))
            .expect(&[422], V1(Some("validation_failed"))),
        a(req("redirect URI with fragment", M::POST, P).json(product("https://a.example/cb#frag")))
            .expect(&[422], V1(Some("validation_failed"))),
        a(req("javascript redirect URI", M::POST, P).json(product("javascript:alert(1)")))
            .expect(&[422], V1(Some("validation_failed"))),
        a(req("scopes not an array", M::POST, P).json(
            r#"{"name":"P","redirect_uris":["https://a.example/cb"],"post_logout_redirect_uris":[],"scopes":"a:b","server_client":false}"#,
        ))
        .expect(&[400, 422], V1(None)),
        a(req("product body > 64 KiB", M::POST, P).json(big))
            .expect(&[413], V1(Some("payload_too_large"))),
        a(req("rotate unknown product", M::POST, format!("{P}/nope/secret:rotate")))
            .expect(&[404], V1(Some("not_found"))),
        req("garbage bearer", M::POST, U)
            .json(user("g@example.com", "long enough pw"))
            .auth("Bearer garbage")
            .expect(&[401], V1(Some("unauthenticated"))),
        req("Basic admin credentials", M::POST, U)
            .json(user("h@example.com", "long enough pw"))
            .auth(admin_basic)
            .expect(&[401], V1(Some("unauthenticated"))),
        req("no credentials", M::GET, P).expect(&[401], V1(Some("unauthenticated"))),
    ]
}

#[tokio::test]
async fn malformed_admin_requests_get_clean_errors_and_write_nothing() {
    let fx = Fixture::new().await;
    let audit_before = fx.srv.audit_rows();
    let cases = cases(&fx);
    assert!(cases.len() >= 25);
    let failures = run_table(&fx, &cases).await;
    assert_nothing_written(&fx, &audit_before).await;
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
