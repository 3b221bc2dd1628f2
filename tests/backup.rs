//! `POST /v1/backup`: only a super-admin who signed in to the console within 10 minutes
//! (403 `insufficient_authentication` for admin clients and older sign-ins), encrypted with
//! a passphrase in the age format. `tessera restore` is in tests/restore.rs.
mod common;
use common::backup::*;
use common::console::*;
use common::db::sql_write;
use common::engine;
use common::*;
use serde_json::{json, Value};

/// A fixture with a super-admin; returns its id.
async fn with_superadmin() -> (Fixture, String) {
    let fx = Fixture::new().await;
    let id = fx.srv.superadmin_create(SUPER_EMAIL, SUPER_PASSWORD);
    (fx, id)
}

async fn read(resp: reqwest::Response) -> Reply {
    Reply::read(resp).await
}

fn refused_as(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.json["error"]["code"], code, "{}", r.text);
}

fn detail(row: &Value) -> Value {
    serde_json::from_str(row["detail"].as_str().unwrap_or("null")).unwrap_or(Value::Null)
}

fn backups_made(srv: &Server) -> Vec<Value> {
    srv.sql("SELECT actor, detail FROM audit_events WHERE type = 'admin.backup.created'")
}

#[tokio::test]
async fn admin_clients_and_other_tokens_get_no_backup() {
    let (fx, _) = with_superadmin().await;
    let base = fx.srv.base.clone();
    let body = json!({ "passphrase": PASSPHRASE });
    let anon = read(post_backup(&base, None, Some(&body), None).await).await;
    refused_as(&anon, 401, "unauthenticated");
    let service = fx.server_token().await;
    let not_admin = read(post_backup(&base, Some(&service), Some(&body), None).await).await;
    refused_as(&not_admin, 403, "insufficient_scope");

    // The CI client's client_credentials admin token: never, with or without a body.
    for (body, key) in [(Some(&body), Some("k1")), (None, None)] {
        let r = read(post_backup(&base, Some(&fx.admin_token), body, key).await).await;
        refused_as(&r, 403, "insufficient_authentication");
        assert_eq!(r.json["error"]["type"], "permission_error");
        let message = r.json["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("within the last 10 minutes"), "{message}");
    }
    // The same token still opens the rest of the admin API.
    let users = fx.admin(reqwest::Method::GET, "/v1/users", None).await;
    assert_eq!(users.status, 200, "{}", users.text);
    assert!(backups_made(&fx.srv).is_empty());
}

#[tokio::test]
async fn a_fresh_super_admin_downloads_an_age_encrypted_backup() {
    let (fx, root_id) = with_superadmin().await;
    let base = fx.srv.base.clone();
    let tokens = console_sign_in(&base, &base).await;
    let at = s(&tokens, "access_token").to_string();
    assert!(claims_of(&tokens, "access_token")["auth_time"].is_i64());

    for (body, what) in [
        (json!({}), "is required"),
        (json!({"passphrase": "eleven char"}), "at least 12"),
        (json!({"passphrase": "x".repeat(1025)}), "at most 1024"),
    ] {
        let r = read(post_backup(&base, Some(&at), Some(&body), None).await).await;
        refused_as(&r, 422, "validation_failed");
        assert_eq!(r.json["error"]["field"], "passphrase", "{}", r.text);
        assert!(r.text.contains(what), "{}", r.text);
    }
    let no_json = read(post_backup(&base, Some(&at), None, None).await).await;
    refused_as(&no_json, 415, "unsupported_media_type");

    let body = json!({ "passphrase": PASSPHRASE });
    if engine::on_postgres() {
        // The database is not a file in the data dir: pg_dump's job, said plainly.
        let r = read(post_backup(&base, Some(&at), Some(&body), None).await).await;
        refused_as(&r, 409, "conflict");
        assert!(r.text.contains("pg_dump"), "{}", r.text);
        assert!(backups_made(&fx.srv).is_empty());
        return;
    }
    let resp = post_backup(&base, Some(&at), Some(&body), None).await;
    assert_eq!(resp.status(), 200);
    let header = |n: &str| {
        let v = resp.headers().get(n).and_then(|v| v.to_str().ok());
        v.unwrap_or_default().to_string()
    };
    assert_eq!(header("content-type"), "application/octet-stream");
    assert_eq!(header("cache-control"), "no-store");
    let disposition = header("content-disposition");
    let name = disposition
        .strip_prefix("attachment; filename=\"")
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or_else(|| panic!("Content-Disposition: {disposition}"))
        .to_string();
    let stamp = name
        .strip_prefix("tessera-backup-")
        .and_then(|r| r.strip_suffix(".tar.gz.age"))
        .unwrap_or_else(|| panic!("file name {name}"));
    assert_eq!(stamp.len(), 15, "{stamp}");
    assert!(stamp.chars().enumerate().all(|(i, c)| if i == 8 {
        c == '-'
    } else {
        c.is_ascii_digit()
    }));
    let sealed = resp.bytes().await.expect("body").to_vec();

    // age, not a readable archive: neither gzip nor the key shows through.
    assert!(sealed.starts_with(b"age-encryption.org/v1\n"));
    assert!(
        sealed.windows(7).any(|w| w == b"scrypt "),
        "a passphrase stanza"
    );
    let key = std::fs::read(fx.srv.data_dir.join("master.key")).expect("master.key");
    assert!(!sealed.windows(key.len()).any(|w| w == key.as_slice()));
    assert!(decrypt(&sealed, "not the passphrase").is_err());
    let entries = untar(&decrypt(&sealed, PASSPHRASE).expect("opens with the passphrase"));
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["tessera.db", "master.key"]);
    assert_eq!(entries[1].1, key);
    assert!(entries[0].1.starts_with(b"SQLite format 3\0"));

    // Audited without contents or passphrase; no snapshot left behind.
    let made = backups_made(&fx.srv);
    assert_eq!(made.len(), 1);
    assert_eq!(made[0]["actor"], root_id.as_str());
    let d = detail(&made[0]);
    assert_eq!(d["file"], name.as_str());
    assert_eq!(d["bytes"], sealed.len());
    assert_eq!(d["entries"], json!(["tessera.db", "master.key"]));
    assert!(!made[0]["detail"]
        .as_str()
        .unwrap_or_default()
        .contains(PASSPHRASE));
    let leftovers = listing(&fx.srv.data_dir);
    assert!(
        !leftovers.iter().any(|n| n.contains("backup")),
        "{leftovers:?}"
    );

    // settings.json goes along when present.
    let settings = b"{\"listen\":\"127.0.0.1:7470\"}";
    std::fs::write(fx.srv.data_dir.join("settings.json"), settings).expect("settings");
    let (_, sealed) = take_backup(&base, &at).await;
    let entries = untar(&decrypt(&sealed, PASSPHRASE).expect("decrypt"));
    assert_eq!(entries.len(), 3);
    assert_eq!(
        (entries[2].0.as_str(), &entries[2].1[..]),
        ("settings.json", &settings[..])
    );

    // An Idempotency-Key never keeps a backup (it holds master.key) for a replay.
    let first = post_backup(&base, Some(&at), Some(&body), Some("backup-1")).await;
    assert_eq!(first.status(), 200);
    let replay = read(post_backup(&base, Some(&at), Some(&body), Some("backup-1")).await).await;
    refused_as(&replay, 409, "idempotency_key_secret_shown");
    let stored = fx
        .srv
        .sql("SELECT state, CASE WHEN body IS NULL THEN 1 ELSE 0 END AS empty FROM idempotency_keys WHERE key = 'backup-1'");
    assert_eq!(stored, vec![json!({"state": "secret_shown", "empty": 1})]);
}

