//! /v1/audit-events (filters, cursor paging, bad input) and the live SSE stream (delivery,
//! resume, clean end at SIGTERM); audit and settings endpoints are admin only.
mod common;
use common::sse::{SseEnd, SseReader};
use common::*;
use reqwest::Method;
use serde_json::Value;
use std::collections::HashSet;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(15);

async fn query(fx: &Fixture, q: &str) -> Vec<Value> {
    fx.audit_events(q).await
}

fn ids(events: &[Value]) -> Vec<String> {
    events.iter().map(|e| s(e, "id").to_string()).collect()
}

fn enc(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

/// Opens the stream with the admin token; `last_event_id` resumes.
async fn open_stream(fx: &Fixture, query: &str, last_event_id: Option<&str>) -> SseReader {
    let mut req = fx
        .http
        .get(fx.url(&format!("/v1/audit-events/stream{query}")))
        .bearer_auth(&fx.admin_token);
    if let Some(id) = last_event_id {
        req = req.header("last-event-id", id);
    }
    let resp = req.send().await.expect("open stream");
    assert_eq!(resp.status(), 200);
    let ct = resp.headers()["content-type"]
        .to_str()
        .unwrap_or("")
        .to_string();
    assert!(ct.starts_with("text/event-stream"), "{ct}");
    SseReader::new(resp)
}

fn jti(token: &str) -> String {
    s(&decode_jwt(token).1, "jti").to_string()
}

#[tokio::test]
async fn audit_query_filters_and_walks_all_pages_without_duplicates() {
    let fx = Fixture::new().await;
    for _ in 0..3 {
        fx.server_token().await;
    }
    let form = [("grant_type", "client_credentials")];
    let refused = fx.token_basic(&fx.server_client_id, "wrong", &form).await;
    assert_eq!(refused.status, 401);
    fx.user_tokens("openid").await;

    let all = query(&fx, "limit=200").await;
    let rows = fx.srv.audit_rows();
    assert_eq!(all.len(), rows.len(), "unfiltered query misses events");
    for pair in all.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert!(
            a["at_ms"].as_i64() >= b["at_ms"].as_i64(),
            "not newest first"
        );
    }
    let e = &all[0];
    for field in ["id", "at", "type", "outcome"] {
        assert!(e[field].is_string(), "{field} in {e}");
    }
    assert!(e["at"].as_str().is_some_and(|a| a.ends_with('Z')), "{e}");
    assert!(e["at_ms"].is_i64(), "{e}");
    for field in [
        "actor",
        "subject",
        "client_id",
        "org",
        "branch",
        "jti",
        "ip",
        "user_agent",
    ] {
        assert!(e.get(field).is_some(), "{field} missing in {e}");
    }
    let issued = query(&fx, "type=token.issued&limit=200").await;
    assert!(
        issued.iter().any(|e| e["detail"].is_object()),
        "detail not parsed"
    );
    let want = rows.iter().filter(|r| r["type"] == "token.issued").count();
    assert_eq!(issued.len(), want);
    assert!(issued.iter().all(|e| e["type"] == "token.issued"));

    let by_user = query(&fx, &format!("subject={}", fx.user_id)).await;
    assert!(!by_user.is_empty());
    assert!(by_user.iter().all(|e| e["subject"] == fx.user_id.as_str()));
    let want = rows
        .iter()
        .filter(|r| r["subject"] == fx.user_id.as_str())
        .count();
    assert_eq!(by_user.len(), want);

    let by_client = query(&fx, &format!("client_id={}", fx.server_client_id)).await;
    assert!(by_client.len() >= 4, "{by_client:?}");
    assert!(by_client
        .iter()
        .all(|e| e["client_id"] == fx.server_client_id.as_str()));
    let failures = query(&fx, "outcome=failure").await;
    assert!(!failures.is_empty());
    assert!(failures.iter().all(|e| e["outcome"] == "failure"));
    let combined = query(
        &fx,
        &format!("type=token.refused&client_id={}", fx.server_client_id),
    )
    .await;
    assert_eq!(combined.len(), 1, "{combined:?}");
    assert!(query(&fx, "branch=no-such-branch").await.is_empty());

    // Time range: since is inclusive, until exclusive, both RFC 3339.
    let mid = &all[all.len() / 2];
    let (mid_at, mid_ms) = (s(mid, "at").to_string(), mid["at_ms"].as_i64().unwrap_or(0));
    let newer = query(&fx, &format!("since={}&limit=200", enc(&mid_at))).await;
    let older = query(&fx, &format!("until={}&limit=200", enc(&mid_at))).await;
    assert!(newer.iter().all(|e| e["at_ms"].as_i64() >= Some(mid_ms)));
    assert!(older.iter().all(|e| e["at_ms"].as_i64() < Some(mid_ms)));
    assert_eq!(newer.len() + older.len(), all.len());
    assert!(newer.iter().any(|e| e["id"] == mid["id"]));

    // Cursor paging: every event exactly once, in the same order.
    let mut walked = Vec::new();
    let mut path = "/v1/audit-events?limit=2".to_string();
    for _ in 0..100 {
        let r = fx.admin(Method::GET, &path, None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let page = r.json["events"].as_array().expect("events");
        assert!(page.len() <= 2);
        walked.extend(ids(page));
        match r.json["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/audit-events?limit=2&cursor={}", enc(c)),
            None => break,
        }
    }
    let unique: HashSet<&String> = walked.iter().collect();
    assert_eq!(unique.len(), walked.len(), "duplicates across pages");
    assert_eq!(walked, ids(&all));
}

