//! Desktop shell (feature `desktop`): a Tauri window showing the bundled console, with the
//! IdP server running inside the same process on the port from `settings.json`. The bundled
//! page asks `console_context`: on a fresh data dir it shows the setup page
//! (`complete_setup`), otherwise it opens the console the server hosts on loopback, which
//! keeps calling the commands (see `capabilities/`).
//!
//! Lifecycle (`lifecycle`, `tray`): one instance per data dir, checked before the server
//! starts; closing the window hides it and the server keeps running; the tray's "Quit",
//! SIGTERM or Ctrl-C stop the server gracefully and end the app.

mod autostart;
mod commands;
mod lifecycle;
mod server_slot;
mod settings;
mod status;
mod tray;

use std::sync::Arc;
use std::time::Duration;

use tauri::{Manager, RunEvent};

use crate::config::ServeConfig;
use server_slot::ServerSlot;

/// How long quitting waits for in-flight requests before giving up.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Opens the window and runs until the app quits (the tray's "Quit", a signal, or closing
/// the window when there is no tray); the server stops with it.
pub fn run() -> Result<(), Box<dyn std::error::Error>> {
    init_tracing();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("tessera")
        .build()?;
    // Tauri's async commands then run on the same runtime as the server.
    tauri::async_runtime::set(runtime.handle().clone());

    let defaults = ServeConfig::desktop_default();
    // A second launch on the same data dir exits inside `build`, in the single-instance
    // plugin (registered first), before any server or database is touched.
    let app = tauri::Builder::default()
        .plugin(lifecycle::single_instance(&defaults.data_dir))
        .plugin(tauri_plugin_autostart::Builder::new().build())
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(tauri::generate_handler![
            status::server_status,
            commands::console_context,
            commands::complete_setup,
            commands::apply_server_settings,
            commands::save_backup,
            autostart::autostart_status,
            autostart::set_autostart,
        ])
        .on_window_event(lifecycle::on_window_event)
        .setup(|app| {
            stop_on_signals(app.handle().clone());
            let slot = Arc::clone(&app.state::<Arc<ServerSlot>>());
            if let Err(error) = tray::install(app.handle(), slot) {
                tracing::error!(%error, "no tray icon: closing the window quits the app");
            }
            Ok(())
        })
        .build(tauri::generate_context!())?;

    // The window (made when the app runs, after this) finds the server started.
    let slot = Arc::new(match with_settings(defaults.clone()) {
        Ok(config) => runtime.block_on(ServerSlot::start(config)),
        Err(error) => ServerSlot::failed_config(&defaults, error),
    });
    app.manage(Arc::clone(&slot));

    let handle = runtime.handle().clone();
    let exit_code = app.run_return(move |app, event| {
        if let RunEvent::Exit = event {
            let slot = app.state::<Arc<ServerSlot>>();
            handle.block_on(slot.shutdown(SHUTDOWN_GRACE));
        }
    });
    // In case the event loop ended without an Exit event.
    runtime.block_on(slot.shutdown(SHUTDOWN_GRACE));
    runtime.shutdown_timeout(Duration::from_secs(1));
    if exit_code != 0 {
        return Err(format!("the desktop app exited with code {exit_code}").into());
    }
    Ok(())
}

/// The desktop defaults with the listen address (and issuer) from `settings.json` in the
/// data dir. A broken settings file is an error for the window to show.
fn with_settings(mut config: ServeConfig) -> Result<ServeConfig, String> {
    let settings = settings::DesktopSettings::load(&config.data_dir)?;
    if let Some(listen) = settings.listen {
        config.listen = listen;
    }
    if let Some(issuer) = settings.issuer {
        config.issuer = Some(issuer);
    }
    config.insecure_http = settings.insecure_http;
    Ok(config)
}

/// Ctrl-C or SIGTERM closes the app the normal way, so the server shuts down cleanly.
fn stop_on_signals(app: tauri::AppHandle) {
    tauri::async_runtime::spawn(async move {
        wait_for_stop_signal().await;
        tracing::info!("stop signal received, quitting");
        app.exit(0);
    });
}

#[cfg(unix)]
async fn wait_for_stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

#[cfg(not(unix))]
async fn wait_for_stop_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    // main.rs may already have installed a subscriber; keep that one.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}
