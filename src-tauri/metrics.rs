//! Prometheus metrics at `GET /metrics` (on the public port, or alone on
//! `--metrics-listen`). One recorder per process (the desktop restarts its server in place:
//! the counters live on); labels are only bounded values: route templates, status codes,
//! grant types, OAuth error codes, throttle scopes, pool names.

use crate::state::Shared;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics::{counter, gauge, histogram, SharedString};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const HTTP_REQUESTS: &str = "tessera_http_requests_total";
const HTTP_DURATION: &str = "tessera_http_request_duration_seconds";
const TOKENS_ISSUED: &str = "tessera_tokens_issued_total";
const TOKEN_REFUSALS: &str = "tessera_token_refusals_total";
const LOGINS: &str = "tessera_logins_total";
const THROTTLES: &str = "tessera_throttles_total";
const POOL_SIZE: &str = "tessera_db_pool_connections";
const POOL_IDLE: &str = "tessera_db_pool_idle";
const POOL_IN_USE: &str = "tessera_db_pool_in_use";

/// Latency buckets (seconds): a token is ~0.3 ms of CPU, a password hash ~50 ms.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// How often recorded latencies are folded into the histograms when nobody scrapes
/// (without it they would pile up in memory).
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The route label of a request no route matched (404s, 405s, panics): never the raw
/// path, which a caller could make endless.
const UNMATCHED: &str = "unmatched";

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide recorder on first use and returns its handle.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new();
        let builder = builder
            .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.into()), LATENCY_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed: /metrics stays empty");
        }
        describe();
        let upkeep = handle.clone();
        let spawned = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || loop {
                std::thread::sleep(UPKEEP_EVERY);
                upkeep.run_upkeep();
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "cannot start the metrics upkeep thread");
        }
        handle
    })
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by route template and status"
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "HTTP answer time by route template"
    );
    describe_counter!(
        TOKENS_ISSUED,
        "Tokens issued at /oauth/token, by grant type"
    );
    describe_counter!(
        TOKEN_REFUSALS,
        "Refused token requests, by OAuth error code"
    );
    describe_counter!(
        LOGINS,
        "Sign-ins (login.succeeded / login.failed), by outcome"
    );
    describe_counter!(THROTTLES, "Throttles begun, by scope (account, ip, client)");
    describe_gauge!(POOL_SIZE, "Open database connections, by pool");
    describe_gauge!(POOL_IDLE, "Idle database connections, by pool");
    describe_gauge!(POOL_IN_USE, "Database connections in use, by pool");
}

/// `GET /metrics`: the Prometheus text format; the pool gauges are read now.
pub async fn serve(State(s): State<Shared>) -> Response {
    for (pool, size, idle) in s.db.pool_use() {
        let in_use = (size as usize).saturating_sub(idle);
        gauge!(POOL_SIZE, "pool" => pool).set(f64::from(size));
        gauge!(POOL_IDLE, "pool" => pool).set(idle as f64);
        gauge!(POOL_IN_USE, "pool" => pool).set(in_use as f64);
    }
    let body = install().render();
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// The route a request matched, carried on its response from [`tag_route`] to [`track`].
#[derive(Clone)]
struct Route(SharedString);

/// Route layer: puts the matched route template on the response, for [`track`].
pub async fn tag_route(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| Route(SharedString::from(m.as_str().to_owned())));
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(route);
    }
    response
}

/// Outer layer: counts every answer by route template and status, and times it.
pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let mut response = next.run(request).await;
    let route = response
        .extensions_mut()
        .remove::<Route>()
        .map_or(SharedString::const_str(UNMATCHED), |r| r.0);
    let status = status_label(response.status());
    histogram!(HTTP_DURATION, "route" => route.clone()).record(started.elapsed().as_secs_f64());
    counter!(HTTP_REQUESTS, "route" => route, "status" => status).increment(1);
    response
}

fn status_label(status: StatusCode) -> SharedString {
    SharedString::from(status.as_str().to_owned())
}

/// A token handed out by `grant_type` (one of the registered grants).
pub fn token_issued(grant_type: &'static str) {
    counter!(TOKENS_ISSUED, "grant_type" => grant_type).increment(1);
}

/// A refused token request, by its OAuth error code.
pub fn token_refused(error: &'static str) {
    counter!(TOKEN_REFUSALS, "reason" => error).increment(1);
}

/// A throttle began for `scope` (`account`, `ip`, `client`).
pub fn throttle_begun(scope: &'static str) {
    counter!(THROTTLES, "scope" => scope).increment(1);
}

/// Counts what an appended audit event says about sign-ins.
pub fn audited(kind: &str) {
    let outcome = match kind {
        crate::audit::kind::LOGIN_SUCCEEDED => "succeeded",
        crate::audit::kind::LOGIN_FAILED => "failed",
        _ => return,
    };
    counter!(LOGINS, "outcome" => outcome).increment(1);
}
