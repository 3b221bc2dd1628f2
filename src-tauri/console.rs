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
