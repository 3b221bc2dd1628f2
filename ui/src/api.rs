//! How the console learns the server's state: `GET /health` (same origin) in a browser,
//! the `server_status` Tauri command inside the desktop window, so the window can show
//! why the server did not start.

use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// What the status page shows, whichever way it was learned.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServerStatus {
    pub up: bool,
    pub issuer: Option<String>,
    pub port: Option<u16>,
    pub version: Option<String>,
    /// Unix seconds.
    pub started_at: Option<u64>,
    pub error: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host {
    /// Served by the Tessera server at `/console/`.
    Browser,
    /// Bundled in the Tauri window (`window.__TAURI__` is present).
    Desktop,
}

pub fn host() -> Host {
    if tauri_invoke().is_some() {
        Host::Desktop
    } else {
        Host::Browser
    }
}

pub async fn fetch_status() -> ServerStatus {
    let result = match host() {
        Host::Desktop => desktop_status().await,
        Host::Browser => browser_status().await,
    };
    result.unwrap_or_else(|error| ServerStatus {
        up: false,
        error: Some(error),
        ..ServerStatus::default()
    })
}

/// The body of `GET /health`.
#[derive(Deserialize)]
struct Health {
    status: String,
    issuer: String,
    listen: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    started_at: Option<u64>,
}

/// The answer of the desktop shell's `server_status` command.
#[derive(Deserialize)]
struct DesktopStatus {
    up: bool,
    #[serde(default)]
    issuer: Option<String>,
    #[serde(default)]
    port: Option<u16>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    started_at: Option<u64>,
}

async fn browser_status() -> Result<ServerStatus, String> {
    let window = web_sys::window().ok_or("no browser window")?;
    let init = web_sys::RequestInit::new();
    init.set_cache(web_sys::RequestCache::NoStore);
    let response = JsFuture::from(window.fetch_with_str_and_init("/health", &init))
        .await
        .map_err(|e| format!("cannot reach the server: {}", js_error_text(&e)))?;
    let response: web_sys::Response = response.dyn_into().map_err(|e| js_error_text(&e))?;
    if !response.ok() {
        return Err(format!("/health answered HTTP {}", response.status()));
    }
    let text = JsFuture::from(response.text().map_err(|e| js_error_text(&e))?)
        .await
        .map_err(|e| js_error_text(&e))?
        .as_string()
        .unwrap_or_default();
    let health: Health =
        serde_json::from_str(&text).map_err(|e| format!("unexpected /health answer: {e}"))?;
    Ok(ServerStatus {
        up: health.status == "ok",
        port: port_of(&health.listen),
        issuer: Some(health.issuer),
        version: health.version,
        started_at: health.started_at,
        error: None,
    })
}

async fn desktop_status() -> Result<ServerStatus, String> {
    let (core, invoke) = tauri_invoke().ok_or("the desktop bridge is missing")?;
    let promise = invoke
        .call1(&core, &JsValue::from_str("server_status"))
        .map_err(|e| js_error_text(&e))?;
    let value = JsFuture::from(js_sys::Promise::from(promise))
        .await
        .map_err(|e| format!("server_status failed: {}", js_error_text(&e)))?;
    let json = js_sys::JSON::stringify(&value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or("server_status returned nothing")?;
    let status: DesktopStatus =
        serde_json::from_str(&json).map_err(|e| format!("unexpected server_status: {e}"))?;
    Ok(ServerStatus {
        up: status.up,
        issuer: status.issuer,
        port: status.port,
        version: status.version,
        started_at: status.started_at,
        error: status.error,
    })
}

/// `window.__TAURI__.core` and its `invoke`, present only in the Tauri window
/// (`app.withGlobalTauri` in tauri.conf.json).
fn tauri_invoke() -> Option<(JsValue, js_sys::Function)> {
    let window: JsValue = web_sys::window()?.into();
    let tauri = js_sys::Reflect::get(&window, &JsValue::from_str("__TAURI__")).ok()?;
    if tauri.is_undefined() || tauri.is_null() {
        return None;
    }
    let core = js_sys::Reflect::get(&tauri, &JsValue::from_str("core")).ok()?;
    let invoke = js_sys::Reflect::get(&core, &JsValue::from_str("invoke"))
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    Some((core, invoke))
}

fn port_of(listen: &str) -> Option<u16> {
    listen.rsplit_once(':')?.1.parse().ok()
}

fn js_error_text(value: &JsValue) -> String {
    if let Some(error) = value.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    if let Some(text) = value.as_string() {
        return text;
    }
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| "unknown error".to_owned())
}
