//! `GET /metrics` (PRODUCT.md "Operations"): Prometheus text on the public port by
//! default, or alone on `--metrics-listen` (the public port then answers 404); requests by
//! route template (never the concrete path) and status, tokens by grant, refusals by
//! reason, logins, throttles, latency histograms and the database pools.
mod common;
use common::*;
use reqwest::Method;

/// The value of the sample `name{labels…}` (labels in any order), if it is there.
fn sample(body: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    body.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?;
        let (label_part, value) = match rest.strip_prefix('{') {
            Some(inner) => inner.split_once("} ")?,
            None => ("", rest.strip_prefix(' ')?),
        };
        let have: Vec<&str> = label_part.split(',').filter(|l| !l.is_empty()).collect();
        let wanted: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
        let same = have.len() == wanted.len() && wanted.iter().all(|w| have.contains(&w.as_str()));
        same.then(|| value.trim().parse().ok()).flatten()
    })
}

async fn scrape(url: &str) -> String {
    let response = reqwest::get(url).await.expect("GET /metrics");
    assert_eq!(response.status(), 200, "{url}");
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    response.text().await.expect("body")
}

fn expect(body: &str, name: &str, labels: &[(&str, &str)], value: f64) {
    assert_eq!(
        sample(body, name, labels),
        Some(value),
        "{name} {labels:?} in:\n{body}"
    );
}

#[tokio::test]
async fn counters_show_tokens_refusals_logins_throttles_and_routes() {
    let fx = Fixture::new().await;
    // The fixture took the admin token; one more client_credentials token, one refusal.
    fx.server_token().await;
    let refused = fx
        .token_basic(
            &fx.server_client_id,
            &fx.server_secret,
            &[("grant_type", "password")],
        )
        .await;
    assert_eq!(refused.json["error"], "unsupported_grant_type");
    // Five wrong passwords: five failed logins, and the account throttle begins.
    let browser = fx.browser();
    let form = browser.start_login(&fx.authorize(&[]).url).await;
    for _ in 0..5 {
        let r = browser.submit_login(&form, EMAIL, "wrong password").await;
        assert_eq!(r.status, 401, "{r:?}");
    }
    let user = fx
        .admin(Method::GET, &format!("/v1/users/{}", fx.user_id), None)
        .await;
    assert_eq!(user.status, 200);
    reqwest::get(fx.url("/no/such/page")).await.expect("404");

    let body = scrape(&fx.url("/metrics")).await;
    let issued = "tessera_tokens_issued_total";
    expect(&body, issued, &[("grant_type", "client_credentials")], 2.0);
    let refusals = "tessera_token_refusals_total";
    expect(
        &body,
        refusals,
        &[("reason", "unsupported_grant_type")],
        1.0,
    );
    expect(&body, "tessera_logins_total", &[("outcome", "failed")], 5.0);
    assert_eq!(
        sample(&body, "tessera_logins_total", &[("outcome", "succeeded")]),
        None
    );
    expect(
        &body,
        "tessera_throttles_total",
        &[("scope", "account")],
        1.0,
    );
    let requests = "tessera_http_requests_total";
    let user_route = [("route", "/v1/users/{id}"), ("status", "200")];
    expect(&body, requests, &user_route, 1.0);
    expect(
        &body,
        requests,
        &[("route", "/login"), ("status", "401")],
        5.0,
    );
    let unmatched = [("route", "unmatched"), ("status", "404")];
    expect(&body, requests, &unmatched, 1.0);
    assert!(
        !body.contains(&fx.user_id),
        "a concrete id is a label:\n{body}"
    );
    assert!(!body.contains("/no/such/page"), "{body}");
    let histogram = "tessera_http_request_duration_seconds_count";
    let token_route = [("route", "/oauth/token")];
    assert!(
        sample(&body, histogram, &token_route).is_some_and(|n| n >= 3.0),
        "{body}"
    );
    assert!(body.contains("# TYPE tessera_http_request_duration_seconds histogram"));
    // SQLite has its one writer connection; PostgreSQL a small write pool.
    let writers = sample(&body, "tessera_db_pool_connections", &[("pool", "write")]);
    if common::engine::on_postgres() {
        assert!(writers.is_some_and(|n| (1.0..=8.0).contains(&n)), "{body}");
    } else {
        assert_eq!(writers, Some(1.0), "{body}");
    }
    assert!(sample(&body, "tessera_db_pool_in_use", &[("pool", "read")]).is_some());
}

/// A port free right now on the loopback.
fn free_port() -> u16 {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    socket.local_addr().expect("addr").port()
}

#[tokio::test]
async fn metrics_listen_moves_the_endpoint_off_the_public_port() {
    let at = format!("127.0.0.1:{}", free_port());
    let srv = Server::start_with(&["--metrics-listen", &at]);
    let public = reqwest::get(srv.url("/metrics")).await.expect("public");
    assert_eq!(public.status(), 404);
    reqwest::get(srv.url("/health")).await.expect("health");

    let body = scrape(&format!("http://{at}/metrics")).await;
    expect(
        &body,
        "tessera_http_requests_total",
        &[("route", "/health"), ("status", "200")],
        1.0,
    );
    // The public 404 was counted as a route nobody matched, not as /metrics.
    let unmatched = [("route", "unmatched"), ("status", "404")];
    expect(&body, "tessera_http_requests_total", &unmatched, 1.0);
    let other = reqwest::get(format!("http://{at}/health"))
        .await
        .expect("other");
    assert_eq!(
        other.status(),
        404,
        "the metrics listener serves /metrics only"
    );
}

#[tokio::test]
async fn a_taken_metrics_address_stops_the_start_with_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let at = taken.local_addr().expect("addr").to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = tessera_command()
        .args(["serve", "--listen", "127.0.0.1:0", "--metrics-listen", &at])
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&at), "{stderr}");
}
