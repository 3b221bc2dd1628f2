//! The built-in console client `tessera-console`: super-admins from the CLI, authorize
//! URLs with a chosen redirect URI, and the public code exchange.
use super::{pkce, random_token, tessera_command_on, AuthRequest, Fixture, Reply, Server};
use std::io::Write;
use std::process::Stdio;
use url::Url;

pub const CONSOLE_ID: &str = "tessera-console";
pub const CONSOLE_SCOPE: &str = "openid profile email admin";
pub const SUPER_EMAIL: &str = "root@example.com";
pub const SUPER_PASSWORD: &str = "root password, long enough";

impl Server {
    /// `tessera superadmin create --email E --password-stdin` -> the new user's id.
    pub fn superadmin_create(&self, email: &str, password: &str) -> String {
        let mut child = tessera_command_on(&self.data_dir)
            .args(["superadmin", "create", "--password-stdin", "--email", email])
            .arg("--data-dir")
            .arg(&self.data_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run superadmin create");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(password.as_bytes())
            .expect("write the password");
        let out = child.wait_with_output().expect("superadmin create output");
        assert!(
            out.status.success(),
            "superadmin create failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        v["id"].as_str().expect("id").to_string()
    }
}

/// `http://127.0.0.1:{port}/console/callback`.
pub fn loopback_callback(port: u16) -> String {
    format!("http://127.0.0.1:{port}/console/callback")
}

impl Fixture {
    /// Authorize URL for the console client; `overrides` replace (Some) or drop (None) params.
    pub fn console_authorize(
        &self,
        redirect_uri: &str,
        overrides: &[(&str, Option<&str>)],
    ) -> AuthRequest {
        let (verifier, challenge) = pkce();
        let (state, nonce) = (random_token(), random_token());
        let mut params: Vec<(String, String)> = [
            ("response_type", "code"),
            ("client_id", CONSOLE_ID),
            ("redirect_uri", redirect_uri),
            ("scope", CONSOLE_SCOPE),
            ("state", state.as_str()),
            ("nonce", nonce.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in overrides {
            params.retain(|(pk, _)| pk != k);
            if let Some(v) = v {
                params.push((k.to_string(), v.to_string()));
            }
        }
        let mut url = Url::parse(&self.url("/oauth/authorize")).expect("authorize url");
        url.query_pairs_mut().extend_pairs(params);
        AuthRequest {
            url: url.into(),
            state,
            nonce,
            verifier,
        }
    }

    /// The console's public code exchange.
    pub async fn console_exchange(&self, code: &str, verifier: &str, redirect_uri: &str) -> Reply {
        self.post_form(
            "/oauth/token",
            None,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("code_verifier", verifier),
                ("client_id", CONSOLE_ID),
            ],
        )
        .await
    }

    /// The console's refresh.
    pub async fn console_refresh(&self, refresh_token: &str) -> Reply {
        self.post_form(
            "/oauth/token",
            None,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("client_id", CONSOLE_ID),
            ],
        )
        .await
    }
}

/// The console's redirect URI at the issuer: with `tessera serve`, the only one it has.
pub fn issuer_callback(fx: &Fixture) -> String {
    fx.url("/console/callback")
}

impl Browser {
    /// GETs a console authorize URL in a browser holding a fresh super-admin session:
    /// expects the 303 to the confirmation page (never a code), follows it and returns the
    /// page and its form fields.
    pub async fn console_confirmation(
        &self,
        authorize_url: &str,
    ) -> (Answer, Vec<(String, String)>) {
        let first = self.get(authorize_url).await;
        assert_eq!(first.status, 303, "authorize: {first:?}");
        let to = first.location.expect("Location");
        assert_eq!(to.path(), "/login/confirm", "authorize went to {to}");
        assert!(super::param(&to, "code").is_none(), "{to}");
        let page = self.get(to.as_str()).await;
        assert_eq!(page.status, 200, "confirmation page: {page:?}");
        let inputs = super::html_inputs(&page.body);
        (page, inputs)
    }

    /// Sends the confirmation form with `action` (`continue` or `cancel`).
    pub async fn confirm_console(&self, inputs: &[(String, String)], action: &str) -> Answer {
        let mut fields = inputs.to_vec();
        fields.push(("action".into(), action.into()));
        self.post_form("/login/confirm", &fields).await
    }
}

use super::{Answer, Browser};
