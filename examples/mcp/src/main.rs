//! `tessera-example-mcp`: runs the MCP server (see the library docs). Prints
//! `listening on http://ADDR` and the MCP endpoint when ready; stops on Ctrl-C or SIGTERM.

use clap::Parser;
use tessera_example_mcp::{App, Config};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::parse();
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let bound = listener.local_addr()?;
    let app = App::new(&config, &config.public_url(bound)).await?;
    println!("listening on http://{bound}");
    println!("MCP endpoint: {}", app.resource());
    let (stop, stopped) = tokio::sync::watch::channel(());
    let router = app.router_with_shutdown(wait_for_change(stopped.clone()));
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            stop_signal().await;
            let _ = stop.send(());
        })
        .await?;
    Ok(())
}

async fn wait_for_change(mut rx: tokio::sync::watch::Receiver<()>) {
    let _ = rx.changed().await;
}

/// Ctrl-C, or SIGTERM on Unix.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
