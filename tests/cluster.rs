//! Two `tessera serve` nodes on one PostgreSQL database, driven through both: every
//! cross-node promise of PRODUCT.md "Several nodes on PostgreSQL", and `kill -9` of a node
//! in the middle of a burst of token requests. Runs when the suite runs on PostgreSQL
//! (`scripts/test-postgres.sh`, which `scripts/test.sh` calls); on SQLite (one node per
//! data dir) each test returns at once.
mod common;
use common::engine;
use common::sse::SseReader;
use common::*;
use reqwest::Method;
use serde_json::Value;
use sha2::Digest;
use std::time::{Duration, Instant};

/// Node A (the fixture's server: product, user, admin client) and node B: its own data dir
/// with A's `master.key`, A's issuer and A's database.
struct Cluster {
    a: Fixture,
    b: Fixture,
    database_url: String,
    _b_root: tempfile::TempDir,
}

async fn cluster() -> Option<Cluster> {
    engine::postgres_base()?;
    let a = Fixture::new().await;
    let database_url = engine::database_url(&a.srv.data_dir).expect("postgres url");
    let b_root = tempfile::tempdir().expect("tempdir");
    let b_dir = b_root.path().join("data");
    std::fs::create_dir_all(&b_dir).expect("data dir");
    std::fs::copy(a.srv.data_dir.join("master.key"), b_dir.join("master.key")).expect("key");
    let srv = Server::start_on(
        &b_dir,
        &["--issuer", &a.srv.base, "--database-url", &database_url],
    );
    let b = a.on_node(srv);
    Some(Cluster {
        a,
        b,
        database_url,
        _b_root: b_root,
    })
}

