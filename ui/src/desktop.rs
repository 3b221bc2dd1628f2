//! The desktop window's bridge: `window.__TAURI__.core.invoke` and the commands of
//! the shell (see the console contract). Present only inside the Tauri window
//! (`app.withGlobalTauri`); every helper fails cleanly in a browser.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::api::js_error_text;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host {
    /// A browser, served by the Tessera server at `/console/`.
    Browser,
    /// The desktop window (`window.__TAURI__` is present).
    Desktop,
}

impl Host {
    pub fn label(self) -> &'static str {
        match self {
            Host::Desktop => "Desktop",
            Host::Browser => "Browser",
        }
    }
}

pub fn host() -> Host {
    if tauri_invoke().is_some() {
        Host::Desktop
    } else {
        Host::Browser
    }
}

/// The page is the copy of ui/dist bundled in the app (tauri://localhost on Linux/macOS,
/// http://tauri.localhost on Windows), not the server's `/console/`.
pub fn is_bundled_page() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let location = window.location();
    let protocol = location.protocol().unwrap_or_default();
    let host = location.hostname().unwrap_or_default();
    protocol == "tauri:" || host == "tauri.localhost"
}

/// The answer of `console_context`, `complete_setup` and `apply_server_settings`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct ConsoleContext {
    /// "setup", "ready" or "error".
    pub stage: String,
    #[serde(default)]
    pub console_url: Option<String>,
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub listen: Option<String>,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct SavedBackup {
    pub path: String,
    pub bytes: u64,
}

pub async fn console_context() -> Result<ConsoleContext, String> {
    invoke("console_context", &serde_json::json!({})).await
}

#[derive(Clone, Serialize)]
pub struct SetupArgs {
    pub email: String,
    pub password: String,
    pub name: String,
    pub issuer: String,
    pub port: u16,
    /// The person accepted an http:// issuer on the network (see `InsecureHttpWarning`).
    #[serde(rename = "insecureHttp")]
    pub insecure_http: bool,
}

pub async fn complete_setup(args: &SetupArgs) -> Result<ConsoleContext, String> {
    invoke("complete_setup", args).await
}

pub async fn apply_server_settings(
    access_token: &str,
    listen_address: &str,
    port: u16,
    issuer: &str,
    allow_insecure_http: bool,
) -> Result<ConsoleContext, String> {
    invoke(
        "apply_server_settings",
        &serde_json::json!({
            "accessToken": access_token,
            "listenAddress": listen_address,
            "port": port,
            "issuer": issuer,
            // The person ticked "use this http:// address anyway" (see the settings page).
            "insecureHttp": allow_insecure_http,
        }),
    )
    .await
}

/// Writes an age-encrypted backup (`passphrase`, 12 to 1024 characters) to `path`.
pub async fn save_backup(
    access_token: &str,
    path: &str,
    passphrase: &str,
) -> Result<SavedBackup, String> {
    invoke(
        "save_backup",
        &serde_json::json!({
            "accessToken": access_token,
            "path": path,
            "passphrase": passphrase,
        }),
    )
    .await
}

/// The answer of `autostart_status` and `set_autostart`.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
pub struct Autostart {
    /// The app starts when the user logs in to this computer.
    pub enabled: bool,
}

pub async fn autostart_status() -> Result<Autostart, String> {
    invoke("autostart_status", &serde_json::json!({})).await
}

/// Turns "start Tessera when I log in" on or off (a super-admin's token, as for the
/// other settings of this computer).
pub async fn set_autostart(access_token: &str, enabled: bool) -> Result<Autostart, String> {
    invoke(
        "set_autostart",
        &serde_json::json!({ "accessToken": access_token, "enabled": enabled }),
    )
    .await
}

/// Calls a Tauri command with JSON arguments and reads its JSON answer; a rejection
/// (`{"message": "..."}`) becomes its message.
pub async fn invoke<A: Serialize, T: DeserializeOwned>(
    command: &str,
    args: &A,
) -> Result<T, String> {
    let (core, invoke) =
        tauri_invoke().ok_or_else(|| "this only works in the desktop window".to_owned())?;
    let args = serde_json::to_string(args).map_err(|e| e.to_string())?;
    let args = js_sys::JSON::parse(&args).map_err(|e| js_error_text(&e))?;
    let promise = invoke
        .call2(&core, &JsValue::from_str(command), &args)
        .map_err(|e| js_error_text(&e))?;
    let value = JsFuture::from(js_sys::Promise::from(promise))
        .await
        .map_err(|e| js_error_text(&e))?;
    let json = if value.is_undefined() {
        "null".to_owned()
    } else {
        js_sys::JSON::stringify(&value)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_else(|| "null".to_owned())
    };
    serde_json::from_str(&json).map_err(|e| format!("unexpected answer from {command}: {e}"))
}

/// `window.__TAURI__.core` and its `invoke`.
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
