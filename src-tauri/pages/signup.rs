//! The hosted sign-up page (`/signup?interaction=…`), linked from the sign-in page of a
//! product that allows it (`self_registration`). Bound to the pending sign-in like the
//! login form; the account is made by the same code as `POST /v1/auth/register` (rules,
//! IP throttle, hashing bound, `user.registered`, the verification email), then the
//! sign-in goes on as after a password (a second factor to enroll if the product wants
//! one, the branch choice, back to the product with a code).

use super::login::{
    bound_request, complete_sign_in, expired, shown_interaction, with_retry_after, Completion,
};
use super::{alert, binding, page};
use crate::auth_api::register::{self, RegisterError};
use crate::domain::amr::AuthMethods;
use crate::domain::throttle::minutes_text;
use crate::domain::RequestMeta;
use crate::error::OAuthError;
use crate::oauth::authorize::{see_other, AuthRequest};
use crate::oauth::params::Form;
use crate::state::Shared;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::html;

/// The form again (or for the first time), with what was typed (never the password).
fn signup_form(
    status: StatusCode,
    (interaction, csrf): (&str, &str),
    req: &AuthRequest,
    (email, name): (&str, &str),
    error: Option<&str>,
) -> Response {
    let product = req.product_name.as_deref().unwrap_or("this app");
    let body = html! {
        h1 { "Create your account" }
        p { "Sign up to use " (product) "." }
        (alert(error))
        form method="post" action="/signup" {
            (binding(interaction, csrf))
            label for="name" { "Name" }
            input id="name" name="name" type="text" autocomplete="name" maxlength="200" value=(name);
            label for="email" { "Email" }
            input id="email" name="email" type="email" autocomplete="email" required autofocus value=(email);
            label for="password" { "Password" }
            input id="password" name="password" type="password" autocomplete="new-password"
                minlength="8" maxlength="1024" required;
            label for="confirm" { "Password again" }
            input id="confirm" name="confirm" type="password" autocomplete="new-password" required;
            button type="submit" { "Create account" }
        }
        p class="note" { a href=(format!("/login?interaction={interaction}")) { "I already have an account" } }
    };
    page(status, "Create your account", body)
}

pub async fn show(State(s): State<Shared>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let row = match shown_interaction(&s, &headers, q).await {
        Ok(row) => row,
        Err(res) => return res,
    };
    let Ok(req) = serde_json::from_str::<AuthRequest>(&row.request) else {
        return expired();
    };
    if !req.sign_up {
        return closed();
    }
    signup_form(
        StatusCode::OK,
        (&row.id, &row.csrf_token),
        &req,
        ("", ""),
        None,
    )
}

fn closed() -> Response {
    super::error_page(
        StatusCode::FORBIDDEN,
        "Sign-up is closed",
        "This app does not let people create their own accounts. Ask its administrator for an invitation.",
    )
}

pub async fn submit(
    State(s): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    form: Result<Form, OAuthError>,
) -> Response {
    let Ok(Form(p)) = form else { return expired() };
    let (row, req) = match bound_request(&s, &headers, &p).await {
        Ok(bound) => bound,
        Err(res) => return res,
    };
    let client = match s.clients.get(&s.db.read, &req.client_id).await {
        Ok(Some(c)) if c.self_registration && crate::auth_api::serves(&c) => c,
        Ok(_) => return closed(),
        Err(_) => return super::server_error(),
    };
    let email = p
        .get("email")
        .unwrap_or("")
        .trim()
        .chars()
        .take(254)
        .collect::<String>();
    let name = p
        .get("name")
        .unwrap_or("")
        .trim()
        .chars()
        .take(200)
        .collect::<String>();
    let again = |status, msg: &str| {
        signup_form(
            status,
            (&row.id, &row.csrf_token),
            &req,
            (&email, &name),
            Some(msg),
        )
    };
    let password = p.get("password").unwrap_or("").to_string();
    if p.get("confirm") != Some(password.as_str()) {
        return again(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The two passwords are not the same.",
        );
    }
    let name_opt = Some(name.as_str()).filter(|n| !n.is_empty());
    let account = match register::prepare(&s, &meta, &client, (&email, password, name_opt)).await {
        Ok(a) => a,
        Err(e) => return refused(e, &again),
    };
    let created = async {
        let mut tx = s.db.begin().await?;
        let user = register::create_user(&s, &mut tx, &meta, &client, &account).await?;
        tx.commit().await?;
        Ok::<_, RegisterError>(user)
    }
    .await;
    let user = match created {
        Ok(u) => u,
        Err(RegisterError::EmailTaken) => {
            register::count_taken(&s, &meta, &client, &account.keys).await;
            return again(
                StatusCode::CONFLICT,
                "An account with this email already exists. Sign in, or reset its password.",
            );
        }
        Err(e) => return refused(e, &again),
    };
    s.mail.wake();
    // As after a password: a second factor to enroll first, if the product wants one.
    match super::after_password(&s, &row, &req, &user).await {
        Ok(Some(location)) => return see_other(&location, None),
        Ok(None) => {}
        Err(_) => return expired(),
    }
    let c = Completion {
        s: &s,
        meta: &meta,
        headers: &headers,
        row: &row,
        req: &req,
        user: &user,
        reset: None,
    };
    match s.db.begin().await {
        Ok(tx) => complete_sign_in(&c, tx, AuthMethods::password()).await,
        Err(_) => super::server_error(),
    }
}

/// A refused sign-up as the form shows it.
fn refused(e: RegisterError, again: &dyn Fn(StatusCode, &str) -> Response) -> Response {
    match e {
        RegisterError::Closed => closed(),
        RegisterError::Invalid(e) => {
            let field = e.field.as_deref().unwrap_or("input");
            let detail = e
                .message
                .split_once(": ")
                .map_or(e.message.as_str(), |(_, m)| m);
            again(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("The {field} {detail}."),
            )
        }
        RegisterError::EmailTaken => again(
            StatusCode::CONFLICT,
            "An account with this email already exists.",
        ),
        RegisterError::Throttled(secs) => {
            let msg = format!("Too many attempts. Try again in {}.", minutes_text(secs));
            with_retry_after(again(StatusCode::TOO_MANY_REQUESTS, &msg), secs)
        }
        RegisterError::Busy => super::recovery::busy(),
        RegisterError::Store(_) => super::server_error(),
    }
}
