//! How the desktop app lives next to the apps that depend on its server: one instance per
//! data dir (a second launch shows the running window and exits before it touches the
//! server or the database), and closing the window hides it while the server keeps
//! answering; the tray's "Quit" (or SIGTERM / Ctrl-C) ends both.

use std::path::Path;
use std::sync::Arc;

use tauri::plugin::TauriPlugin;
use tauri::{AppHandle, Manager, Window, WindowEvent, Wry};
use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};

use super::server_slot::ServerSlot;
use super::settings::{close_notice_shown, mark_close_notice_shown};
use super::tray::Tray;

/// The label of the console's window (tauri.conf.json).
pub const MAIN_WINDOW: &str = "main";

/// Registered first, so it runs before anything else: a second launch on the same data dir
/// hands over to the running instance (over the D-Bus session bus on Linux), which shows
/// its window, and exits inside `Builder::build`. Without a session bus it launches
/// normally (the second server then fails to bind the port and says so).
pub fn single_instance(data_dir: &Path) -> TauriPlugin<Wry> {
    tauri_plugin_single_instance::Builder::new()
        .dbus_id(instance_id(data_dir))
        .callback(|app, _args, _cwd| {
            tracing::info!("Tessera was started again: showing the running window instead");
            show_main_window(app);
        })
        .build()
}

/// A D-Bus name (`dev.tessera.console.d<16 hex digits>`) that stands for the data dir:
/// two windows on one database never, another data dir is another Tessera.
fn instance_id(data_dir: &Path) -> String {
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        data_dir.as_os_str().as_encoded_bytes(),
    );
    let hex: String = digest.as_ref()[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("dev.tessera.console.d{hex}")
}

/// Shows the console's window, unminimized and focused (the tray's "Open console", a
/// second launch).
pub fn show_main_window(app: &AppHandle) {
    let Some(window) = app.get_webview_window(MAIN_WINDOW) else {
        tracing::warn!("there is no console window to show");
        return;
    };
    for (what, result) in [
        ("show", window.show()),
        ("unminimize", window.unminimize()),
        ("focus", window.set_focus()),
    ] {
        if let Err(error) = result {
            tracing::warn!(%error, "cannot {what} the console window");
        }
    }
}

/// Closing the console's window hides it: the server keeps running for the apps that sign
/// in through it. Only with a tray to come back through (and quit from): without a tray
/// icon, or a panel to show it, closing quits as it always did (never a server left
/// running that nothing on screen can stop).
pub fn on_window_event(window: &Window, event: &WindowEvent) {
    let WindowEvent::CloseRequested { api, .. } = event else {
        return;
    };
    let app = window.app_handle();
    if window.label() != MAIN_WINDOW || app.try_state::<Tray>().is_none() {
        return;
    }
    if !panel_shows_tray_icons() {
        tracing::info!("window closed and no panel shows tray icons: quitting");
        return;
    }
    api.prevent_close();
    if let Err(error) = window.hide() {
        tracing::warn!(%error, "cannot hide the console window");
    }
    tracing::info!("window closed: the server keeps running (the tray's Quit stops it)");
    notice_once(app);
}

/// Whether a desktop panel shows tray icons (StatusNotifierItems) now: one runs the
/// `org.kde.StatusNotifierWatcher` on the session bus (KDE, GNOME with the AppIndicator
/// extension, Xfce, Cinnamon, ...). Plain GNOME has none.
#[cfg(target_os = "linux")]
fn panel_shows_tray_icons() -> bool {
    let Ok(bus) = zbus::blocking::Connection::session() else {
        return false;
    };
    bus.call_method(
        Some("org.freedesktop.DBus"),
        "/org/freedesktop/DBus",
        Some("org.freedesktop.DBus"),
        "NameHasOwner",
        &("org.kde.StatusNotifierWatcher",),
    )
    .and_then(|reply| reply.body().deserialize::<bool>())
    .unwrap_or(false)
}

/// Windows and macOS always show the tray (notification area, menu bar).
#[cfg(not(target_os = "linux"))]
fn panel_shows_tray_icons() -> bool {
    true
}

const NOTICE_TITLE: &str = "Tessera keeps running";
const NOTICE: &str = "The window is closed, but the Tessera server keeps running so that \
your apps can still sign people in.\n\nTo open the console again, choose \"Open console\" in \
the Tessera tray menu (or start Tessera again). To stop the server, choose \"Quit\" there.";

/// The first close of the window says what happened, once per data dir (settings.json).
/// A native dialog: works without a notification daemon.
fn notice_once(app: &AppHandle) {
    let Some(slot) = app.try_state::<Arc<ServerSlot>>() else {
        return;
    };
    let data_dir = slot.data_dir();
    if close_notice_shown(&data_dir) {
        return;
    }
    if let Err(error) = mark_close_notice_shown(&data_dir) {
        tracing::warn!(%error, "cannot remember that the close notice was shown");
    }
    app.dialog()
        .message(NOTICE)
        .title(NOTICE_TITLE)
        .kind(MessageDialogKind::Info)
        .buttons(MessageDialogButtons::OkCustom("Got it".to_owned()))
        .show(|_| {});
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_instance_id_is_a_dbus_name_per_data_dir() {
        let one = instance_id(Path::new("/home/a/.local/share/tessera"));
        let other = instance_id(Path::new("/home/b/.local/share/tessera"));
        assert_ne!(one, other);
        assert_eq!(one, instance_id(Path::new("/home/a/.local/share/tessera")));
        // Elements of a D-Bus name: [A-Za-z0-9_-], not starting with a digit.
        assert!(
            one.starts_with("dev.tessera.console.d") && one.len() == 37,
            "{one}"
        );
        assert!(one
            .split('.')
            .all(|part| part.chars().all(|c| c.is_ascii_alphanumeric())
                && !part.starts_with(|c: char| c.is_ascii_digit())));
    }
}
