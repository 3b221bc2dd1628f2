//! Backups and restores: a super-admin's console sign-in against any server (restarted or
//! restored ones keep the first server's issuer), `POST /v1/backup`, opening the age file,
//! and `tessera restore`.
use super::console::{CONSOLE_ID, CONSOLE_SCOPE, SUPER_EMAIL, SUPER_PASSWORD};
use super::{param, pkce, random_token, tessera_command_on, Browser, Reply};
use serde_json::Value;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Output, Stdio};
use url::Url;

pub const PASSPHRASE: &str = "a long backup passphrase, typed once";

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

/// The super-admin signs in to the console with the password, now (a new browser: no
/// SSO session), through `{issuer}/console/callback`; returns the token response.
pub async fn console_sign_in(base: &str, issuer: &str) -> Value {
    let browser = Browser::new(base);
    let redirect = format!("{issuer}/console/callback");
    let (verifier, challenge) = pkce();
    let state = random_token();
    let mut url = Url::parse(&format!("{base}/oauth/authorize")).expect("authorize url");
    url.query_pairs_mut().extend_pairs([
        ("response_type", "code"),
        ("client_id", CONSOLE_ID),
        ("redirect_uri", redirect.as_str()),
        ("scope", CONSOLE_SCOPE),
        ("state", state.as_str()),
        ("nonce", random_token().as_str()),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ]);
    let back = browser
        .login(url.as_str(), SUPER_EMAIL, SUPER_PASSWORD)
        .await;
    assert!(back.as_str().starts_with(&redirect), "went to {back}");
    assert_eq!(param(&back, "state").as_deref(), Some(state.as_str()));
    let code = param(&back, "code").unwrap_or_else(|| panic!("no code in {back}"));
    let r = post_form(
        base,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect),
            ("code_verifier", &verifier),
            ("client_id", CONSOLE_ID),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "console code exchange: {}", r.text);
    r.json
}

/// The console's refresh at `base`.
pub async fn console_refresh(base: &str, refresh_token: &str) -> Reply {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", CONSOLE_ID),
    ];
    post_form(base, &form).await
}

async fn post_form(base: &str, form: &[(&str, &str)]) -> Reply {
    let resp = http()
        .post(format!("{base}/oauth/token"))
        .form(form)
        .send()
        .await
        .expect("POST /oauth/token");
    Reply::read(resp).await
}

/// `POST {base}/v1/backup` with an optional bearer token, JSON body and Idempotency-Key.
pub async fn post_backup(
    base: &str,
    token: Option<&str>,
    body: Option<&Value>,
    key: Option<&str>,
) -> reqwest::Response {
    let mut req = http().post(format!("{base}/v1/backup"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    req.send().await.expect("POST /v1/backup")
}

/// A backup taken with `token` and [`PASSPHRASE`]: (file name, age bytes).
pub async fn take_backup(base: &str, token: &str) -> (String, Vec<u8>) {
    let body = serde_json::json!({ "passphrase": PASSPHRASE });
    let resp = post_backup(base, Some(token), Some(&body), None).await;
    assert_eq!(resp.status(), 200);
    let disposition = resp
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let name = disposition
        .strip_prefix("attachment; filename=\"")
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or_else(|| panic!("Content-Disposition: {disposition}"))
        .to_string();
    (name, resp.bytes().await.expect("body").to_vec())
}

/// Opens an age file with a passphrase (as `age -d` would).
pub fn decrypt(sealed: &[u8], passphrase: &str) -> Result<Vec<u8>, age::DecryptError> {
    let decryptor = age::Decryptor::new(sealed)?;
    let identity = age::scrypt::Identity::new(passphrase.to_owned().into());
    let mut reader = decryptor.decrypt(std::iter::once(&identity as &dyn age::Identity))?;
    let mut plain = Vec::new();
    reader.read_to_end(&mut plain)?;
    Ok(plain)
}

/// Encrypts `plain` to `passphrase` (a cheap work factor: for archives a test makes).
pub fn encrypt(plain: &[u8], passphrase: &str) -> Vec<u8> {
    let mut recipient = age::scrypt::Recipient::new(passphrase.to_owned().into());
    recipient.set_work_factor(10);
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .expect("encryptor");
    let mut out = Vec::new();
    let mut writer = encryptor.wrap_output(&mut out).expect("age header");
    writer.write_all(plain).expect("encrypt");
    writer.finish().expect("finish");
    out
}

/// (name, bytes) of every entry of a .tar.gz.
pub fn untar(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    archive
        .entries()
        .expect("tar entries")
        .map(|e| {
            let mut e = e.expect("tar entry");
            let name = e.path().expect("path").to_string_lossy().into_owned();
            let mut data = Vec::new();
            e.read_to_end(&mut data).expect("read entry");
            (name, data)
        })
        .collect()
}

/// `tessera restore FILE --data-dir DIR --passphrase-stdin [flags]`, `passphrase` on stdin.
pub fn restore(file: &Path, data_dir: &Path, flags: &[&str], passphrase: &str) -> Output {
    let mut child = tessera_command_on(data_dir)
        .arg("restore")
        .arg(file)
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--passphrase-stdin")
        .args(flags)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tessera restore");
    let mut stdin = child.stdin.take().expect("stdin");
    // A refusal may come before the passphrase is read: a closed pipe is fine then.
    let _ = stdin.write_all(format!("{passphrase}\n").as_bytes());
    drop(stdin);
    child.wait_with_output().expect("restore output")
}

/// Names in a folder (empty when it does not exist).
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
