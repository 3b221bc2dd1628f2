//! Discovery document, JWKS and health: shapes a generic OIDC client depends on.
mod common;
use common::*;
use serde_json::Value;

async fn get_json(fx: &Fixture, path: &str) -> Reply {
    Reply::read(fx.http.get(fx.url(path)).send().await.expect("GET")).await
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_str().expect("string item"))
        .collect()
}

#[tokio::test]
async fn discovery_document_lists_endpoints_under_the_issuer() {
    let fx = Fixture::new().await;
    let r = get_json(&fx, "/.well-known/openid-configuration").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let ct = r.header("content-type").unwrap_or_default();
    assert!(ct.starts_with("application/json"), "content-type {ct}");
    let d = r.json;
    assert_eq!(
        d["issuer"],
        fx.issuer(),
        "issuer equals the served base URL"
    );
    let expected = [
        ("authorization_endpoint", "/oauth/authorize"),
        ("token_endpoint", "/oauth/token"),
        ("userinfo_endpoint", "/oauth/userinfo"),
        ("jwks_uri", "/.well-known/jwks.json"),
        ("revocation_endpoint", "/oauth/revoke"),
        ("introspection_endpoint", "/oauth/introspect"),
        ("end_session_endpoint", "/oauth/logout"),
    ];
    for (field, path) in expected {
        let v = s(&d, field);
        let url = url::Url::parse(v).unwrap_or_else(|e| panic!("{field}={v} not absolute: {e}"));
        assert!(v.starts_with(fx.issuer()), "{field}={v} not under issuer");
        assert_eq!(url.path(), path, "{field}");
    }
    assert_eq!(strings(&d["response_types_supported"]), ["code"]);
    let grants = strings(&d["grant_types_supported"]);
    for g in ["authorization_code", "refresh_token", "client_credentials"] {
        assert!(grants.contains(&g), "grant {g} missing: {grants:?}");
    }
    assert!(!grants.contains(&"implicit") && !grants.contains(&"password"));
    assert_eq!(strings(&d["code_challenge_methods_supported"]), ["S256"]);
    assert_eq!(
        strings(&d["id_token_signing_alg_values_supported"]),
        ["RS256"]
    );
    assert!(strings(&d["subject_types_supported"]).contains(&"public"));
    let sc = strings(&d["scopes_supported"]);
    for want in ["openid", "profile", "email", "offline_access"] {
        assert!(sc.contains(&want), "scope {want} missing: {sc:?}");
    }
    let auth = strings(&d["token_endpoint_auth_methods_supported"]);
    for m in ["none", "client_secret_basic", "client_secret_post"] {
        assert!(auth.contains(&m), "auth method {m} missing: {auth:?}");
    }
    assert_eq!(strings(&d["response_modes_supported"]), ["query"]);
    assert_eq!(d["authorization_response_iss_parameter_supported"], true);
    assert!(d["claims_supported"]
        .as_array()
        .is_some_and(|a| !a.is_empty()));
    assert!(d["introspection_endpoint_auth_methods_supported"].is_array());
    assert!(d["revocation_endpoint_auth_methods_supported"].is_array());
}

#[tokio::test]
async fn jwks_has_public_rsa_members_only() {
    let fx = Fixture::new().await;
    let r = get_json(&fx, "/.well-known/jwks.json").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let cc = r.header("cache-control").unwrap_or_default();
    assert!(cc.contains("public") && cc.contains("max-age=300"), "{cc}");
    let keys = r.json["keys"].as_array().expect("keys array").clone();
    assert!(!keys.is_empty(), "JWKS is empty");
    for k in &keys {
        assert_eq!(k["kty"], "RSA", "{k}");
        assert_eq!(k["use"], "sig", "{k}");
        assert_eq!(k["alg"], "RS256", "{k}");
        assert_eq!(k["e"], "AQAB", "{k}");
        assert!(!s(k, "kid").is_empty(), "empty kid");
        // A 2048-bit modulus is 256 bytes = 342 base64url characters.
        assert!(s(k, "n").len() >= 342, "modulus too short: {k}");
        for private in ["d", "p", "q", "dp", "dq", "qi", "k", "oth"] {
            assert!(k.get(private).is_none(), "JWKS leaks {private}: {k}");
        }
    }
    let kids: Vec<&str> = keys.iter().map(|k| s(k, "kid")).collect();
    let mut unique = kids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(kids.len(), unique.len(), "duplicate kids: {kids:?}");
}

#[tokio::test]
async fn tokens_are_signed_by_a_key_in_the_jwks() {
    let fx = Fixture::new().await;
    let jwks = fx.jwks().await;
    let token = fx.server_token().await;
    verify_rs256(&token, &jwks).expect("access token verifies against JWKS");
    // Another token's payload under this signature must not verify: the check can fail.
    let other = fx.server_token().await;
    let mut parts: Vec<&str> = token.split('.').collect();
    let other_payload = other.split('.').nth(1).expect("payload");
    assert_ne!(parts[1], other_payload);
    parts[1] = other_payload;
    assert!(verify_rs256(&parts.join("."), &jwks).is_err());
}

#[tokio::test]
async fn health_reports_issuer_and_listen_address() {
    let fx = Fixture::new().await;
    let r = get_json(&fx, "/health").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["status"], "ok");
    assert_eq!(r.json["issuer"], fx.issuer());
    let listen = fx.issuer().trim_start_matches("http://");
    assert_eq!(r.json["listen"], listen);
    assert!(r.json["version"].is_string());
    assert!(r.json["started_at"].is_u64(), "{}", r.json);
}

#[tokio::test]
async fn sigterm_shuts_down_with_exit_code_zero() {
    let mut srv = Server::start();
    let status = srv.terminate().expect("server exits after SIGTERM");
    assert!(
        status.success(),
        "exit status {status:?}; log:\n{}",
        srv.log()
    );
}
