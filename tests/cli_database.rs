//! The one-shot CLI commands take `--database-url` / `TESSERA_DATABASE_URL` like `serve`
//! (a cluster's database is not in any data dir): they write where the URL points, and
//! make no data dir of their own.
mod common;
use common::*;
use std::io::Write;
use std::process::Stdio;

#[tokio::test]
async fn cli_commands_use_the_database_url() {
    let srv = Server::start();
    let url = common::engine::database_url(&srv.data_dir)
        .unwrap_or_else(|| format!("sqlite:{}", srv.data_dir.join("tessera.db").display()));
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let unused = elsewhere.path().join("never-made");

    let mut child = tessera_command()
        .args(["superadmin", "create", "--password-stdin"])
        .args(["--email", "url@example.com", "--database-url", &url])
        .arg("--data-dir")
        .arg(&unused)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run superadmin create");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(b"a long password, typed\n")
        .expect("password");
    drop(stdin);
    let out = child.wait_with_output().expect("output");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = srv.sql("SELECT email, is_superadmin FROM users WHERE email = 'url@example.com'");
    assert_eq!(rows.len(), 1, "written to the URL's database: {rows:?}");

    // The env var too, for the admin-client commands.
    let out = tessera_command()
        .args(["admin-client", "list", "--data-dir"])
        .arg(&unused)
        .env("TESSERA_DATABASE_URL", &url)
        .output()
        .expect("run admin-client list");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!unused.exists(), "no data dir is made when a URL is given");
}
