//! "Start Tessera when I log in" (off until the user turns it on): the console's settings
//! page reads it with `autostart_status` and changes it with `set_autostart`. On Linux the
//! autostart plugin writes (or removes) `~/.config/autostart/Tessera.desktop`, which
//! starts this same program at login.

use std::sync::Arc;

use serde::Serialize;
use tauri::{AppHandle, State};
use tauri_plugin_autostart::ManagerExt;

use super::commands::{check_caller, check_superadmin, CommandError};
use super::server_slot::ServerSlot;

#[derive(Debug, Serialize, PartialEq)]
pub struct Autostart {
    /// Whether the app starts when the user logs in.
    pub enabled: bool,
}

/// `autostart_status` → `{"enabled"}`.
#[tauri::command]
pub async fn autostart_status(
    app: AppHandle,
    webview: tauri::Webview,
    slot: State<'_, Arc<ServerSlot>>,
) -> Result<Autostart, CommandError> {
    check_caller("autostart_status", &webview, &slot)?;
    read(&app)
}

/// `set_autostart {accessToken, enabled}` → `{"enabled"}`: a super-admin's console turns
/// the start at login on or off (like the other settings of this computer, it needs their
/// access token).
#[tauri::command]
pub async fn set_autostart(
    app: AppHandle,
    webview: tauri::Webview,
    slot: State<'_, Arc<ServerSlot>>,
    access_token: String,
    enabled: bool,
) -> Result<Autostart, CommandError> {
    check_caller("set_autostart", &webview, &slot)?;
    let state = slot.snapshot().state?;
    let claims = check_superadmin(&state, &access_token).await?;
    drop(state);
    let launcher = app.autolaunch();
    let changed = if enabled {
        launcher.enable()
    } else {
        launcher.disable()
    };
    changed.map_err(|e| format!("cannot change the start at login: {e}"))?;
    tracing::info!(enabled, by = %claims.sub, "start at login changed");
    read(&app)
}

fn read(app: &AppHandle) -> Result<Autostart, CommandError> {
    let enabled = app
        .autolaunch()
        .is_enabled()
        .map_err(|e| format!("cannot tell whether Tessera starts at login: {e}"))?;
    Ok(Autostart { enabled })
}
