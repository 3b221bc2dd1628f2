//! Serves the Leptos console (ui/dist, embedded at build time) under `/console/`.

use crate::state::Shared;
use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

include!(concat!(env!("OUT_DIR"), "/console_assets.rs"));

pub fn routes() -> Router<Shared> {
    Router::new()
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/") }),
        )
        .route("/console/", get(|| async { asset("index.html") }))
        .route(
            "/console/{*path}",
            get(|Path(path): Path<String>| async move { asset(&path) }),
        )
}

fn asset(path: &str) -> Response {
    let found = CONSOLE_ASSETS
        .iter()
        .find(|(p, _, _)| *p == path)
        // Client-side routes fall back to the app shell.
        .or_else(|| {
            (!path.contains('.'))
                .then(|| CONSOLE_ASSETS.iter().find(|(p, _, _)| *p == "index.html"))
                .flatten()
        });
    match found {
        Some((name, content_type, _)) if *name == "index.html" => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            index_html(),
        )
            .into_response(),
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            *bytes,
        )
            .into_response(),
        None if CONSOLE_ASSETS.is_empty() => (
            StatusCode::NOT_FOUND,
            "The console was not built into this binary (run scripts/build-ui.sh, then rebuild).",
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// The app shell with `<base href="/console/">`, so its relative asset paths (kept relative
/// for the desktop window's bundled copy) resolve on deep routes like `/console/users/ID`.
fn index_html() -> &'static str {
    static HTML: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HTML.get_or_init(|| {
        let raw = CONSOLE_ASSETS
            .iter()
            .find(|(p, _, _)| *p == "index.html")
            .map(|(_, _, bytes)| String::from_utf8_lossy(bytes).into_owned())
            .unwrap_or_default();
        with_base(&raw)
    })
}

fn with_base(html: &str) -> String {
    html.replacen("<head>", "<head>\n  <base href=\"/console/\">", 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shell_gets_a_base_so_deep_routes_find_their_assets() {
        let html = with_base("<html><head><link href=\"./console.css\"></head></html>");
        assert!(html.starts_with("<html><head>\n  <base href=\"/console/\">"));
        assert_eq!(html.matches("<base").count(), 1);
    }
}
