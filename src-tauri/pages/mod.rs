//! Hosted HTML pages (login, errors, sign-out, the account page): server-rendered forms
//! that work without JavaScript (only passkeys need the small `passkey` script). Markup comes from `maud` templates, which escape every spliced value (text
//! and attributes alike); only the constant style sheet and logo go in pre-escaped.

mod account;
mod branch;
mod confirm;
pub(crate) mod consent;
mod invitation;
mod login;
mod mfa;
mod recovery;
mod signup;

pub(crate) use login::{check_password, PasswordRefused, SESSION_TTL};
pub(crate) use mfa::{after_password, page_of as mfa_page};
pub mod passkey;

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
        .route(passkey::SCRIPT_PATH, get(passkey::script))
        .route("/login/passkey/options", post(passkey::login_options))
        .route("/login/passkey/finish", post(passkey::login_finish))
        .route("/login/mfa/passkey/options", post(passkey::mfa_options))
        .route("/login/mfa/passkey/finish", post(passkey::mfa_finish))
        .route(
            "/login/mfa/setup/passkey/options",
            post(passkey::enroll_options),
        )
        .route(
            "/login/mfa/setup/passkey/finish",
            post(passkey::enroll_finish),
        )
        .route("/signup", get(signup::show).post(signup::submit))
        .route(
            crate::oauth::authorize::consent::PAGE,
            get(consent::show).post(consent::submit),
        )
        .route(
            "/password/forgot",
            get(recovery::forgot_show).post(recovery::forgot_submit),
        )
        .route(
            "/password/reset",
            get(recovery::reset_show).post(recovery::reset_submit),
        )
        .route(
            "/email/verify",
            get(invitation::verify_show).post(invitation::verify_submit),
        )
        .route(
            "/invitation",
            get(invitation::invitation_show).post(invitation::invitation_submit),
        )
        .merge(account::routes())
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
form.passkey{margin-top:4px}.passkey-status:empty{display:none}.passkey-status{margin:10px 0 0}
main:has(.account){width:min(94vw,760px);margin:24px 0}.account section{border-top:1px solid var(--border);padding-top:16px;margin-top:24px}
.account h2{font-size:1.1rem;margin:0 0 4px}.account .head{display:flex;justify-content:space-between;align-items:flex-start;gap:12px}
.account form.inline button,.account .row button{width:auto;margin:0;padding:7px 14px}.account .head button{margin:0}
.account .row{display:flex;gap:8px;flex-wrap:wrap;margin-top:8px}.account .row form{display:flex;gap:8px}
input[type=text]{padding:8px 12px;border:1px solid var(--line);border-radius:8px;background:transparent;color:var(--fg);font:inherit}
.account form:not(.inline) input[type=text]{width:100%}
table{width:100%;border-collapse:collapse;font-size:.92rem}th,td{text-align:left;padding:8px 6px;border-bottom:1px solid var(--border);vertical-align:middle}th{color:var(--muted);font-weight:600}
.badge{display:inline-block;font-size:.75rem;font-weight:600;padding:1px 8px;border-radius:999px;background:color-mix(in srgb,var(--accent) 15%,transparent);color:var(--link)}
ul.passkeys,ul.items{list-style:none;padding:0;margin:0}ul.passkeys li,ul.items li{padding:10px 0;border-bottom:1px solid var(--border)}.meta{color:var(--muted);font-size:.88rem}
.done{color:var(--fg);background:color-mix(in srgb,#16a34a 14%,transparent);padding:10px 12px;border-radius:8px}.note{font-size:.92rem}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.client,.uri{overflow-wrap:anywhere}.untrusted{font-style:italic}.asks{margin:0 0 4px;color:var(--fg);font-weight:600}
ul.scopes{margin:0 0 16px;padding-left:1.3em}ul.scopes li{margin:2px 0}ul.items ul.scopes{margin:4px 0}ul.items ul.scopes li{padding:0;border:0}
";

/// The Tessera mark (as ui/dist/favicon.svg), inline (the pages load one resource only:
/// the passkey script).
const MARK: &str = "<svg viewBox=\"0 0 35 35\" aria-hidden=\"true\"><rect width=\"35\" height=\"35\" rx=\"7\" fill=\"#312e81\"/>\
<g fill=\"#5eead4\"><rect x=\"5\" y=\"5\" width=\"7\" height=\"7\" rx=\"1.5\"/><rect x=\"23\" y=\"5\" width=\"7\" height=\"7\" rx=\"1.5\"/>\
<rect x=\"5\" y=\"23\" width=\"7\" height=\"7\" rx=\"1.5\"/><rect x=\"23\" y=\"23\" width=\"7\" height=\"7\" rx=\"1.5\"/></g>\
<g fill=\"#a5b4fc\"><rect x=\"14\" y=\"5\" width=\"7\" height=\"7\" rx=\"1.5\"/><rect x=\"5\" y=\"14\" width=\"7\" height=\"7\" rx=\"1.5\"/>\
<rect x=\"23\" y=\"14\" width=\"7\" height=\"7\" rx=\"1.5\"/><rect x=\"14\" y=\"23\" width=\"7\" height=\"7\" rx=\"1.5\"/></g>\
<rect x=\"14\" y=\"14\" width=\"7\" height=\"7\" rx=\"1.5\" fill=\"#fbbf24\"/></svg>";

/// The document around `body`: the shared look.
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
            // redirect URI on another origin. The only script is the passkey one, a
            // file of this server (`passkey::SCRIPT_PATH`), which calls this origin.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'",
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
pub(crate) fn alert(error: Option<&str>) -> Markup {
    html! { @if let Some(e) = error { p class="error" role="alert" { (e) } } }
}

/// The hidden fields that bind a form to its interaction (with the cookie) and to the
/// pending request (CSRF token).
pub(crate) fn binding(interaction: &str, csrf: &str) -> Markup {
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
