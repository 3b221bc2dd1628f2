//! Which database engine the suite runs on: SQLite in each server's data dir (default), or
//! PostgreSQL when `TESSERA_TEST_DATABASE_URL=postgres://USER@HOST:PORT` names a cluster
//! (`scripts/pg.sh start` prints it; `scripts/test.sh` runs the suite both ways). On
//! PostgreSQL every data dir gets its own database, named after the dir, created on first
//! use, so a restarted server (same data dir) finds its data again.
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

/// The cluster's URL (no database) when the suite runs on PostgreSQL.
pub fn postgres_base() -> Option<String> {
    std::env::var("TESSERA_TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
        .map(|u| u.trim_end_matches('/').to_string())
}

pub fn on_postgres() -> bool {
    postgres_base().is_some()
}

/// The `--database-url` of the data dir's database (`None` on SQLite: the file in the dir).
pub fn database_url(data_dir: &Path) -> Option<String> {
    let base = postgres_base()?;
    let digest = Sha256::digest(data_dir.to_string_lossy().as_bytes());
    let name: String = digest[..10].iter().map(|b| format!("{b:02x}")).collect();
    let name = format!("t_{name}");
    static CREATED: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut created = CREATED.lock().unwrap_or_else(|e| e.into_inner());
    if !created.contains(&name) {
        let out = Command::new("psql")
            .arg(format!("{base}/postgres"))
            .args(["-v", "ON_ERROR_STOP=1", "-qAtc"])
            .arg(format!("CREATE DATABASE {name}"))
            .output()
            .expect("run psql");
        let exists = String::from_utf8_lossy(&out.stderr).contains("already exists");
        assert!(
            out.status.success() || exists,
            "create database {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        created.push(name.clone());
    }
    Some(format!("{base}/{name}"))
}

/// Runs `query` on the data dir's database through `psql`; each row a JSON object.
pub fn postgres_rows(url: &str, query: &str, write: bool) -> Vec<serde_json::Value> {
    let wrapped = if write {
        query.to_string()
    } else {
        format!("SELECT coalesce(json_agg(t), '[]') FROM ({query}) t")
    };
    let out = Command::new("psql")
        .arg(url)
        .args(["-v", "ON_ERROR_STOP=1", "-qAtc"])
        .arg(&wrapped)
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "sql {query:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    if write {
        return Vec::new();
    }
    serde_json::from_slice(&out.stdout).expect("psql printed JSON")
}