#[tokio::test]
async fn one_event_is_read_by_id_and_unknown_ids_are_404() {
    let fx = Fixture::new().await;
    let newest = query(&fx, "limit=1").await;
    let event = newest
        .first()
        .expect("the fixture's own sign-in left events")
        .clone();
    let id = event["id"]
        .as_i64()
        .map(|n| n.to_string())
        .unwrap_or_else(|| event["id"].as_str().expect("event id").to_string());
    let r = fx
        .admin(Method::GET, &format!("/v1/audit-events/{id}"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json, event, "the same object the list shows");
    for missing in ["999999999", "abc", "-1"] {
        let r = fx
            .admin(Method::GET, &format!("/v1/audit-events/{missing}"), None)
            .await;
        assert_eq!(r.status, 404, "{missing}: {}", r.text);
        assert_eq!(r.json["error"]["code"], "not_found", "{missing}");
    }
}

#[tokio::test]
async fn audit_query_refuses_bad_parameters_naming_them() {
    let fx = Fixture::new().await;
    let cases = [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("since=yesterday", "since"),
        ("until=2026-13-01T00:00:00Z", "until"),
        ("cursor=%21%21%21", "cursor"),
        ("cursor=YWJj", "cursor"),
        ("outcome=maybe", "outcome"),
        ("subjet=x", "subjet"),
        ("type=a&type=b", "type"),
    ];
    for (q, field) in cases {
        let r = fx
            .admin(Method::GET, &format!("/v1/audit-events?{q}"), None)
            .await;
        assert_eq!(r.status, 422, "{q}: {}", r.text);
        assert_eq!(r.json["error"]["code"], "validation_failed", "{q}");
        assert_eq!(r.json["error"]["field"], field, "{q}: {}", r.text);
    }
    let r = fx
        .admin(Method::GET, "/v1/audit-events/stream?after=-4", None)
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json["error"]["field"], "after");
}

#[tokio::test]
async fn stream_delivers_live_events_and_resumes_from_last_event_id() {
    let fx = Fixture::new().await;
    let mut live = open_stream(&fx, "?type=token.issued", None).await;
    let mut everything = open_stream(&fx, "", None).await;
    let t1 = fx.server_token().await;
    // The first event is the new one: the stream starts with new events only.
    let first = live
        .next(WAIT)
        .await
        .expect("event for a token issued while open");
    assert_eq!(first.event.as_deref(), Some("audit"));
    assert_eq!(first.data["type"], "token.issued");
    assert_eq!(first.data["jti"], jti(&t1).as_str());
    let id1 = first.id.clone().expect("id: line");
    assert_eq!(first.data["id"], id1.as_str());

    let t2 = fx.server_token().await;
    let t3 = fx.server_token().await;
    let refused = fx
        .token_basic(
            &fx.server_client_id,
            "wrong",
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(refused.status, 401);
    for t in [&t2, &t3] {
        let ev = live.next(WAIT).await.expect("next live event");
        assert_eq!(ev.data["jti"], jti(t).as_str(), "in commit order");
    }
    // The unfiltered stream also sees the refusal; the filtered one never does.
    everything
        .until(WAIT, |e| e.data["type"] == "token.refused")
        .await;

    for (query, header) in [
        ("", Some(id1.as_str())),
        (&*format!("?type=token.issued&after={id1}"), None),
    ] {
        let mut resumed = open_stream(&fx, query, header).await;
        let a = resumed
            .until(WAIT, |e| e.data["type"] == "token.issued")
            .await;
        assert_eq!(
            a.data["jti"],
            jti(&t2).as_str(),
            "resume {query} {header:?}"
        );
        let a_id: i64 = a.id.as_deref().unwrap_or("0").parse().expect("numeric id");
        assert!(a_id > id1.parse::<i64>().unwrap_or(i64::MAX));
        let b = resumed
            .until(WAIT, |e| e.data["type"] == "token.issued")
            .await;
        assert_eq!(b.data["jti"], jti(&t3).as_str());
    }
}

#[tokio::test]
async fn sigterm_ends_open_streams_and_exits_cleanly() {
    let mut fx = Fixture::new().await;
    let mut stream = open_stream(&fx, "", None).await;
    fx.server_token().await;
    stream
        .until(WAIT, |e| e.data["type"] == "token.issued")
        .await;
    let status = fx.srv.terminate().expect("server exited after SIGTERM");
    assert!(status.success(), "exit status {status:?}");
    // The server closed the stream itself (a terminated chunked body), rather than
    // the connection dying with the process after the shutdown grace period.
    let end = stream.next(Duration::from_secs(5)).await;
    assert!(
        matches!(end, Err(SseEnd::Closed)),
        "stream ended with {end:?}"
    );
}

#[tokio::test]
async fn audit_and_settings_endpoints_require_an_admin_token() {
    let fx = Fixture::new().await;
    let not_admin = fx.server_token().await;
    let routes = [
        (Method::GET, "/v1/audit-events"),
        (Method::GET, "/v1/audit-events/stream"),
        (Method::GET, "/v1/audit-events/1"),
        (Method::GET, "/v1/settings"),
        (Method::PATCH, "/v1/settings"),
    ];
    for (method, path) in routes {
        for (token, want) in [(None, 401), (Some(not_admin.as_str()), 403)] {
            let mut req = fx
                .http
                .request(method.clone(), fx.url(path))
                .header("content-type", "application/json")
                .body(r#"{"audit_retention_days": 1}"#);
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let r = Reply::read(req.send().await.expect("request")).await;
            assert_eq!(r.status, want, "{method} {path}: {}", r.text);
            assert!(r.json["error"]["code"].is_string(), "{}", r.text);
        }
    }
    let r = fx.admin(Method::GET, "/v1/settings", None).await;
    assert_eq!(
        r.json["audit_retention_days"], 90,
        "an unauthorized PATCH applied"
    );
}
