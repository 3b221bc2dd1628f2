//! Malformed requests to the OAuth endpoints: right status and OAuth error shape, never a
//! 5xx, and nothing written.
mod common;
use common::table::{assert_nothing_written, req, run_table, Case, Shape::*};
use common::*;
use reqwest::Method as M;

const T: &str = "/oauth/token";
const CB: &str = "redirect_uri=https%3A%2F%2Fapp.example%2Fcb";

fn cases(fx: &Fixture) -> Vec<Case> {
    let web = fx.web_client_id.clone();
    let admin_basic = basic(&fx.admin_id, &fx.admin_secret);
    let server_basic = basic(&fx.server_client_id, &fx.server_secret);
    let big = format!(
        "grant_type=client_credentials&pad={}",
        "a".repeat(70 * 1024)
    );
    let authz = |q: &str| format!("/oauth/authorize?{q}");
    let alg_none = "eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiJ4In0.";
    let verifier = "v".repeat(43);
    vec![
        req("token: JSON body", M::POST, T)
            .json(format!(r#"{{"grant_type":"refresh_token","client_id":"{web}"}}"#))
            .expect(&[400], OAuth(Some("invalid_request"))),
        req("token: missing grant_type", M::POST, T)
            .form(format!("client_id={web}"))
            .expect(&[400], OAuth(Some("invalid_request"))),
        req("token: password grant", M::POST, T)
            .form(format!("grant_type=password&username=a&password=b&client_id={web}"))
            .expect(&[400], OAuth(Some("unsupported_grant_type"))),
        req("token: device grant", M::POST, T)
            .form(format!(
                "grant_type=urn:ietf:params:oauth:grant-type:device_code&client_id={web}"
            ))
            .expect(&[400], OAuth(Some("unsupported_grant_type"))),
        req("token: garbage Basic", M::POST, T)
            .form("grant_type=client_credentials")
            .auth("Basic !!!not-base64!!!")
            .expect(&[401], OAuth(Some("invalid_client"))),
        req("token: Basic without colon", M::POST, T)
            .form("grant_type=client_credentials")
            .auth("Basic Zm9vYmFy")
            .expect(&[401], OAuth(Some("invalid_client"))),
        req("token: unknown Basic client", M::POST, T)
            .form("grant_type=client_credentials")
            .auth(basic("nobody", "x"))
            .expect(&[401], OAuth(Some("invalid_client"))),
        req("token: basic and post at once", M::POST, T)
            .form(format!(
                "grant_type=client_credentials&client_id={}&client_secret={}",
                fx.server_client_id, fx.server_secret
            ))
            .auth(server_basic)
            .expect(&[400], OAuth(Some("invalid_request"))),
        req("token: body > 64 KiB", M::POST, T)
            .form(big.clone())
            .expect(&[413], OAuth(None)),
        req("token: text/plain", M::POST, T)
            .raw("text/plain", "grant_type=client_credentials")
            .auth(admin_basic.clone())
            .expect(&[400, 415], OAuth(None)),
        req("token: code grant without code", M::POST, T)
            .form(format!(
                "grant_type=authorization_code&client_id={web}&{CB}&code_verifier={verifier}"
            ))
            .expect(&[400], OAuth(Some("invalid_request"))),
        req("token: garbage code", M::POST, T)
            .form(format!(
                "grant_type=authorization_code&code=nope&client_id={web}&{CB}&code_verifier={verifier}"
            ))
            .expect(&[400], OAuth(Some("invalid_grant"))),
        req("token: repeated grant_type", M::POST, T)
            .form(format!(
                "grant_type=refresh_token&grant_type=client_credentials&client_id={web}"
            ))
            .expect(&[400], OAuth(Some("invalid_request"))),
        req("token: bad percent-encoding", M::POST, T)
            .form(format!("grant_type=%FF%FE%ZZ&client_id={web}"))
            .expect(&[400], OAuth(None)),
        req("token: GET", M::GET, T).expect(&[405], StatusOnly),
        req("introspect: no client auth", M::POST, "/oauth/introspect")
            .form("token=abc")
            .expect(&[401], OAuth(Some("invalid_client"))),
        req("introspect: missing token", M::POST, "/oauth/introspect")
            .form("")
            .auth(admin_basic.clone())
            .expect(&[400], OAuth(Some("invalid_request"))),
        req("introspect: JSON body", M::POST, "/oauth/introspect")
            .json(r#"{"token":"abc"}"#)
            .auth(admin_basic.clone())
            .expect(&[400, 415], OAuth(None)),
        req("revoke: no client", M::POST, "/oauth/revoke")
            .form("token=abc")
            .expect(&[400, 401], OAuth(None)),
        req("revoke: missing token", M::POST, "/oauth/revoke")
            .form(format!("client_id={web}"))
            .expect(&[400], OAuth(Some("invalid_request"))),
        req("revoke: body > 64 KiB", M::POST, "/oauth/revoke")
            .form(big)
            .auth(admin_basic.clone())
            .expect(&[413], OAuth(None)),
        req("userinfo: garbage bearer", M::GET, "/oauth/userinfo")
            .auth("Bearer garbage")
            .expect(&[401], OAuth(Some("invalid_token"))),
        req("userinfo: alg none token", M::GET, "/oauth/userinfo")
            .auth(format!("Bearer {alg_none}"))
            .expect(&[401], OAuth(Some("invalid_token"))),
        req("userinfo: no token", M::GET, "/oauth/userinfo").expect(&[401], StatusOnly),
        req("userinfo: Basic instead of Bearer", M::GET, "/oauth/userinfo")
            .auth(admin_basic)
            .expect(&[401], StatusOnly),
        req("authorize: no parameters", M::GET, authz("")).expect(&[400], NoRedirect),
        req("authorize: 8 KiB client_id", M::GET, authz(&format!(
            "response_type=code&client_id={}&{CB}", "x".repeat(8192)
        )))
        .expect(&[400], NoRedirect),
        req("authorize: broken percent-encoding", M::GET, authz("client_id=%ZZ%00%FF&redirect_uri=%%%"))
            .expect(&[400], NoRedirect),
        req("authorize: javascript redirect_uri", M::GET, authz(&format!(
            "response_type=code&client_id={web}&redirect_uri=javascript%3Aalert(1)&state=s&code_challenge=abc&code_challenge_method=S256"
        )))
        .expect(&[400], NoRedirect),
    ]
}

#[tokio::test]
async fn malformed_oauth_requests_get_clean_errors_and_write_nothing() {
    let fx = Fixture::new().await;
    let audit_before = fx.srv.audit_rows();
    let cases = cases(&fx);
    assert!(cases.len() >= 25);
    let failures = run_table(&fx, &cases).await;
    assert_nothing_written(&fx, &audit_before).await;
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn id_token_is_not_accepted_as_an_access_token() {
    let fx = Fixture::new().await;
    let (_, t) = fx.user_tokens("openid email").await;
    let r = fx
        .http
        .get(fx.url("/oauth/userinfo"))
        .bearer_auth(s(&t, "id_token"))
        .send()
        .await
        .expect("userinfo");
    let r = Reply::read(r).await;
    assert_eq!(r.status, 401, "ID token used as bearer: {}", r.text);
    assert_eq!(r.json["error"], "invalid_token");
}
