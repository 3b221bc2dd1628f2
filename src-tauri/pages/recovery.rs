//! "Forgot password?" (`/password/forgot`) and the reset page a reset email links to
//! (`/password/reset?token=…`). The forgot form answers the same whatever the address
//! (no account probing): the lookup and the email happen after the answer. The reset
//! page spends its link only on the form's POST (mail scanners open links), then sends
//! the browser back to the sign-in it came from, if it is still pending.

use super::login::bound_interaction;
use super::{alert, error_page, hidden, page};
use crate::domain::RequestMeta;
use crate::error::OAuthError;
use crate::oauth::authorize::see_other;
use crate::oauth::params::{Form, Params};
use crate::oauth::{cookie, interaction_cookie};
use crate::selfservice::{self, FlowError};
use crate::state::Shared;
use crate::store::email::LinkKind;
use crate::store::{now, sessions};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::html;

fn query(q: Option<String>) -> Params {
    Params::parse(q.unwrap_or_default().as_bytes()).unwrap_or_default()
}

/// Email is off: the flow is too.
fn email_off() -> Response {
    error_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Password reset unavailable",
        "This server cannot send email, so passwords cannot be reset here. Ask your administrator to set a new password.",
    )
}

/// The sign-in this browser came from (bound like the login form), as `(id, client_id)`.
async fn pending_sign_in(
    s: &Shared,
    headers: &HeaderMap,
    id: Option<&str>,
) -> Option<(String, String)> {
    match bound_interaction(s, headers, id).await {
        Ok(Some(row)) => Some((row.id, row.client_id)),
        _ => None,
    }
}

fn back_link(interaction: Option<&str>) -> maud::Markup {
    html! {
        @if let Some(id) = interaction {
            p class="note" { a href=(format!("/login?interaction={id}")) { "Back to sign in" } }
        }
    }
}

fn forgot_form(interaction: Option<&str>, error: Option<&str>) -> Response {
    let body = html! {
        h1 { "Reset your password" }
        p { "Enter the email address of your account. We will send you a link to choose a new password." }
        (alert(error))
        form method="post" action="/password/forgot" {
            @if let Some(id) = interaction { (hidden("interaction", id)) }
            label for="email" { "Email" }
            input id="email" name="email" type="email" autocomplete="username" required autofocus;
            button type="submit" { "Send the link" }
        }
        (back_link(interaction))
    };
    page(StatusCode::OK, "Reset your password", body)
}

pub async fn forgot_show(
    State(s): State<Shared>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    if !s.mail.enabled() {
        return email_off();
    }
    let p = query(q);
    let pending = pending_sign_in(&s, &headers, p.get("interaction")).await;
    forgot_form(pending.as_ref().map(|(id, _)| id.as_str()), None)
}

pub async fn forgot_submit(
    State(s): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    form: Result<Form, OAuthError>,
) -> Response {
    if !s.mail.enabled() {
        return email_off();
    }
    let Ok(Form(p)) = form else {
        return forgot_form(None, Some("Enter your email address."));
    };
    let pending = pending_sign_in(&s, &headers, p.get("interaction")).await;
    let interaction = pending.as_ref().map(|(id, _)| id.as_str());
    let email: String = p
        .get("email")
        .unwrap_or("")
        .trim()
        .chars()
        .take(254)
        .collect();
    if !email.contains('@') {
        return forgot_form(interaction, Some("Enter your email address."));
    }
    let client_id = pending.as_ref().map(|(_, c)| c.clone());
    selfservice::forgot_password_later(s.clone(), client_id, email, meta).await;
    let body = html! {
        h1 { "Check your email" }
        p { "If an account uses that address, we sent it a link to choose a new password. The link works once, for one hour." }
        (back_link(interaction))
    };
    page(StatusCode::OK, "Check your email", body)
}

/// A link that no longer works.
pub(super) fn bad_link(what: &str, again: Option<(&str, &str)>) -> Response {
    let body = html! {
        h1 { "This link does not work" }
        p class="error" role="alert" { "The " (what) " link has expired or was already used." }
        @if let Some((href, text)) = again { p { a href=(href) { (text) } } }
    };
    page(StatusCode::BAD_REQUEST, "Link expired", body)
}

