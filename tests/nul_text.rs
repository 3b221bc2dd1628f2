//! A NUL character in text from a request: PostgreSQL cannot store one and refuses the
//! statement, SQLite could store it. Tessera answers alike on both engines: a lookup by
//! such a value finds nothing (no stored text holds a NUL), a write is refused with the
//! error of the API's own shape, never a 500.
mod common;
use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn text_with_a_nul_finds_nothing_and_is_never_stored() {
    let fx = Fixture::new().await;
    // Writes: the admin API's validation envelope.
    let r = fx
        .admin(
            Method::POST,
            "/v1/users",
            Some(&json!({"email": "nul@example.com", "password": "a long password, typed", "name": "Ann\u{0}B"})),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json["error"]["code"], "validation_failed", "{}", r.text);
    let found = fx
        .admin(Method::GET, "/v1/users?q=nul%40example.com", None)
        .await;
    assert_eq!(found.json["users"], json!([]), "{}", found.text);

    // Lookups: nothing matches.
    let r = fx
        .admin(
            Method::GET,
            "/v1/audit-events?user=ann%00%40example.com",
            None,
        )
        .await;
    assert!(r.status.as_u16() < 500, "{}: {}", r.status, r.text);
    let r = fx.admin(Method::GET, "/v1/users/abc%00def", None).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let cc = [("grant_type", "client_credentials")];
    let r = fx.token_basic("client\u{0}id", "secret", &cc).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.json["error"], "invalid_client", "{}", r.text);
    let browser = fx.browser();
    let login = browser.start_login(&fx.authorize(&[]).url).await;
    let answer = browser
        .submit_login(&login, "ann\u{0}@example.com", "whatever it is")
        .await;
    assert!(
        answer.status.as_u16() < 500,
        "login with a NUL email: {}",
        answer.status
    );
}
