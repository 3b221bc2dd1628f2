//! The account page's markup: sessions, password, authenticator app, passkeys, apps with
//! access.

use super::{Account, FRESH_FOR};
use crate::error::StoreError;
use crate::pages::consent::{client_label, scope_text};
use crate::pages::passkey::script_tag;
use crate::pages::{alert, hidden, page};
use crate::state::AppState;
use crate::store::consents::{self, ConsentRow};
use crate::store::mfa::{factors, Factors};
use crate::store::now;
use crate::store::passkeys::{user_passkeys, PasskeyRow};
use crate::store::sessions::{list_user_sessions, SessionInfo};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup};

/// The most sessions the page lists (newest first).
const MAX_SESSIONS: i64 = 50;

/// What the page says above its sections.
pub enum Notice {
    None,
    Done(&'static str),
    Error(StatusCode, String),
}

impl Notice {
    /// The message after a change (`?done=`); unknown keys say nothing.
    pub fn done(key: Option<&str>) -> Notice {
        let text = match key.unwrap_or("") {
            "session_ended" => "The session is ended.",
            "passkey_added" => "Your passkey is added. You can sign in with it now.",
            "passkey_renamed" => "The passkey is renamed.",
            "passkey_removed" => "The passkey is removed.",
            "totp_removed" => "Your authenticator app is removed, with its recovery codes.",
            "consent_removed" => "The app's access is removed. It has to ask you again.",
            _ => return Notice::None,
        };
        Notice::Done(text)
    }

