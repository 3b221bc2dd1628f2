//! Hosted HTML pages (login, errors, sign-out): server-rendered forms that work without JavaScript.

mod branch;
mod login;

use crate::state::Shared;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/login", get(login::show).post(login::submit))
        .route("/login/branch", get(branch::show).post(branch::submit))
}

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
:root{color-scheme:light dark;--bg:#f5f6f8;--card:#fff;--fg:#1b1f24;--muted:#5b6470;--accent:#3657d6;--err:#b42318;--line:#d7dbe0}
@media (prefers-color-scheme:dark){:root{--bg:#111418;--card:#1b1f26;--fg:#e8eaed;--muted:#9aa3ad;--accent:#7b93ff;--err:#ff8a80;--line:#2e343d}}
*{box-sizing:border-box}body{margin:0;min-height:100vh;display:grid;place-items:center;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif}
main{width:min(92vw,380px);background:var(--card);border:1px solid var(--line);border-radius:12px;padding:32px}
h1{font-size:1.35rem;margin:0 0 4px}p{margin:0 0 16px;color:var(--muted)}
label{display:block;font-weight:600;font-size:.9rem;margin:14px 0 6px}
input[type=email],input[type=password]{width:100%;padding:10px 12px;border:1px solid var(--line);border-radius:8px;background:transparent;color:var(--fg);font:inherit}
input:focus-visible,button:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
button{margin-top:22px;width:100%;padding:11px;border:0;border-radius:8px;background:var(--accent);color:#fff;font:inherit;font-weight:600;cursor:pointer}
.error{color:var(--err);background:color-mix(in srgb,var(--err) 10%,transparent);padding:10px 12px;border-radius:8px}
.brand{font-weight:700;letter-spacing:.02em;color:var(--accent);margin-bottom:18px}
";

/// A complete page with the shared look.
pub fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{} · Tessera</title><style>{STYLE}</style></head><body><main><div class=\"brand\">Tessera</div>{body}</main></body></html>",
        esc(title)
    );
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::HeaderName::from_static("x-frame-options"), "DENY"),
            // No `form-action`: browsers apply it to the redirect that follows a form
            // post too, and the login and sign-out forms end in a 303 to the client's
            // redirect URI on another origin. The pages run no script at all.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
            ),
        ],
        Html(html),
    )
        .into_response()
}

pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    page(
        status,
        title,
        &format!(
            "<h1>{}</h1><p class=\"error\">{}</p>",
            esc(title),
            esc(message)
        ),
    )
}

pub fn server_error() -> Response {
    error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "Please try again in a moment.",
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_html() {
        assert_eq!(
            super::esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
