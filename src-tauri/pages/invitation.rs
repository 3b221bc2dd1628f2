//! The pages emailed links open besides the reset: email verification
//! (`/email/verify?token=…`) and invitation acceptance (`/invitation?token=…`). Each
//! spends its link only on the page's POST (mail scanners open links).

use super::recovery::{bad_link, busy, new_password, password_form};
use super::{hidden, page};
use crate::domain::RequestMeta;
use crate::error::OAuthError;
use crate::oauth::params::{Form, Params};
use crate::selfservice::{self, FlowError};
use crate::state::Shared;
use crate::store::email::LinkKind;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

fn token_of(q: Option<String>) -> String {
    Params::parse(q.unwrap_or_default().as_bytes())
        .ok()
        .and_then(|p| p.get("token").map(String::from))
        .unwrap_or_default()
}

pub async fn verify_show(State(s): State<Shared>, RawQuery(q): RawQuery) -> Response {
    let token = token_of(q);
    match selfservice::peek(&s, LinkKind::Verify, &token).await {
        Ok(Some(email)) => {
            let body = html! {
                h1 { "Confirm your email" }
                p { "Confirm that " strong { (email) } " is your email address." }
                form method="post" action="/email/verify" {
                    (hidden("token", &token))
                    button type="submit" { "Confirm my email" }
                }
            };
            page(StatusCode::OK, "Confirm your email", body)
        }
        Ok(None) => bad_link("email confirmation", None),
        Err(_) => super::server_error(),
    }
}

pub async fn verify_submit(
    State(s): State<Shared>,
    meta: RequestMeta,
    form: Result<Form, OAuthError>,
) -> Response {
    let Ok(Form(p)) = form else {
        return bad_link("email confirmation", None);
    };
    match selfservice::verify_email(&s, p.get("token").unwrap_or(""), &meta).await {
        Ok(user) => {
            let body = html! {
                h1 { "Email confirmed" }
                p class="done" role="status" { (user.email) " is confirmed. You can close this window." }
            };
            page(StatusCode::OK, "Email confirmed", body)
        }
        Err(FlowError::InvalidLink) => bad_link("email confirmation", None),
        Err(_) => super::server_error(),
    }
}

fn invitation_form(email: &str, token: &str, error: Option<&str>) -> Response {
    let intro = format!(
        "You were invited as {email}. Choose a password to finish setting up your account."
    );
    password_form(
        "Accept your invitation",
        &intro,
        "/invitation",
        token,
        "Set password and continue",
        error,
    )
}

pub async fn invitation_show(State(s): State<Shared>, RawQuery(q): RawQuery) -> Response {
    let token = token_of(q);
    match selfservice::peek(&s, LinkKind::Invite, &token).await {
        Ok(Some(email)) => invitation_form(&email, &token, None),
        Ok(None) => bad_link("invitation", None),
        Err(_) => super::server_error(),
    }
}

pub async fn invitation_submit(
    State(s): State<Shared>,
    meta: RequestMeta,
    form: Result<Form, OAuthError>,
) -> Response {
    let Ok(Form(p)) = form else {
        return bad_link("invitation", None);
    };
    let token = p.get("token").unwrap_or("").to_string();
    let password = match new_password(&p) {
        Ok(pw) => pw,
        Err(msg) => {
            return match selfservice::peek(&s, LinkKind::Invite, &token).await {
                Ok(Some(email)) => invitation_form(&email, &token, Some(&msg)),
                _ => bad_link("invitation", None),
            }
        }
    };
    match selfservice::accept_invitation(&s, &token, &password, &meta).await {
        Ok((user, client_id)) => accepted(&s, &user.email, client_id.as_deref()).await,
        Err(FlowError::InvalidLink) => bad_link("invitation", None),
        Err(FlowError::WeakPassword(problem)) => {
            invitation_form("you", &token, Some(&format!("The password {problem}.")))
        }
        Err(FlowError::Busy) => busy(),
        Err(_) => super::server_error(),
    }
}

/// The account is ready: on to the product the invitation was for (the origin of its
/// first web redirect URI, where its sign-in starts), if there is one.
async fn accepted(s: &Shared, email: &str, client_id: Option<&str>) -> Response {
    let product = match client_id {
        Some(id) => product_home(s, id).await,
        None => None,
    };
    let body = html! {
        h1 { "Your account is ready" }
        p class="done" role="status" { "You can now sign in as " (email) " with your new password." }
        @if let Some((name, home)) = &product {
            p { a href=(home) { "Continue to " (name) } }
        }
    };
    page(StatusCode::OK, "Your account is ready", body)
}

/// A product client's name and home: its first registered web origin (the auth API's
/// rule for a product's origins).
async fn product_home(s: &Shared, client_id: &str) -> Option<(String, String)> {
    let client = s.clients.get(&s.db.read, client_id).await.ok().flatten()?;
    client.product_id.as_ref()?;
    let origins = crate::auth_api::origin::registered(s, &client).await.ok()?;
    let home = origins.into_iter().next()? + "/";
    Some((client.name.clone(), home))
}
