//! Branch context in tokens: choosing a branch at sign-in (page, `branch=ID`, single
//! branch), scope intersection, switching with the refresh grant, userinfo/introspection.
mod common;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use url::Url;

const WRITE: &str = "orders:write";
const ALL: &str = "openid profile offline_access orders:read orders:write";

/// A business with branches North and South, a `clerk` role (orders:read) and a
/// `manager` role (orders:read orders:write), and a web client allowed both scopes.
struct Org {
    fx: Fixture,
    biz: String,
    north: String,
    south: String,
    clerk: String,
    manager: String,
}

async fn created(fx: &Fixture, path: &str, body: Value) -> Value {
    let r = fx.admin(Method::POST, path, Some(&body)).await;
    assert_eq!(r.status, 201, "POST {path}: {}", r.text);
    r.json
}

impl Org {
    async fn new() -> Org {
        let fx = Fixture::new().await;
        // A scope belongs to one product: the fixture's product declares both.
        let path = format!("/v1/products/{}", s(&fx.product, "id"));
        let body = json!({"scopes": [PRODUCT_SCOPE, WRITE]});
        let p = fx.admin(Method::PATCH, &path, Some(&body)).await;
        assert_eq!(p.status, 200, "{}", p.text);
        let biz = created(&fx, "/v1/businesses", json!({"name": "Bakery"})).await;
        let biz = s(&biz, "id").to_string();
        let mut ids = Vec::new();
        for (kind, body) in [
            ("branches", json!({"name": "North"})),
            ("branches", json!({"name": "South"})),
            ("roles", json!({"name": "clerk", "scopes": [PRODUCT_SCOPE]})),
            (
                "roles",
                json!({"name": "manager", "scopes": [PRODUCT_SCOPE, WRITE]}),
            ),
        ] {
            let r = created(&fx, &format!("/v1/businesses/{biz}/{kind}"), body).await;
            ids.push(s(&r, "id").to_string());
        }
        let [north, south, clerk, manager] = ids.try_into().expect("four ids");
        Org {
            fx,
            biz,
            north,
            south,
            clerk,
            manager,
        }
    }

    async fn member(&self, branch: Option<&str>, role: &str) -> Value {
        let body = json!({"user_id": self.fx.user_id, "business_id": self.biz,
                          "branch_id": branch, "role_id": role});
        created(&self.fx, "/v1/memberships", body).await
    }

    /// Browser login with `overrides`; returns the browser and where the login sent it.
    async fn login(&self, overrides: &[(&str, Option<&str>)]) -> (Browser, Url, AuthRequest) {
        let browser = self.fx.browser();
        let mut o = vec![("scope", Some(ALL))];
        o.extend_from_slice(overrides);
        let req = self.fx.authorize(&o);
        let back = browser.login(&req.url, EMAIL, PASSWORD).await;
        (browser, back, req)
    }

    async fn exchange_at(&self, back: &Url, req: &AuthRequest) -> Value {
        assert!(back.as_str().starts_with(REDIRECT_URI), "went to {back}");
        let code = param(back, "code").unwrap_or_else(|| panic!("no code in {back}"));
        let r = self.fx.exchange(&code, &req.verifier).await;
        assert_eq!(r.status, 200, "exchange: {}", r.text);
        r.json
    }

    async fn refresh_to(&self, rt: &str, branch: &str) -> Reply {
        self.fx
            .token_public(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", rt),
                ("branch", branch),
            ])
            .await
    }
}

/// GETs the branch page at `at` and checks it is a CSRF-protected form with `branch` inputs.
async fn branch_page(browser: &Browser, at: &Url) -> Vec<(String, String)> {
    assert_eq!(at.path(), "/login/branch", "went to {at}");
    let page = browser.get(at.as_str()).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<form") && page.body.contains("action=\"/login/branch\""));
    let inputs = html_inputs(&page.body);
    for f in ["interaction", "csrf_token", "branch"] {
        assert!(inputs.iter().any(|(k, _)| k == f), "no {f}: {}", page.body);
    }
    inputs
}

async fn pick(browser: &Browser, inputs: &[(String, String)], branch: &str) -> Answer {
    let mut form: Vec<(String, String)> = inputs
        .iter()
        .filter(|(k, _)| k != "branch")
        .cloned()
        .collect();
    form.push(("branch".into(), branch.into()));
    browser.post_form("/login/branch", &form).await
}

fn branch_values(inputs: &[(String, String)]) -> Vec<String> {
    let mut v: Vec<String> = inputs
        .iter()
        .filter(|(k, _)| k == "branch")
        .map(|(_, v)| v.clone())
        .collect();
    v.sort();
    v
}

/// A space-separated scope string as the sorted list `scopes()` gives.
fn scopes_of(list: &str) -> Vec<String> {
    scopes(&json!(list))
}

