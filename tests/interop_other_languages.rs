//! Third-party clients in other languages against the real server: node's `openid-client`
//! (code + PKCE with the hosted login, ID token, userinfo, refresh; client_credentials) and
//! Python's PyJWT validating access tokens locally through the JWKS.
//!
//! The scripts live in `tests/interop/`. Their dependencies are installed here when missing
//! (`npm ci` into `tests/interop/node/node_modules`; `pip install -r requirements.txt`), so
//! `cargo test` alone runs them. `node` (>= 20) and `python3` are required: without them these
//! tests fail, they do not skip.
mod common;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A loopback redirect URI nothing listens on: the clients only read the `Location`.
const LOOPBACK_REDIRECT: &str = "http://127.0.0.1:9/cb";
const AUDIENCE: &str = "https://api.interop.example";
const READ: &str = "orders:read";
const WRITE: &str = "orders:write";
const USER_SCOPE: &str = "openid profile email offline_access orders:read";
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(120);

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop")
}

/// Where pip puts PyJWT when it may not install into the interpreter's own site-packages.
fn python_deps_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("interop-python")
}

fn describe(out: &std::process::Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn run_quiet(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what}: cannot run it ({e})"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed: {}", describe(&out)))
    }
}

/// `node` >= 20 on PATH and `tests/interop/node/node_modules` installed (`npm ci`, once).
fn node_ready() {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    let ready = READY.get_or_init(|| {
        let out = Command::new("node")
            .arg("--version")
            .output()
            .map_err(|e| {
                format!(
                    "node is required for the interop tests but cannot be run ({e}); \
                     install Node.js >= 20"
                )
            })?;
        let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let major: u32 = version
            .trim_start_matches('v')
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .ok_or_else(|| format!("cannot read `node --version`: {version:?}"))?;
        if major < 20 {
            return Err(format!(
                "openid-client 6 needs Node.js >= 20, found {version}"
            ));
        }
        let node_dir = interop_dir().join("node");
        let installed = ["openid-client", "oauth4webapi"].iter().all(|m| {
            node_dir
                .join(format!("node_modules/{m}/package.json"))
                .is_file()
        });
        if !installed {
            run_quiet(
                Command::new("npm")
                    .args([
                        "ci",
                        "--no-audit",
                        "--no-fund",
                        "--loglevel=error",
                        "--prefix",
                    ])
                    .arg(&node_dir),
                "npm ci --prefix tests/interop/node",
            )?;
        }
        Ok(())
    });
    if let Err(e) = ready {
        panic!("{e}");
    }
}

fn python_command() -> Command {
    let mut cmd = Command::new("python3");
    let deps = python_deps_dir();
    if deps.is_dir() {
        let mut path = std::ffi::OsString::from(&deps);
        if let Some(old) = std::env::var_os("PYTHONPATH") {
            path.push(":");
            path.push(old);
        }
        cmd.env("PYTHONPATH", path);
    }
    cmd
}

fn python_has_pyjwt() -> Result<bool, String> {
    let out = python_command()
        .args(["-c", "import jwt, cryptography"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            format!("python3 is required for the interop tests but cannot be run ({e})")
        })?;
    Ok(out.status.success())
}

/// `python3` on PATH with `jwt` (PyJWT) and `cryptography` importable; pip-installs them once
/// when missing (into the interpreter, or into target/tmp when it is externally managed).
fn python_ready() {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    let ready = READY.get_or_init(|| {
        if python_has_pyjwt()? {
            return Ok(());
        }
        let requirements = interop_dir().join("python/requirements.txt");
        let into_interpreter = run_quiet(
            Command::new("python3")
                .args([
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--disable-pip-version-check",
                    "-r",
                ])
                .arg(&requirements),
            "python3 -m pip install -q -r tests/interop/python/requirements.txt",
        );
        if into_interpreter.is_ok() && python_has_pyjwt()? {
            return Ok(());
        }
        // PEP 668 (externally managed interpreter): install next to the build instead.
        let into_target = run_quiet(
            Command::new("python3")
                .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
                .arg("--target")
                .arg(python_deps_dir())
                .arg("-r")
                .arg(&requirements),
            "pip install --target",
        );
        if into_target.is_ok() && python_has_pyjwt()? {
            return Ok(());
        }
        Err(format!(
            "PyJWT and cryptography are required (apt: python3-jwt python3-cryptography, or \
             pip install -r tests/interop/python/requirements.txt):\n{}\n{}",
            into_interpreter.err().unwrap_or_default(),
            into_target.err().unwrap_or_default()
        ))
    });
    if let Err(e) = ready {
        panic!("{e}");
    }
}

