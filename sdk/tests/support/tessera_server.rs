//! Starts the real `tessera serve` for tests of workspace packages other than `tessera`
//! itself (the SDK's `real_server` test, `examples/orders`' end-to-end test), which cannot
//! use `CARGO_BIN_EXE_tessera`. Include it with
//! `#[path = ".../sdk/tests/support/tessera_server.rs"] mod tessera_server;`.
//!
//! Which binary: `$TESSERA_BIN` when set; otherwise, once per test process,
//! `cargo build --no-default-features -p tessera --bin tessera` in the workspace root and
//! the executable cargo reports. That build is a no-op when `cargo test
//! --no-default-features` or `cargo build --no-default-features` (what `scripts/test.sh`
//! runs before these packages' tests) already built it, keeps the server in step with the
//! sources otherwise, and fails the test with cargo's output when it cannot build.
//!
//! Each server gets a fresh data dir under the system temp dir, listens on
//! `127.0.0.1:0` (the issuer is read from its `listening on` line) and is stopped with
//! SIGTERM (then SIGKILL) when dropped; the data dir is then removed.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The `tessera` executable to run (see the module docs).
pub fn tessera_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| match std::env::var_os("TESSERA_BIN") {
            Some(bin) => {
                let bin = PathBuf::from(bin);
                assert!(bin.is_file(), "TESSERA_BIN={} is not a file", bin.display());
                bin
            }
            None => build_tessera(),
        })
        .clone()
}

/// The directory of the workspace's root `Cargo.toml` (the one with `[workspace]`).
pub fn workspace_root() -> PathBuf {
    let start = Path::new(env!("CARGO_MANIFEST_DIR"));
    start
        .ancestors()
        .find(|dir| {
            std::fs::read_to_string(dir.join("Cargo.toml"))
                .is_ok_and(|toml| toml.lines().any(|l| l.trim() == "[workspace]"))
        })
        .unwrap_or_else(|| panic!("no workspace Cargo.toml above {}", start.display()))
        .to_path_buf()
}

fn build_tessera() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let root = workspace_root();
    let args = [
        "build",
        "--no-default-features",
        "-p",
        "tessera",
        "--bin",
        "tessera",
        "--message-format=json-render-diagnostics",
    ];
    eprintln!(
        "building the server: cargo {} (in {})",
        args.join(" "),
        root.display()
    );
    let started = Instant::now();
    let out = Command::new(&cargo)
        .args(args)
        .current_dir(&root)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", Path::new(&cargo).display()));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "building the tessera binary failed; run `cargo build --no-default-features` in {} \
         (or set TESSERA_BIN to a built binary).\n{stderr}",
        root.display()
    );
    eprintln!("cargo build finished in {:?}", started.elapsed());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|msg| {
            msg["reason"] == "compiler-artifact"
                && msg["target"]["name"] == "tessera"
                && msg["target"]["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "bin"))
        })
        .find_map(|msg| msg["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("cargo built no tessera executable?\n{stderr}"))
}

fn tessera_command() -> Command {
    let mut cmd = Command::new(tessera_binary());
    for var in [
        "TESSERA_DATA_DIR",
        "TESSERA_LISTEN",
        "TESSERA_ISSUER",
        "TESSERA_DATABASE_URL",
        "TESSERA_LOG_FORMAT",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// A running `tessera serve` with its own data dir.
pub struct TesseraServer {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`, as printed on the `listening on` line: the issuer.
    pub issuer: String,
    /// The server's data dir (for the one-shot CLI commands).
    pub data_dir: PathBuf,
    root: PathBuf,
    log: PathBuf,
}

impl TesseraServer {
    /// Starts the server and waits (up to 60 s) for its `listening on` line.
    pub fn start() -> TesseraServer {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let root = std::env::temp_dir().join(format!(
            "tessera-test-{}-{nanos}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let data_dir = root.join("data");
        std::fs::create_dir_all(&data_dir).expect("create the data dir");
        let log = root.join("server.log");
        let log_file = std::fs::File::create(&log).expect("create the log file");
        let mut child = tessera_command()
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&data_dir)
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
        let mut server = TesseraServer {
            child: Some(child),
            issuer: String::new(),
            data_dir,
            root,
            log,
        };
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(url) => {
                server.issuer = url;
                server
            }
            Err(e) => {
                server.stop();
                panic!(
                    "tessera serve did not print `listening on` ({e}); log:\n{}",
                    server.log()
                );
            }
        }
    }

    /// `tessera admin-client create --name NAME --data-dir D` → (client_id, client_secret):
    /// a confidential client allowed the `admin` scope via client_credentials.
    pub fn admin_client(&self, name: &str) -> (String, String) {
        let out = tessera_command()
            .args(["admin-client", "create", "--name", name, "--data-dir"])
            .arg(&self.data_dir)
            .stdin(Stdio::null())
            .output()
            .expect("run tessera admin-client create");
        assert!(
            out.status.success(),
            "admin-client create failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "admin-client create printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        let field = |k: &str| {
            v[k].as_str()
                .unwrap_or_else(|| panic!("no {k} in {v}"))
                .to_string()
        };
        (field("client_id"), field("client_secret"))
    }

    /// The server's log (stderr) so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, up to 15 s for the exit, then SIGKILL.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            match child.try_wait() {
                Ok(Some(_)) => return,
                Ok(None) => std::thread::sleep(Duration::from_millis(25)),
                Err(_) => break,
            }
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for TesseraServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
