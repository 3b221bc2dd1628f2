//! Hosted HTML pages (login, errors, sign-out): server-rendered forms that work without
//! JavaScript. Markup comes from `maud` templates, which escape every spliced value (text
//! and attributes alike); only the constant style sheet and logo go in pre-escaped.

mod branch;
mod confirm;
mod login;
mod mfa;

pub(crate) use mfa::{after_password, page_of as mfa_page};

use crate::state::Shared;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup, PreEscaped};

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/login", get(login::show).post(login::submit))
        .route("/login/branch", get(branch::show).post(branch::submit))
        .route("/login/confirm", get(confirm::show).post(confirm::submit))
        .route("/login/mfa", get(mfa::show).post(mfa::submit))
        .route(
            "/login/mfa/setup",
            get(mfa::show_setup).post(mfa::submit_setup),
        )
        .route("/login/mfa/continue", post(mfa::submit_continue))
}

/// The console's palette (ui/dist/console.css), so the sign-in page looks like the rest
/// of Tessera; light and dark follow the OS.
const STYLE: &str = "
:root{color-scheme:light dark;--bg:#f5f6fa;--card:#fff;--fg:#171927;--muted:#5a6077;--accent:#4f46e5;--link:#4338ca;--err:#b42318;--line:#c9cedc;--border:#e1e4ee}
@media (prefers-color-scheme:dark){:root{--bg:#0f1118;--card:#171a24;--fg:#e8eaf3;--muted:#a1a7be;--accent:#5b5ff0;--link:#aab4ff;--err:#fca5a5;--line:#3a4056;--border:#2a2f40}}
*{box-sizing:border-box}body{margin:0;min-height:100vh;display:grid;place-items:center;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Ubuntu,sans-serif}
main{width:min(92vw,380px);background:var(--card);border:1px solid var(--border);border-radius:12px;padding:32px;box-shadow:0 1px 2px rgba(16,24,40,.06)}
h1{font-size:1.35rem;margin:0 0 4px}p{margin:0 0 16px;color:var(--muted)}a{color:var(--link)}
label{display:block;font-weight:600;font-size:.9rem;margin:14px 0 6px}
input[type=email],input[type=password],input[type=text]{width:100%;padding:10px 12px;border:1px solid var(--line);border-radius:8px;background:transparent;color:var(--fg);font:inherit}
input:focus-visible,button:focus-visible{outline:3px solid color-mix(in srgb,var(--accent) 55%,transparent);outline-offset:2px}
button{margin-top:22px;width:100%;padding:11px;border:0;border-radius:8px;background:var(--accent);color:#fff;font:inherit;font-weight:600;cursor:pointer}
.error{color:var(--err);background:color-mix(in srgb,var(--err) 10%,transparent);padding:10px 12px;border-radius:8px}
button.secondary{margin-top:10px;background:transparent;color:var(--fg);border:1px solid var(--line)}
.qr svg{display:block;width:200px;height:200px;margin:0 auto 12px}.codes{columns:2 17ch;font-family:ui-monospace,monospace;padding-left:2.5em}.codes code{white-space:nowrap}code{font-family:ui-monospace,monospace}
.brand{display:flex;align-items:center;gap:10px;font-weight:700;font-size:1.1rem;margin-bottom:20px}.brand svg{width:32px;height:32px;flex:none}
";

/// The Tessera mark (as ui/dist/favicon.svg), inline: the pages load no resources.
const MARK: &str = "<svg viewBox=\"0 0 35 35\" aria-hidden=\"true\"><rect width=\"35\" height=\"35\" rx=\"7\" fill=\"#312e81\"/>\
<g fill=\"#5eead4\"><rect x=\"5\" y=\"5\" width=\"7\" height=\"7\" rx=\"1.5\"/><rect x=\"23\" y=\"5\" width=\"7\" height=\"7\" rx=\"1.5\"/>\
<rect x=\"5\" y=\"23\" width=\"7\" height=\"7\" rx=\"1.5\"/><rect x=\"23\" y=\"23\" width=\"7\" height=\"7\" rx=\"1.5\"/></g>\
<g fill=\"#a5b4fc\"><rect x=\"14\" y=\"5\" width=\"7\" height=\"7\" rx=\"1.5\"/><rect x=\"5\" y=\"14\" width=\"7\" height=\"7\" rx=\"1.5\"/>\
<rect x=\"23\" y=\"14\" width=\"7\" height=\"7\" rx=\"1.5\"/><rect x=\"14\" y=\"23\" width=\"7\" height=\"7\" rx=\"1.5\"/></g>\
<rect x=\"14\" y=\"14\" width=\"7\" height=\"7\" rx=\"1.5\" fill=\"#fbbf24\"/></svg>";

/// The document around `body`: the shared look, no script.
fn document(title: &str, body: Markup) -> Markup {
    html! {
        (PreEscaped("<!doctype html>"))
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                title { (title) " · Tessera" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                main {
                    div class="brand" { (PreEscaped(MARK)) span { "Tessera" } }
                    (body)
                }
            }
        }
    }
}

/// A complete page with the shared look.
pub fn page(status: StatusCode, title: &str, body: Markup) -> Response {
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
        Html(document(title, body).into_string()),
    )
        .into_response()
}

pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    page(
        status,
        title,
        html! { h1 { (title) } p class="error" { (message) } },
    )
}

pub fn server_error() -> Response {
    error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "Please try again in a moment.",
    )
}

/// After a sign-out without a post-logout redirect URI.
pub fn signed_out() -> Response {
    page(
        StatusCode::OK,
        "Signed out",
        html! { h1 { "You are signed out" } p { "You can close this window." } },
    )
}

/// A form's error message, announced to screen readers.
fn alert(error: Option<&str>) -> Markup {
    html! { @if let Some(e) = error { p class="error" role="alert" { (e) } } }
}

/// The hidden fields that bind a form to its interaction (with the cookie) and to the
/// pending request (CSRF token).
fn binding(interaction: &str, csrf: &str) -> Markup {
    html! {
        (hidden("interaction", interaction))
        (hidden("csrf_token", csrf))
    }
}

pub fn hidden(name: &str, value: &str) -> Markup {
    html! { input type="hidden" name=(name) value=(value); }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spliced_text_and_attributes_are_escaped() {
        let evil = "\"><script>x</script>&'";
        let safe = "&quot;&gt;&lt;script&gt;x&lt;/script&gt;&amp;'";
        let html =
            document(evil, html! { (alert(Some(evil))) (binding(evil, evil)) }).into_string();
        assert!(!html.contains("<script>"), "{html}");
        assert!(
            html.contains(&format!("<title>{safe} · Tessera</title>")),
            "{html}"
        );
        assert!(
            html.contains(&format!("role=\"alert\">{safe}</p>")),
            "{html}"
        );
        assert!(
            html.contains(&format!("name=\"csrf_token\" value=\"{safe}\">")),
            "{html}"
        );
    }
}
