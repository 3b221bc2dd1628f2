//! `POST /v1/backup`: only a super-admin who signed in to the console within 10 minutes
//! (403 `insufficient_authentication` for admin clients and older sign-ins), encrypted with
//! a passphrase in the age format; and `tessera restore`, round trip and refusals.
mod common;
use common::backup::*;
use common::console::*;
use common::db::sql_write;
use common::*;
use serde_json::{json, Value};
use std::path::Path;

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
        .sql("SELECT state, body IS NULL AS empty FROM idempotency_keys WHERE key = 'backup-1'");
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
    let (_, sealed) = take_backup(&srv.base, s(&fresh, "access_token")).await;
    assert!(sealed.starts_with(b"age-encryption.org/v1\n"));
    assert_eq!(backups_made(&srv).len(), 1);
}

fn stdout_json(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "restore failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("restore prints JSON")
}

fn refusal(out: &std::process::Output) -> String {
    assert!(!out.status.success(), "restore should refuse");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn kids(jwks: &Value) -> Vec<String> {
    let keys = jwks["keys"].as_array().cloned().unwrap_or_default();
    let mut kids: Vec<String> = keys.iter().map(|k| s(k, "kid").to_string()).collect();
    kids.sort();
    kids
}

fn file_bytes(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_default()
}

#[tokio::test]
async fn a_restored_backup_keeps_users_products_keys_and_tokens() {
    let (fx, _) = with_superadmin().await;
    let (_browser, user) = fx.user_tokens("openid profile email").await;
    let user_at = s(&user, "access_token").to_string();
    let kids_before = kids(&fx.jwks().await);
    let console = console_sign_in(&fx.srv.base, &fx.srv.base).await;
    let (name, sealed) = take_backup(&fx.srv.base, s(&console, "access_token")).await;
    let work = tempfile::tempdir().expect("tempdir");
    let file = work.path().join(&name);
    std::fs::write(&file, &sealed).expect("save the backup");

    // Into a new folder: created, and the files put in place.
    let target = work.path().join("restored");
    let done = stdout_json(&restore(&file, &target, &[], PASSPHRASE));
    let restored: Vec<&str> = done["restored"]
        .as_array()
        .expect("restored")
        .iter()
        .map(|f| s(f, "file"))
        .collect();
    assert_eq!(restored, ["tessera.db", "master.key"]);
    assert_eq!(done["replaced"], false);
    assert_eq!(listing(&target), ["master.key", "tessera.db"]);
    let key = file_bytes(&fx.srv.data_dir, "master.key");
    assert_eq!(file_bytes(&target, "master.key"), key);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(target.join("master.key")).expect("master.key");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }

    // A server on it (same issuer) is the same identity provider.
    let srv = Server::start_on(&target, &["--issuer", &fx.srv.base]);
    let http = reqwest::Client::new();
    let jwks: Value = http
        .get(srv.url("/.well-known/jwks.json"))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("jwks json");
    assert_eq!(kids(&jwks), kids_before);
    let info = http
        .get(srv.url("/oauth/userinfo"))
        .bearer_auth(&user_at)
        .send()
        .await
        .expect("userinfo");
    assert_eq!(info.status(), 200, "the old access token still works");
    let info: Value = info.json().await.expect("userinfo json");
    assert_eq!(info["sub"], fx.user_id.as_str());
    let introspected: Value = http
        .post(srv.url("/oauth/introspect"))
        .header("authorization", basic(&fx.admin_id, &fx.admin_secret))
        .form(&[("token", user_at.as_str())])
        .send()
        .await
        .expect("introspect")
        .json()
        .await
        .expect("introspect json");
    assert_eq!(introspected["active"], true, "{introspected}");
    // The admin client's secret survived too; so did the user and the product.
    let token: Value = http
        .post(srv.url("/oauth/token"))
        .header("authorization", basic(&fx.admin_id, &fx.admin_secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "admin")])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token json");
    let admin_at = s(&token, "access_token");
    let get = |path: &str| http.get(srv.url(path)).bearer_auth(admin_at).send();
    let user: Value = get(&format!("/v1/users/{}", fx.user_id))
        .await
        .expect("user")
        .json()
        .await
        .expect("user json");
    assert_eq!(user["email"], EMAIL);
    let product_id = s(&fx.product, "id");
    let product: Value = get(&format!("/v1/products/{product_id}"))
        .await
        .expect("product")
        .json()
        .await
        .expect("product json");
    assert_eq!(product["name"], "Shop");

    // Never over a running server's database, even with --force.
    let busy = refusal(&restore(&file, &target, &["--force"], PASSPHRASE));
    assert!(busy.contains("in use"), "{busy}");
    assert!(srv.sql("SELECT COUNT(*) AS n FROM users")[0]["n"].as_i64() >= Some(2));

    // Over another (stopped) server's data: only with --force; its log files go.
    let mut other = Server::start();
    let other_key = file_bytes(&other.data_dir, "master.key");
    other.terminate();
    std::fs::write(other.data_dir.join("tessera.db-wal"), b"stale log").expect("wal");
    let full = refusal(&restore(&file, &other.data_dir, &[], PASSPHRASE));
    assert!(
        full.contains("not empty") && full.contains("--force"),
        "{full}"
    );
    assert_eq!(file_bytes(&other.data_dir, "master.key"), other_key);
    let forced = stdout_json(&restore(&file, &other.data_dir, &["--force"], PASSPHRASE));
    assert_eq!(forced["replaced"], true);
    assert_eq!(file_bytes(&other.data_dir, "master.key"), key);
    assert!(!other.data_dir.join("tessera.db-wal").exists());
    let again = Server::start_on(&other.data_dir, &["--issuer", &fx.srv.base]);
    let jwks: Value = http
        .get(again.url("/.well-known/jwks.json"))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("jwks json");
    assert_eq!(kids(&jwks), kids_before);
}

