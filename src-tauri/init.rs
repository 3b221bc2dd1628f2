//! `tessera init`: registers a development client with an issuer's `/oauth/register`
//! (RFC 7591, behind an initial access token) and writes what an app needs to an env
//! file. Idempotent: a file that already holds `TESSERA_CLIENT_ID` is left alone and no
//! request is made.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What `tessera init` was asked to do.
pub struct InitArgs {
    pub issuer: String,
    pub registration_token: String,
    pub redirect_uri: String,
    pub name: Option<String>,
    pub env_file: PathBuf,
}

/// How long one request to the issuer may take.
const TIMEOUT: Duration = Duration::from_secs(15);
const CLIENT_ID_KEY: &str = "TESSERA_CLIENT_ID";
const DEFAULT_NAME: &str = "Development client";

/// Runs `tessera init`; `Ok` is what to print.
pub async fn run(args: &InitArgs) -> Result<String, String> {
    let existing = read_env_file(&args.env_file)?;
    if let Some(id) = value_of(&existing, CLIENT_ID_KEY) {
        return Ok(format!(
            "{} already holds {CLIENT_ID_KEY}={id}: nothing to do",
            args.env_file.display()
        ));
    }
    let issuer = check_url("--issuer", &args.issuer)?;
    let issuer = issuer.as_str().trim_end_matches('/').to_string();
    check_url("--redirect-uri", &args.redirect_uri)?;
    let http = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
    let endpoint = registration_endpoint(&http, &issuer).await?;
    let client = register(&http, &endpoint, args).await?;
    let mut values = vec![
        ("TESSERA_ISSUER", issuer.clone()),
        (CLIENT_ID_KEY, client.client_id.clone()),
    ];
    if let Some(secret) = &client.client_secret {
        values.push(("TESSERA_CLIENT_SECRET", secret.clone()));
    }
    values.push((
        "TESSERA_REGISTRATION_ACCESS_TOKEN",
        client.registration_access_token.clone(),
    ));
    write_env_file(&args.env_file, &existing, &values)?;
    Ok(format!(
        "registered client {} at {issuer}; wrote {} to {}",
        client.client_id,
        values
            .iter()
            .map(|(k, _)| *k)
            .collect::<Vec<_>>()
            .join(", "),
        args.env_file.display()
    ))
}

/// An absolute http(s) URL, or a clear refusal naming the flag.
fn check_url(flag: &str, raw: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(raw).map_err(|e| format!("{flag} {raw:?} is not a URL: {e}"))?;
    if flag == "--issuer" && !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{flag} {raw:?} must be an http(s) URL"));
    }
    Ok(url)
}

/// The issuer's `registration_endpoint` from its RFC 8414 metadata.
async fn registration_endpoint(http: &reqwest::Client, issuer: &str) -> Result<String, String> {
    let url = format!("{issuer}/.well-known/oauth-authorization-server");
    let unreachable = |e: reqwest::Error| format!("cannot reach the issuer at {issuer}: {e}");
    let resp = http.get(&url).send().await.map_err(unreachable)?;
    if !resp.status().is_success() {
        return Err(format!(
            "{url} answered {}: is {issuer} a Tessera issuer?",
            resp.status()
        ));
    }
    let body = resp.bytes().await.map_err(unreachable)?;
    let doc: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|_| format!("{url} did not answer JSON: is {issuer} a Tessera issuer?"))?;
    if doc["issuer"].as_str() != Some(issuer) {
        return Err(format!(
            "{url} names the issuer {}, not {issuer}: give --issuer exactly as the server's",
            doc["issuer"]
        ));
    }
    doc["registration_endpoint"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{issuer} offers no dynamic client registration"))
}

/// What a successful registration answered.
struct Registered {
    client_id: String,
    client_secret: Option<String>,
    registration_access_token: String,
}

