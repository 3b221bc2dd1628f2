//! The hosted sign-in page. The form is bound to the browser by the interaction cookie
//! and to the pending request by a CSRF token; success starts an SSO session and
//! returns to the client with a code. Throttles are checked before the password is
//! hashed (a throttled account or IP is refused even with the right password), and every
//! hash runs through the server's hashing bound.

use super::{alert, binding, error_page, page};
use crate::audit::{kind, Event};
use crate::crypto::{ct_eq, random_token, sha256, verify_password, verify_password_against_dummy};
use crate::domain::branch::Choice;
use crate::domain::throttle::minutes_text;
use crate::domain::RequestMeta;
use crate::error::OAuthError;
use crate::oauth::authorize::{
    branch_choice, denied, error_location, issue_code_in, see_other, AuthRequest,
};
use crate::oauth::console;
use crate::oauth::logout::end_browser_session;
use crate::oauth::params::{Form, Params};
use crate::oauth::{cookie, interaction_cookie, session_cookie, set_cookie};
use crate::state::Shared;
use crate::store::sessions::{self, InteractionRow, NewSession};
use crate::store::{now, users};
use crate::throttle::hashing::{HashRefused, BUSY_RETRY_AFTER};
use crate::throttle::{self, LoginKeys};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use maud::html;
use serde_json::json;

/// How long an SSO session lasts.
const SESSION_TTL: i64 = 12 * 3600;

pub(super) fn expired() -> Response {
    error_page(
        StatusCode::BAD_REQUEST,
        "Sign-in expired",
        "This sign-in request has expired or was started in another browser. Go back to the application and start again.",
    )
}

/// The form; `reauth`: a console session too old to continue on its own, so the email is
/// shown read-only and only the password is asked for.
fn login_form(
    status: StatusCode,
    interaction: &str,
    csrf: &str,
    email: &str,
    reauth: bool,
    error: Option<&str>,
) -> Response {
    let intro = if reauth {
        "Enter your password again to continue to the Tessera console."
    } else {
        "Use your Tessera account."
    };
    let body = html! {
        h1 { "Sign in" }
        p { (intro) }
        (alert(error))
        form method="post" action="/login" {
            (binding(interaction, csrf))
            label for="email" { "Email" }
            input id="email" name="email" type="email" autocomplete="username" required
                readonly[reauth] autofocus[!reauth] value=(email);
            label for="password" { "Password" }
            input id="password" name="password" type="password"
                autocomplete="current-password" required autofocus[reauth];
            button type="submit" { "Sign in" }
        }
    };
    page(status, "Sign in", body)
}

/// The interaction this browser may act on: the cookie and the parameter must agree.
pub(super) async fn bound_interaction(
    s: &Shared,
    headers: &HeaderMap,
    id: Option<&str>,
) -> Result<Option<InteractionRow>, OAuthError> {
    let (Some(id), Some(cookie_id)) = (id, cookie(headers, interaction_cookie(s.secure_cookies)))
    else {
        return Ok(None);
    };
    if !ct_eq(id.as_bytes(), cookie_id.as_bytes()) {
        return Ok(None);
    }
    Ok(sessions::find_interaction(&s.db.read, id, now()).await?)
}

/// Whether the form carries the interaction's CSRF token (compared in constant time).
pub(super) fn csrf_ok(form: &Params, row: &InteractionRow) -> bool {
    form.get("csrf_token")
        .is_some_and(|t| ct_eq(t.as_bytes(), row.csrf_token.as_bytes()))
}

