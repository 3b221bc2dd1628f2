//! Scopes belong to one product: a second product cannot declare a scope another one
//! declares (409), so a role granting `orders:read` for one product never grants it in
//! another; rows from before the rule that still share a scope grant it to neither.
mod common;
use common::db::sql_write;
use common::*;
use reqwest::Method;
use serde_json::json;

/// Where the authorize endpoint sends the browser for `client_id` asking for `scope`.
async fn authorize_error(fx: &Fixture, client_id: &str, scope: &str) -> Option<String> {
    let req = fx.authorize(&[("client_id", Some(client_id)), ("scope", Some(scope))]);
    let r = fx.http.get(&req.url).send().await.expect("authorize");
    let location = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    let url = url::Url::parse(&location).unwrap_or_else(|_| fx.srv.url(&location).parse().unwrap());
    param(&url, "error")
}

#[tokio::test]
async fn a_scope_declared_by_one_product_cannot_be_declared_by_another() {
    let fx = Fixture::new().await;
    let before = fx.admin(Method::GET, "/v1/products", None).await.json;

    let body = json!({"name": "Till", "redirect_uris": [REDIRECT_URI], "scopes": ["till:open", PRODUCT_SCOPE]});
    let r = fx.admin(Method::POST, "/v1/products", Some(&body)).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.json["error"]["code"], "conflict", "{}", r.text);
    let message = r.json["error"]["message"].as_str().unwrap_or("");
    assert!(
        message.contains(PRODUCT_SCOPE) && message.contains("Shop"),
        "{message}"
    );
    assert_eq!(
        fx.admin(Method::GET, "/v1/products", None).await.json,
        before,
        "a refused product was created"
    );

    // Adding it later is refused the same way, and changes nothing.
    let till = fx.create_product("Till", &["till:open"], false).await;
    let path = format!("/v1/products/{}", s(&till, "id"));
    let body = json!({"scopes": ["till:open", PRODUCT_SCOPE]});
    let r = fx.admin(Method::PATCH, &path, Some(&body)).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(
        fx.admin(Method::GET, &path, None).await.json["scopes"],
        json!(["till:open"])
    );

    // A product may re-declare its own scopes, and a freed scope may be taken.
    let shop = format!("/v1/products/{}", s(&fx.product, "id"));
    let r = fx
        .admin(
            Method::PATCH,
            &shop,
            Some(&json!({"scopes": [PRODUCT_SCOPE]})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = fx
        .admin(Method::PATCH, &shop, Some(&json!({"scopes": []})))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = fx.admin(Method::PATCH, &path, Some(&body)).await;
    assert_eq!(r.status, 200, "a freed scope: {}", r.text);

    // The OIDC scopes are no product's: still refused as reserved (422), not 409.
    let body = json!({"name": "Oidc", "scopes": ["openid"]});
    let r = fx.admin(Method::POST, "/v1/products", Some(&body)).await;
    assert_eq!(r.status, 422, "{}", r.text);
}

#[tokio::test]
async fn tokens_of_one_product_never_carry_another_products_scope() {
    let fx = Fixture::new().await;
    let till = fx.create_product("Till", &["till:open"], false).await;
    let till_client = s(&till["web_client"], "client_id").to_string();

    // Till cannot ask for Shop's scope...
    assert_eq!(
        authorize_error(&fx, &till_client, &format!("openid {PRODUCT_SCOPE}"))
            .await
            .as_deref(),
        Some("invalid_scope")
    );
    // ...while Shop can.
    assert_eq!(
        authorize_error(&fx, &fx.web_client_id, &format!("openid {PRODUCT_SCOPE}")).await,
        None
    );

    // Two products that share a scope from before the rule: neither grants it (fail
    // closed: a role naming it cannot say which product it meant).
    let till_id = s(&till, "id").to_string();
    sql_write(
        &fx.srv,
        &format!(
        "UPDATE products SET scopes = '[\"till:open\",\"{PRODUCT_SCOPE}\"]' WHERE id = '{till_id}'"
    ),
    );
    // Client rows are cached for 2 s.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    for client in [till_client.as_str(), fx.web_client_id.as_str()] {
        assert_eq!(
            authorize_error(&fx, client, &format!("openid {PRODUCT_SCOPE}"))
                .await
                .as_deref(),
            Some("invalid_scope"),
            "{client}"
        );
    }
    assert_eq!(
        authorize_error(&fx, &till_client, "openid till:open").await,
        None
    );
}
