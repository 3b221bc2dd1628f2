//! /v1/settings (validation, storage, audit) and the audit retention job it drives.
mod common;
use common::db::sql_write;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(15);

async fn query(fx: &Fixture, q: &str) -> Vec<Value> {
    let r = fx
        .admin(Method::GET, &format!("/v1/audit-events?{q}"), None)
        .await;
    assert_eq!(r.status, 200, "{q}: {}", r.text);
    r.json["events"].as_array().expect("events").clone()
}

/// The stored settings of an answer, without the read-only `throttle` policy beside them
/// (checked in tests/throttle.rs).
fn stored(v: &Value) -> Value {
    let mut v = v.clone();
    assert!(v["throttle"].is_object(), "no throttle policy: {v}");
    v.as_object_mut().expect("object").remove("throttle");
    without_open_registration(&v)
}

/// Settings without open registration's (checked in tests/dynamic_registration.rs).
fn without_open_registration(v: &Value) -> Value {
    let mut v = v.clone();
    let o = v.as_object_mut().expect("object");
    for key in ["open_registration", "open_registration_scopes"] {
        assert!(o.remove(key).is_some(), "no {key}: {o:?}");
    }
    v
}

#[tokio::test]
async fn settings_validate_store_and_audit() {
    let fx = Fixture::new().await;
    let defaults = json!({"key_rotation_days": 90, "audit_retention_days": 90});
    let r = fx.admin(Method::GET, "/v1/settings", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(stored(&r.json), defaults);

    let r = fx
        .admin(
            Method::PATCH,
            "/v1/settings",
            Some(&json!({"key_rotation_days": 30})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let changed = json!({"key_rotation_days": 30, "audit_retention_days": 90});
    assert_eq!(stored(&r.json), changed);

    let bad = [
        (json!({"audit_retention_days": 0}), "audit_retention_days"),
        // Under 30 days would let an admin erase their own trail quickly.
        (json!({"audit_retention_days": 29}), "audit_retention_days"),
        (
            json!({"audit_retention_days": 3651}),
            "audit_retention_days",
        ),
        (json!({"key_rotation_days": -1}), "key_rotation_days"),
        (json!({"key_rotation_days": 3651}), "key_rotation_days"),
    ];
    for (body, field) in bad {
        let r = fx.admin(Method::PATCH, "/v1/settings", Some(&body)).await;
        assert_eq!(r.status, 422, "{body}: {}", r.text);
        assert_eq!(r.json["error"]["field"], field, "{body}: {}", r.text);
    }
    for body in [json!({"nope": 1}), json!({"key_rotation_days": "ten"})] {
        let r = fx.admin(Method::PATCH, "/v1/settings", Some(&body)).await;
        assert_eq!(r.status, 422, "{body}: {}", r.text);
    }
    let raw = |ct: &'static str, body: &'static str| {
        fx.http
            .patch(fx.url("/v1/settings"))
            .bearer_auth(&fx.admin_token)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    assert_eq!(raw("text/plain", "{}").await.expect("patch").status(), 415);
    assert_eq!(
        raw("application/json", "{").await.expect("patch").status(),
        400
    );
    let r = fx.admin(Method::GET, "/v1/settings", None).await;
    assert_eq!(stored(&r.json), changed, "a refused PATCH changed settings");

    let r = fx
        .admin(
            Method::PATCH,
            "/v1/settings",
            Some(&json!({"key_rotation_days": 0, "audit_retention_days": 3650})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        stored(&r.json),
        json!({"key_rotation_days": 0, "audit_retention_days": 3650})
    );
    let events = query(&fx, "type=admin.settings.updated").await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(
        without_open_registration(&events[1]["detail"]["after"]),
        changed
    );
    assert_eq!(events[0]["actor"], fx.admin_id.as_str());
}

#[tokio::test]
async fn retention_prunes_old_events_and_records_the_count() {
    let fx = Fixture::new().await;
    let day_ms: i64 = 86_400_000;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let mut values = Vec::new();
    for i in 0..5 {
        values.push(format!(
            "({}, 'token.issued', 'success', 'old-{i}')",
            now_ms - 100 * day_ms
        ));
    }
    values.push(format!(
        "({}, 'token.issued', 'success', 'recent')",
        now_ms - 10 * day_ms
    ));
    let insert = format!(
        "INSERT INTO audit_events (at, type, outcome, subject) VALUES {}",
        values.join(", ")
    );
    sql_write(&fx.srv, &insert);

    let body = json!({"audit_retention_days": 30});
    let r = fx.admin(Method::PATCH, "/v1/settings", Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let deadline = Instant::now() + WAIT;
    loop {
        let pruned = query(&fx, "type=audit.pruned").await;
        let total: i64 = pruned
            .iter()
            .map(|e| e["detail"]["deleted"].as_i64().unwrap_or(0))
            .sum();
        if total == 5 {
            break;
        }
        assert!(total < 5, "pruned too much: {pruned:?}");
        assert!(
            Instant::now() < deadline,
            "no audit.pruned event: {pruned:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let left = fx
        .srv
        .sql("SELECT subject FROM audit_events WHERE subject LIKE 'old-%' OR subject = 'recent'");
    assert_eq!(left, vec![json!({"subject": "recent"})]);
}
