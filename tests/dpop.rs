//! DPoP (RFC 9449): proofs at the token endpoint bind access tokens (`cnf.jkt`,
//! `token_type: DPoP`) and public clients' refresh tokens; resources take a bound token
//! only with `Authorization: DPoP` and a proof by its key for that request.
mod common;
use aws_lc_rs::digest;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};

/// A client's DPoP key (P-256).
struct Key(EcdsaKeyPair);

/// What a proof says; `Default` is a valid proof's shape for `htm`/`htu`.
#[derive(Default, Clone)]
struct Claims<'a> {
    token: Option<&'a str>,
    nonce: Option<&'a str>,
    jti: Option<&'a str>,
    iat_offset: i64,
    typ: Option<&'a str>,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Key {
    fn new() -> Key {
        Key(EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("P-256 key"))
    }

    fn jwk(&self) -> Value {
        let point = self.0.public_key().as_ref();
        json!({"kty": "EC", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..65])})
    }

    /// RFC 7638 thumbprint.
    fn jkt(&self) -> String {
        let j = self.jwk();
        let canonical = format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            j["x"].as_str().unwrap(),
            j["y"].as_str().unwrap()
        );
        b64(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref())
    }

    fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let sig = self
            .0
            .sign(&SystemRandom::new(), input.as_bytes())
            .expect("sign");
        format!("{input}.{}", b64(sig.as_ref()))
    }

    fn proof_with(&self, htm: &str, htu: &str, c: &Claims) -> String {
        let header = json!({"typ": c.typ.unwrap_or("dpop+jwt"), "alg": "ES256", "jwk": self.jwk()});
        let mut claims = json!({
            "jti": c.jti.map(String::from).unwrap_or_else(random_token),
            "htm": htm, "htu": htu, "iat": unix_now() + c.iat_offset,
        });
        if let Some(t) = c.token {
            claims["ath"] = json!(b64(digest::digest(&digest::SHA256, t.as_bytes()).as_ref()));
        }
        if let Some(n) = c.nonce {
            claims["nonce"] = json!(n);
        }
        self.sign(&header, &claims)
    }

    fn proof(&self, htm: &str, htu: &str) -> String {
        self.proof_with(htm, htu, &Claims::default())
    }
}

/// POST `form` to the token endpoint as the public web client, with `proof`.
async fn token(fx: &Fixture, form: &[(&str, &str)], proof: Option<&str>) -> Reply {
    let mut f = form.to_vec();
    f.push(("client_id", &fx.web_client_id));
    let mut req = fx.http.post(fx.url("/oauth/token")).form(&f);
    if let Some(p) = proof {
        req = req.header("DPoP", p);
    }
    Reply::read(req.send().await.expect("token")).await
}

/// A fresh code of the fixture user's sign-in, and its PKCE verifier.
async fn fresh_code(fx: &Fixture) -> (String, String) {
    let (code, req) = fx.login_code(&fx.browser(), "openid email").await;
    (code, req.verifier)
}

fn code_form<'a>(code: &'a str, verifier: &'a str) -> [(&'static str, &'a str); 4] {
    [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", verifier),
    ]
}

async fn code_exchange(fx: &Fixture, proof: Option<&str>) -> Reply {
    let (code, verifier) = fresh_code(fx).await;
    token(fx, &code_form(&code, &verifier), proof).await
}

/// A sign-in whose code is exchanged with a proof by `key` (200).
async fn bound_sign_in(fx: &Fixture, key: &Key) -> Reply {
    let r = code_exchange(fx, Some(&key.proof("POST", &fx.url("/oauth/token")))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r
}

/// GET `path` with `Authorization: {scheme} {token}` and an optional proof.
async fn get(fx: &Fixture, path: &str, auth: &str, proof: Option<&str>) -> Reply {
    let mut req = fx.http.get(fx.url(path)).header("Authorization", auth);
    if let Some(p) = proof {
        req = req.header("DPoP", p);
    }
    Reply::read(req.send().await.expect("GET")).await
}

/// A proof's claims for a resource request with `token`.
fn bound(token: &str) -> Claims<'_> {
    Claims {
        token: Some(token),
        ..Default::default()
    }
}

fn text<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("no {field} in {v}"))
}