#[tokio::test]
async fn restore_refuses_a_wrong_passphrase_and_bad_archives_and_writes_nothing() {
    let (fx, _) = with_superadmin().await;
    let console = console_sign_in(&fx.srv.base, &fx.srv.base).await;
    let (name, sealed) = take_backup(&fx.srv.base, s(&console, "access_token")).await;
    let work = tempfile::tempdir().expect("tempdir");
    let file = work.path().join(&name);
    std::fs::write(&file, &sealed).expect("save the backup");

    let target = work.path().join("new");
    let wrong = refusal(&restore(&file, &target, &[], "the wrong passphrase"));
    assert!(wrong.contains("wrong passphrase"), "{wrong}");
    assert!(!target.exists(), "nothing was written");
    let empty = work.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let wrong = refusal(&restore(
        &file,
        &empty,
        &["--force"],
        "the wrong passphrase",
    ));
    assert!(wrong.contains("wrong passphrase"), "{wrong}");
    assert!(listing(&empty).is_empty());

    // Not an age file (say an old plain tar.gz): refused before any passphrase.
    let plain = work.path().join("plain.tar.gz");
    std::fs::write(&plain, decrypt(&sealed, PASSPHRASE).expect("decrypt")).expect("write");
    let not_age = refusal(&restore(&plain, &target, &[], PASSPHRASE));
    assert!(
        not_age.contains("not an encrypted Tessera backup"),
        "{not_age}"
    );

    // Archives that reach out of the data dir, link, or hold strangers: refused.
    let db = untar(&decrypt(&sealed, PASSPHRASE).expect("decrypt"))[0]
        .1
        .clone();
    let key = [7u8; 32];
    let crafted: [(&str, &[Entry], &str); 4] = [
        (
            "dotdot",
            &[
                ("tessera.db", tar::EntryType::Regular, &db),
                ("../escape", tar::EntryType::Regular, b"x"),
            ],
            "..",
        ),
        (
            "absolute",
            &[("/tmp/escape", tar::EntryType::Regular, b"x")],
            "absolute",
        ),
        (
            "symlink",
            &[
                ("tessera.db", tar::EntryType::Regular, &db),
                ("master.key", tar::EntryType::Symlink, b""),
            ],
            "not a regular file",
        ),
        (
            "stranger",
            &[
                ("tessera.db", tar::EntryType::Regular, &db),
                ("master.key", tar::EntryType::Regular, &key),
                ("run.sh", tar::EntryType::Regular, b"x"),
            ],
            "unexpected",
        ),
    ];
    for (label, entries, why) in crafted {
        let path = work.path().join(format!("{label}.age"));
        std::fs::write(&path, encrypt(&raw_tar_gz(entries), PASSPHRASE)).expect("write");
        let dir = work.path().join(label);
        let refused = refusal(&restore(&path, &dir, &[], PASSPHRASE));
        assert!(refused.contains(why), "{label}: {refused}");
        assert!(!dir.exists(), "{label}: nothing written");
    }
    assert!(!work.path().join("escape").exists());
    let missing_key = work.path().join("nokey.age");
    let only_db = [("tessera.db", tar::EntryType::Regular, &db[..])];
    std::fs::write(&missing_key, encrypt(&raw_tar_gz(&only_db), PASSPHRASE)).expect("write");
    let refused = refusal(&restore(&missing_key, &target, &[], PASSPHRASE));
    assert!(refused.contains("no master.key"), "{refused}");
    assert!(!target.exists());
}

/// An archive entry: name, type, contents.
type Entry<'a> = (&'a str, tar::EntryType, &'a [u8]);

/// A tar.gz written header by header, so that names a builder would refuse survive.
fn raw_tar_gz(entries: &[Entry]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    for (name, kind, bytes) in entries {
        let mut h = tar::Header::new_gnu();
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_size(bytes.len() as u64);
        h.set_entry_type(*kind);
        h.set_mode(0o600);
        h.set_cksum();
        tar.append(&h, *bytes).expect("append");
    }
    tar.into_inner().expect("tar").finish().expect("gzip")
}
