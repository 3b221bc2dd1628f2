//! refresh_token grant: rotation, reuse detection, scope narrowing, client binding.
mod common;
use common::db::sql_write;
use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn refresh_rotates_the_token_and_the_new_one_works() {
    let fx = Fixture::new().await;
    let (_, t0) = fx.user_tokens("openid email").await;
    let rt0 = s(&t0, "refresh_token");
    let r1 = fx.refresh(rt0).await;
    assert_eq!(r1.status, 200, "{}", r1.text);
    assert_eq!(r1.header("cache-control").as_deref(), Some("no-store"));
    let rt1 = s(&r1.json, "refresh_token");
    assert_ne!(rt1, rt0, "refresh token must rotate");
    let at1 = s(&r1.json, "access_token");
    assert_ne!(at1, s(&t0, "access_token"));
    let claims = decode_jwt(at1).1;
    assert_eq!(claims["sub"], fx.user_id.as_str());
    assert_eq!(fx.introspect(at1).await["active"], true);

    let r2 = fx.refresh(rt1).await;
    assert_eq!(r2.status, 200, "rotated token must work: {}", r2.text);
    assert_ne!(s(&r2.json, "refresh_token"), rt1);
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_family() {
    let fx = Fixture::new().await;
    let (_, t0) = fx.user_tokens("openid email").await;
    let rt0 = s(&t0, "refresh_token").to_string();
    let r1 = fx.refresh(&rt0).await;
    assert_eq!(r1.status, 200, "{}", r1.text);
    let rt1 = s(&r1.json, "refresh_token").to_string();
    let at1 = s(&r1.json, "access_token").to_string();
    assert_eq!(fx.introspect(&at1).await["active"], true);

    let reuse = fx.refresh(&rt0).await;
    assert_eq!(reuse.status, 400, "{}", reuse.text);
    assert_eq!(reuse.json["error"], "invalid_grant");

    let newest = fx.refresh(&rt1).await;
    assert_eq!(
        newest.status, 400,
        "newest of a reused family: {}",
        newest.text
    );
    assert_eq!(newest.json["error"], "invalid_grant");
    assert_eq!(fx.introspect(&at1).await["active"], false);
    assert_eq!(fx.introspect(&rt1).await["active"], false);
}

#[tokio::test]
async fn refresh_may_narrow_but_not_widen_scope() {
    let fx = Fixture::new().await;
    let (_, t0) = fx.user_tokens("openid email").await;
    let rt0 = s(&t0, "refresh_token").to_string();
    let wide = fx
        .token_public(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt0),
            ("scope", "openid email profile"),
        ])
        .await;
    assert_eq!(wide.status, 400, "{}", wide.text);
    assert_eq!(wide.json["error"], "invalid_scope");

    let narrow = fx
        .token_public(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt0),
            ("scope", "openid"),
        ])
        .await;
    assert_eq!(narrow.status, 200, "{}", narrow.text);
    let at = decode_jwt(s(&narrow.json, "access_token")).1;
    assert_eq!(scopes(&at["scope"]), ["openid"]);
}

#[tokio::test]
async fn refresh_token_is_bound_to_its_client() {
    let fx = Fixture::new().await;
    let other = fx.create_product("Other", &["x:read"], false).await;
    let other_id = s(&other["web_client"], "client_id").to_string();
    let (_, t0) = fx.user_tokens("openid").await;
    let rt0 = s(&t0, "refresh_token").to_string();
    let r = fx
        .post_form(
            "/oauth/token",
            None,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt0),
                ("client_id", &other_id),
            ],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["error"], "invalid_grant");
}

#[tokio::test]
async fn garbage_refresh_token_is_invalid_grant() {
    let fx = Fixture::new().await;
    let r = fx.refresh("not-a-refresh-token").await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["error"], "invalid_grant");
    // An access token is not a refresh token.
    let (_, t0) = fx.user_tokens("openid").await;
    let r = fx.refresh(s(&t0, "access_token")).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["error"], "invalid_grant");
}

#[tokio::test]
async fn concurrent_use_of_one_refresh_token_succeeds_at_most_once() {
    let fx = Fixture::new().await;
    let (_, t0) = fx.user_tokens("openid").await;
    let rt0 = s(&t0, "refresh_token").to_string();
    let replies = futures_join_all((0..8).map(|_| fx.refresh(&rt0))).await;
    let ok: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
    assert!(ok.len() <= 1, "{} concurrent refreshes succeeded", ok.len());
    for r in replies.iter().filter(|r| r.status != 200) {
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(r.json["error"], "invalid_grant");
    }
    // Whatever the race did, a second use of rt0 happened, so the family is dead.
    for r in ok {
        let newest = fx.refresh(s(&r.json, "refresh_token")).await;
        assert_eq!(newest.status, 400, "family survived reuse: {}", newest.text);
    }
}

#[tokio::test]
async fn a_refresh_family_ends_at_its_absolute_lifetime_whatever_the_rotations() {
    let fx = Fixture::new().await;
    let path = format!("/v1/products/{}", s(&fx.product, "id"));
    assert_eq!(
        fx.admin(Method::GET, &path, None).await.json["refresh_family_ttl"],
        90 * 86_400,
        "default: 90 days"
    );
    for bad in [json!(3599), json!(731 * 86_400), json!("1h")] {
        let r = fx
            .admin(
                Method::PATCH,
                &path,
                Some(&json!({"refresh_family_ttl": bad})),
            )
            .await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
    }
    let r = fx
        .admin(
            Method::PATCH,
            &path,
            Some(&json!({"refresh_family_ttl": 3600})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["refresh_family_ttl"], 3600);

    let (_, t0) = fx.user_tokens("openid email").await;
    let started = fx.introspect(s(&t0, "access_token")).await["iat"]
        .as_i64()
        .expect("iat");
    // The product's refresh tokens live 30 days, but never past the family's end; every
    // rotation keeps that end instead of starting a new 30 days.
    let mut rt = s(&t0, "refresh_token").to_string();
    for _ in 0..3 {
        let exp = fx.introspect(&rt).await["exp"]
            .as_i64()
            .expect("refresh exp");
        assert!(
            exp <= started + 3600 + 2,
            "refresh token outlives its family: {exp}"
        );
        let r = fx.refresh(&rt).await;
        assert_eq!(r.status, 200, "{}", r.text);
        rt = s(&r.json, "refresh_token").to_string();
    }

    // At the family's end (set in the database: an hour cannot pass in a test) the
    // unexpired refresh token is refused and nothing new is issued.
    sql_write(
        &fx.srv,
        &format!(
            "UPDATE refresh_families SET expires_at = {}",
            unix_now() - 1
        ),
    );
    let r = fx.refresh(&rt).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["error"], "invalid_grant");
    assert!(r.text.contains("maximum lifetime"), "{}", r.text);
}
