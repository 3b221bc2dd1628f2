//! Audit trail: every login, issuance, refusal and revocation leaves a row, and no row
//! carries a token string, a secret or a password.
mod common;
use common::*;
use serde_json::Value;

fn find<'a>(rows: &'a [Value], t: &str, outcome: &str) -> Vec<&'a Value> {
    rows.iter()
        .filter(|r| r["type"] == t && r["outcome"] == outcome)
        .collect()
}

#[tokio::test]
async fn audit_rows_record_what_happened_and_no_secrets() {
    let fx = Fixture::new().await;
    let wrong_password = "not the right password";

    // A failed login, then a successful one and a token issuance.
    let browser = fx.browser();
    let form = browser.start_login(&fx.authorize(&[]).url).await;
    let bad = browser.submit_login(&form, EMAIL, wrong_password).await;
    assert_eq!(bad.status, 401);
    let (_, tokens) = fx.user_tokens("openid email").await;
    let at = s(&tokens, "access_token").to_string();
    let rt = s(&tokens, "refresh_token").to_string();
    let id = s(&tokens, "id_token").to_string();
    // A client_credentials issuance and a refused one.
    let server_token = fx.server_token().await;
    let refused = fx
        .token_basic(
            &fx.server_client_id,
            "wrong-secret",
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(refused.status, 401);
    // A refresh and a revocation.
    let refreshed = fx.refresh(&rt).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    let rt2 = s(&refreshed.json, "refresh_token").to_string();
    assert_eq!(fx.revoke_public(&rt2).await.status, 200);

    let rows = fx.srv.audit_rows();
    assert!(!rows.is_empty(), "no audit rows");
    for r in &rows {
        let outcome = r["outcome"].as_str().unwrap_or_default();
        assert!(outcome == "success" || outcome == "failure", "{r}");
        assert!(!r["at"].is_null() && !r["id"].is_null(), "{r}");
    }

    let login_ok = find(&rows, "login.succeeded", "success");
    assert!(!login_ok.is_empty(), "no login.succeeded: {rows:#?}");
    assert!(login_ok.iter().any(|r| r["subject"] == fx.user_id.as_str()));
    assert!(
        !find(&rows, "login.failed", "failure").is_empty(),
        "no login.failed row"
    );

    let issued = find(&rows, "token.issued", "success");
    let jti = decode_jwt(&at).1["jti"].clone();
    let user_row = issued.iter().find(|r| r["jti"] == jti);
    let user_row = user_row.unwrap_or_else(|| panic!("no token.issued for jti {jti}"));
    assert_eq!(user_row["subject"], fx.user_id.as_str());
    assert_eq!(user_row["client_id"], fx.web_client_id.as_str());
    let cc_jti = decode_jwt(&server_token).1["jti"].clone();
    let cc_row = issued.iter().find(|r| r["jti"] == cc_jti);
    let cc_row = cc_row.unwrap_or_else(|| panic!("no token.issued for client_credentials"));
    assert_eq!(cc_row["client_id"], fx.server_client_id.as_str());

    let refused_rows = find(&rows, "token.refused", "failure");
    assert!(
        refused_rows.iter().any(|r| r["detail"]
            .as_str()
            .is_some_and(|d| d.contains("invalid_client"))),
        "no token.refused for the wrong secret: {refused_rows:#?}"
    );
    assert!(!find(&rows, "token.refreshed", "success").is_empty());
    assert!(!find(&rows, "token.revoked", "success").is_empty());
    assert!(!find(&rows, "admin.user.created", "success").is_empty());
    assert!(!find(&rows, "admin.product.created", "success").is_empty());

    let secrets = [
        ("access token", at.as_str()),
        ("refresh token", rt.as_str()),
        ("rotated refresh token", rt2.as_str()),
        ("id token", id.as_str()),
        ("server token", server_token.as_str()),
        ("admin token", fx.admin_token.as_str()),
        ("server secret", fx.server_secret.as_str()),
        ("admin secret", fx.admin_secret.as_str()),
        ("password", PASSWORD),
        ("wrong password", wrong_password),
    ];
    for r in &rows {
        let text = r.to_string();
        for (what, secret) in secrets {
            assert!(!text.contains(secret), "audit row leaks the {what}: {text}");
        }
        // The signature segment alone must not appear either.
        let sig = at.rsplit('.').next().unwrap_or_default();
        assert!(!text.contains(sig), "audit row leaks a token signature");
    }
}

#[tokio::test]
async fn reuse_and_replay_are_audited() {
    let fx = Fixture::new().await;
    let (_, t) = fx.user_tokens("openid").await;
    let rt = s(&t, "refresh_token").to_string();
    assert_eq!(fx.refresh(&rt).await.status, 200);
    assert_eq!(fx.refresh(&rt).await.status, 400);
    let rows = fx.srv.audit_rows();
    let reuse: Vec<&Value> = rows
        .iter()
        .filter(|r| r["type"] == "token.reuse_detected")
        .collect();
    assert!(!reuse.is_empty(), "no token.reuse_detected row: {rows:#?}");
    assert!(reuse
        .iter()
        .any(|r| r["client_id"] == fx.web_client_id.as_str()));
    for r in &rows {
        assert!(
            !r.to_string().contains(&rt),
            "audit row leaks the refresh token"
        );
    }
}

#[tokio::test]
async fn refused_client_auth_names_the_claimed_client() {
    // The audit feed is filtered by client to see why a request was refused.
    let fx = Fixture::new().await;
    let form = [("grant_type", "client_credentials")];
    let r = fx.token_basic(&fx.server_client_id, "wrong", &form).await;
    assert_eq!(r.status, 401);
    let rows = fx.srv.audit_rows();
    let refused = find(&rows, "token.refused", "failure");
    assert!(
        refused
            .iter()
            .any(|r| r["client_id"] == fx.server_client_id.as_str()),
        "token.refused without the client_id: {refused:#?}"
    );
}