/// Runs an interop script with `env`, waits (bounded), and parses its one-line JSON stdout.
/// Returns (exit success, JSON); panics when the output is not JSON.
fn run_script(mut cmd: Command, env: &[(&str, &str)], what: &str) -> (bool, Value) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out_path, err_path) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let stdout = std::fs::File::create(&out_path).expect("stdout file");
    let stderr = std::fs::File::create(&err_path).expect("stderr file");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: cannot start ({e})"));
    let deadline = Instant::now() + SCRIPT_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for script") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{what}: no answer within {SCRIPT_TIMEOUT:?}; stderr:\n{}",
                std::fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = std::fs::read_to_string(&out_path).unwrap_or_default();
    let err = std::fs::read_to_string(&err_path).unwrap_or_default();
    let json: Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| {
        panic!(
            "{what}: stdout is not one JSON object ({e}); exit {status}\n\
             stdout: {out}\nstderr: {err}"
        )
    });
    (status.success(), json)
}

fn node_script(name: &str, env: &[(&str, &str)]) -> Value {
    node_ready();
    let mut cmd = Command::new("node");
    cmd.arg(interop_dir().join("node").join(name));
    let (ok, out) = run_script(cmd, env, name);
    assert!(ok && out["ok"] == true, "{name} failed: {out:#}");
    let version = s(&out, "openid_client_version");
    println!("{name}: openid-client {version}");
    assert!(
        version.starts_with("6."),
        "expected openid-client 6.x, ran {version}"
    );
    out
}

fn python_script(name: &str, env: &[(&str, &str)]) -> Value {
    python_ready();
    let mut cmd = python_command();
    cmd.arg(interop_dir().join("python").join(name));
    let (ok, out) = run_script(cmd, env, name);
    assert!(ok && out["ok"] == true, "{name} failed: {out:#}");
    println!(
        "{name}: PyJWT {} (cryptography {})",
        s(&out, "pyjwt_version"),
        s(&out, "cryptography_version")
    );
    out
}

/// The fixture server and user, plus a product registered the way an integrator would: a
/// loopback redirect URI, an API audience, two scopes and a server client.
struct Interop {
    fx: Fixture,
    product_id: String,
    web_client_id: String,
    server_client_id: String,
    server_secret: String,
}

impl Interop {
    async fn new() -> Interop {
        let fx = Fixture::new().await;
        // A scope belongs to one product: the fixture's product gives orders:read up.
        let shop = format!("/v1/products/{}", s(&fx.product, "id"));
        let r = fx
            .admin(Method::PATCH, &shop, Some(&json!({"scopes": []})))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let body = json!({
            "name": "Interop",
            "redirect_uris": [LOOPBACK_REDIRECT],
            "post_logout_redirect_uris": [],
            "scopes": [READ, WRITE],
            "audience": AUDIENCE,
            "server_client": true,
        });
        let r = fx.admin(Method::POST, "/v1/products", Some(&body)).await;
        assert_eq!(r.status, 201, "create product: {}", r.text);
        let p = r.json;
        Interop {
            product_id: s(&p, "id").into(),
            web_client_id: s(&p["web_client"], "client_id").into(),
            server_client_id: s(&p["server_client"], "client_id").into(),
            server_secret: s(&p["server_client"], "client_secret").into(),
            fx,
        }
    }

    fn issuer(&self) -> &str {
        self.fx.issuer()
    }

    /// A node script that signs Ann in through the hosted pages with the public web client.
    fn node_sign_in_script(&self, name: &str) -> Value {
        self.node_sign_in_with(name, &[])
    }

    /// Changes the web client's settings (`web_client` of PATCH /v1/products); the answer's
    /// `web_client`.
    async fn set_web_client(&self, settings: Value) -> Value {
        let path = format!("/v1/products/{}", self.product_id);
        let body = json!({ "web_client": settings });
        let r = self.fx.admin(Method::PATCH, &path, Some(&body)).await;
        assert_eq!(r.status, 200, "PATCH web_client: {}", r.text);
        r.json["web_client"].clone()
    }