#[tokio::test]
async fn a_refresh_keeps_the_sign_in_time_so_an_old_sign_in_must_sign_in_again() {
    let (mut fx, _) = with_superadmin().await;
    let issuer = fx.srv.base.clone();
    let tokens = console_sign_in(&issuer, &issuer).await;
    let auth_time = claims_of(&tokens, "access_token")["auth_time"].clone();
    let refreshed = console_refresh(&issuer, s(&tokens, "refresh_token")).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    assert_eq!(
        claims_of(&refreshed.json, "access_token")["auth_time"],
        auth_time
    );

    // Eleven minutes pass (as far as the stopped server's records go: the sign-in is
    // moved back, the only honest way short of waiting).
    fx.srv.terminate();
    sql_write(
        &fx.srv,
        "UPDATE sso_sessions SET auth_time = auth_time - 660",
    );
    sql_write(
        &fx.srv,
        "UPDATE refresh_families SET auth_time = auth_time - 660",
    );
    let srv = Server::start_on(&fx.srv.data_dir, &["--issuer", &issuer]);

    let old = console_refresh(&srv.base, s(&refreshed.json, "refresh_token")).await;
    assert_eq!(old.status, 200, "{}", old.text);
    let old_at = s(&old.json, "access_token").to_string();
    let old_time = claims_of(&old.json, "access_token")["auth_time"].as_i64();
    assert_eq!(old_time, auth_time.as_i64().map(|t| t - 660));
    let body = json!({ "passphrase": PASSPHRASE });
    let stale = read(post_backup(&srv.base, Some(&old_at), Some(&body), None).await).await;
    refused_as(&stale, 403, "insufficient_authentication");
    assert!(stale.text.contains("sign in again"), "{}", stale.text);
    // Still a super-admin's token for everything else.
    let users = reqwest::Client::new()
        .get(srv.url("/v1/users"))
        .bearer_auth(&old_at)
        .send()
        .await
        .expect("GET /v1/users");
    assert_eq!(users.status(), 200);

    // Signing in again (the password, now) gives a token that may.
    let fresh = console_sign_in(&srv.base, &issuer).await;
    if engine::on_postgres() {
        // Past the sign-in check: the PostgreSQL refusal (pg_dump's job).
        let r = read(
            post_backup(
                &srv.base,
                Some(s(&fresh, "access_token")),
                Some(&body),
                None,
            )
            .await,
        )
        .await;
        refused_as(&r, 409, "conflict");
        return;
    }
    let (_, sealed) = take_backup(&srv.base, s(&fresh, "access_token")).await;
    assert!(sealed.starts_with(b"age-encryption.org/v1\n"));
    assert_eq!(backups_made(&srv).len(), 1);
}
