//! /v1 businesses, branches, roles and memberships: success paths, audit, and a table
//! of bad inputs that must change nothing.
mod common;
use common::table::{req, run_table, Shape};
use common::*;
use reqwest::Method;
use serde_json::{json, Value};

async fn created(fx: &Fixture, path: &str, body: Value) -> Value {
    let r = fx.admin(Method::POST, path, Some(&body)).await;
    assert_eq!(r.status, 201, "POST {path}: {}", r.text);
    r.json
}

fn count(fx: &Fixture, table: &str) -> i64 {
    fx.srv.sql(&format!("SELECT count(*) AS n FROM {table}"))[0]["n"]
        .as_i64()
        .expect("count")
}

#[tokio::test]
async fn businesses_branches_roles_and_memberships_round_trip() {
    let fx = Fixture::new().await;
    let biz = created(&fx, "/v1/businesses", json!({"name": "Bakery"})).await;
    assert_eq!(biz["name"], "Bakery");
    let bid = s(&biz, "id").to_string();

    let r = fx.admin(Method::GET, "/v1/businesses", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.json["businesses"]
        .as_array()
        .expect("list")
        .iter()
        .any(|b| b["id"] == bid.as_str()));
    let r = fx
        .admin(
            Method::PATCH,
            &format!("/v1/businesses/{bid}"),
            Some(&json!({"name": "Bakery Ltd"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = fx
        .admin(Method::GET, &format!("/v1/businesses/{bid}"), None)
        .await;
    assert_eq!(
        (r.status.as_u16(), &r.json["name"]),
        (200, &json!("Bakery Ltd")),
        "{}",
        r.text
    );

    let branch = created(
        &fx,
        &format!("/v1/businesses/{bid}/branches"),
        json!({"name": "North"}),
    )
    .await;
    assert_eq!(
        (&branch["business_id"], &branch["name"]),
        (&json!(bid), &json!("North"))
    );
    let br = s(&branch, "id").to_string();
    let path = format!("/v1/businesses/{bid}/branches/{br}");
    let r = fx
        .admin(Method::PATCH, &path, Some(&json!({"name": "Northside"})))
        .await;
    assert_eq!(
        (r.status.as_u16(), &r.json["name"]),
        (200, &json!("Northside")),
        "{}",
        r.text
    );
    let r = fx
        .admin(Method::GET, &format!("/v1/businesses/{bid}/branches"), None)
        .await;
    assert_eq!(
        r.json["branches"].as_array().map(Vec::len),
        Some(1),
        "{}",
        r.text
    );

    let role_body = json!({"name": "clerk", "scopes": [PRODUCT_SCOPE]});
    let role = created(&fx, &format!("/v1/businesses/{bid}/roles"), role_body).await;
    assert_eq!(role["scopes"], json!([PRODUCT_SCOPE]));
    let rid = s(&role, "id").to_string();
    let rpath = format!("/v1/businesses/{bid}/roles/{rid}");
    let r = fx
        .admin(Method::PATCH, &rpath, Some(&json!({"scopes": []})))
        .await;
    assert_eq!(
        (r.status.as_u16(), &r.json["scopes"]),
        (200, &json!([])),
        "{}",
        r.text
    );
    assert_eq!(r.json["name"], "clerk");
    let r = fx
        .admin(Method::GET, &format!("/v1/businesses/{bid}/roles"), None)
        .await;
    assert_eq!(
        r.json["roles"].as_array().map(Vec::len),
        Some(1),
        "{}",
        r.text
    );

    let m_body =
        json!({"user_id": fx.user_id, "business_id": bid, "branch_id": br, "role_id": rid});
    let m = created(&fx, "/v1/memberships", m_body).await;
    let all_body =
        json!({"user_id": fx.user_id, "business_id": bid, "branch_id": null, "role_id": rid});
    let all = created(&fx, "/v1/memberships", all_body).await;
    assert!(all["branch_id"].is_null(), "{all}");
    for q in [
        format!("user_id={}", fx.user_id),
        format!("business_id={bid}"),
    ] {
        let r = fx
            .admin(Method::GET, &format!("/v1/memberships?{q}"), None)
            .await;
        assert_eq!(
            r.json["memberships"].as_array().map(Vec::len),
            Some(2),
            "{}",
            r.text
        );
    }
    let r = fx
        .admin(Method::GET, "/v1/memberships?user_id=nobody", None)
        .await;
    assert_eq!(r.json["memberships"], json!([]), "{}", r.text);
    let r = fx
        .admin(
            Method::DELETE,
            &format!("/v1/memberships/{}", s(&m, "id")),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);

    for p in [rpath.clone(), path.clone(), format!("/v1/businesses/{bid}")] {
        let r = fx.admin(Method::DELETE, &p, None).await;
        assert_eq!(r.status, 204, "DELETE {p}: {}", r.text);
        let r = fx.admin(Method::GET, &p, None).await;
        assert_eq!(r.status, 404, "GET {p} after delete: {}", r.text);
    }
    assert_eq!(
        count(&fx, "memberships"),
        0,
        "deleting the business removes memberships"
    );

    let audit = fx.srv.audit_rows();
    let find = |t: &str| {
        audit
            .iter()
            .find(|e| e["type"] == t)
            .unwrap_or_else(|| panic!("no {t}"))
    };
    for t in [
        "admin.business.created",
        "admin.business.updated",
        "admin.business.deleted",
        "admin.role.created",
        "admin.role.updated",
        "admin.role.deleted",
        "admin.membership.created",
        "admin.membership.deleted",
    ] {
        assert_eq!(find(t)["org"], bid.as_str(), "{t}");
        assert_eq!(find(t)["actor"], fx.admin_id.as_str(), "{t}");
    }
    for t in [
        "admin.branch.created",
        "admin.branch.updated",
        "admin.branch.deleted",
    ] {
        assert_eq!(find(t)["branch"], br.as_str(), "{t}");
    }
}

#[tokio::test]
async fn bad_inputs_are_refused_and_change_nothing() {
    let fx = Fixture::new().await;
    let biz = created(&fx, "/v1/businesses", json!({"name": "Bakery"})).await;
    let other = created(&fx, "/v1/businesses", json!({"name": "Other"})).await;
    let (bid, oid) = (s(&biz, "id").to_string(), s(&other, "id").to_string());
    let br = created(
        &fx,
        &format!("/v1/businesses/{bid}/branches"),
        json!({"name": "North"}),
    )
    .await;
    let obr = created(
        &fx,
        &format!("/v1/businesses/{oid}/branches"),
        json!({"name": "X"}),
    )
    .await;
    let role_body = json!({"name": "clerk", "scopes": [PRODUCT_SCOPE]});
    let role = created(
        &fx,
        &format!("/v1/businesses/{bid}/roles"),
        role_body.clone(),
    )
    .await;
    let orole = created(&fx, &format!("/v1/businesses/{oid}/roles"), role_body).await;
    let (br, obr, rid, orid) = (s(&br, "id"), s(&obr, "id"), s(&role, "id"), s(&orole, "id"));
    let member = |user: &str, branch: Value, role: &str| {
        json!({"user_id": user, "business_id": bid, "branch_id": branch, "role_id": role})
            .to_string()
    };
    created(
        &fx,
        "/v1/memberships",
        serde_json::from_str(&member(&fx.user_id, json!(br), rid)).expect("json"),
    )
    .await;
    let tables = ["businesses", "branches", "roles", "memberships"];
    let before: Vec<i64> = tables.iter().map(|t| count(&fx, t)).collect();
    let admin_events = "SELECT count(*) AS n FROM audit_events WHERE type LIKE 'admin.%'";
    let events_before = fx.srv.sql(admin_events)[0]["n"].clone();

    let auth = format!("Bearer {}", fx.admin_token);
    let v1 = |c: &'static str| Shape::V1(Some(c));
    let (post, get, patch, del) = (Method::POST, Method::GET, Method::PATCH, Method::DELETE);
    let bpath = format!("/v1/businesses/{bid}");
    let u = fx.user_id.as_str();
    let cases = vec![
        req("empty name", post.clone(), "/v1/businesses").json(r#"{"name":"  "}"#),
        req("unknown field", post.clone(), "/v1/businesses").json(r#"{"name":"a","x":1}"#),
        req("name not a string", post.clone(), "/v1/businesses").json(r#"{"name":5}"#),
        req("form body", post.clone(), "/v1/businesses").form("name=a"),
        req("no token", post.clone(), "/v1/businesses").json(r#"{"name":"a"}"#),
        req("unknown business", get.clone(), "/v1/businesses/nope"),
        req("patch unknown", patch.clone(), "/v1/businesses/nope").json(r#"{"name":"a"}"#),
        req("delete unknown", del.clone(), "/v1/businesses/nope"),
        req(
            "branch of unknown",
            post.clone(),
            "/v1/businesses/nope/branches",
        )
        .json(r#"{"name":"a"}"#),
        req(
            "duplicate branch",
            post.clone(),
            format!("{bpath}/branches"),
        )
        .json(r#"{"name":"North"}"#),
        req(
            "other's branch",
            get.clone(),
            format!("{bpath}/branches/{obr}"),
        ),
        req(
            "delete other's branch",
            del.clone(),
            format!("{bpath}/branches/{obr}"),
        ),
        req("undeclared scope", post.clone(), format!("{bpath}/roles"))
            .json(r#"{"name":"r","scopes":["nope:x"]}"#),
        req("scope with space", post.clone(), format!("{bpath}/roles"))
            .json(r#"{"name":"r","scopes":["a b"]}"#),
        req("duplicate role", post.clone(), format!("{bpath}/roles"))
            .json(r#"{"name":"clerk","scopes":[]}"#),
        req(
            "other's role",
            patch.clone(),
            format!("{bpath}/roles/{orid}"),
        )
        .json(r#"{"name":"z"}"#),
        req("unknown user", post.clone(), "/v1/memberships").json(member("nope", json!(br), rid)),
        req("branch of other business", post.clone(), "/v1/memberships").json(member(
            u,
            json!(obr),
            rid,
        )),
        req("role of other business", post.clone(), "/v1/memberships").json(member(
            u,
            json!(br),
            orid,
        )),
        req("duplicate membership", post.clone(), "/v1/memberships").json(member(
            u,
            json!(br),
            rid,
        )),
        req("missing role_id", post.clone(), "/v1/memberships")
            .json(format!(r#"{{"user_id":"{u}","business_id":"{bid}"}}"#)),
        req(
            "delete unknown membership",
            del.clone(),
            "/v1/memberships/nope",
        ),
    ];
    let expected: Vec<(&[u16], Shape)> = vec![
        (&[422], v1("validation_failed")),
        (&[422], v1("validation_failed")),
        (&[422], v1("validation_failed")),
        (&[415], v1("unsupported_media_type")),
        (&[401], v1("unauthenticated")),
        (&[404], v1("not_found")),
        (&[404], v1("not_found")),
        (&[404], v1("not_found")),
        (&[404], v1("not_found")),
        (&[409], v1("conflict")),
        (&[404], v1("not_found")),
        (&[404], v1("not_found")),
        (&[422], v1("validation_failed")),
        (&[422], v1("validation_failed")),
        (&[409], v1("conflict")),
        (&[404], v1("not_found")),
        (&[422], v1("validation_failed")),
        (&[422], v1("validation_failed")),
        (&[422], v1("validation_failed")),
        (&[409], v1("conflict")),
        (&[422], v1("validation_failed")),
        (&[404], v1("not_found")),
    ];
    assert_eq!(cases.len(), expected.len());
    let cases: Vec<_> = cases
        .into_iter()
        .zip(expected)
        .enumerate()
        .map(|(i, (c, (st, sh)))| {
            let c = c.expect(st, sh);
            // Row 4 ("no token") is sent without credentials.
            if i == 4 {
                c
            } else {
                c.auth(auth.clone())
            }
        })
        .collect();
    let failures = run_table(&fx, &cases).await;
    assert!(failures.is_empty(), "bad inputs:\n{}", failures.join("\n"));

    // The 422s name the offending field.
    for (path, body, field) in [
        (
            format!("{bpath}/roles"),
            json!({"name": "r", "scopes": ["nope:x"]}),
            "scopes",
        ),
        (
            "/v1/memberships".into(),
            json!({"user_id": "nope", "business_id": bid, "branch_id": br, "role_id": rid}),
            "user_id",
        ),
        (
            "/v1/memberships".into(),
            json!({"user_id": u, "business_id": bid, "branch_id": obr, "role_id": rid}),
            "branch_id",
        ),
        (
            "/v1/memberships".into(),
            json!({"user_id": u, "business_id": bid, "branch_id": br, "role_id": orid}),
            "role_id",
        ),
        ("/v1/businesses".into(), json!({"name": ""}), "name"),
    ] {
        let r = fx.admin(Method::POST, &path, Some(&body)).await;
        assert_eq!(
            (r.status.as_u16(), &r.json["error"]["field"]),
            (422, &json!(field)),
            "{path}: {}",
            r.text
        );
    }
    let after: Vec<i64> = tables.iter().map(|t| count(&fx, t)).collect();
    assert_eq!(before, after, "a refused request changed something");
    let events_after = fx.srv.sql(admin_events)[0]["n"].clone();
    assert_eq!(
        events_before, events_after,
        "a refused request was audited as a change"
    );
}
