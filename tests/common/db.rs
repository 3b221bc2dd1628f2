//! Writes to a running server's database (python3's sqlite3, committed; or `psql`), for
//! tests that need rows the API cannot make: old audit events, near-expired keys.
use super::{engine, Server};

pub fn sql_write(srv: &Server, statement: &str) {
    if let Some(url) = engine::database_url(&srv.data_dir) {
        engine::postgres_rows(&url, statement, true);
        return;
    }
    let script = "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1],timeout=10)\n\
                  c.execute(sys.argv[2])\nc.commit()";
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(srv.data_dir.join("tessera.db"))
        .arg(statement)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "sql {statement:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
