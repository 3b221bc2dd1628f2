//! Serves the Leptos console (ui/dist, embedded at build time) under `/console/`.
//!
//! Every answer carries an `ETag` (SHA-256 of the bytes) with `Cache-Control: no-cache`, so
//! a browser revalidates and gets `304 Not Modified` instead of the whole wasm again; text
//! and wasm go out gzip-compressed (once, on first request, on a blocking thread) to
//! browsers that accept it.
//!
//! A binary built without the console (scripts/build-ui.sh not run: ui/dist holds only the
//! files in git) answers the app shell's routes with a page that says how to build it.

use std::io::Write as _;
use std::sync::OnceLock;

use crate::crypto::{b64url, sha256_bytes};
use crate::state::Shared;
use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use flate2::write::GzEncoder;
use flate2::Compression;
use maud::html;
use tower_http::set_header::SetResponseHeaderLayer;

include!(concat!(env!("OUT_DIR"), "/console_assets.rs"));

/// The console loads only its own files: the wasm module needs `'wasm-unsafe-eval'` to be
/// compiled, nothing needs inline script or style (boot.js starts it; styles are sheets
/// and CSSOM properties), and it talks to its own origin only. No page may frame it.
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
    base-uri 'self'; form-action 'self'";

/// `(path, content type, bytes)` of one embedded file.
type Asset = (&'static str, &'static str, &'static [u8]);

pub fn routes() -> Router<Shared> {
    if !CONSOLE_MISSING.is_empty() {
        tracing::warn!(
            missing = ?CONSOLE_MISSING,
            "the console is not built into this binary: /console/ shows how to build it \
             (run scripts/build-ui.sh, then rebuild)"
        );
    }
    Router::new()
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/") }),
        )
        .route(
            "/console/",
            get(|headers: HeaderMap| async move { asset("index.html", &headers).await }),
        )
        .route(
            "/console/{*path}",
            get(|Path(path): Path<String>, headers: HeaderMap| async move {
                asset(&path, &headers).await
            }),
        )
        // The build hint is a hosted page with that CSP of its own (its style is inline).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
}

/// What a path under `/console/` gets.
#[derive(Debug, PartialEq)]
enum Pick {
    /// The file at this index of the asset list.
    Asset(usize),
    /// The app shell's routes while `missing` names a file the console needs.
    NotBuilt,
    NotFound,
}

/// Finds `path` in `assets`; client-side routes (no dot) fall back to the app shell, which
/// is only served when no file the console needs is `missing` (it could not start).
fn pick(assets: &[Asset], missing: &[&str], path: &str) -> Pick {
    let shell = path == "index.html" || !path.contains('.');
    if shell && !missing.is_empty() {
        return Pick::NotBuilt;
    }
    let find = |wanted: &str| assets.iter().position(|(p, _, _)| *p == wanted);
    let found = find(path).or_else(|| (!path.contains('.')).then(|| find("index.html")).flatten());
    found.map_or(Pick::NotFound, Pick::Asset)
}

/// The build hint. 503, not 200: this server cannot serve the console at all, so a probe,
/// a smoke script or `curl -f` on /console/ must fail rather than pass on a hint page (a
/// person in a browser reads the same page either way). No `Retry-After`: waiting does not
/// help, building does.
fn not_built(missing: &[&str]) -> Response {
    let body = html! {
        h1 { "The console is not built into this binary" }
        p {
            "This Tessera server was compiled without its admin console (ui/dist had no "
            (missing.join(", "))
            "). Sign-in and the API work as usual."
        }
        p class="error" {
            "To build the console, run " code { "scripts/build-ui.sh" }
            " in the source tree, then build Tessera again."
        }
    };
    crate::pages::page(StatusCode::SERVICE_UNAVAILABLE, "Console not built", body)
}

async fn asset(path: &str, request: &HeaderMap) -> Response {
    let index = match pick(CONSOLE_ASSETS, CONSOLE_MISSING, path) {
        Pick::Asset(index) => index,
        Pick::NotBuilt => return not_built(CONSOLE_MISSING),
        Pick::NotFound => return (StatusCode::NOT_FOUND, "not found").into_response(),
    };
    let (_, content_type, _) = CONSOLE_ASSETS[index];
    let Some(body) = prepared(index).await else {
        return (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response();
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Ok(etag) = HeaderValue::from_str(&body.etag) {
        headers.insert(header::ETAG, etag);
    }
    if matches_etag(request, &body.etag) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    match &body.gzip {
        Some(gzip) if accepts_gzip(request) => {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            (headers, gzip.clone()).into_response()
        }
        _ => (headers, body.bytes.clone()).into_response(),
    }
}

/// An asset as served: its bytes (the app shell with its `<base>`), ETag and gzip form.
struct Prepared {
    bytes: axum::body::Bytes,
    etag: String,
    /// Only for compressible types, and only when it is smaller.
    gzip: Option<axum::body::Bytes>,
}

/// The asset at `index` as served; hashed and compressed on first use, off the async
/// workers (the wasm takes ~0.1 s to gzip). `None` only if that work was cancelled.
async fn prepared(index: usize) -> Option<&'static Prepared> {
    static ALL: OnceLock<Vec<OnceLock<Prepared>>> = OnceLock::new();
    let all = ALL.get_or_init(|| CONSOLE_ASSETS.iter().map(|_| OnceLock::new()).collect());
    if let Some(ready) = all[index].get() {
        return Some(ready);
    }
    tokio::task::spawn_blocking(move || all[index].get_or_init(|| prepare(index)))
        .await
        .ok()
}

fn prepare(index: usize) -> Prepared {
    let (path, content_type, raw) = CONSOLE_ASSETS[index];
    let bytes = if path == "index.html" {
        axum::body::Bytes::from(with_base(&String::from_utf8_lossy(raw)))
    } else {
        axum::body::Bytes::from_static(raw)
    };
    let etag = format!("\"{}\"", b64url(&sha256_bytes(&bytes)[..18]));
    let gzip = compressible(content_type)
        .then(|| gzip(&bytes))
        .flatten()
        .filter(|z| z.len() < bytes.len())
        .map(axum::body::Bytes::from);
    Prepared { bytes, etag, gzip }
}

fn compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || content_type.starts_with("application/wasm")
        || content_type.starts_with("application/json")
        || content_type.starts_with("image/svg+xml")
}

