//! The `server_status` command the console calls inside the window: the same facts as
//! `GET /health`, plus the reason when the server is not running.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::commands::{check_caller, CommandError};
use super::server_slot::ServerSlot;

const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// /health is a few hundred bytes; anything far larger is not our server.
const MAX_RESPONSE_BYTES: u64 = 64 * 1024;

#[derive(Debug, Serialize)]
pub struct ServerStatus {
    pub up: bool,
    pub issuer: String,
    pub port: u16,
    pub error: Option<String>,
    pub version: Option<String>,
    /// Unix seconds.
    pub started_at: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct Health {
    status: String,
    #[serde(default)]
    issuer: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    started_at: Option<u64>,
}

/// Up means the server answered `GET /health` with `"status": "ok"` just now, not
/// merely that it once started.
#[tauri::command]
pub async fn server_status(
    webview: tauri::Webview,
    slot: tauri::State<'_, Arc<ServerSlot>>,
) -> Result<ServerStatus, CommandError> {
    check_caller("server_status", &webview, &slot)?;
    let down = |error: String| ServerStatus {
        up: false,
        issuer: slot.issuer(),
        port: slot.port(),
        error: Some(error),
        version: None,
        started_at: None,
    };
    let address = match slot.reachable_address() {
        Ok(address) => address,
        Err(error) => return Ok(down(error)),
    };
    Ok(match probe_health(address).await {
        Ok(health) if health.status == "ok" => ServerStatus {
            up: true,
            issuer: health.issuer.unwrap_or_else(|| slot.issuer()),
            port: slot.port(),
            error: None,
            version: health.version,
            started_at: health.started_at,
        },
        Ok(health) => down(format!("/health reports status {:?}", health.status)),
        Err(error) => down(format!("the server does not answer /health: {error}")),
    })
}

/// A plain HTTP/1.0 GET (no chunked bodies, the server closes the connection), so the
/// desktop build needs no HTTP client crate.
async fn probe_health(address: SocketAddr) -> Result<Health, String> {
    let exchange = async {
        let mut stream = TcpStream::connect(address).await?;
        let request =
            format!("GET /health HTTP/1.0\r\nHost: {address}\r\nAccept: application/json\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream
            .take(MAX_RESPONSE_BYTES)
            .read_to_end(&mut response)
            .await?;
        Ok::<_, std::io::Error>(response)
    };
    let response = tokio::time::timeout(PROBE_TIMEOUT, exchange)
        .await
        .map_err(|_| format!("no answer within {PROBE_TIMEOUT:?}"))?
        .map_err(|e| e.to_string())?;
    parse_health_response(&response)
}

fn parse_health_response(response: &[u8]) -> Result<Health, String> {
    let text = String::from_utf8_lossy(response);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or("malformed HTTP response")?;
    let status_line = head.lines().next().unwrap_or_default();
    let code = status_line.split_whitespace().nth(1).unwrap_or_default();
    if code != "200" {
        return Err(format!("HTTP {status_line}"));
    }
    serde_json::from_str(body).map_err(|e| format!("unexpected /health body: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_health_answer() {
        let response = b"HTTP/1.0 200 OK\r\ncontent-type: application/json\r\n\r\n\
            {\"status\":\"ok\",\"issuer\":\"http://127.0.0.1:7470\",\"listen\":\"127.0.0.1:7470\",\
            \"version\":\"0.1.0\",\"started_at\":1700000000}";
        let health = parse_health_response(response).unwrap();
        assert_eq!(health.status, "ok");
        assert_eq!(health.issuer.as_deref(), Some("http://127.0.0.1:7470"));
        assert_eq!(health.version.as_deref(), Some("0.1.0"));
        assert_eq!(health.started_at, Some(1_700_000_000));
    }

    #[test]
    fn refuses_non_200_answers() {
        let error =
            parse_health_response(b"HTTP/1.0 503 Service Unavailable\r\n\r\n{}").unwrap_err();
        assert!(error.contains("503"), "{error}");
    }

    #[test]
    fn refuses_garbage() {
        assert!(parse_health_response(b"SSH-2.0-OpenSSH").is_err());
    }
}