/// A form that sets a new password (reset and invitation alike).
pub(super) fn password_form(
    title: &str,
    intro: &str,
    action: &str,
    token: &str,
    button: &str,
    error: Option<&str>,
) -> Response {
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let body = html! {
        h1 { (title) }
        p { (intro) }
        (alert(error))
        form method="post" action=(action) {
            (hidden("token", token))
            label for="password" { "New password" }
            input id="password" name="password" type="password" autocomplete="new-password"
                minlength="8" maxlength="1024" required autofocus;
            label for="confirm" { "New password again" }
            input id="confirm" name="confirm" type="password" autocomplete="new-password" required;
            button type="submit" { (button) }
        }
    };
    page(status, title, body)
}

/// The new password of a posted form, or what is wrong with it.
pub(super) fn new_password(p: &Params) -> Result<String, String> {
    let password = p.get("password").unwrap_or("");
    if p.get("confirm") != Some(password) {
        return Err("The two passwords are not the same.".into());
    }
    match selfservice::password_problem(password) {
        Some(problem) => Err(format!("The password {problem}.")),
        None => Ok(password.to_string()),
    }
}

const FORGOT_AGAIN: (&str, &str) = ("/password/forgot", "Ask for a new link");

fn reset_form(email: &str, token: &str, error: Option<&str>) -> Response {
    let intro = format!("Choose a new password for {email}. You will be signed out everywhere.");
    password_form(
        "Choose a new password",
        &intro,
        "/password/reset",
        token,
        "Change password",
        error,
    )
}

pub async fn reset_show(State(s): State<Shared>, RawQuery(q): RawQuery) -> Response {
    let p = query(q);
    let token = p.get("token").unwrap_or("");
    match selfservice::peek(&s, LinkKind::Reset, token).await {
        Ok(Some(email)) => reset_form(&email, token, None),
        Ok(None) => bad_link("password reset", Some(FORGOT_AGAIN)),
        Err(_) => super::server_error(),
    }
}

pub async fn reset_submit(
    State(s): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    form: Result<Form, OAuthError>,
) -> Response {
    let Ok(Form(p)) = form else {
        return bad_link("password reset", Some(FORGOT_AGAIN));
    };
    let token = p.get("token").unwrap_or("").to_string();
    let password = match new_password(&p) {
        Ok(pw) => pw,
        Err(msg) => {
            return match selfservice::peek(&s, LinkKind::Reset, &token).await {
                Ok(Some(email)) => reset_form(&email, &token, Some(&msg)),
                _ => bad_link("password reset", Some(FORGOT_AGAIN)),
            }
        }
    };
    match selfservice::reset_password(&s, &token, &password, &meta).await {
        Ok(_) => after_reset(&s, &headers).await,
        Err(FlowError::InvalidLink) => bad_link("password reset", Some(FORGOT_AGAIN)),
        Err(FlowError::WeakPassword(problem)) => reset_form(
            "your account",
            &token,
            Some(&format!("The password {problem}.")),
        ),
        Err(FlowError::Busy) => busy(),
        Err(_) => super::server_error(),
    }
}

/// Back to the sign-in this browser has pending (to sign in with the new password), or
/// a page saying it is done.
async fn after_reset(s: &Shared, headers: &HeaderMap) -> Response {
    let pending = match cookie(headers, interaction_cookie(s.secure_cookies)) {
        Some(id) => sessions::find_interaction(&s.db.read, &id, now())
            .await
            .ok()
            .flatten(),
        None => None,
    };
    if let Some(row) = pending {
        return see_other(&format!("/login?interaction={}&reset=1", row.id), None);
    }
    let body = html! {
        h1 { "Password changed" }
        p class="done" role="status" { "Your password is changed and you are signed out everywhere. Sign in again from the app you use." }
    };
    page(StatusCode::OK, "Password changed", body)
}

/// The hashing bound is full: try again shortly.
pub(super) fn busy() -> Response {
    let page = error_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Busy",
        "The server is busy right now. Go back and try again in a moment.",
    );
    super::login::with_retry_after(page, i64::from(crate::throttle::hashing::BUSY_RETRY_AFTER))
}