fn gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).ok()?;
    encoder.finish().ok()
}

/// `Accept-Encoding` names gzip (or `*`) without `q=0`.
fn accepts_gzip(request: &HeaderMap) -> bool {
    request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

/// `If-None-Match` lists `etag` (or is `*`).
fn matches_etag(request: &HeaderMap, etag: &str) -> bool {
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

/// The app shell with `<base href="/console/">`, so its relative asset paths (kept relative
/// for the desktop window's bundled copy) resolve on deep routes like `/console/users/ID`.
fn with_base(html: &str) -> String {
    html.replacen("<head>", "<head>\n  <base href=\"/console/\">", 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: header::HeaderName, value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn the_shell_gets_a_base_so_deep_routes_find_their_assets() {
        let html = with_base("<html><head><link href=\"./console.css\"></head></html>");
        assert!(html.starts_with("<html><head>\n  <base href=\"/console/\">"));
        assert_eq!(html.matches("<base").count(), 1);
    }

    #[test]
    fn gzip_only_when_the_browser_accepts_it() {
        let accepts = |v| accepts_gzip(&headers(header::ACCEPT_ENCODING, v));
        assert!(accepts("gzip, deflate, br"));
        assert!(accepts("br;q=1.0, gzip;q=0.8"));
        assert!(accepts("*"));
        assert!(!accepts("gzip;q=0"));
        assert!(!accepts("br, deflate"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn if_none_match_revalidates_only_the_same_etag() {
        let tag = "\"abc\"";
        assert!(matches_etag(
            &headers(header::IF_NONE_MATCH, "\"abc\""),
            tag
        ));
        assert!(matches_etag(
            &headers(header::IF_NONE_MATCH, "\"x\", W/\"abc\""),
            tag
        ));
        assert!(!matches_etag(
            &headers(header::IF_NONE_MATCH, "\"abd\""),
            tag
        ));
        assert!(!matches_etag(&HeaderMap::new(), tag));
    }

    #[tokio::test]
    async fn without_the_built_console_its_routes_get_the_build_hint() {
        let missing = ["console.js", "console_bg.wasm"];
        let partial: &[Asset] = &[
            ("boot.js", "text/javascript", b""),
            ("console.css", "text/css", b""),
            ("index.html", "text/html", b""),
        ];
        for path in ["index.html", "users", "users/some-id"] {
            assert_eq!(pick(partial, &missing, path), Pick::NotBuilt, "{path}");
            assert_eq!(pick(&[], &REQUIRED_ALL, path), Pick::NotBuilt, "{path}");
        }
        // Asset files: what is there is served, what is not stays a 404.
        assert_eq!(pick(partial, &missing, "console.css"), Pick::Asset(1));
        assert_eq!(pick(partial, &missing, "console.js"), Pick::NotFound);
        assert_eq!(pick(&[], &REQUIRED_ALL, "console.css"), Pick::NotFound);

        let page = not_built(&missing);
        assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(page.headers()[header::CACHE_CONTROL], "no-store");
        let body = axum::body::to_bytes(page.into_body(), usize::MAX)
            .await
            .expect("body");
        let text = String::from_utf8_lossy(&body);
        assert!(
            text.contains("ui/dist had no console.js, console_bg.wasm"),
            "{text}"
        );
        assert!(text.contains("<code>scripts/build-ui.sh</code>"), "{text}");
    }

    #[test]
    fn a_built_console_serves_the_shell_on_deep_routes() {
        let built: &[Asset] = &[
            ("console.js", "text/javascript", b""),
            ("console_bg.wasm", "application/wasm", b""),
            ("index.html", "text/html", b""),
        ];
        assert_eq!(pick(built, &[], ""), Pick::Asset(2));
        assert_eq!(pick(built, &[], "users/some-id"), Pick::Asset(2));
        assert_eq!(pick(built, &[], "console_bg.wasm"), Pick::Asset(1));
        assert_eq!(pick(built, &[], "nothing.js"), Pick::NotFound);
    }

    const REQUIRED_ALL: [&str; 3] = ["index.html", "console.js", "console_bg.wasm"];

    #[test]
    fn gzip_round_trips() {
        use std::io::Read as _;
        let text = "console ".repeat(1000);
        let packed = gzip(text.as_bytes()).expect("gzip");
        assert!(packed.len() < text.len());
        let mut back = String::new();
        flate2::read::GzDecoder::new(&packed[..])
            .read_to_string(&mut back)
            .expect("gunzip");
        assert_eq!(back, text);
    }
}
