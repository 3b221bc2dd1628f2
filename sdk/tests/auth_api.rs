//! `AuthApi` (the first-party `/v1/auth/*` client, bearer mode) against a real Tessera
//! started by the test: sign-up, login, session(s), refresh with reuse detection, end a
//! session, logout, and the envelope's codes as typed errors.

mod support {
    pub mod tessera_server;
}

use serde_json::{json, Value};
use support::tessera_server::TesseraServer;
use tessera_sdk::{AuthApi, Discovery, Error, LoginOutcome, ServiceClient};

fn code_of<T: std::fmt::Debug>(r: Result<T, Error>) -> String {
    match r {
        Err(Error::Api { code, .. }) => code,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn sign_up_login_refresh_sessions_and_logout() {
    let server = tokio::task::spawn_blocking(TesseraServer::start)
        .await
        .expect("start tessera");
    let (id, secret) = server.admin_client("sdk");
    let issuer = server.issuer.clone();
    let discovery = Discovery::fetch(&issuer).await.unwrap();
    let admin = ServiceClient::new(discovery.clone(), &id, &secret, &["admin"]);
    let http = discovery.http().clone();
    let body = json!({"name": "App", "redirect_uris": ["https://app.example/cb"],
                      "self_registration": true});
    let resp = admin
        .send(http.post(format!("{issuer}/v1/products")).json(&body))
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let product: Value = resp.json().await.unwrap();
    assert_eq!(product["self_registration"], true);
    let web = product["web_client"]["client_id"].as_str().unwrap();

    let api = AuthApi::new(&issuer, web).unwrap();
    let (email, password) = ("sdk-user@example.com", "correct horse 1");
    let signed_up = api.register(email, password, Some("Sam")).await.unwrap();
    assert_eq!(signed_up.user.email, email);
    assert_eq!(
        code_of(api.register(email, password, None).await),
        "email_taken"
    );
    assert_eq!(
        code_of(api.login(email, "wrong password", None, None).await),
        "invalid_credentials"
    );

    let LoginOutcome::Tokens(tokens) = api.login(email, password, None, None).await.unwrap() else {
        panic!("no second factor expected");
    };
    let access = tokens.access_token.clone().unwrap();
    let caller = discovery.verifier(web).verify(&access).await.unwrap();
    assert_eq!(caller.subject, signed_up.user.id);
    let me = api.session(&access).await.unwrap();
    assert_eq!(me.user.email, email);
    assert_eq!(me.session.aal.as_deref(), Some("aal1"));
    let sessions = api.sessions(&access).await.unwrap().sessions;
    assert_eq!(sessions.len(), 2, "sign-up and login");
    let other = sessions.iter().find(|s| !s.current).unwrap().sid.clone();
    api.end_session(&access, &other).await.unwrap();
    assert_eq!(code_of(api.end_session(&access, "nope").await), "not_found");
    assert_eq!(api.sessions(&access).await.unwrap().sessions.len(), 1);

    let first = tokens.refresh_token.clone().unwrap();
    let rotated = api.refresh(&first).await.unwrap();
    assert_eq!(code_of(api.refresh(&first).await), "invalid_grant");
    let rotated_access = rotated.access_token.unwrap();
    assert_eq!(
        code_of(api.session(&rotated_access).await),
        "unauthenticated"
    );

    let LoginOutcome::Tokens(t) = api.login(email, password, None, None).await.unwrap() else {
        panic!("no second factor expected");
    };
    let access = t.access_token.unwrap();
    api.logout(&access).await.unwrap();
    assert_eq!(code_of(api.session(&access).await), "unauthenticated");
    assert_eq!(
        code_of(api.mfa_verify("nope", "123456").await),
        "invalid_mfa_token"
    );
}
