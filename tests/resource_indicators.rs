//! Resource indicators (RFC 8707): products' `resources`, `resource` at authorize, PAR and
//! the token endpoint (code, refresh, client_credentials) becomes the access token's `aud`;
//! anything unregistered is `invalid_target`, and so is another product's API for a
//! product's own clients.
mod common;
use common::exchange::*;
use common::*;
use reqwest::Method;
use serde_json::json;

fn refused(r: &Reply, error: &str) {
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["error"], error, "{}", r.text);
}

#[tokio::test]
async fn products_register_resources_each_served_by_one_product() {
    let fx = Fixture::new().await;
    let api = fx.api_product().await;
    assert_eq!(api["resources"], json!([API_RESOURCE]));
    assert_eq!(fx.product["resources"], json!([]));
    let path = format!("/v1/products/{}", s(&api, "id"));
    let got = fx.admin(Method::GET, &path, None).await;
    assert_eq!(got.json["resources"], json!([API_RESOURCE]));
    let twenty_one: Vec<String> = (0..21).map(|i| format!("https://r.example/{i}")).collect();
    for bad in [
        json!(["api.example"]),
        json!(["https://api.example/x#frag"]),
        json!(["/relative"]),
        json!(twenty_one),
        json!([API_AUDIENCE]),
    ] {
        let body = json!({"name": "Bad", "audience": API_AUDIENCE, "resources": bad});
        let r = fx.admin(Method::POST, "/v1/products", Some(&body)).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
        assert_eq!(r.json["error"]["field"], "resources", "{}", r.text);
    }
    // Another product's resource or audience is taken.
    for taken in [API_RESOURCE, API_AUDIENCE] {
        let body = json!({"name": "Dup", "resources": [taken]});
        let r = fx.admin(Method::POST, "/v1/products", Some(&body)).await;
        assert_eq!(r.status, 409, "{taken}: {}", r.text);
    }
    let shop = format!("/v1/products/{}", s(&fx.product, "id"));
    let r = fx
        .admin(
            Method::PATCH,
            &shop,
            Some(&json!({"resources": [API_RESOURCE]})),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    let r = fx
        .admin(Method::PATCH, &shop, Some(&json!({"resources": null})))
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    // Replaced as a whole, repeats dropped; its own list may be re-saved.
    let body =
        json!({"resources": ["https://shop.example/a", "https://shop.example/a", "urn:shop:b"]});
    let r = fx.admin(Method::PATCH, &shop, Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json["resources"],
        json!(["https://shop.example/a", "urn:shop:b"])
    );
    let body = json!({"resources": [API_RESOURCE, "https://api.example/other"]});
    let r = fx.admin(Method::PATCH, &path, Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The audience may not become one of its own resources.
    let body = json!({"audience": API_RESOURCE});
    let r = fx.admin(Method::PATCH, &path, Some(&body)).await;
    assert_eq!(r.status, 422, "{}", r.text);
}

#[tokio::test]
async fn resource_becomes_the_aud_through_code_and_refresh() {
    let fx = Fixture::new().await;
    let fx = &fx;
    let api = fx.api_product().await;
    let web = s(&api["web_client"], "client_id").to_string();
    let code = fx
        .code_for(
            &web,
            &[
                ("resource", Some(API_RESOURCE)),
                ("scope", Some("openid offline_access")),
            ],
        )
        .await;
    // A different resource at the token endpoint is refused (the code stays unused).
    let pair = (code.0.as_str(), code.1.as_str());
    refused(
        &fx.redeem(&web, pair, &[("resource", API_AUDIENCE)]).await,
        "invalid_target",
    );
    let r = fx.redeem(&web, pair, &[("resource", API_RESOURCE)]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(claims_of(&r.json, "access_token")["aud"], API_RESOURCE);
    assert_eq!(claims_of(&r.json, "id_token")["aud"], web.as_str());
    // Refresh keeps the family's resource; another one is refused.
    let refresh = s(&r.json, "refresh_token").to_string();
    let form = |token: &str, extra: Option<(&'static str, &'static str)>| {
        let mut f = vec![
            ("grant_type".to_string(), "refresh_token".to_string()),
            ("refresh_token".into(), token.to_string()),
            ("client_id".into(), web.clone()),
        ];
        f.extend(extra.map(|(k, v)| (k.to_string(), v.to_string())));
        f
    };
    let post = |f: Vec<(String, String)>| async move {
        Reply::read(
            fx.http
                .post(fx.url("/oauth/token"))
                .form(&f)
                .send()
                .await
                .expect("post"),
        )
        .await
    };
    refused(
        &post(form(&refresh, Some(("resource", API_AUDIENCE)))).await,
        "invalid_target",
    );
    let r = post(form(&refresh, Some(("resource", API_RESOURCE)))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(claims_of(&r.json, "access_token")["aud"], API_RESOURCE);
    let r = post(form(s(&r.json, "refresh_token"), None)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(claims_of(&r.json, "access_token")["aud"], API_RESOURCE);

    // A code without a resource may name one at the token endpoint, registered only.
    let code = fx.code_for(&web, &[]).await;
    let pair = (code.0.as_str(), code.1.as_str());
    refused(
        &fx.redeem(&web, pair, &[("resource", "https://unknown.example")])
            .await,
        "invalid_target",
    );
    let r = fx.redeem(&web, pair, &[("resource", API_RESOURCE)]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(claims_of(&r.json, "access_token")["aud"], API_RESOURCE);
    // Without any, the product's audience as before.
    let plain = fx.tokens_for(&web, "openid").await;
    assert_eq!(claims_of(&plain, "access_token")["aud"], API_AUDIENCE);
}

#[tokio::test]
async fn unknown_resources_are_invalid_target_at_authorize_par_and_token() {
    let fx = Fixture::new().await;
    let fx = &fx;
    let api = fx.api_product().await;
    let web = s(&api["web_client"], "client_id").to_string();
    for bad in [
        "https://unknown.example/mcp",
        "not-a-uri",
        "https://api.example/mcp#x",
    ] {
        let req = fx.authorize(&[("client_id", Some(&web)), ("resource", Some(bad))]);
        let a = fx.browser().get(&req.url).await;
        assert_eq!(a.status, 303, "{bad}: {a:?}");
        let back = a.location.expect("Location");
        assert!(back.as_str().starts_with(REDIRECT_URI), "{back}");
        assert_eq!(
            param(&back, "error").as_deref(),
            Some("invalid_target"),
            "{back}"
        );
        assert_eq!(param(&back, "state").as_deref(), Some(req.state.as_str()));
    }
    // PAR runs the same checks.
    let (_, challenge) = pkce();
    let par = |resource: &'static str| {
        let web = web.clone();
        let challenge = challenge.clone();
        async move {
            let form = [
                ("client_id", web.as_str()),
                ("response_type", "code"),
                ("redirect_uri", REDIRECT_URI),
                ("scope", "openid"),
                ("state", "s"),
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "S256"),
                ("resource", resource),
            ];
            fx.post_form("/oauth/par", None, &form).await
        }
    };
    refused(&par("https://unknown.example/mcp").await, "invalid_target");
    assert_eq!(par(API_RESOURCE).await.status, 201);
    // client_credentials: a registered resource is the aud, anything else refused.
    let sc = &api["server_client"];
    let (id, secret) = (s(sc, "client_id"), s(sc, "client_secret"));
    let cc =
        |resource: &'static str| [("grant_type", "client_credentials"), ("resource", resource)];
    let r = fx.token_basic(id, secret, &cc(API_RESOURCE)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(claims_of(&r.json, "access_token")["aud"], API_RESOURCE);
    refused(
        &fx.token_basic(id, secret, &cc("https://unknown.example"))
            .await,
        "invalid_target",
    );
    let refusals = fx.audit_events("type=token.refused").await;
    assert!(
        refusals
            .iter()
            .any(|e| e["detail"]["error"] == "invalid_target"),
        "{refusals:?}"
    );
}

#[tokio::test]
async fn admin_api_tokens_take_no_resource() {
    let fx = Fixture::new().await;
    fx.api_product().await;
    let cc = [
        ("grant_type", "client_credentials"),
        ("scope", "admin"),
        ("resource", API_RESOURCE),
    ];
    let r = fx.token_basic(&fx.admin_id, &fx.admin_secret, &cc).await;
    refused(&r, "invalid_target");
}

#[tokio::test]
async fn a_products_clients_reach_only_its_own_apis() {
    let fx = Fixture::new().await;
    let fx = &fx;
    fx.api_product().await;
    // The shop's web client may not have a token for the Api product's API.
    for other in [API_RESOURCE, API_AUDIENCE] {
        let req = fx.authorize(&[("resource", Some(other))]);
        let a = fx.browser().get(&req.url).await;
        assert_eq!(a.status, 303, "{other}: {a:?}");
        let back = a.location.expect("Location");
        assert!(back.as_str().starts_with(REDIRECT_URI), "{back}");
        assert_eq!(param(&back, "error").as_deref(), Some("invalid_target"));
    }
    // Nor another product's server client, though both APIs are registered here.
    let other = fx
        .product_with(json!({
            "name": "Reports", "redirect_uris": ["https://reports.example/cb"],
            "audience": "https://reports.example/api", "server_client": true,
        }))
        .await;
    let sc = &other["server_client"];
    let (id, secret) = (s(sc, "client_id"), s(sc, "client_secret"));
    for target in [API_RESOURCE, API_AUDIENCE] {
        let form = [("grant_type", "client_credentials"), ("resource", target)];
        refused(&fx.token_basic(id, secret, &form).await, "invalid_target");
    }
    let own = [
        ("grant_type", "client_credentials"),
        ("resource", "https://reports.example/api"),
    ];
    let r = fx.token_basic(id, secret, &own).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        claims_of(&r.json, "access_token")["aud"],
        "https://reports.example/api"
    );
}