pub async fn show(State(s): State<Shared>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let Ok(p) = Params::parse(q.unwrap_or_default().as_bytes()) else {
        return expired();
    };
    match bound_interaction(&s, &headers, p.get("interaction")).await {
        Ok(Some(row)) => {
            let reauth = serde_json::from_str::<AuthRequest>(&row.request)
                .ok()
                .and_then(|r| r.reauth_email);
            let email = reauth.as_deref().unwrap_or("");
            login_form(
                StatusCode::OK,
                &row.id,
                &row.csrf_token,
                email,
                reauth.is_some(),
                None,
            )
        }
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
    let Ok(Form(p)) = form else { return expired() };
    let row = match bound_interaction(&s, &headers, p.get("interaction")).await {
        Ok(Some(row)) => row,
        Ok(None) => return expired(),
        Err(_) => return super::server_error(),
    };
    if !csrf_ok(&p, &row) {
        return expired();
    }
    let Ok(req) = serde_json::from_str::<AuthRequest>(&row.request) else {
        return expired();
    };
    let email = p
        .get("email")
        .unwrap_or("")
        .trim()
        .chars()
        .take(254)
        .collect::<String>();
    let password = p.get("password").unwrap_or("").to_string();
    let reauth = req.reauth_email.is_some();
    let retry =
        |status, msg: &str| login_form(status, &row.id, &row.csrf_token, &email, reauth, Some(msg));

    let user = match users::find_user_by_email(&s.db.read, &email).await {
        Ok(u) => u,
        Err(_) => return super::server_error(),
    };
    let keys = LoginKeys::new(user.as_ref().map(|u| u.id.as_str()), &email, &meta);
    let check = match throttle::check_login(&s, &keys).await {
        Ok(c) => c,
        Err(_) => return super::server_error(),
    };
    if let Some(t) = check.throttled {
        let msg = format!(
            "Too many attempts. Try again in {}.",
            minutes_text(t.retry_after)
        );
        return with_retry_after(retry(StatusCode::TOO_MANY_REQUESTS, &msg), t.retry_after);
    }
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let verified = s
        .hashing
        .run(keys.ip.as_deref(), move || match hash {
            Some(h) => verify_password(&password, &h),
            None => {
                verify_password_against_dummy(&password);
                false
            }
        })
        .await;
    let ok = match verified {
        Ok(ok) => ok,
        Err(HashRefused::Busy) => {
            let page = retry(
                StatusCode::SERVICE_UNAVAILABLE,
                "The server is busy right now. Please try again in a moment.",
            );
            return with_retry_after(page, i64::from(BUSY_RETRY_AFTER));
        }
        Err(HashRefused::Failed) => false,
    };
    let user = match (user, ok) {
        (Some(u), true) => u,
        (u, _) => {
            let reason = if u.is_some() {
                "wrong_password"
            } else {
                "unknown_email"
            };
            let (counted, ()) = tokio::join!(
                throttle::record_login_failure(&s, &meta, &keys, &req.client_id),
                record_failure(&s, &meta, &req, u.map(|u| u.id), reason),
            );
            if let Err(e) = counted {
                tracing::error!(error = %e, "cannot count a failed sign-in");
            }
            return retry(StatusCode::UNAUTHORIZED, "Wrong email or password.");
        }
    };
    if !user.is_active() {
        record_failure(&s, &meta, &req, Some(user.id.clone()), "suspended").await;
        return retry(
            StatusCode::FORBIDDEN,
            "This account is suspended. Contact your administrator.",
        );
    }

    if console::is_console(&req.client_id) && !console::may_sign_in(&user) {
        return refuse_console(&s, &meta, &row, &req, &user.id).await;
    }

    let choice = match branch_choice(&s, &user.id, &req).await {
        Ok(c) => c,
        Err(_) => return super::server_error(),
    };
    let picking = matches!(choice, Choice::Pick(_));
    let now = now();
    let session_token = random_token(32);
    let session_id = uuid::Uuid::now_v7().to_string();
    let result: Result<String, OAuthError> = async {
        let mut tx = s.db.begin().await?;
        // The account's earlier failures are forgotten (the IP's are not).
        if check.account_counted {
            throttle::reset_account_in(&mut tx, &keys).await?;
        }
        // A branch still to pick keeps the interaction for the branch page.
        if !picking && !sessions::delete_interaction(&mut tx, &row.id).await? {
            return Err(OAuthError::invalid_request("interaction already used"));
        }
        // A browser holds one session: the one this sign-in replaces ends here, with the
        // refresh families started in it.
        if let Some(previous) = cookie(&headers, session_cookie(s.secure_cookies)) {
            end_browser_session(&mut tx, &meta, &previous, None, "new_sign_in").await?;
        }
        sessions::insert_session(
            &mut tx,
            &NewSession {
                id: &session_id,
                token_hash: &sha256(&session_token),
                user_id: &user.id,
                auth_time: now,
                expires_at: now + SESSION_TTL,
                ip: meta.ip.as_deref(),
                user_agent: meta.user_agent.as_deref(),
            },
        )
        .await?;
        let location = match &choice {
            Choice::Pick(_) => format!("/login/branch?interaction={}", row.id),
            Choice::Denied => error_location(&s, &req, denied()),
            Choice::Use(ctx) => {
                issue_code_in(&s, &mut tx, &req, &user.id, &session_id, now, Some(ctx)).await?
            }
            Choice::NoBranch => {
                issue_code_in(&s, &mut tx, &req, &user.id, &session_id, now, None).await?
            }
        };
        Event::success(kind::LOGIN_SUCCEEDED)
            .meta(&meta)
            .actor(&user.id)
            .subject(&user.id)
            .client(&req.client_id)
            .detail(json!({"method": "password", "session_id": session_id}))
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(location)
    }
    .await;
    match result {
        Ok(location) => {
            let mut res = see_other(
                &location,
                Some(set_cookie(
                    session_cookie(s.secure_cookies),
                    &session_token,
                    SESSION_TTL,
                    s.secure_cookies,
                )),
            );
            if picking {
                return res;
            }
            clear_interaction_cookie(&s, &mut res);
            res
        }
        Err(e) if e.error == "invalid_request" => expired(),
        Err(_) => super::server_error(),
    }
}

fn with_retry_after(mut res: Response, secs: i64) -> Response {
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    res
}

/// Ends the interaction cookie: the request it bound is spent.
pub(super) fn clear_interaction_cookie(s: &Shared, res: &mut Response) {
    if let Ok(v) = set_cookie(
        interaction_cookie(s.secure_cookies),
        "",
        0,
        s.secure_cookies,
    )
    .parse()
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// A correct password of someone who is not an active super-admin, at the console: the
/// request is spent, no session starts, and the console gets `access_denied`.
async fn refuse_console(
    s: &Shared,
    meta: &RequestMeta,
    row: &InteractionRow,
    req: &AuthRequest,
    user_id: &str,
) -> Response {
    let spent: Result<bool, sqlx::Error> = async {
        let mut tx = s.db.begin().await?;
        let deleted = sessions::delete_interaction(&mut tx, &row.id).await?;
        tx.commit().await?;
        Ok(deleted)
    }
    .await;
    match spent {
        Ok(true) => {}
        Ok(false) => return expired(),
        Err(_) => return super::server_error(),
    }
    console::record_refusal(s, meta, &req.client_id, user_id, "password").await;
    let mut res = see_other(&error_location(s, req, console::denied()), None);
    clear_interaction_cookie(s, &mut res);
    res
}

async fn record_failure(
    s: &Shared,
    meta: &RequestMeta,
    req: &AuthRequest,
    user_id: Option<String>,
    reason: &str,
) {
    let mut event = Event::failure(kind::LOGIN_FAILED)
        .meta(meta)
        .client(&req.client_id)
        .detail(json!({"reason": reason}));
    if let Some(id) = user_id {
        event = event.subject(id);
    }
    if s.audit.append(event).await.is_err() {
        tracing::error!("cannot record a failed login");
    }
}
