//! A real SMTP server for the tests: `tests/smtp/sink.py` (aiosmtpd, installed by
//! `scripts/setup.sh`) on a loopback port, writing every message it accepts to a folder
//! this harness reads. It can be stopped and started again on the same port (an outage).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SmtpSink {
    child: Option<Child>,
    pub port: u16,
    dir: tempfile::TempDir,
}

/// One received email.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The envelope recipients.
    pub to: String,
    pub from: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Mail {
    /// The first link in the text body that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> Option<String> {
        let at = self.text.find(prefix)?;
        let rest = &self.text[at..];
        let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
        Some(rest[..end].to_string())
    }
}

impl SmtpSink {
    /// Starts the sink on a free port.
    pub fn start() -> SmtpSink {
        let dir = tempfile::tempdir().expect("tempdir");
        let (child, port) = spawn(&dir.path().to_path_buf(), 0);
        SmtpSink {
            child: Some(child),
            port,
            dir,
        }
    }

    /// `smtp://127.0.0.1:PORT` (no TLS: a loopback relay).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The `tessera serve` flags that send email through this sink.
    pub fn serve_args(&self) -> Vec<String> {
        vec![
            "--smtp-url".into(),
            self.url(),
            "--smtp-from".into(),
            "Tessera <no-reply@tessera.test>".into(),
        ]
    }

    /// Stops the server (connections are refused until [`SmtpSink::restart`]).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port and folder.
    pub fn restart(&mut self) {
        self.stop();
        let (child, _) = spawn(&self.dir.path().to_path_buf(), self.port);
        self.child = Some(child);
    }

    /// Every email received so far, oldest first.
    pub fn received(&self) -> Vec<Mail> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("read sink dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| parse(&std::fs::read(p).expect("read email")))
            .collect()
    }

    /// Waits (up to `secs`) for the `n`-th email (1-based) to `to`.
    pub async fn wait_for_nth(&self, to: &str, n: usize, secs: u64) -> Mail {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let found: Vec<Mail> = self
                .received()
                .into_iter()
                .filter(|m| m.to.contains(to))
                .collect();
            if found.len() >= n {
                return found[n - 1].clone();
            }
            assert!(
                Instant::now() < deadline,
                "no email #{n} to {to} within {secs} s; got {found:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits (up to 20 s) for the first email to `to`.
    pub async fn wait_for(&self, to: &str) -> Mail {
        self.wait_for_nth(to, 1, 20).await
    }

    /// How many emails went to `to` so far.
    pub fn count_to(&self, to: &str) -> usize {
        self.received().iter().filter(|m| m.to.contains(to)).count()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

fn spawn(dir: &PathBuf, port: u16) -> (Child, u16) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp/sink.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg(dir)
        .arg(port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the SMTP sink (python3 with aiosmtpd: scripts/setup.sh installs it)");
    let stdout = child.stdout.take().expect("sink stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the sink's ready line");
    let port = line
        .trim()
        .strip_prefix("ready ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| {
            panic!("the SMTP sink did not start: {line:?} (is aiosmtpd installed?)")
        });
    (child, port)
}

fn parse(raw: &[u8]) -> Mail {
    let msg = mail_parser::MessageParser::default()
        .parse(raw)
        .expect("parse email");
    let header = |name: &str| {
        msg.header_raw(name)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    Mail {
        to: header("X-Envelope-To"),
        from: header("From"),
        subject: msg.subject().unwrap_or_default().to_string(),
        text: msg.body_text(0).map(|t| t.to_string()).unwrap_or_default(),
        html: msg.body_html(0).map(|t| t.to_string()).unwrap_or_default(),
    }
}