fn assert_dpop_refusal(r: &Reply, error: &str) {
    assert_eq!(r.status, 401, "{}", r.text);
    let www = r.header("www-authenticate").unwrap_or_default();
    assert!(www.starts_with("DPoP "), "WWW-Authenticate: {www}");
    assert!(
        www.contains(&format!("error=\"{error}\"")),
        "WWW-Authenticate: {www}"
    );
    assert!(www.contains("algs=\"ES256"), "WWW-Authenticate: {www}");
}

#[tokio::test]
async fn a_proof_binds_the_token_and_userinfo_needs_the_key() {
    let fx = Fixture::new().await;
    let key = Key::new();
    let token_url = fx.url("/oauth/token");
    let r = bound_sign_in(&fx, &key).await;
    assert_eq!(r.json["token_type"], "DPoP");
    let at = text(&r.json, "access_token");
    assert_eq!(decode_jwt(at).1["cnf"], json!({"jkt": key.jkt()}));

    let info = fx.url("/oauth/userinfo");
    let dpop = format!("DPoP {at}");
    let ok = key.proof_with("GET", &info, &bound(at));
    let r = get(&fx, "/oauth/userinfo", &dpop, Some(&ok)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["sub"], fx.user_id.as_str());

    // The same proof again (same jti).
    let r = get(&fx, "/oauth/userinfo", &dpop, Some(&ok)).await;
    assert_dpop_refusal(&r, "invalid_dpop_proof");
    assert!(r.json["error_description"]
        .as_str()
        .unwrap()
        .contains("jti"));
    // As a bearer token, with or without a proof.
    let r = get(&fx, "/oauth/userinfo", &format!("Bearer {at}"), None).await;
    assert_dpop_refusal(&r, "invalid_token");
    let fresh = key.proof_with("GET", &info, &bound(at));
    let r = get(
        &fx,
        "/oauth/userinfo",
        &format!("Bearer {at}"),
        Some(&fresh),
    )
    .await;
    assert_dpop_refusal(&r, "invalid_token");
    // The DPoP scheme without a proof.
    let r = get(&fx, "/oauth/userinfo", &dpop, None).await;
    assert_dpop_refusal(&r, "invalid_dpop_proof");

    let other = Key::new();
    let cases: Vec<(&str, String)> = vec![
        ("another key", other.proof_with("GET", &info, &bound(at))),
        ("no ath", key.proof("GET", &info)),
        (
            "ath of another token",
            key.proof_with(
                "GET",
                &info,
                &Claims {
                    token: Some("x"),
                    ..Default::default()
                },
            ),
        ),
        ("htm POST", key.proof_with("POST", &info, &bound(at))),
        (
            "htu of the token endpoint",
            key.proof_with("GET", &token_url, &bound(at)),
        ),
        (
            "iat 5 minutes ago",
            key.proof_with(
                "GET",
                &info,
                &Claims {
                    iat_offset: -300,
                    ..bound(at)
                },
            ),
        ),
        (
            "iat 5 minutes ahead",
            key.proof_with(
                "GET",
                &info,
                &Claims {
                    iat_offset: 300,
                    ..bound(at)
                },
            ),
        ),
        (
            "typ JWT",
            key.proof_with(
                "GET",
                &info,
                &Claims {
                    typ: Some("JWT"),
                    ..bound(at)
                },
            ),
        ),
    ];
    for (why, proof) in cases {
        let r = get(&fx, "/oauth/userinfo", &dpop, Some(&proof)).await;
        assert_eq!(r.status, 401, "{why}: {}", r.text);
        assert_eq!(r.json["error"], "invalid_dpop_proof", "{why}: {}", r.text);
    }
    // htu ignores the query.
    let with_query = format!("{info}?x=1");
    let proof = key.proof_with("GET", &with_query, &bound(at));
    assert_eq!(
        get(&fx, "/oauth/userinfo", &dpop, Some(&proof))
            .await
            .status,
        200
    );

    let seen = fx.introspect(at).await;
    assert_eq!(seen["active"], true);
    assert_eq!(seen["token_type"], "DPoP");
    assert_eq!(seen["cnf"], json!({"jkt": key.jkt()}));

    // An unbound token with the DPoP scheme.
    let (_, plain) = fx.user_tokens("openid").await;
    let pat = text(&plain, "access_token");
    assert_eq!(plain["token_type"], "Bearer");
    assert!(decode_jwt(pat).1.get("cnf").is_none());
    let proof = key.proof_with("GET", &info, &bound(pat));
    let r = get(&fx, "/oauth/userinfo", &format!("DPoP {pat}"), Some(&proof)).await;
    assert_dpop_refusal(&r, "invalid_token");
    assert_eq!(fx.introspect(pat).await["token_type"], "Bearer");
}

