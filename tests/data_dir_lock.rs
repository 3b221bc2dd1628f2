//! One server per data dir: a second `tessera serve` on a data dir a running server holds
//! stops before it opens the database or binds a port, and says which process holds it;
//! once that server is gone the data dir can be served again. (The desktop app checks for a
//! running copy of itself first; this is the guarantee under it.)

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{tessera_command, Server};

#[tokio::test]
async fn a_second_server_on_the_same_data_dir_stops_and_says_who_holds_it() {
    let first = Server::start();
    let holder = std::fs::read_to_string(first.data_dir.join("tessera.lock")).expect("lock file");
    assert!(
        holder.trim().parse::<u32>().is_ok(),
        "the lock file names the running server's pid: {holder:?}"
    );

    let mut child = tessera_command()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&first.data_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run a second tessera serve");
    // It must give up by itself; one still running after 30 s is killed (and fails below).
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let second = child.wait_with_output().expect("second server output");
    assert!(
        !second.status.success(),
        "the second server must not run (it was still running after 30 s, or it exited 0)"
    );
    let stdout = String::from_utf8_lossy(&second.stdout);
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        !stdout.contains("listening on"),
        "the second server never listened: {stdout}"
    );
    assert!(
        stderr.contains("another Tessera server is using data dir")
            && stderr.contains(&format!("(process {})", holder.trim())),
        "it says the data dir is taken and by whom: {stderr}"
    );

    // The first server is untouched.
    let health = reqwest::get(first.url("/health")).await.expect("health");
    assert_eq!(health.status(), 200);

    // Gone, the first server lets go: the same data dir serves again.
    let data_dir = first.data_dir.clone();
    let mut first = first;
    first.terminate();
    let again = Server::start_on(&data_dir, &[]);
    let health = reqwest::get(again.url("/health")).await.expect("health");
    assert_eq!(health.status(), 200);
}
