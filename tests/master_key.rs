//! One key-encryption key for a cluster: `serve --master-key-file PATH` (and
//! `TESSERA_MASTER_KEY_FILE`) reads the key from PATH, never creates it and leaves no
//! master.key in the data dir; a node whose key cannot open the stored signing keys exits
//! non-zero and says why; bad key files are refused; `master-key create` makes one; a
//! backup carries the key in use, and `restore --master-key-file` checks it.
mod common;
use common::backup::*;
use common::console::*;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

/// `tessera master-key create PATH`.
fn master_key_create(path: &Path) -> Output {
    tessera_command()
        .args(["master-key", "create"])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .expect("run master-key create")
}

/// A new key file in `dir`, made by `master-key create`.
fn new_key(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let out = master_key_create(&path);
    assert!(
        out.status.success(),
        "master-key create: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

/// `tessera serve` that must refuse to start: (stdout, stderr). One still running after
/// 30 s is killed, and the test fails.
fn refused_start(data_dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> (String, String) {
    let mut cmd = tessera_command_on(data_dir);
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .args(args);
    for (name, value) in env {
        cmd.env(name, value);
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tessera serve");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let out = child.wait_with_output().expect("serve output");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "serve must exit non-zero (or it was still running after 30 s): {stderr}"
    );
    assert!(
        !stdout.contains("listening on"),
        "it never listened: {stdout}"
    );
    (stdout, stderr)
}

fn key_flag(path: &Path) -> [&str; 2] {
    ["--master-key-file", path.to_str().expect("utf-8 path")]
}

/// The key set a server publishes.
async fn jwks_of(srv: &Server) -> serde_json::Value {
    let resp = reqwest::get(srv.url("/.well-known/jwks.json")).await;
    resp.expect("jwks").json().await.expect("jwks json")
}

/// The kid of a compact JWS.
fn kid_of(token: &str) -> String {
    decode_jwt(token).0["kid"]
        .as_str()
        .expect("kid")
        .to_string()
}

#[test]
fn master_key_create_writes_a_private_32_byte_key_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = new_key(dir.path(), "cluster.key");
    let key = std::fs::read(&path).expect("key file");
    assert_eq!(key.len(), 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "mode {mode:o}");
    }
    let other = new_key(dir.path(), "other.key");
    assert_ne!(
        std::fs::read(&other).unwrap(),
        key,
        "a random key each time"
    );

    let again = master_key_create(&path);
    assert!(!again.status.success(), "an existing key is never replaced");
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("already exists"), "{stderr}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        key,
        "the old key is untouched"
    );
}

#[tokio::test]
async fn a_node_whose_key_cannot_open_the_signing_keys_refuses_to_start() {
    let root = tempfile::tempdir().expect("tempdir");
    let (a, b) = (new_key(root.path(), "a.key"), new_key(root.path(), "b.key"));
    let data = root.path().join("data");

    let mut fx = Fixture::on(Server::start_on(&data, &key_flag(&a))).await;
    let token = fx.server_token().await;
    let kid = kid_of(&token);
    assert!(
        !data.join("master.key").exists(),
        "with --master-key-file no master.key is made in the data dir"
    );
    fx.srv.terminate();

    // Another key, by flag or by env var: exit non-zero, naming the key, the kid and the fix.
    let (_, stderr) = refused_start(&data, &key_flag(&b), &[]);
    for part in [
        format!("the key-encryption key ({})", b.display()),
        format!("cannot open the stored signing keys (kid {kid})"),
        "every node must use the same master key".into(),
        "copy master.key from the first node or pass --master-key-file".into(),
    ] {
        assert!(stderr.contains(&part), "{part:?} in: {stderr}");
    }
    let (_, stderr) = refused_start(&data, &[], &[("TESSERA_MASTER_KEY_FILE", &b)]);
    assert!(
        stderr.contains(&format!("({}) cannot open", b.display())),
        "{stderr}"
    );
    let signing_keys = fx.srv.sql("SELECT kid FROM signing_keys");
    assert_eq!(signing_keys.len(), 1, "no key was added: {signing_keys:?}");

    // The right key again: the same signing key, and the earlier token still verifies.
    let srv = Server::start_on(&data, &key_flag(&a));
    let jwks = jwks_of(&srv).await;
    verify_rs256(&token, &jwks).expect("the token verifies with the same key");
    drop(srv);

    // A node started without the flag makes its own master.key, which opens nothing.
    let (_, stderr) = refused_start(&data, &[], &[]);
    let own = data.join("master.key");
    assert!(
        stderr.contains(&format!("({}) cannot open", own.display())),
        "{stderr}"
    );
}