#[tokio::test]
async fn bad_proofs_at_the_token_endpoint_are_refused_and_audited() {
    let fx = Fixture::new().await;
    let key = Key::new();
    let url = fx.url("/oauth/token");
    let cc = [("grant_type", "client_credentials")];
    let send = |proofs: Vec<String>| {
        let mut req = fx
            .http
            .post(fx.url("/oauth/token"))
            .header(
                "Authorization",
                basic(&fx.server_client_id, &fx.server_secret),
            )
            .form(&cc);
        for p in proofs {
            req = req.header("DPoP", p);
        }
        async move { Reply::read(req.send().await.expect("token")).await }
    };
    // A confidential client's token is bound too.
    let r = send(vec![key.proof("POST", &url)]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["token_type"], "DPoP");
    assert_eq!(
        decode_jwt(text(&r.json, "access_token")).1["cnf"]["jkt"],
        key.jkt()
    );

    let replayed = key.proof_with(
        "POST",
        &url,
        &Claims {
            jti: Some("same-jti"),
            ..Default::default()
        },
    );
    assert_eq!(send(vec![replayed.clone()]).await.status, 200);
    let mut private = key.jwk();
    private["d"] = json!(b64(&[1; 32]));
    let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": private});
    let claims = json!({"jti": "j", "htm": "POST", "htu": url, "iat": unix_now()});
    let hs256 = json!({"typ": "dpop+jwt", "alg": "HS256", "jwk": key.jwk()});
    let long_jti = "j".repeat(257);
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("replayed jti", vec![replayed]),
        (
            "two proofs",
            vec![key.proof("POST", &url), key.proof("POST", &url)],
        ),
        ("private jwk", vec![key.sign(&header, &claims)]),
        ("symmetric alg", vec![key.sign(&hs256, &claims)]),
        ("htm GET", vec![key.proof("GET", &url)]),
        (
            "htu of userinfo",
            vec![key.proof("POST", &fx.url("/oauth/userinfo"))],
        ),
        (
            "stale iat",
            vec![key.proof_with(
                "POST",
                &url,
                &Claims {
                    iat_offset: -120,
                    ..Default::default()
                },
            )],
        ),
        (
            "jti too long",
            vec![key.proof_with(
                "POST",
                &url,
                &Claims {
                    jti: Some(&long_jti),
                    ..Default::default()
                },
            )],
        ),
        ("not a JWS", vec!["nope".into()]),
    ];
    for (why, proofs) in cases {
        let r = send(proofs).await;
        assert_eq!(r.status, 400, "{why}: {}", r.text);
        assert_eq!(r.json["error"], "invalid_dpop_proof", "{why}: {}", r.text);
    }
    let refused = fx.audit_events("type=token.refused").await;
    assert!(
        refused
            .iter()
            .any(|e| e["detail"]["error"] == "invalid_dpop_proof"),
        "{refused:?}"
    );
    let text = serde_json::to_string(&refused).unwrap();
    assert!(!text.contains("same-jti"), "no proof in the audit log");
}

#[tokio::test]
async fn a_public_clients_refresh_token_is_bound_to_the_key() {
    let fx = Fixture::new().await;
    let key = Key::new();
    let url = fx.url("/oauth/token");
    let r = bound_sign_in(&fx, &key).await;
    let rt = text(&r.json, "refresh_token").to_string();
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.as_str()),
    ];

    let other = Key::new();
    for (why, proof) in [
        ("no proof", None),
        ("another key", Some(other.proof("POST", &url))),
    ] {
        let r = token(&fx, &form, proof.as_deref()).await;
        assert_eq!(r.status, 400, "{why}: {}", r.text);
        assert_eq!(r.json["error"], "invalid_grant", "{why}");
    }
    // Those refusals did not use the token up.
    let r = token(&fx, &form, Some(&key.proof("POST", &url))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["token_type"], "DPoP");
    assert_eq!(
        decode_jwt(text(&r.json, "access_token")).1["cnf"]["jkt"],
        key.jkt()
    );

    // Unbound sign-ins refresh without a proof, as before.
    let (_, plain) = fx.user_tokens("openid").await;
    let r = fx.refresh(text(&plain, "refresh_token")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["token_type"], "Bearer");
}

