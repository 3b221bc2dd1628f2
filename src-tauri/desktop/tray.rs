//! The tray icon and its menu: the server's state and address (kept current when it
//! restarts, fails or stops), "Open console", "Copy issuer URL" and "Quit" (the app's
//! normal exit: the server shuts down gracefully first). On Linux it is an
//! AppIndicator / StatusNotifierItem (libayatana-appindicator3) whose menu a desktop
//! panel reads over D-Bus (com.canonical.dbusmenu).

use std::sync::Arc;

use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager};
use tauri_plugin_clipboard_manager::ClipboardExt;

use super::lifecycle::show_main_window;
use super::server_slot::{ServerSlot, Snapshot, RESTARTING, STOPPED};

const OPEN: &str = "open";
const COPY_ISSUER: &str = "copy-issuer";
const QUIT: &str = "quit";
/// Longest error shown in the menu (the console shows the whole of it).
const MAX_ERROR_CHARS: usize = 70;

/// Managed once the tray exists: closing the window then hides it instead of quitting.
pub struct Tray {
    _icon: TrayIcon,
}

/// Builds the tray and keeps its two status lines current.
pub fn install(app: &AppHandle, slot: Arc<ServerSlot>) -> tauri::Result<()> {
    let (state_text, address_text) = status_lines(&slot.snapshot());
    let state = MenuItem::with_id(app, "state", state_text, false, None::<&str>)?;
    let address = MenuItem::with_id(app, "address", address_text, false, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &state,
            &address,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, OPEN, "Open console", true, None::<&str>)?,
            &MenuItem::with_id(app, COPY_ISSUER, "Copy issuer URL", true, None::<&str>)?,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, QUIT, "Quit", true, None::<&str>)?,
        ],
    )?;
    let mut builder = TrayIconBuilder::with_id("tessera")
        .menu(&menu)
        .tooltip("Tessera")
        .show_menu_on_left_click(true)
        .on_menu_event(on_menu_event);
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    let icon = builder.build(app)?;
    app.manage(Tray { _icon: icon });
    follow_the_server(slot, state, address);
    Ok(())
}

fn follow_the_server(
    slot: Arc<ServerSlot>,
    state: MenuItem<tauri::Wry>,
    address: MenuItem<tauri::Wry>,
) {
    let mut changes = slot.subscribe();
    tauri::async_runtime::spawn(async move {
        while changes.changed().await.is_ok() {
            let (state_text, address_text) = status_lines(&slot.snapshot());
            if let Err(error) = state
                .set_text(state_text)
                .and_then(|()| address.set_text(address_text))
            {
                tracing::warn!(%error, "cannot update the tray menu");
            }
        }
    });
}

fn on_menu_event(app: &AppHandle, event: MenuEvent) {
    match event.id().as_ref() {
        OPEN => show_main_window(app),
        COPY_ISSUER => copy_issuer(app),
        QUIT => {
            tracing::info!("Quit chosen in the tray: stopping the server");
            app.exit(0);
        }
        _ => {}
    }
}

fn copy_issuer(app: &AppHandle) {
    let Some(slot) = app.try_state::<Arc<ServerSlot>>() else {
        return;
    };
    let issuer = slot.issuer();
    match app.clipboard().write_text(issuer.clone()) {
        Ok(()) => tracing::info!(%issuer, "issuer URL copied to the clipboard"),
        Err(error) => tracing::warn!(%error, "cannot copy the issuer URL to the clipboard"),
    }
}

/// The menu's two disabled lines: what the server does, and where (or why it does not run).
fn status_lines(snapshot: &Snapshot) -> (String, String) {
    let listening = format!("Listening on {}", snapshot.listen);
    match &snapshot.state {
        Ok(_) => ("Server running".to_owned(), listening),
        Err(why) if why == RESTARTING => ("Server restarting…".to_owned(), listening),
        Err(why) if why == STOPPED => ("Server stopped".to_owned(), listening),
        Err(why) => ("Server not running".to_owned(), shorten(why)),
    }
}

fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_ERROR_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lines for a server that does not run, for `why`.
    fn snapshot(why: &str) -> (String, String) {
        status_lines(&Snapshot {
            issuer: "http://127.0.0.1:7470".to_owned(),
            listen: "127.0.0.1:7470".parse().unwrap(),
            state: Err(why.to_owned()),
        })
    }

    #[test]
    fn the_menu_says_why_the_server_is_not_running() {
        assert_eq!(
            snapshot(RESTARTING),
            (
                "Server restarting…".to_owned(),
                "Listening on 127.0.0.1:7470".to_owned()
            )
        );
        assert_eq!(snapshot(STOPPED).0, "Server stopped");
        let long = "cannot listen on 127.0.0.1:7470: Address already in use (os error 98); \
                    the server keeps running with its current settings";
        let (state, why) = snapshot(long);
        assert_eq!(state, "Server not running");
        assert_eq!(why.chars().count(), MAX_ERROR_CHARS + 1);
        assert!(why.ends_with('…') && long.starts_with(why.trim_end_matches('…')));
        assert_eq!(shorten("short"), "short");
    }
}