/// Registers a public client (PKCE, `none`): a native app when the redirect URI is a
/// private-use scheme.
async fn register(
    http: &reqwest::Client,
    endpoint: &str,
    args: &InitArgs,
) -> Result<Registered, String> {
    let native =
        !args.redirect_uri.starts_with("http://") && !args.redirect_uri.starts_with("https://");
    let body = serde_json::json!({
        "redirect_uris": [args.redirect_uri],
        "client_name": args.name.as_deref().unwrap_or(DEFAULT_NAME),
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "application_type": if native { "native" } else { "web" },
        "software_id": "tessera-init",
    });
    let resp = http
        .post(endpoint)
        .bearer_auth(&args.registration_token)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| format!("cannot reach the registration endpoint {endpoint}: {e}"))?;
    let status = resp.status();
    let bytes = resp.bytes().await.unwrap_or_default();
    let answer: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    if status != reqwest::StatusCode::CREATED {
        return Err(format!(
            "the issuer refused the registration ({status}): {} {}",
            answer["error"].as_str().unwrap_or("error"),
            answer["error_description"].as_str().unwrap_or_default()
        ));
    }
    let text = |k: &str| answer[k].as_str().map(str::to_string);
    Ok(Registered {
        client_id: text("client_id").ok_or("the registration answer has no client_id")?,
        client_secret: text("client_secret"),
        registration_access_token: text("registration_access_token")
            .ok_or("the registration answer has no registration_access_token")?,
    })
}

/// The env file's lines; none when it does not exist yet.
fn read_env_file(path: &Path) -> Result<Vec<String>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text.lines().map(str::to_string).collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// The value of `key` in env-file lines (`KEY=value`, `export KEY=value`), when not empty.
fn value_of<'a>(lines: &'a [String], key: &str) -> Option<&'a str> {
    lines.iter().find_map(|line| {
        let line = line.trim_start();
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let (k, v) = line.split_once('=')?;
        let v = v.trim().trim_matches(['"', '\'']);
        (k.trim() == key && !v.is_empty()).then_some(v)
    })
}

/// Writes `values` into the env file: other lines kept, earlier lines of these keys
/// replaced. Through a temporary file (mode 0600) renamed into place.
fn write_env_file(
    path: &Path,
    existing: &[String],
    values: &[(&str, String)],
) -> Result<(), String> {
    let ours = |line: &str| {
        let line = line.trim_start();
        let line = line.strip_prefix("export ").unwrap_or(line);
        values
            .iter()
            .any(|(k, _)| line.split_once('=').is_some_and(|(lk, _)| lk.trim() == *k))
    };
    let mut text: String = existing
        .iter()
        .filter(|l| !ours(l))
        .map(|l| format!("{l}\n"))
        .collect();
    for (k, v) in values {
        text.push_str(&format!("{k}={v}\n"));
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("env");
    let tmp = path.with_file_name(format!(".{name}.tessera-init.tmp"));
    let failed = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let mut file = private_file(&tmp).map_err(failed)?;
    file.write_all(text.as_bytes()).map_err(failed)?;
    file.sync_all().map_err(failed)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        failed(e)
    })
}

/// A new file only its owner may read (it holds credentials).
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_lines_are_read_and_replaced() {
        let lines: Vec<String> = ["# app", "export TESSERA_CLIENT_ID=\"abc\"", "PORT=3000"]
            .map(String::from)
            .to_vec();
        assert_eq!(value_of(&lines, CLIENT_ID_KEY), Some("abc"));
        assert_eq!(value_of(&lines, "TESSERA_ISSUER"), None);
        let empty = vec!["TESSERA_CLIENT_ID=".to_string()];
        assert_eq!(value_of(&empty, CLIENT_ID_KEY), None);

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env.local");
        let existing = vec!["PORT=3000".to_string(), "TESSERA_ISSUER=old".to_string()];
        let values = [("TESSERA_ISSUER", "https://id.example".to_string())];
        write_env_file(&path, &existing, &values).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "PORT=3000\nTESSERA_ISSUER=https://id.example\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn urls_are_checked_before_any_request() {
        assert!(check_url("--issuer", "not a url").is_err());
        assert!(check_url("--issuer", "ftp://id.example").is_err());
        assert!(check_url("--redirect-uri", "com.example.app:/cb").is_ok());
    }
}