    /// A node script that signs Ann in with the web client, with `extra` env.
    fn node_sign_in_with(&self, name: &str, extra: &[(&str, &str)]) -> Value {
        let mut env = vec![
            ("TESSERA_ISSUER", self.issuer()),
            ("TESSERA_CLIENT_ID", self.web_client_id.as_str()),
            ("TESSERA_REDIRECT_URI", LOOPBACK_REDIRECT),
            ("TESSERA_EMAIL", EMAIL),
            ("TESSERA_PASSWORD", PASSWORD),
            ("TESSERA_SCOPE", USER_SCOPE),
        ];
        env.extend_from_slice(extra);
        node_script(name, &env)
    }

    /// A user token response through the hosted login (done in Rust, for the Python test).
    async fn user_tokens(&self) -> Value {
        let (verifier, challenge) = pkce();
        let state = random_token();
        let mut url = url::Url::parse(&self.fx.url("/oauth/authorize")).expect("url");
        url.query_pairs_mut().extend_pairs([
            ("response_type", "code"),
            ("client_id", &self.web_client_id),
            ("redirect_uri", LOOPBACK_REDIRECT),
            ("scope", USER_SCOPE),
            ("state", &state),
            ("nonce", &random_token()),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ]);
        let back = self.fx.browser().login(url.as_str(), EMAIL, PASSWORD).await;
        assert!(back.as_str().starts_with(LOOPBACK_REDIRECT), "{back}");
        let code = param(&back, "code").expect("code");
        let r = self
            .fx
            .post_form(
                "/oauth/token",
                None,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", LOOPBACK_REDIRECT),
                    ("code_verifier", &verifier),
                    ("client_id", &self.web_client_id),
                ],
            )
            .await;
        assert_eq!(r.status, 200, "code exchange: {}", r.text);
        r.json
    }
}

