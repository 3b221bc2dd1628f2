//! Names, not ids: audit events carry what a person reads (a user's email, a client's
//! product name, business and branch names) in the list, one event, the dashboard and the
//! live stream; and the list filters by email, product name and business name.
mod common;
use common::sse::SseReader;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(15);

fn enc(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

async fn query(fx: &Fixture, q: &str) -> Vec<Value> {
    fx.audit_events(q).await
}

async fn created(fx: &Fixture, path: &str, body: Value) -> String {
    let r = fx.admin(Method::POST, path, Some(&body)).await;
    assert_eq!(r.status, 201, "POST {path}: {}", r.text);
    s(&r.json, "id").to_string()
}

fn ids(events: &[Value]) -> Vec<String> {
    events.iter().map(|e| s(e, "id").to_string()).collect()
}

fn of_type<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

/// The fixture plus business "Bakery" with branch "North", the fixture user a clerk
/// there, signed in to the Shop's web client in North; one server-client token too.
struct World {
    fx: Fixture,
    biz: String,
    north: String,
}

impl World {
    async fn new() -> World {
        let fx = Fixture::new().await;
        let biz = created(&fx, "/v1/businesses", json!({"name": "Bakery"})).await;
        let north = created(
            &fx,
            &format!("/v1/businesses/{biz}/branches"),
            json!({"name": "North"}),
        )
        .await;
        let clerk = created(
            &fx,
            &format!("/v1/businesses/{biz}/roles"),
            json!({"name": "clerk", "scopes": [PRODUCT_SCOPE]}),
        )
        .await;
        let body = json!({"user_id": fx.user_id, "business_id": biz, "branch_id": north,
                          "role_id": clerk});
        created(&fx, "/v1/memberships", body).await;
        let scope = format!("openid {PRODUCT_SCOPE}");
        let req = fx.authorize(&[("scope", Some(&scope)), ("branch", Some(&north))]);
        let back = fx.browser().login(&req.url, EMAIL, PASSWORD).await;
        let code = param(&back, "code").unwrap_or_else(|| panic!("no code in {back}"));
        let r = fx.exchange(&code, &req.verifier).await;
        assert_eq!(r.status, 200, "{}", r.text);
        fx.server_token().await;
        World { fx, biz, north }
    }
}

#[tokio::test]
async fn events_carry_emails_product_business_and_branch_names() {
    let w = World::new().await;
    let fx = &w.fx;
    let all = query(fx, "limit=200").await;
    for e in &all {
        for f in [
            "actor_label",
            "subject_label",
            "client_label",
            "org_label",
            "branch_label",
        ] {
            assert!(e.get(f).is_some(), "{f} missing in {e}");
        }
    }
    // A user's sign-in in a branch: email, product name, business and branch names.
    let web = of_type(&all, "token.issued")
        .into_iter()
        .find(|e| e["client_id"] == fx.web_client_id.as_str())
        .expect("the web client's token.issued");
    assert_eq!(web["subject"], fx.user_id.as_str());
    assert_eq!(web["subject_label"], EMAIL);
    assert_eq!(web["client_label"], "Shop");
    assert_eq!(web["org"], w.biz.as_str());
    assert_eq!(web["org_label"], "Bakery");
    assert_eq!(web["branch"], w.north.as_str());
    assert_eq!(web["branch_label"], "North");
    // The server client reads as the product's, marked "(server)"; the client is the actor.
    let server = of_type(&all, "token.issued")
        .into_iter()
        .find(|e| e["client_id"] == fx.server_client_id.as_str())
        .expect("the server client's token.issued");
    assert_eq!(server["client_label"], "Shop (server)");
    // Admin changes: the admin client ("tests") acted; subjects read as what they name.
    let labels = |kind: &str| {
        let e = of_type(&all, kind)
            .first()
            .copied()
            .unwrap_or_else(|| panic!("no {kind}"))
            .clone();
        assert_eq!(e["actor"], fx.admin_id.as_str(), "{e}");
        assert_eq!(e["actor_label"], "tests", "{e}");
        e
    };
    assert_eq!(labels("admin.product.created")["subject_label"], "Shop");
    assert_eq!(labels("admin.user.created")["subject_label"], EMAIL);
    assert_eq!(labels("admin.business.created")["subject_label"], "Bakery");
    assert_eq!(labels("admin.branch.created")["subject_label"], "North");
    assert_eq!(labels("admin.role.created")["subject_label"], "clerk");
    let membership = labels("admin.membership.created");
    assert_eq!(membership["subject_label"], EMAIL);
    assert_eq!(membership["org_label"], "Bakery");
    assert_eq!(membership["branch_label"], "North");

    // One event by id: the same labels.
    let id = s(web, "id");
    let r = fx
        .admin(Method::GET, &format!("/v1/audit-events/{id}"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(&r.json, web);
    // The dashboard's recent events too.
    let stats = fx.admin(Method::GET, "/v1/stats", None).await;
    assert_eq!(stats.status, 200, "{}", stats.text);
    let recent = stats.json["recent_events"].as_array().expect("recent");
    let newest = recent.first().expect("recent events");
    assert_eq!(newest["client_label"], "Shop (server)", "{newest}");
}

#[tokio::test]
async fn a_deleted_user_reads_null_and_stays_findable_by_id() {
    let fx = Fixture::new().await;
    let user = fx
        .create_user("gone@example.com", PASSWORD, "Gone Soon")
        .await;
    let id = s(&user, "id").to_string();
    let before = query(&fx, "user=gone%40example.com").await;
    assert_eq!(before.len(), 1, "{before:?}");
    assert_eq!(before[0]["subject_label"], "gone@example.com");
    let r = fx
        .admin(Method::DELETE, &format!("/v1/users/{id}"), None)
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let events = query(&fx, &format!("user={id}")).await;
    let kinds: Vec<&str> = events.iter().map(|e| s(e, "type")).collect();
    assert_eq!(kinds, ["admin.user.deleted", "admin.user.created"]);
    for e in &events {
        assert_eq!(e["subject"], id.as_str());
        assert!(e["subject_label"].is_null(), "{e}");
        assert_eq!(e["actor_label"], "tests", "{e}");
    }
    assert!(query(&fx, "user=gone%40example.com").await.is_empty());
}

#[tokio::test]
async fn filters_take_an_email_a_product_name_or_a_business_name() {
    let w = World::new().await;
    let fx = &w.fx;
    let all = query(fx, "limit=200").await;
    let matching = |keep: &dyn Fn(&Value) -> bool| -> Vec<String> {
        all.iter()
            .filter(|e| keep(e))
            .map(|e| s(e, "id").into())
            .collect()
    };
    let uid = fx.user_id.as_str();

    // A user by email (any case) or id: as subject or as actor.
    let want = matching(&|e| e["subject"] == uid || e["actor"] == uid);
    assert!(want.len() >= 3, "{want:?}");
    for q in ["user=ann%40example.com", "user=ANN%40Example.COM"] {
        assert_eq!(
            ids(&query(fx, &format!("{q}&limit=200")).await),
            want,
            "{q}"
        );
    }
    assert_eq!(
        ids(&query(fx, &format!("user={uid}&limit=200")).await),
        want
    );

    // A product by name (any case) or id: both its clients' events and those about it.
    let pid = s(&fx.product, "id");
    let (web, server) = (fx.web_client_id.as_str(), fx.server_client_id.as_str());
    let want =
        matching(&|e| e["client_id"] == web || e["client_id"] == server || e["subject"] == pid);
    let by_name = query(fx, "product=Shop&limit=200").await;
    assert_eq!(ids(&by_name), want);
    for c in [web, server] {
        assert!(
            by_name.iter().any(|e| e["client_id"] == c),
            "no event of {c}"
        );
    }
    assert_eq!(ids(&query(fx, "product=shop&limit=200").await), want);
    assert_eq!(
        ids(&query(fx, &format!("product={pid}&limit=200")).await),
        want
    );

    // A business by name or id: events in it (org) or about it.
    let biz = w.biz.as_str();
    let want = matching(&|e| e["org"] == biz || e["subject"] == biz);
    assert!(want.len() >= 3, "{want:?}");
    assert_eq!(ids(&query(fx, "business=Bakery&limit=200").await), want);
    assert_eq!(
        ids(&query(fx, &format!("business={biz}&limit=200")).await),
        want
    );

    // Together, and with the id filters: every condition holds.
    let both = query(fx, "user=ann%40example.com&product=Shop&type=token.issued").await;
    assert_eq!(both.len(), 1, "{both:?}");
    assert_eq!(both[0]["client_id"], web);
    let narrowed = query(fx, &format!("product=Shop&client_id={server}")).await;
    assert!(!narrowed.is_empty());
    assert!(narrowed.iter().all(|e| e["client_id"] == server));

    // Unknown names: an empty page, not an error.
    for q in [
        "user=nobody%40example.com",
        "product=Nope",
        "business=Nope",
        "user=Shop",
    ] {
        assert!(query(fx, q).await.is_empty(), "{q}");
    }
}

#[tokio::test]
async fn name_filters_page_without_gaps_or_duplicates() {
    let w = World::new().await;
    let fx = &w.fx;
    for _ in 0..3 {
        fx.server_token().await;
    }
    for filter in ["user=ann%40example.com", "product=Shop", "business=Bakery"] {
        let all = ids(&query(fx, &format!("{filter}&limit=200")).await);
        let mut walked = Vec::new();
        let mut path = format!("/v1/audit-events?{filter}&limit=2");
        for _ in 0..100 {
            let r = fx.admin(Method::GET, &path, None).await;
            assert_eq!(r.status, 200, "{}", r.text);
            walked.extend(ids(r.json["events"].as_array().expect("events")));
            match r.json["next_cursor"].as_str() {
                Some(c) => path = format!("/v1/audit-events?{filter}&limit=2&cursor={}", enc(c)),
                None => break,
            }
        }
        let unique: HashSet<&String> = walked.iter().collect();
        assert_eq!(unique.len(), walked.len(), "{filter}: duplicates");
        assert_eq!(walked, all, "{filter}");
    }
}

#[tokio::test]
async fn names_with_sql_and_pattern_characters_match_exactly() {
    let fx = Fixture::new().await;
    let odd = "50% off_sale'); DROP TABLE audit_events; --\"\\";
    let p = fx.create_product(odd, &["odd:read"], false).await;
    let biz = created(&fx, "/v1/businesses", json!({"name": "A_B%C"})).await;
    let by_product = query(&fx, &format!("product={}", enc(odd))).await;
    assert_eq!(by_product.len(), 1, "{by_product:?}");
    assert_eq!(by_product[0]["subject"], s(&p, "id"));
    assert_eq!(by_product[0]["subject_label"], odd);
    let by_biz = query(&fx, &format!("business={}", enc("A_B%C"))).await;
    assert_eq!(by_biz.len(), 1, "{by_biz:?}");
    assert_eq!(by_biz[0]["subject"], biz.as_str());
    // Pattern characters are characters: nothing matches "anything".
    for q in [
        "product=%25",
        "product=50%25",
        "product=_",
        "business=A%25",
        "business=A_B_C",
        "user=%25",
        "user=%25%40example.com",
        "user=' OR 1=1 --",
    ] {
        assert!(query(&fx, &q.replace(' ', "+")).await.is_empty(), "{q}");
    }
    // The log is still there.
    assert!(!query(&fx, "limit=1").await.is_empty());
}

#[tokio::test]
async fn bad_name_filters_are_refused_naming_them() {
    let fx = Fixture::new().await;
    let long = "a".repeat(321);
    for (q, field) in [
        (format!("user={long}"), "user"),
        (format!("product={long}"), "product"),
        (format!("business={long}"), "business"),
        ("user=a&user=b".to_string(), "user"),
    ] {
        for path in ["/v1/audit-events", "/v1/audit-events/stream"] {
            let r = fx.admin(Method::GET, &format!("{path}?{q}"), None).await;
            assert_eq!(r.status, 422, "{path}?{q}: {}", r.text);
            assert_eq!(r.json["error"]["code"], "validation_failed");
            assert_eq!(r.json["error"]["field"], field, "{q}");
        }
    }
}

#[tokio::test]
async fn the_stream_carries_labels_and_takes_name_filters() {
    let fx = Fixture::new().await;
    let open = |q: &str| {
        let req = fx
            .http
            .get(fx.url(&format!("/v1/audit-events/stream{q}")))
            .bearer_auth(&fx.admin_token);
        async move {
            let resp = req.send().await.expect("open stream");
            assert_eq!(resp.status(), 200);
            SseReader::new(resp)
        }
    };
    let mut everything = open("").await;
    let mut shop = open("?product=Shop").await;
    let mut ann = open("?user=ann%40example.com").await;
    fx.server_token().await;
    fx.user_tokens("openid").await;

    let ev = everything
        .until(WAIT, |e| {
            e.data["client_id"] == fx.server_client_id.as_str()
        })
        .await;
    assert_eq!(ev.data["client_label"], "Shop (server)", "{:?}", ev.data);
    let ev = everything
        .until(WAIT, |e| e.data["type"] == "login.succeeded")
        .await;
    assert_eq!(ev.data["subject_label"], EMAIL, "{:?}", ev.data);
    assert_eq!(ev.data["client_label"], "Shop", "{:?}", ev.data);

    // Filtered by product name: its server client's token comes first.
    let first = shop.next(WAIT).await.expect("an event");
    assert_eq!(first.data["client_id"], fx.server_client_id.as_str());
    // Filtered by email: only the user's events, labelled.
    let first = ann.next(WAIT).await.expect("an event");
    assert_eq!(
        first.data["subject"],
        fx.user_id.as_str(),
        "{:?}",
        first.data
    );
    assert_eq!(first.data["subject_label"], EMAIL);
}
