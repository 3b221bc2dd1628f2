//! The console's confirmation page: a super-admin with a live SSO session is asked
//! "Continue to the Tessera console as …?" before the console gets a code. Bound to the
//! browser by the interaction cookie, to the request by a CSRF token, and to the very
//! session it names (a different session cookie by the time of the POST is refused).

use super::login::{bound_interaction, clear_interaction_cookie, csrf_ok, expired};
use super::{binding, page};
use crate::audit::{kind, Event};
use crate::crypto::sha256;
use crate::domain::RequestMeta;
use crate::error::OAuthError;
use crate::oauth::authorize::{error_location, issue_code_in, see_other, AuthRequest};
use crate::oauth::params::{Form, Params};
use crate::oauth::{console, cookie, session_cookie};
use crate::state::Shared;
use crate::store::now;
use crate::store::sessions::{self, InteractionRow, SessionRow};
use crate::store::users::{self, UserRow};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::html;
use serde_json::json;

/// What the page acts on: the pending request and the session it names, if both still
/// hold (the interaction bound to this browser, the same live session, its user active).
struct Pending {
    row: InteractionRow,
    req: AuthRequest,
    session: SessionRow,
    user: UserRow,
}

async fn pending(
    s: &Shared,
    headers: &HeaderMap,
    interaction: Option<&str>,
) -> Result<Option<Pending>, OAuthError> {
    let Some(row) = bound_interaction(s, headers, interaction).await? else {
        return Ok(None);
    };
    let Ok(req) = serde_json::from_str::<AuthRequest>(&row.request) else {
        return Ok(None);
    };
    let Some(wanted) = req.confirm_session.as_deref() else {
        return Ok(None);
    };
    let Some(token) = cookie(headers, session_cookie(s.secure_cookies)) else {
        return Ok(None);
    };
    let Some(session) = sessions::find_live_session(&s.db.read, &sha256(&token), now()).await?
    else {
        return Ok(None);
    };
    if session.id != wanted {
        return Ok(None);
    }
    let Some(user) = users::find_user(&s.db.read, &session.user_id)
        .await?
        .filter(|u| u.is_active())
    else {
        return Ok(None);
    };
    Ok(Some(Pending {
        row,
        req,
        session,
        user,
    }))
}

fn confirm_form(p: &Pending) -> Response {
    let body = html! {
        h1 { "Tessera console" }
        p { "Continue to the Tessera console as " strong { (p.user.email) } "?" }
        form method="post" action="/login/confirm" {
            (binding(&p.row.id, &p.row.csrf_token))
            button type="submit" name="action" value="continue" autofocus { "Continue" }
            button type="submit" name="action" value="cancel" class="secondary" { "Cancel" }
        }
    };
    page(StatusCode::OK, "Continue to the console", body)
}

/// The password is due again: the login form of the same interaction takes over.
fn to_password(p: &Pending) -> Response {
    see_other(&format!("/login?interaction={}", p.row.id), None)
}

fn stale(p: &Pending) -> bool {
    now() - p.session.auth_time > console::REAUTH_AFTER
}

pub async fn show(State(s): State<Shared>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let Ok(params) = Params::parse(q.unwrap_or_default().as_bytes()) else {
        return expired();
    };
    match pending(&s, &headers, params.get("interaction")).await {
        Ok(Some(p)) if stale(&p) => to_password(&p),
        Ok(Some(p)) => confirm_form(&p),
        Ok(None) => expired(),
        Err(_) => super::server_error(),
    }
}

pub async fn submit(
    State(s): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    form: Result<Form, OAuthError>,
) -> Response {
    let Ok(Form(params)) = form else {
        return expired();
    };
    let p = match pending(&s, &headers, params.get("interaction")).await {
        Ok(Some(p)) => p,
        Ok(None) => return expired(),
        Err(_) => return super::server_error(),
    };
    if !csrf_ok(&params, &p.row) {
        return expired();
    }
    let outcome = match params.get("action") {
        Some("continue") if !console::may_sign_in(&p.user) => {
            console::record_refusal(&s, &meta, &p.req.client_id, &p.user.id, "sso").await;
            finish(&s, &meta, &p, Some(console::denied())).await
        }
        Some("continue") if stale(&p) => return to_password(&p),
        Some("continue") => finish(&s, &meta, &p, None).await,
        Some("cancel") => {
            finish(
                &s,
                &meta,
                &p,
                Some(OAuthError::new(
                    StatusCode::FORBIDDEN,
                    "access_denied",
                    "the super-admin cancelled the console sign-in",
                )),
            )
            .await
        }
        _ => return expired(),
    };
    match outcome {
        Ok(location) => {
            let mut res = see_other(&location, None);
            clear_interaction_cookie(&s, &mut res);
            res
        }
        Err(e) if e.error == "invalid_request" => expired(),
        Err(_) => super::server_error(),
    }
}

/// Spends the interaction and returns where the console goes: with a code (and
/// `login.succeeded`, method `sso_confirm`, in the same transaction), or with `refusal`.
async fn finish(
    s: &Shared,
    meta: &RequestMeta,
    p: &Pending,
    refusal: Option<OAuthError>,
) -> Result<String, OAuthError> {
    let mut tx = s.db.begin().await?;
    if !sessions::delete_interaction(&mut tx, &p.row.id).await? {
        return Err(OAuthError::invalid_request("interaction already used"));
    }
    let location = match refusal {
        Some(e) => error_location(s, &p.req, e),
        None => {
            let location = issue_code_in(s, &mut tx, &p.req, &p.session, None).await?;
            Event::success(kind::LOGIN_SUCCEEDED)
                .meta(meta)
                .actor(&p.user.id)
                .subject(&p.user.id)
                .client(&p.req.client_id)
                .detail(json!({"method": "sso_confirm", "session_id": p.session.id}))
                .write(&mut tx)
                .await?;
            location
        }
    };
    tx.commit().await?;
    Ok(location)
}