    pub fn error(status: StatusCode, message: &str) -> Notice {
        Notice::Error(status, message.to_string())
    }
}

/// A form posted without this page's CSRF token (or from another page).
pub fn csrf_refused() -> Response {
    crate::pages::error_page(
        StatusCode::FORBIDDEN,
        "Request refused",
        "This form has expired. Go back to your account page and try again.",
    )
}

/// The whole page for `account`, with `notice`.
pub async fn render(s: &AppState, account: &Account, notice: Notice) -> Response {
    let user_id = &account.user.id;
    let (sessions, passkeys, factors, apps) = tokio::join!(
        list_user_sessions(&s.db.read, user_id, MAX_SESSIONS),
        user_passkeys(&s.db.read, user_id),
        factors(&s.db.read, user_id),
        apps_with_access(s, user_id),
    );
    let (Ok(sessions), Ok(passkeys), Ok(factors), Ok(apps)) = (sessions, passkeys, factors, apps)
    else {
        return crate::pages::server_error();
    };
    let t = now();
    let live: Vec<&SessionInfo> = sessions
        .iter()
        .filter(|r| r.ended_at.is_none() && r.expires_at > t)
        .collect();
    let (status, done, error) = match notice {
        Notice::None => (StatusCode::OK, None, None),
        Notice::Done(text) => (StatusCode::OK, Some(text), None),
        Notice::Error(status, message) => (status, None, Some(message)),
    };
    let body = html! {
        div class="account" {
            div class="head" {
                div {
                    h1 { "Your account" }
                    p { "Signed in as " strong { (account.user.email) } }
                }
                form method="post" action="/account/signout" class="inline" {
                    (hidden("csrf_token", &account.csrf))
                    button type="submit" class="secondary" { "Sign out" }
                }
            }
            @if let Some(text) = done { p class="done" role="status" { (text) } }
            (alert(error.as_deref()))
            @if !account.fresh() { (stale_note(account)) }
            (sessions_section(account, &live))
            (password_section(account))
            (totp_section(account, &factors))
            (passkeys_section(account, &passkeys, crate::webauthn::available(s)))
            (apps_section(account, &apps))
        }
        (script_tag())
    };
    page(status, "Your account", body)
}

fn stale_note(account: &Account) -> Markup {
    let minutes = account
        .claims
        .auth_time
        .map(|at| (now() - at) / 60)
        .unwrap_or(0);
    html! {
        p class="note" {
            "You signed in " (minutes) " minutes ago. Changes here ask you to "
            a href="/account/reauth" { "sign in again" }
            " first (within " (FRESH_FOR / 60) " minutes)."
        }
    }
}

fn sessions_section(account: &Account, live: &[&SessionInfo]) -> Markup {
    html! {
        section aria-labelledby="sessions" {
            h2 id="sessions" { "Sessions" }
            p { "Where you are signed in. Ending a session signs that browser out of every application." }
            table {
                thead { tr { th { "Device" } th { "IP address" } th { "Started" } th { span class="sr" { "Action" } } } }
                tbody {
                    @for r in live {
                        tr {
                            td {
                                (device(r.user_agent.as_deref()))
                                @if r.id == account.session_id() { " " span class="badge" { "This browser" } }
                            }
                            td { (r.ip.as_deref().unwrap_or("—")) }
                            td { (when(r.created_at)) }
                            td {
                                form method="post" action="/account/sessions/end" class="inline" {
                                    (hidden("csrf_token", &account.csrf))
                                    (hidden("session_id", &r.id))
                                    button type="submit" class="secondary" aria-label={ "End session started " (when(r.created_at)) } { "End" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn password_section(account: &Account) -> Markup {
    html! {
        section aria-labelledby="password-title" {
            h2 id="password-title" { "Password" }
            p { "Changing it signs you out everywhere." }
            form method="post" action="/account/password" {
                (hidden("csrf_token", &account.csrf))
                input type="text" name="username" autocomplete="username" value=(account.user.email) hidden;
                label for="current_password" { "Current password" }
                input id="current_password" name="current_password" type="password" autocomplete="current-password" required;
                label for="new_password" { "New password" }
                input id="new_password" name="new_password" type="password" autocomplete="new-password" minlength="8" maxlength="1024" required;
                button type="submit" { "Change password" }
            }
        }
    }
}

fn totp_section(account: &Account, factors: &Factors) -> Markup {
    let form = |action: &str, label: &str| {
        html! {
            form method="post" action=(action) class="inline" {
                (hidden("csrf_token", &account.csrf))
                button type="submit" class="secondary" { (label) }
            }
        }
    };
    html! {
        section aria-labelledby="totp-title" {
            h2 id="totp-title" { "Authenticator app" }
            @if factors.totp > 0 {
                p { "Set up. After your password, sign-ins ask for its 6-digit code." }
                p class="meta" { "Recovery codes left: " (factors.recovery_codes_left) }
                div class="row" {
                    (form("/account/recovery-codes", "New recovery codes"))
                    (form("/account/totp/remove", "Remove the authenticator app"))
                }
            } @else {
                p { "A second step at sign-in: a 6-digit code from an app on your phone, with recovery codes for when you lose it." }
                div class="row" { (form("/account/totp/start", "Set up an authenticator app")) }
            }
        }
    }
}

fn passkeys_section(account: &Account, passkeys: &[PasskeyRow], available: bool) -> Markup {
    html! {
        section aria-labelledby="passkeys-title" {
            h2 id="passkeys-title" { "Passkeys" }
            p { "Sign in with your device's screen lock or a security key instead of a password." }
            @if passkeys.is_empty() { p class="empty" { "No passkeys yet." } }
            ul class="passkeys" {
                @for p in passkeys { (passkey_item(account, p)) }
            }
            @if !available {
                p class="note" { "Passkeys need this server to be reached by a domain name (not an IP address)." }
            }
            form id="passkey-add" class="passkey" hidden data-passkey=[available.then_some("create")]
                data-options="/account/passkeys/options" data-finish="/account/passkeys/finish" {
                (hidden("csrf_token", &account.csrf))
                label for="passkey-name" { "Name of the new passkey" }
                input id="passkey-name" name="name" type="text" maxlength="64" placeholder="e.g. Work laptop";
                button type="submit" { "Add a passkey" }
                p class="passkey-status" role="status" {}
            }
            noscript { p class="note" { "Adding a passkey needs JavaScript." } }
        }
    }
}

fn passkey_item(account: &Account, p: &PasskeyRow) -> Markup {
    let used = p.last_used_at.map_or_else(|| "never".to_string(), when);
    html! {
        li {
            div class="passkey-name" { strong { (p.name) } }
            div class="meta" { "Added " (when(p.created_at)) " · last used " (used) }
            div class="row" {
                form method="post" action="/account/passkeys/rename" class="inline" {
                    (hidden("csrf_token", &account.csrf))
                    (hidden("passkey_id", &p.id))
                    input type="text" name="name" maxlength="64" required value=(p.name)
                        aria-label={ "New name for " (p.name) };
                    button type="submit" class="secondary" { "Rename" }
                }
                form method="post" action="/account/passkeys/remove" class="inline" {
                    (hidden("csrf_token", &account.csrf))
                    (hidden("passkey_id", &p.id))
                    button type="submit" class="secondary" aria-label={ "Remove " (p.name) } { "Remove" }
                }
            }
        }
    }
}

/// The user's remembered consents, with the products of their scopes (for the words).
struct Apps {
    consents: Vec<ConsentRow>,
    products: Vec<(String, String)>,
}

async fn apps_with_access(s: &AppState, user_id: &str) -> Result<Apps, StoreError> {
    let consents = consents::list(&s.db.read, user_id).await?;
    let mut scopes: Vec<String> = consents.iter().flat_map(|c| c.scopes()).collect();
    scopes.sort();
    scopes.dedup();
    let products = consents::scope_products(&s.db.read, &scopes).await?;
    Ok(Apps { consents, products })
}

fn apps_section(account: &Account, apps: &Apps) -> Markup {
    html! {
        section aria-labelledby="apps-title" {
            h2 id="apps-title" { "Apps with access" }
            p { "Apps made by others that you allowed to use your account. Their names are as they registered them: Tessera has not verified them." }
            @if apps.consents.is_empty() {
                p class="empty" { "No apps have access." }
            } @else {
                ul class="items apps" {
                    @for c in &apps.consents { (app_item(account, c, &apps.products)) }
                }
            }
        }
    }
}

fn app_item(account: &Account, c: &ConsentRow, products: &[(String, String)]) -> Markup {
    let name = client_label(c.client_name().as_deref(), &c.client_id);
    html! {
        li {
            div { strong class="client" { (name) } }
            ul class="scopes" {
                @for scope in c.scopes() { li { (scope_text(&scope, products)) } }
            }
            div class="meta" { "Since " (when(c.created_at)) }
            form method="post" action="/account/consents/remove" class="inline" {
                (hidden("csrf_token", &account.csrf))
                (hidden("client_id", &c.client_id))
                button type="submit" class="secondary" aria-label={ "Remove access of " (name) } { "Remove access" }
            }
        }
    }
}

/// A time as `2026-12-02 08:46 UTC`.
fn when(t: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(&format).ok())
        .unwrap_or_default()
}

/// A browser and OS named from a user agent, e.g. "Firefox on Linux".
fn device(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent.filter(|u| !u.is_empty()) else {
        return "Unknown device".into();
    };
    const BROWSERS: [(&str, &str); 4] = [
        ("Edg/", "Edge"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ];
    const SYSTEMS: [(&str, &str); 6] = [
        ("Windows", "Windows"),
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ];
    let find = |list: &[(&str, &'static str)]| {
        list.iter()
            .find(|(k, _)| ua.contains(k))
            .map(|(_, name)| *name)
    };
    match (find(&BROWSERS), find(&SYSTEMS)) {
        (Some(b), Some(o)) => format!("{b} on {o}"),
        (Some(one), None) | (None, Some(one)) => one.to_string(),
        (None, None) => ua.chars().take(60).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_named_from_the_user_agent() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";
        assert_eq!(device(Some(chrome)), "Chrome on Linux");
        assert_eq!(device(None), "Unknown device");
        assert_eq!(device(Some("curl/8")), "curl/8");
    }

    #[test]
    fn times_are_shown_in_utc() {
        assert_eq!(when(0), "1970-01-01 00:00 UTC");
    }
}