#[tokio::test]
async fn a_dpop_bound_client_must_send_a_proof() {
    let fx = Fixture::new().await;
    let id = text(&fx.product, "id").to_string();
    let body = json!({"web_client": {"dpop_bound_access_tokens": true}});
    let r = fx
        .admin(Method::PATCH, &format!("/v1/products/{id}"), Some(&body))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = code_exchange(&fx, None).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["error"], "invalid_dpop_proof");
    let key = Key::new();
    let r = code_exchange(&fx, Some(&key.proof("POST", &fx.url("/oauth/token")))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["token_type"], "DPoP");
}

#[tokio::test]
async fn the_admin_api_takes_dpop_tokens_and_discovery_lists_the_algs() {
    let fx = Fixture::new().await;
    let key = Key::new();
    let url = fx.url("/oauth/token");
    let r = fx
        .http
        .post(&url)
        .header("Authorization", basic(&fx.admin_id, &fx.admin_secret))
        .header("DPoP", key.proof("POST", &url))
        .form(&[("grant_type", "client_credentials"), ("scope", "admin")])
        .send()
        .await
        .expect("token");
    let r = Reply::read(r).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let at = text(&r.json, "access_token");
    let products = fx.url("/v1/products");
    let proof = key.proof_with("GET", &products, &bound(at));
    let r = get(&fx, "/v1/products", &format!("DPoP {at}"), Some(&proof)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = get(&fx, "/v1/products", &format!("Bearer {at}"), None).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert!(r
        .header("www-authenticate")
        .unwrap_or_default()
        .starts_with("DPoP "));

    let doc = Reply::read(
        fx.http
            .get(fx.url("/.well-known/openid-configuration"))
            .send()
            .await
            .expect("discovery"),
    )
    .await
    .json;
    let algs = doc["dpop_signing_alg_values_supported"]
        .as_array()
        .expect("algs");
    assert!(
        algs.contains(&json!("ES256")) && algs.contains(&json!("RS256")),
        "{algs:?}"
    );
}

#[tokio::test]
async fn a_required_nonce_is_handed_out_and_then_accepted() {
    let fx = Fixture::with_args(&["--dpop-nonce"]).await;
    let key = Key::new();
    let url = fx.url("/oauth/token");
    let (code, verifier) = fresh_code(&fx).await;
    let form = code_form(&code, &verifier);
    let r = token(&fx, &form, Some(&key.proof("POST", &url))).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["error"], "use_dpop_nonce");
    let nonce = r.header("dpop-nonce").expect("DPoP-Nonce");
    let wrong = key.proof_with(
        "POST",
        &url,
        &Claims {
            nonce: Some("made-up"),
            ..Default::default()
        },
    );
    assert_eq!(
        token(&fx, &form, Some(&wrong)).await.json["error"],
        "use_dpop_nonce"
    );
    // The code was not spent by those refusals.
    let with_nonce = key.proof_with(
        "POST",
        &url,
        &Claims {
            nonce: Some(&nonce),
            ..Default::default()
        },
    );
    let r = token(&fx, &form, Some(&with_nonce)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let at = text(&r.json, "access_token");

    let info = fx.url("/oauth/userinfo");
    let proof = key.proof_with("GET", &info, &bound(at));
    let r = get(&fx, "/oauth/userinfo", &format!("DPoP {at}"), Some(&proof)).await;
    assert_dpop_refusal(&r, "use_dpop_nonce");
    let nonce = r.header("dpop-nonce").expect("DPoP-Nonce");
    let claims = Claims {
        token: Some(at),
        nonce: Some(&nonce),
        ..Default::default()
    };
    let r = get(
        &fx,
        "/oauth/userinfo",
        &format!("DPoP {at}"),
        Some(&key.proof_with("GET", &info, &claims)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
}
