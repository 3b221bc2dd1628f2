//! The example apps (`examples/mcp`, `examples/orders`) as real processes, and node scripts
//! of `tests/interop/*` with their npm dependencies, for tests of the root package.
//! Include it with `#[path = "common/example_apps.rs"] mod example_apps;`.
//!
//! Binaries: `$TESSERA_EXAMPLE_MCP_BIN` / `$TESSERA_EXAMPLE_ORDERS_BIN` when set; otherwise
//! one `cargo build -p tessera-example-mcp -p tessera-example-orders --bins` per test
//! process (a no-op when they are up to date) and the executables cargo reports.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, OnceLock};
use std::time::Duration;

use serde_json::Value;

/// The built example executables.
pub struct ExampleBinaries {
    pub mcp: PathBuf,
    pub orders: PathBuf,
}

/// The example executables (see the module docs); panics with cargo's output when the
/// build fails.
pub fn example_binaries() -> &'static ExampleBinaries {
    static BINS: OnceLock<ExampleBinaries> = OnceLock::new();
    BINS.get_or_init(|| {
        let given = |var: &str| std::env::var_os(var).map(PathBuf::from);
        match (
            given("TESSERA_EXAMPLE_MCP_BIN"),
            given("TESSERA_EXAMPLE_ORDERS_BIN"),
        ) {
            (Some(mcp), Some(orders)) => ExampleBinaries { mcp, orders },
            _ => build_examples(),
        }
    })
}

fn build_examples() -> ExampleBinaries {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "build",
            "--bins",
            "--message-format=json-render-diagnostics",
        ])
        .args(["-p", "tessera-example-mcp", "-p", "tessera-example-orders"])
        .stdin(Stdio::null())
        .output()
        .expect("run cargo build for the examples");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "building the examples failed:\n{log}");
    let executable = |name: &str| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == name)
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .unwrap_or_else(|| panic!("cargo built no {name} executable:\n{log}"))
    };
    ExampleBinaries {
        mcp: executable("tessera-example-mcp"),
        orders: executable("tessera-example-orders"),
    }
}

/// A running example app; SIGTERM (then SIGKILL) when dropped.
pub struct RunningApp {
    child: Child,
    /// `http://ADDR` from its `listening on` line.
    pub base: String,
    log: PathBuf,
}

impl RunningApp {
    /// Starts `binary` with exactly `env` (plus PATH) and waits up to 30 s for its
    /// `listening on http://ADDR` line; `log` receives its stderr.
    pub fn start(binary: &Path, env: &[(&str, &str)], log: PathBuf) -> RunningApp {
        let mut child = Command::new(binary)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("listening on ") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let mut app = RunningApp {
            child,
            base: String::new(),
            log,
        };
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(base) => app.base = base,
            Err(_) => panic!("{} did not start:\n{}", binary.display(), app.log()),
        }
        app
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for RunningApp {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        for _ in 0..200 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `node` >= 20 on PATH and `dir`'s npm dependencies installed (`npm ci` when `probe`, a
/// file under `dir/node_modules`, is missing). Panics with the reason otherwise: these
/// tests fail without node, they do not skip.
pub fn node_ready(dir: &Path, probe: &str) {
    let version = Command::new("node").arg("--version").output().map_or_else(
        |e| panic!("node (>= 20) is required for this interop test: {e}"),
        |out| String::from_utf8_lossy(&out.stdout).trim().to_string(),
    );
    let major = version.trim_start_matches('v').split('.').next();
    assert!(
        major.and_then(|m| m.parse::<u32>().ok()).unwrap_or(0) >= 20,
        "node >= 20 is required for this interop test, found {version:?}"
    );
    if dir.join("node_modules").join(probe).is_file() {
        return;
    }
    let out = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("npm is required for this interop test: {e}"));
    assert!(
        out.status.success(),
        "npm ci in {} failed:\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `node script` with `env`, at most `limit`; its stdout's last line as JSON (the
/// scripts print one JSON object), and whether it exited 0.
pub fn run_node(script: &Path, env: &[(&str, &str)], limit: Duration) -> (bool, Value) {
    let child = Command::new("node")
        .arg(script)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start node");
    let pid = child.id().to_string();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let Ok(out) = rx.recv_timeout(limit) else {
        let _ = Command::new("kill").args(["-KILL", &pid]).status();
        panic!("{} gave no answer within {limit:?}", script.display());
    };
    let out = out.expect("node output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or("");
    let json = serde_json::from_str(last).unwrap_or_else(|e| {
        panic!(
            "{}: stdout is not JSON ({e}):\n{stdout}\nstderr:\n{}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.success(), json)
}
