//! What operators rely on (PRODUCT.md "Operations"): `GET /health/ready`, and
//! `x-request-id` on every response — the caller's when it is a plain id, else a new
//! one — and in the log lines of that request.

mod common;

use common::Server;

async fn get(url: &str, request_id: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(url);
    if let Some(id) = request_id {
        request = request.header("x-request-id", id);
    }
    request.send().await.expect("request")
}

fn id_of(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("x-request-id")
        .unwrap_or_else(|| panic!("no x-request-id on {}", response.url()))
        .to_str()
        .expect("ascii")
        .to_owned()
}

fn is_uuid(id: &str) -> bool {
    id.len() == 36 && uuid_shape(id)
}

fn uuid_shape(id: &str) -> bool {
    id.chars().enumerate().all(|(i, c)| {
        matches!(i, 8 | 13 | 18 | 23) == (c == '-') && (c == '-' || c.is_ascii_hexdigit())
    })
}

#[tokio::test]
async fn ready_when_the_database_answers_and_a_key_is_loaded() {
    let srv = Server::start();
    let response = get(&srv.url("/health/ready"), None).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(
        body,
        serde_json::json!({"status": "ready", "checks": {"database": "ok", "signing_key": "ok"}})
    );
}

#[tokio::test]
async fn every_answer_has_a_request_id_the_callers_when_plain() {
    let srv = Server::start();
    // Answers of every kind: a page, the OAuth and /v1 error shapes, a 404.
    for path in [
        "/health",
        "/.well-known/openid-configuration",
        "/oauth/authorize",
        "/v1/users",
        "/no/such/page",
    ] {
        let first = id_of(&get(&srv.url(path), None).await);
        let second = id_of(&get(&srv.url(path), None).await);
        assert!(is_uuid(&first), "{path}: a new id is a UUID: {first}");
        assert_ne!(first, second, "{path}: each request its own id");
    }
    let posted = reqwest::Client::new()
        .post(srv.url("/oauth/token"))
        .form(&[("grant_type", "authorization_code")])
        .send()
        .await
        .expect("token");
    assert!(posted.status().is_client_error(), "{}", posted.status());
    assert!(is_uuid(&id_of(&posted)));

    // A proxy's id is kept; one that is not a plain id is replaced, never echoed.
    let kept = get(&srv.url("/health"), Some("lb-7f3a.42:web/1")).await;
    assert_eq!(id_of(&kept), "lb-7f3a.42:web/1");
    let long = "x".repeat(129);
    for bad in ["two words", "quote\"d", "semi;colon", long.as_str()] {
        let replaced = id_of(&get(&srv.url("/health"), Some(bad)).await);
        assert!(
            is_uuid(&replaced),
            "{bad:?} replaced by a new id, got {replaced}"
        );
    }
}

#[tokio::test]
async fn the_log_lines_of_a_request_carry_its_id() {
    // The per-request lines are debug lines of tower_http's trace layer.
    std::env::set_var("RUST_LOG", "info,tower_http=debug,sqlx=warn");
    let mut srv = Server::start();
    std::env::remove_var("RUST_LOG");
    let response = get(&srv.url("/v1/users"), Some("trace-me-4242")).await;
    assert_eq!(response.status(), 401);
    srv.terminate();
    let log = srv.log();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("trace-me-4242"))
        .collect();
    assert!(
        lines.len() >= 2,
        "the request's started and finished lines name its id; log:\n{log}"
    );
    assert!(lines.iter().all(|l| l.contains("/v1/users")), "{lines:?}");
}

/// On PostgreSQL the database can really go away under a running server: connections to
/// its database are refused and the open ones ended. Ready answers 503 naming the
/// database (alive stays 200), and 200 again once the database is back, without a restart.
#[tokio::test]
async fn not_ready_while_the_database_is_unreachable() {
    let srv = Server::start();
    let Some(url) = common::engine::database_url(&srv.data_dir) else {
        return; // SQLite is a file the server holds open: it cannot go away like this
    };
    let name = url.rsplit('/').next().expect("database name").to_string();
    let admin = format!(
        "{}/postgres",
        common::engine::postgres_base().expect("cluster")
    );
    let switch = |allow: bool| {
        let off = format!(
            "ALTER DATABASE {name} ALLOW_CONNECTIONS {allow}; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{name}' AND NOT {allow}"
        );
        common::engine::postgres_rows(&admin, &off, true);
    };
    switch(false);
    let response = get(&srv.url("/health/ready"), None).await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["status"], "not_ready", "{body}");
    assert_eq!(body["checks"]["database"], "unreachable", "{body}");
    assert_eq!(body["checks"]["signing_key"], "ok", "{body}");
    assert_eq!(get(&srv.url("/health"), None).await.status(), 200);

    switch(true);
    let response = get(&srv.url("/health/ready"), None).await;
    assert_eq!(
        response.status(),
        200,
        "ready again once the database is back"
    );
}