#[test]
fn bad_key_files_are_refused_and_never_created() {
    let root = tempfile::tempdir().expect("tempdir");
    let data = root.path().join("data");
    let missing = root.path().join("missing.key");
    let (_, stderr) = refused_start(&data, &key_flag(&missing), &[]);
    assert!(
        stderr.contains("does not exist") && stderr.contains("tessera master-key create"),
        "{stderr}"
    );
    assert!(!missing.exists(), "serve never creates the key file");

    let short = root.path().join("short.key");
    std::fs::write(&short, [7u8; 31]).unwrap();
    let (_, stderr) = refused_start(&data, &key_flag(&short), &[]);
    assert!(
        stderr.contains("exactly 32 random bytes") && stderr.contains("holds 31 bytes"),
        "{stderr}"
    );
    let text = root.path().join("base64.key");
    std::fs::write(&text, "8J+Yg8KgY29weSBtZSBub3QgYXMgdGV4dCwgcGxlYXNl\n").unwrap();
    let (_, stderr) = refused_start(&data, &key_flag(&text), &[]);
    assert!(
        stderr.contains("not hex or base64 text") && stderr.contains("holds 45 bytes"),
        "{stderr}"
    );
    let (_, stderr) = refused_start(&data, &key_flag(root.path()), &[]);
    assert!(stderr.contains("not a regular file"), "{stderr}");

    assert!(
        !data.join("master.key").exists(),
        "no master.key when the flag is given, even when start fails"
    );
}

#[tokio::test]
async fn a_data_dir_key_can_move_to_a_key_file() {
    let root = tempfile::tempdir().expect("tempdir");
    let data = root.path().join("data");
    let mut fx = Fixture::on(Server::start_on(&data, &[])).await;
    let token = fx.server_token().await;
    fx.srv.terminate();

    // Moved out of the data dir, readable by the group: it works, with a warning.
    let key = root.path().join("moved.key");
    std::fs::rename(data.join("master.key"), &key).expect("move master.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    let srv = Server::start_on(&data, &key_flag(&key));
    let jwks = jwks_of(&srv).await;
    verify_rs256(&token, &jwks).expect("the same signing key");
    assert!(!data.join("master.key").exists());
    #[cfg(unix)]
    assert!(
        srv.log().contains("readable or writable by others"),
        "a shared key file is warned about: {}",
        srv.log()
    );
}

#[tokio::test]
async fn a_backup_carries_the_key_file_and_restore_checks_it() {
    if common::engine::on_postgres() {
        return; // the console's backup and `tessera restore` are for SQLite (tests/backup.rs)
    }
    let root = tempfile::tempdir().expect("tempdir");
    let (a, b) = (new_key(root.path(), "a.key"), new_key(root.path(), "b.key"));
    let data = root.path().join("data");
    let fx = Fixture::on(Server::start_on(&data, &key_flag(&a))).await;
    fx.srv.superadmin_create(SUPER_EMAIL, SUPER_PASSWORD);
    let kid = kid_of(&fx.server_token().await);
    let console = console_sign_in(&fx.srv.base, &fx.srv.base).await;
    let (name, sealed) = take_backup(&fx.srv.base, s(&console, "access_token")).await;
    let entries = untar(&decrypt(&sealed, PASSPHRASE).expect("decrypt"));
    let key_entry = entries.iter().find(|(n, _)| n == "master.key");
    assert_eq!(
        key_entry.map(|(_, bytes)| bytes.clone()),
        Some(std::fs::read(&a).unwrap()),
        "the backup holds the key in use"
    );
    let file = root.path().join(&name);
    std::fs::write(&file, &sealed).expect("save the backup");

    // Another key file: refused, nothing written.
    let wrong = root.path().join("wrong");
    let out = restore(&file, &wrong, &key_flag(&b), PASSPHRASE);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("another key-encryption key") && stderr.contains("nothing was restored"),
        "{stderr}"
    );
    assert!(listing(&wrong).is_empty(), "{:?}", listing(&wrong));

    // The same key file: restored without a master.key, and it serves with the flag.
    let same = root.path().join("same");
    let out = restore(&file, &same, &key_flag(&a), PASSPHRASE);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let done: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(
        done["notes"].to_string().contains("was not written"),
        "{done}"
    );
    assert!(!same.join("master.key").exists(), "{:?}", listing(&same));
    let srv = Server::start_on(&same, &key_flag(&a));
    let jwks = jwks_of(&srv).await;
    assert_eq!(jwks["keys"][0]["kid"], kid.as_str());

    // No flag: the backup's key lands in the data dir as master.key.
    let plain = root.path().join("plain");
    let out = restore(&file, &plain, &[], PASSPHRASE);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(plain.join("master.key")).unwrap(),
        std::fs::read(&a).unwrap()
    );
}
