//! Test harness: starts the real `tessera` binary on 127.0.0.1:0 with a temp data dir and
//! offers helpers to act as admin, web client, server client and browser over HTTP.
#![allow(dead_code)]

pub mod account;
pub mod admin_cases;
pub mod assertion;
pub mod auth_api;
pub mod backup;
pub mod browser;
pub mod consent;
pub mod console;
pub mod db;
pub mod engine;
pub mod exchange;
pub mod fixture;
pub mod jwt;
pub mod registration;
pub mod smtp;
pub mod sse;
pub mod table;
pub mod totp;

pub use browser::*;
pub use fixture::*;
pub use jwt::*;

use serde_json::Value;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_tessera");

/// A running `tessera serve`; killed with SIGTERM on drop.
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`, exactly as printed on the `listening on` line.
    pub base: String,
    pub data_dir: PathBuf,
    log: PathBuf,
    _root: tempfile::TempDir,
}

pub fn tessera_command() -> Command {
    let mut cmd = Command::new(BIN);
    for var in [
        "TESSERA_DATA_DIR",
        "TESSERA_LISTEN",
        "TESSERA_ISSUER",
        "TESSERA_DATABASE_URL",
        "TESSERA_LOG_FORMAT",
        "TESSERA_TRUSTED_PROXIES",
        "TESSERA_HASH_CONCURRENCY",
        "TESSERA_INSECURE_HTTP",
        "TESSERA_MASTER_KEY_FILE",
        "TESSERA_SMTP_URL",
        "TESSERA_SMTP_FROM",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// [`tessera_command`] for a command on `data_dir`: on PostgreSQL it also gets the data
/// dir's database (`TESSERA_DATABASE_URL`).
pub fn tessera_command_on(data_dir: &std::path::Path) -> Command {
    let mut cmd = tessera_command();
    if let Some(url) = engine::database_url(data_dir) {
        cmd.env("TESSERA_DATABASE_URL", url);
    }
    cmd
}

impl Server {
    pub fn start() -> Server {
        Self::start_with(&[])
    }

    /// `tessera serve` on 127.0.0.1:0 with `extra` arguments (e.g. `--issuer https://...`:
    /// the server still listens on plain http loopback, as behind a TLS proxy).
    pub fn start_with(extra: &[&str]) -> Server {
        let root = tempfile::tempdir().expect("tempdir");
        let data_dir = root.path().join("data");
        std::fs::create_dir_all(&data_dir).expect("create data dir");
        Server::launch(root, data_dir, extra)
    }

    /// A server on a data dir the caller owns (a restarted or restored one), with extra
    /// `serve` flags such as `--issuer` (to keep the issuer of the server before it).
    pub fn start_on(data_dir: &std::path::Path, extra: &[&str]) -> Server {
        let root = tempfile::tempdir().expect("tempdir");
        Server::launch(root, data_dir.to_path_buf(), extra)
    }

    fn launch(root: tempfile::TempDir, data_dir: PathBuf, extra: &[&str]) -> Server {
        let log = root.path().join("server.log");
        let log_file = File::create(&log).expect("create log file");
        let mut child = tessera_command_on(&data_dir)
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&data_dir)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file))
            .spawn()
            .expect("spawn tessera serve");
        let stdout = child.stdout.take().expect("child stdout");
        let (tx, rx) = mpsc::channel();
        // Keep draining stdout after the banner so the child never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line.trim().strip_prefix("listening on ") {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(url.trim().to_string());
                    }
                }
            }
        });
        let mut server = Server {
            child: Some(child),
            base: String::new(),
            data_dir,
            log,
            _root: root,
        };
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(url) => {
                assert!(url.starts_with("http://127.0.0.1:"), "banner url: {url}");
                server.base = url;
                server
            }
            Err(e) => {
                server.terminate();
                panic!(
                    "server did not print `listening on` ({e}); log:\n{}",
                    server.log()
                );
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    /// SIGTERM, then wait up to 15 s for the exit; SIGKILL as a last resort.
    pub fn terminate(&mut self) -> Option<ExitStatus> {
        let mut child = self.child.take()?;
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            match child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) => std::thread::sleep(Duration::from_millis(25)),
                Err(_) => break,
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }

    /// `tessera admin-client create --name N --data-dir D` -> (client_id, client_secret).
    pub fn admin_client_create(&self, name: &str) -> (String, String) {
        let out = tessera_command_on(&self.data_dir)
            .args(["admin-client", "create", "--name", name, "--data-dir"])
            .arg(&self.data_dir)
            .stdin(Stdio::null())
            .output()
            .expect("run admin-client create");
        assert!(
            out.status.success(),
            "admin-client create failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "admin-client create stdout is not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        (
            v["client_id"].as_str().expect("client_id").to_string(),
            v["client_secret"]
                .as_str()
                .expect("client_secret")
                .to_string(),
        )
    }

    /// Runs a read-only SQL query on the server's database: `<data-dir>/tessera.db` through
    /// python3's sqlite3 module, or its PostgreSQL database through `psql`.
    pub fn sql(&self, query: &str) -> Vec<Value> {
        if let Some(url) = engine::database_url(&self.data_dir) {
            return engine::postgres_rows(&url, query, false);
        }
        const SCRIPT: &str = "import sqlite3,json,sys\n\
            c=sqlite3.connect(sys.argv[1],timeout=10)\n\
            c.row_factory=sqlite3.Row\n\
            print(json.dumps([dict(r) for r in c.execute(sys.argv[2])],default=str))";
        let db = self.data_dir.join("tessera.db");
        let out = Command::new("python3")
            .args(["-c", SCRIPT])
            .arg(&db)
            .arg(query)
            .output()
            .expect("run python3");
        assert!(
            out.status.success(),
            "sql {query:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("python3 printed JSON")
    }

    pub fn audit_rows(&self) -> Vec<Value> {
        self.sql("SELECT * FROM audit_events ORDER BY id")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// Percent-decoded value of a query parameter.
/// Seconds since the Unix epoch (for SQL the tests write: both engines take a literal).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A random URL-safe string (for state, nonce, names).
pub fn random_token() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>())
}

/// Runs futures concurrently on the current task and returns their outputs in order.
pub async fn futures_join_all<F: std::future::Future>(
    futs: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    let handles: Vec<_> = futs.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = handles.iter().map(|_| None).collect();
    let mut handles: Vec<Option<_>> = handles.into_iter().map(Some).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, out) in handles.iter_mut().zip(outputs.iter_mut()) {
            if let Some(fut) = slot {
                match fut.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        *out = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().map(|o| o.expect("completed")).collect()
}