/// Retries `check` for up to `within`; true as soon as it holds.
async fn holds_within<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if check().await {
            return true;
        }
        if start.elapsed() > within {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_code_from_one_node_is_redeemed_at_the_other_and_refresh_reuse_is_seen_by_all() {
    let Some(c) = cluster().await else { return };
    let browser = c.a.browser();
    let (code, req) = c.a.login_code(&browser, "openid email").await;
    let t0 = c.b.exchange(&code, &req.verifier).await;
    assert_eq!(t0.status, 200, "code from A at B: {}", t0.text);
    assert_eq!(decode_jwt(s(&t0.json, "id_token")).1["iss"], c.a.srv.base);

    // Rotated at B, replayed at A: the family is revoked at both.
    let rt0 = s(&t0.json, "refresh_token").to_string();
    let r1 = c.b.refresh(&rt0).await;
    assert_eq!(r1.status, 200, "{}", r1.text);
    let rt1 = s(&r1.json, "refresh_token").to_string();
    let reuse = c.a.refresh(&rt0).await;
    assert_eq!(reuse.status, 400, "{}", reuse.text);
    let after = c.b.refresh(&rt1).await;
    assert_eq!(after.status, 400, "family revoked at B too: {}", after.text);
    let at1 = s(&r1.json, "access_token");
    assert_eq!(c.b.introspect(at1).await["active"], false);
    assert_eq!(c.a.introspect(at1).await["active"], false);

    // The code, redeemed at B, is refused at A.
    let replay = c.a.exchange(&code, &req.verifier).await;
    assert_eq!(replay.status, 400, "code replayed at A: {}", replay.text);
    assert_eq!(replay.json["error"], "invalid_grant");
}

#[tokio::test]
async fn a_key_rotated_at_one_node_is_in_the_others_jwks_and_signs_there_within_5s() {
    let Some(c) = cluster().await else { return };
    let r = c.a.admin(Method::POST, "/v1/keys:rotate", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let kid = r.json["kid"].as_str().expect("kid").to_string();
    let b = &c.b;
    let seen = holds_within(Duration::from_secs(5), || async {
        let jwks = b.jwks().await;
        let published = jwks["keys"]
            .as_array()
            .is_some_and(|keys| keys.iter().any(|k| k["kid"] == kid.as_str()));
        let token = b.server_token().await;
        published && decode_jwt(&token).0["kid"] == kid.as_str()
    })
    .await;
    assert!(
        seen,
        "B publishes and signs with the key rotated at A within 5 s"
    );
}

#[tokio::test]
async fn secret_rotation_revocation_and_suspension_hold_at_every_node_at_once() {
    let Some(c) = cluster().await else { return };
    // B has the server client cached (it just authenticated it).
    let cc = [("grant_type", "client_credentials")];
    let ok =
        c.b.token_basic(&c.b.server_client_id, &c.b.server_secret, &cc)
            .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let path = format!(
        "/v1/products/{}/secret:rotate",
        c.a.product["id"].as_str().expect("product id")
    );
    let rotated = c.a.admin(Method::POST, &path, None).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    // Well inside the client cache's 2 s lifetime: only the change notice explains a 401.
    let refused = holds_within(Duration::from_millis(500), || old_refused(&c.b, &cc)).await;
    assert!(refused, "B refuses the old secret at once");

    // A revocation at A holds at B.
    let (_, tokens) = c.a.user_tokens("openid email").await;
    let at = s(&tokens, "access_token");
    let r = c.a.revoke_public(at).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(c.b.introspect(at).await["active"], false);

    // A suspension at A holds at B.
    let (_, tokens) = c.a.user_tokens("openid email").await;
    let at = s(&tokens, "access_token");
    let user = format!("/v1/users/{}/suspend", c.a.user_id);
    let r = c.a.admin(Method::POST, &user, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let info =
        c.b.http
            .get(c.b.url("/oauth/userinfo"))
            .bearer_auth(at)
            .send()
            .await
            .expect("userinfo");
    assert_eq!(info.status(), 401, "userinfo at B after suspension at A");
}

async fn old_refused(b: &Fixture, cc: &[(&str, &str)]) -> bool {
    b.token_basic(&b.server_client_id, &b.server_secret, cc)
        .await
        .status
        == 401
}

#[tokio::test]
async fn throttles_count_failures_from_every_node() {
    let Some(c) = cluster().await else { return };
    let cc = [("grant_type", "client_credentials")];
    for i in 0..10 {
        let node = if i % 2 == 0 { &c.a } else { &c.b };
        let r = node.token_basic(&node.server_client_id, "wrong", &cc).await;
        assert_eq!(r.status, 401, "attempt {i}: {}", r.text);
    }
    for node in [&c.a, &c.b] {
        let r = node
            .token_basic(&node.server_client_id, &node.server_secret, &cc)
            .await;
        assert_eq!(r.status, 429, "ten failures over two nodes: {}", r.text);
    }
}

#[tokio::test]
async fn the_audit_stream_of_one_node_shows_the_other_nodes_events() {
    let Some(c) = cluster().await else { return };
    let resp =
        c.b.http
            .get(c.b.url("/v1/audit-events/stream"))
            .bearer_auth(&c.b.admin_token)
            .send()
            .await
            .expect("open stream");
    assert_eq!(resp.status(), 200);
    let mut stream = SseReader::new(resp);
    let token = c.a.server_token().await;
    let jti = decode_jwt(&token).1["jti"]
        .as_str()
        .expect("jti")
        .to_string();
    let event = stream
        .until(Duration::from_secs(10), |e| e.data["jti"] == jti.as_str())
        .await;
    assert_eq!(event.data["type"], "token.issued");
}

/// `kill -9` of node A while both nodes answer a burst of token requests (client
/// credentials, and code exchanges that start refresh families): every token that got a
/// 200 has its audit row, every refresh token its record, and node B keeps serving.
#[tokio::test]
async fn a_node_killed_mid_burst_loses_no_issued_token_and_the_other_keeps_serving() {
    let Some(mut c) = cluster().await else { return };
    let browser = c.a.browser();
    c.a.login_code(&browser, "openid email").await;
    let mut codes = Vec::new();
    for _ in 0..40 {
        codes.push(c.a.login_code_silent(&browser).await);
    }
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (killed_tx, killed_rx) = tokio::sync::watch::channel(false);
    let mut burst = Vec::new();
    for i in 0..300 {
        let node = if i % 2 == 0 { &c.a } else { &c.b };
        let mut form = vec![("grant_type".to_string(), "client_credentials".to_string())];
        let mut auth = Some(basic(&node.server_client_id, &node.server_secret));
        if i % 7 == 0 {
            if let Some((code, req)) = codes.pop() {
                form = vec![
                    ("grant_type".into(), "authorization_code".into()),
                    ("code".into(), code),
                    ("redirect_uri".into(), REDIRECT_URI.into()),
                    ("code_verifier".into(), req.verifier),
                    ("client_id".into(), node.web_client_id.clone()),
                ];
                auth = None;
            }
        }
        let (url, http, done) = (node.url("/oauth/token"), node.http.clone(), done.clone());
        let mut killed_rx = killed_rx.clone();
        burst.push(tokio::spawn(async move {
            let _count = Finished(done);
            // The last 200 wait for the kill: however fast the nodes answer, requests to
            // node A are still to come when it dies (and the first 100 may be in flight).
            if i >= 100 {
                let _ = killed_rx.wait_for(|k| *k).await;
            }
            let mut request = http.post(url).form(&form);
            if let Some(auth) = auth {
                request = request.header("authorization", auth);
            }
            // Err: the status of a refusal, 0 when no answer came.
            let resp = request.send().await.map_err(|_| 0u16)?;
            if resp.status() != 200 {
                return Err(resp.status().as_u16());
            }
            let body: Value = resp.json().await.map_err(|_| 1u16)?;
            let claims = decode_jwt(body["access_token"].as_str().ok_or(2u16)?).1;
            let jti = claims["jti"].as_str().ok_or(3u16)?.to_string();
            Ok((jti, body["refresh_token"].as_str().map(str::to_string)))
        }));
    }
    // Mid-burst: some answers are in, most requests are in flight or not sent yet.
    while done.load(std::sync::atomic::Ordering::SeqCst) < 60 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let pid = c.a.srv.pid().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let _ = killed_tx.send(true);
    let mut issued = Vec::new();
    let mut refused = std::collections::BTreeMap::<u16, usize>::new();
    for task in burst {
        match task.await.expect("request task") {
            Ok(answer) => issued.push(answer),
            Err(status) => *refused.entry(status).or_default() += 1,
        }
    }
    assert!(
        (150..300).contains(&issued.len()),
        "the kill lands mid-burst: {} of 300 answered 200; the others by status: {refused:?}\n\
         node B's log ends:\n{}",
        issued.len(),
        tail(&c.b.srv.log(), 20)
    );
    let refresh_tokens: Vec<&String> = issued.iter().filter_map(|(_, rt)| rt.as_ref()).collect();
    assert!(
        !refresh_tokens.is_empty(),
        "some code exchanges answered 200"
    );
    let db = &c.database_url;
    let audited = engine::postgres_rows(
        db,
        "SELECT jti FROM audit_events WHERE type = 'token.issued' AND jti IS NOT NULL",
        false,
    );
    let audited: std::collections::HashSet<&str> =
        audited.iter().filter_map(|r| r["jti"].as_str()).collect();
    let missing: Vec<&String> = issued
        .iter()
        .map(|(jti, _)| jti)
        .filter(|j| !audited.contains(j.as_str()))
        .collect();
    assert!(missing.is_empty(), "200 without an audit row: {missing:?}");
    for rt in refresh_tokens {
        let hash: String = sha2::Sha256::digest(rt.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let query = format!(
            "SELECT 1 AS found FROM refresh_tokens WHERE token_hash = decode('{hash}', 'hex')"
        );
        assert_eq!(
            engine::postgres_rows(db, &query, false).len(),
            1,
            "record of {rt}"
        );
    }
    c.a.srv.terminate();
    let after = c.b.server_token().await;
    assert!(!after.is_empty(), "B keeps serving");
}

/// Counts a finished request when dropped (whatever way the request ended).
struct Finished(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Drop for Finished {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Nodes starting together on an empty database (one master key file for all): the
/// migrations run once, one node creates the first signing key and every node signs with it.
#[tokio::test]
async fn nodes_starting_together_on_an_empty_database_share_one_key() {
    if !engine::on_postgres() {
        return;
    }
    let root = tempfile::tempdir().expect("tempdir");
    let key = root.path().join("cluster.key");
    let made = tessera_command()
        .args(["master-key", "create"])
        .arg(&key)
        .output()
        .expect("master-key create");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let url = engine::database_url(&root.path().join("shared")).expect("postgres url");
    let key = key.to_str().expect("utf-8 path").to_string();
    let starts: Vec<_> = (0..3)
        .map(|i| {
            let dir = root.path().join(format!("node{i}"));
            let (url, key) = (url.clone(), key.clone());
            std::thread::spawn(move || {
                std::fs::create_dir_all(&dir).expect("data dir");
                let flags = ["--database-url", &url, "--master-key-file", &key];
                Server::start_on(&dir, &flags)
            })
        })
        .collect();
    let nodes: Vec<Server> = starts
        .into_iter()
        .map(|t| t.join().expect("start"))
        .collect();
    let active = engine::postgres_rows(
        &url,
        "SELECT kid FROM signing_keys WHERE status = 'active'",
        false,
    );
    assert_eq!(active.len(), 1, "one active key: {active:?}");
    for node in &nodes {
        let jwks: Value = reqwest::get(node.url("/.well-known/jwks.json"))
            .await
            .expect("jwks")
            .json()
            .await
            .expect("jwks json");
        assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(1), "{jwks}");
        assert_eq!(jwks["keys"][0]["kid"], active[0]["kid"]);
    }
}

/// The last `n` lines of a log.
fn tail(log: &str, n: usize) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