fn scopes(v: &Value) -> Vec<String> {
    v.as_str()
        .unwrap_or_else(|| panic!("scope is not a string: {v}"))
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn node_openid_client_completes_code_flow_with_pkce_userinfo_and_refresh() {
    node_ready();
    let it = Interop::new().await;
    let out = it.node_sign_in_script("code_flow.mjs");
    let issuer = it.issuer();

    // Discovery as openid-client read it.
    assert_eq!(out["discovery"]["issuer"], issuer, "{out:#}");
    assert_eq!(
        out["discovery"]["jwks_uri"],
        format!("{issuer}/.well-known/jwks.json")
    );
    let auth_url = url::Url::parse(s(&out, "authorization_url")).expect("authorization url");
    assert_eq!(auth_url.path(), "/oauth/authorize");
    assert_eq!(
        param(&auth_url, "code_challenge_method").as_deref(),
        Some("S256")
    );

    // The hosted login sent the fetch-based browser back with code, state and iss.
    let cb = &out["callback"];
    assert_eq!(cb["url_without_query"], LOOPBACK_REDIRECT, "{cb}");
    assert_eq!(cb["has_code"], true);
    assert_eq!(cb["state_matches"], true);
    assert_eq!(cb["iss"], issuer);
    assert_eq!(
        out["wrong_state"]["code"], "OAUTH_INVALID_RESPONSE",
        "openid-client must refuse a callback with another state: {}",
        out["wrong_state"]
    );

    // Token response, and the ID token openid-client validated (signature via the JWKS,
    // iss, aud, exp, iat, nonce, auth_time within max_age).
    let tr = &out["token_response"];
    assert_eq!(
        tr["token_type"]
            .as_str()
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("bearer")
    );
    assert_eq!(tr["expires_in"], 600);
    assert_eq!(tr["has_access_token"], true);
    assert_eq!(tr["has_refresh_token"], true);
    assert_eq!(tr["has_id_token"], true);
    assert!(scopes(&tr["scope"]).contains(&"openid".to_string()), "{tr}");
    let id = &out["id_token_claims"];
    assert_eq!(id["iss"], issuer, "{id:#}");
    assert_eq!(id["aud"], it.web_client_id.as_str());
    assert_eq!(id["sub"], it.fx.user_id.as_str());
    assert_eq!(id["nonce"], out["nonce"]);
    assert_eq!(id["email"], EMAIL);
    assert_eq!(id["name"], "Ann B");
    assert!(id["auth_time"].is_i64(), "{id:#}");

    // The access token itself (RFC 9068) is for the product's API audience.
    let (header, at) = decode_jwt(s(&out, "access_token"));
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(at["aud"], AUDIENCE, "{at:#}");
    assert_eq!(at["client_id"], it.web_client_id.as_str());
    assert_eq!(at["sub"], it.fx.user_id.as_str());

    // Userinfo, fetched by openid-client with the subject check.
    let ui = &out["userinfo"];
    assert_eq!(ui["sub"], it.fx.user_id.as_str(), "{ui:#}");
    assert_eq!(ui["email"], EMAIL);
    assert_eq!(ui["name"], "Ann B");

    // Refresh rotates; the SSO session gives a silent second code; a wrong nonce and a
    // reused refresh token are refused.
    let rf = &out["refresh"];
    assert_eq!(rf["has_access_token"], true, "{rf:#}");
    assert_eq!(rf["access_token_changed"], true);
    assert_eq!(rf["refresh_token_rotated"], true);
    if !rf["id_token_claims"].is_null() {
        assert_eq!(rf["id_token_claims"]["sub"], it.fx.user_id.as_str());
    }
    assert_eq!(out["sso_callback_has_code"], true);
    assert_eq!(
        out["wrong_nonce"]["code"], "OAUTH_JWT_CLAIM_COMPARISON_FAILED",
        "openid-client must refuse an ID token with another nonce: {}",
        out["wrong_nonce"]
    );
    assert_eq!(
        out["refresh_reuse"]["error"], "invalid_grant",
        "{}",
        out["refresh_reuse"]
    );
}

#[tokio::test]
async fn node_openid_client_gets_client_credentials_tokens_for_the_server_client() {
    node_ready();
    let it = Interop::new().await;
    let out = node_script(
        "client_credentials.mjs",
        &[
            ("TESSERA_ISSUER", it.issuer()),
            ("TESSERA_CLIENT_ID", &it.server_client_id),
            ("TESSERA_CLIENT_SECRET", &it.server_secret),
            ("TESSERA_SCOPE", READ),
        ],
    );
    // client_secret_basic with a narrowed scope; client_secret_post with the default (all
    // granted scopes). Never an ID token or a refresh token.
    for (method, want) in [("basic", vec![READ]), ("post", vec![READ, WRITE])] {
        let t = &out[method];
        assert_eq!(t["expires_in"], 600, "{method}: {t:#}");
        assert_eq!(t["has_refresh_token"], false, "{method}: {t:#}");
        assert_eq!(t["has_id_token"], false, "{method}: {t:#}");
        let mut got = scopes(&t["scope"]);
        got.sort();
        assert_eq!(got, want, "{method}: {t:#}");
        let (header, claims) = decode_jwt(s(t, "access_token"));
        assert_eq!(header["typ"], "at+jwt", "{method}");
        assert_eq!(
            claims["sub"],
            it.server_client_id.as_str(),
            "{method}: {claims:#}"
        );
        assert_eq!(claims["client_id"], it.server_client_id.as_str());
        assert_eq!(claims["aud"], AUDIENCE);
        assert_eq!(claims["iss"], it.issuer());
    }
    assert_eq!(
        out["bad_scope"]["error"], "invalid_scope",
        "{}",
        out["bad_scope"]
    );
    assert_eq!(
        out["bad_secret"]["error"], "invalid_client",
        "{}",
        out["bad_secret"]
    );
    assert_eq!(out["bad_secret"]["status"], 401, "{}", out["bad_secret"]);
    assert_eq!(
        out["bad_secret"]["challenges"][0]["scheme"], "basic",
        "openid-client reads the WWW-Authenticate challenge: {}",
        out["bad_secret"]
    );
}

#[tokio::test]
async fn python_pyjwt_validates_access_tokens_locally_through_the_jwks() {
    python_ready();
    let it = Interop::new().await;
    let user = it.user_tokens().await;
    let service = it
        .fx
        .token_basic(
            &it.server_client_id,
            &it.server_secret,
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(service.status, 200, "server client token: {}", service.text);

    let out = python_script(
        "validate_tokens.py",
        &[
            ("TESSERA_ISSUER", it.issuer()),
            ("TESSERA_AUDIENCE", AUDIENCE),
            ("TESSERA_USER_ACCESS_TOKEN", s(&user, "access_token")),
            (
                "TESSERA_SERVICE_ACCESS_TOKEN",
                s(&service.json, "access_token"),
            ),
            ("TESSERA_ID_TOKEN", s(&user, "id_token")),
            ("TESSERA_WEB_CLIENT_ID", &it.web_client_id),
        ],
    );
    assert_eq!(
        out["jwks_uri"],
        format!("{}/.well-known/jwks.json", it.issuer())
    );
    assert_eq!(out["jwks_private_members"], json!([]), "{out:#}");

    let jwks = it.fx.jwks().await;
    let kids: Vec<&Value> = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| &k["kid"])
        .collect();
    for (name, sub, client) in [
        ("user", it.fx.user_id.as_str(), it.web_client_id.as_str()),
        (
            "service",
            it.server_client_id.as_str(),
            it.server_client_id.as_str(),
        ),
    ] {
        let v = &out["valid"][name];
        assert_eq!(v["header"]["alg"], "RS256", "{name}: {v:#}");
        assert_eq!(v["header"]["typ"], "at+jwt", "{name}");
        assert!(
            kids.contains(&&v["header"]["kid"]),
            "{name}: kid not in JWKS"
        );
        let c = &v["claims"];
        assert_eq!(c["iss"], it.issuer(), "{name}: {c:#}");
        assert_eq!(c["aud"], AUDIENCE, "{name}");
        assert_eq!(c["sub"], sub, "{name}");
        assert_eq!(c["client_id"], client, "{name}");
        assert!(
            c["jti"].is_string() && c["scope"].is_string(),
            "{name}: {c:#}"
        );
    }

    let refusals = &out["refusals"];
    for (case, error) in [
        ("tampered_payload", "InvalidSignatureError"),
        ("tampered_signature", "InvalidSignatureError"),
        ("hs256_with_public_key", "InvalidAlgorithmError"),
        ("hs256_when_allowed", "InvalidKeyError"),
        ("alg_none", "InvalidAlgorithmError"),
        ("unknown_kid", "PyJWKClientError"),
        ("wrong_audience", "InvalidAudienceError"),
        ("wrong_issuer", "InvalidIssuerError"),
        ("id_token_as_access_token", "NotAnAccessToken"),
    ] {
        let r = &refusals[case];
        assert_eq!(r["refused"], true, "PyJWT accepted {case}: {r}");
        assert_eq!(r["error"], error, "{case}: {r}");
    }
}

#[tokio::test]
async fn node_openid_client_accepts_a_two_factor_sign_in_asked_for_with_acr_values() {
    node_ready();
    let it = Interop::new().await;
    let out = it.node_sign_in_script("mfa_flow.mjs");
    assert_eq!(
        out["acr_values_supported"],
        serde_json::json!(["aal1", "aal2"]),
        "{out:#}"
    );
    // openid-client validated the ID token; the claims say two factors, and so do the
    // access token and what a refresh returns.
    let (_, at) = decode_jwt(s(&out, "access_token"));
    let (_, refreshed) = decode_jwt(s(&out, "refreshed_access_token"));
    let ids = [&out["id_token_claims"], &out["refreshed_id_token_claims"]];
    for claims in ids.into_iter().chain([&at, &refreshed]) {
        assert_eq!(claims["sub"], it.fx.user_id.as_str(), "{claims:#}");
        assert_eq!(claims["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
        assert_eq!(claims["acr"], "aal2");
        assert_eq!(claims["aal"], "aal2");
        assert_eq!(claims["auth_method"], "password");
    }
}

/// The claims every oauth4webapi flow below must end with: Ann, signed in to the web client.
fn assert_oauth4webapi_sign_in(it: &Interop, out: &Value) {
    println!("oauth4webapi {}", s(out, "oauth4webapi_version"));
    assert_eq!(out["has_access_token"], true, "{out:#}");
    assert_eq!(
        out["id_token_claims"]["sub"],
        it.fx.user_id.as_str(),
        "{out:#}"
    );
    assert_eq!(
        out["id_token_claims"]["aud"],
        it.web_client_id.as_str(),
        "{out:#}"
    );
    assert_eq!(out["refreshed"]["has_access_token"], true, "{out:#}");
}

#[tokio::test]
async fn node_oauth4webapi_signs_in_with_private_key_jwt() {
    node_ready();
    let it = Interop::new().await;
    let (pem, jwk) = common::assertion::ClientKey::es256_pem("interop-1");
    let keys = json!({"token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [jwk]}});
    it.set_web_client(keys).await;
    let out = it.node_sign_in_with(
        "pkjwt_flow.mjs",
        &[
            ("TESSERA_PRIVATE_KEY_PEM", &pem),
            ("TESSERA_KID", "interop-1"),
        ],
    );
    assert_oauth4webapi_sign_in(&it, &out);
    assert!(out["auth_signing_algs"]
        .as_array()
        .is_some_and(|a| a.contains(&json!("ES256"))));
    assert_eq!(out["unauthenticated"]["error"], "invalid_client", "{out:#}");
}

#[tokio::test]
async fn node_oauth4webapi_pushes_its_authorization_request() {
    node_ready();
    let it = Interop::new().await;
    // Required for this client: only a pushed request can sign in.
    it.set_web_client(json!({"require_pushed_authorization_requests": true}))
        .await;
    let out = it.node_sign_in_script("par_flow.mjs");
    assert_oauth4webapi_sign_in(&it, &out);
    assert_eq!(out["par_endpoint"], it.fx.url("/oauth/par"), "{out:#}");
    assert_eq!(out["par"]["expires_in"], 60, "{out:#}");
    assert_eq!(
        out["par"]["request_uri_prefix"],
        "urn:ietf:params:oauth:request_uri"
    );
    let url = url::Url::parse(s(&out, "authorization_url")).expect("url");
    let names: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
    assert_eq!(
        names,
        ["client_id", "request_uri"],
        "only the reference travels"
    );
}

#[tokio::test]
async fn node_oauth4webapi_signs_in_as_a_confidential_web_client() {
    node_ready();
    let it = Interop::new().await;
    let web = it
        .set_web_client(json!({"token_endpoint_auth_method": "client_secret_basic"}))
        .await;
    let secret = s(&web, "client_secret").to_string();
    let out = it.node_sign_in_with(
        "confidential_flow.mjs",
        &[("TESSERA_CLIENT_SECRET", &secret)],
    );
    assert_oauth4webapi_sign_in(&it, &out);
    assert_eq!(out["wrong_secret"]["error"], "invalid_client", "{out:#}");
}

#[tokio::test]
async fn node_oauth4webapi_signs_in_with_dpop_and_refreshes_with_the_same_key() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use sha2::Digest;
    node_ready();
    let it = Interop::new().await;
    let out = it.node_sign_in_script("dpop_flow.mjs");
    println!(
        "dpop_flow.mjs: oauth4webapi {}",
        s(&out, "oauth4webapi_version")
    );
    let algs = out["dpop_signing_alg_values_supported"]
        .as_array()
        .expect("algs");
    assert!(algs.contains(&json!("ES256")), "{algs:?}");
    assert!(
        s(&out, "token_type").eq_ignore_ascii_case("DPoP"),
        "{out:#}"
    );

    // The access token is bound to the key oauth4webapi made (RFC 7638 thumbprint).
    let jwk = &out["public_jwk"];
    let canonical = format!(
        r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
        s(jwk, "crv"),
        s(jwk, "x"),
        s(jwk, "y")
    );
    let jkt = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(canonical.as_bytes()));
    let claims = decode_jwt(s(&out, "access_token")).1;
    assert_eq!(claims["cnf"], json!({"jkt": jkt}));
    assert_eq!(out["userinfo"]["sub"], it.fx.user_id.as_str());

    // As a Bearer token it is refused with a DPoP challenge; another key cannot refresh.
    assert_eq!(out["as_bearer"]["status"], 401, "{:#}", out["as_bearer"]);
    assert_eq!(
        out["other_key"]["error"], "invalid_grant",
        "{:#}",
        out["other_key"]
    );

    let refresh = &out["refresh"];
    assert!(s(refresh, "token_type").eq_ignore_ascii_case("DPoP"));
    assert_eq!(refresh["refresh_token_rotated"], true);
    assert_eq!(decode_jwt(s(refresh, "access_token")).1["cnf"]["jkt"], jkt);
    assert_eq!(out["userinfo_after_refresh"]["sub"], it.fx.user_id.as_str());
}