#[tokio::test]
async fn one_branch_needs_no_page_and_scope_never_widens() {
    let o = Org::new().await;
    o.member(Some(&o.north), &o.clerk).await;
    let (_b, back, req) = o.login(&[]).await;
    let t = o.exchange_at(&back, &req).await;
    let at = claims_of(&t, "access_token");
    assert_eq!(
        (&at["org"], &at["branch"]),
        (&json!(o.biz), &json!(o.north)),
        "{at}"
    );
    // orders:write was requested, but the clerk role does not grant it.
    assert_eq!(
        scopes(&at["scope"]),
        scopes_of("openid profile offline_access orders:read")
    );
    assert_eq!(scopes(&t["scope"]), scopes(&at["scope"]));
    assert_eq!(claims_of(&t, "id_token")["groups"], json!(["clerk"]));

    let access = s(&t, "access_token");
    let ui =
        o.fx.http
            .get(o.fx.url("/oauth/userinfo"))
            .bearer_auth(access)
            .send()
            .await
            .expect("userinfo");
    let ui = Reply::read(ui).await;
    assert_eq!(ui.status, 200, "{}", ui.text);
    assert_eq!(
        (&ui.json["org"], &ui.json["branch"]),
        (&json!(o.biz), &json!(o.north)),
        "{}",
        ui.text
    );
    assert_eq!(ui.json["groups"], json!(["clerk"]));
    let intro = o.fx.introspect(access).await;
    assert_eq!(
        (&intro["active"], &intro["org"], &intro["branch"]),
        (&json!(true), &json!(o.biz), &json!(o.north))
    );
    let intro = o.fx.introspect(s(&t, "refresh_token")).await;
    assert_eq!(
        (&intro["active"], &intro["branch"]),
        (&json!(true), &json!(o.north)),
        "{intro}"
    );
}

#[tokio::test]
async fn two_branches_show_the_branch_page() {
    let o = Org::new().await;
    o.member(Some(&o.north), &o.clerk).await;
    o.member(Some(&o.south), &o.manager).await;
    let (browser, back, req) = o.login(&[]).await;
    let inputs = branch_page(&browser, &back).await;
    let mut both = vec![o.north.clone(), o.south.clone()];
    both.sort();
    assert_eq!(branch_values(&inputs), both);

    // A forged CSRF token is refused; a branch not offered is refused.
    let mut forged = inputs.clone();
    forged.retain(|(k, _)| k != "csrf_token");
    forged.push(("csrf_token".into(), "forged".into()));
    assert_eq!(pick(&browser, &forged, &o.south).await.status, 400);
    assert_eq!(pick(&browser, &inputs, "not-a-branch").await.status, 400);

    let done = pick(&browser, &inputs, &o.south).await;
    assert_eq!(done.status, 303, "{done:?}");
    let t = o.exchange_at(&done.location.expect("location"), &req).await;
    let at = claims_of(&t, "access_token");
    assert_eq!(
        (&at["org"], &at["branch"]),
        (&json!(o.biz), &json!(o.south)),
        "{at}"
    );
    assert_eq!(scopes(&at["scope"]), scopes_of(ALL));
    assert_eq!(claims_of(&t, "id_token")["groups"], json!(["manager"]));

    // With the SSO session, a new request without branch= shows the page again.
    let again = browser
        .get(&o.fx.authorize(&[("scope", Some(ALL))]).url)
        .await;
    assert_eq!(again.status, 303, "{again:?}");
    branch_page(&browser, &again.location.expect("location")).await;
}

#[tokio::test]
async fn branch_parameter_skips_the_page_or_is_denied() {
    let o = Org::new().await;
    o.member(Some(&o.north), &o.clerk).await;
    o.member(Some(&o.south), &o.manager).await;
    let (browser, back, req) = o.login(&[("branch", Some(&o.north))]).await;
    let at = claims_of(&o.exchange_at(&back, &req).await, "access_token");
    assert_eq!(at["branch"], o.north.as_str());

    // SSO re-use with branch= goes straight back with a code for that branch.
    let req =
        o.fx.authorize(&[("scope", Some(ALL)), ("branch", Some(&o.south))]);
    let a = browser.get(&req.url).await;
    let t = o.exchange_at(&a.location.expect("location"), &req).await;
    assert_eq!(claims_of(&t, "access_token")["branch"], o.south.as_str());

    // A branch of another business (or none at all) is access_denied, via SSO or password.
    let other = created(&o.fx, "/v1/businesses", json!({"name": "Other"})).await;
    let ob = created(
        &o.fx,
        &format!("/v1/businesses/{}/branches", s(&other, "id")),
        json!({"name": "X"}),
    )
    .await;
    for b in [s(&ob, "id"), "no-such-branch"] {
        let req = o.fx.authorize(&[("branch", Some(b))]);
        let a = browser.get(&req.url).await.location.expect("location");
        assert_eq!(param(&a, "error").as_deref(), Some("access_denied"), "{a}");
        assert_eq!(param(&a, "state").as_deref(), Some(req.state.as_str()));
        let (_b, back, _) = o.login(&[("branch", Some(b))]).await;
        assert_eq!(
            param(&back, "error").as_deref(),
            Some("access_denied"),
            "{back}"
        );
        assert!(param(&back, "code").is_none());
    }
}

