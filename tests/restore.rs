//! `tessera restore`: a backup taken from a running server comes back as the same
//! identity provider (users, products, signing keys, issued tokens); refusals (wrong
//! passphrase, non-empty data dir without --force, a running server's database, archives
//! with links, paths out of the folder or strangers) write nothing.
mod common;
use common::backup::*;
use common::console::*;
use common::*;
use serde_json::Value;
use std::path::Path;

/// A fixture with a super-admin.
async fn with_superadmin() -> Fixture {
    let fx = Fixture::new().await;
    fx.srv.superadmin_create(SUPER_EMAIL, SUPER_PASSWORD);
    fx
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
    if common::engine::on_postgres() {
        return; // a backup of a PostgreSQL database is pg_dump's (tests/backup.rs)
    }
    let fx = with_superadmin().await;
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
    if common::engine::on_postgres() {
        return; // a backup of a PostgreSQL database is pg_dump's (tests/backup.rs)
    }
    let fx = with_superadmin().await;
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