#[tokio::test]
async fn refresh_with_branch_switches_and_is_audited() {
    let o = Org::new().await;
    o.member(Some(&o.north), &o.clerk).await;
    o.member(Some(&o.south), &o.manager).await;
    let (_b, back, req) = o.login(&[("branch", Some(&o.north))]).await;
    let t = o.exchange_at(&back, &req).await;
    assert_eq!(
        scopes(&t["scope"]),
        scopes_of("openid profile offline_access orders:read")
    );

    let r = o.refresh_to(s(&t, "refresh_token"), &o.south).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let at = claims_of(&r.json, "access_token");
    assert_eq!(
        (&at["org"], &at["branch"]),
        (&json!(o.biz), &json!(o.south)),
        "{at}"
    );
    assert_eq!(
        scopes(&at["scope"]),
        scopes_of(ALL),
        "scope recomputed from the requested scope"
    );
    assert_eq!(claims_of(&r.json, "id_token")["groups"], json!(["manager"]));
    let ev =
        o.fx.srv
            .sql("SELECT * FROM audit_events WHERE type = 'branch.switched'");
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(
        (&ev[0]["branch"], &ev[0]["subject"]),
        (&json!(o.south), &json!(o.fx.user_id))
    );
    assert_eq!(ev[0]["outcome"], "success");

    // The family stays in South; a role change takes effect at the next refresh.
    let body = json!({"scopes": [PRODUCT_SCOPE]});
    let r2 =
        o.fx.admin(
            Method::PATCH,
            &format!("/v1/businesses/{}/roles/{}", o.biz, o.manager),
            Some(&body),
        )
        .await;
    assert_eq!(r2.status, 200, "{}", r2.text);
    let r3 = o.fx.refresh(s(&r.json, "refresh_token")).await;
    assert_eq!(r3.status, 200, "{}", r3.text);
    let at = claims_of(&r3.json, "access_token");
    assert_eq!(at["branch"], o.south.as_str());
    assert_eq!(
        scopes(&at["scope"]),
        scopes_of("openid profile offline_access orders:read")
    );
}

#[tokio::test]
async fn switch_to_a_branch_without_a_role_changes_nothing() {
    let o = Org::new().await;
    o.member(Some(&o.north), &o.clerk).await;
    let (_b, back, req) = o.login(&[]).await;
    let t = o.exchange_at(&back, &req).await;
    let rt = s(&t, "refresh_token");
    for target in [o.south.as_str(), "no-such-branch"] {
        let r = o.refresh_to(rt, target).await;
        assert_eq!(
            (r.status.as_u16(), &r.json["error"]),
            (400, &json!("invalid_scope")),
            "{}",
            r.text
        );
    }
    let used =
        o.fx.srv
            .sql("SELECT count(*) AS n FROM refresh_tokens WHERE used_at IS NOT NULL");
    assert_eq!(
        used[0]["n"], 0,
        "the refused switch marked the refresh token used"
    );
    let refused =
        o.fx.srv
            .sql("SELECT * FROM audit_events WHERE type = 'token.refused'");
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(o
        .fx
        .srv
        .sql("SELECT * FROM audit_events WHERE type = 'branch.switched'")
        .is_empty());

    let r = o.fx.refresh(rt).await;
    assert_eq!(
        r.status, 200,
        "the same refresh token still works: {}",
        r.text
    );
    assert_eq!(
        claims_of(&r.json, "access_token")["branch"],
        o.north.as_str()
    );
}

#[tokio::test]
async fn membership_without_branch_covers_every_branch() {
    let o = Org::new().await;
    o.member(None, &o.manager).await;
    let (browser, back, req) = o.login(&[]).await;
    let inputs = branch_page(&browser, &back).await;
    assert_eq!(branch_values(&inputs).len(), 2);
    let done = pick(&browser, &inputs, &o.north).await;
    let t = o.exchange_at(&done.location.expect("location"), &req).await;
    assert_eq!(claims_of(&t, "access_token")["branch"], o.north.as_str());
    let r = o.refresh_to(s(&t, "refresh_token"), &o.south).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        claims_of(&r.json, "access_token")["branch"],
        o.south.as_str()
    );
}

#[tokio::test]
async fn no_membership_means_no_branch_and_only_oidc_scopes() {
    let o = Org::new().await;
    let (_b, back, req) = o.login(&[]).await;
    let t = o.exchange_at(&back, &req).await;
    let at = claims_of(&t, "access_token");
    assert!(
        at.get("org").is_none() && at.get("branch").is_none(),
        "{at}"
    );
    assert_eq!(
        scopes(&at["scope"]),
        scopes_of("openid profile offline_access")
    );
    assert!(claims_of(&t, "id_token").get("groups").is_none());
}
