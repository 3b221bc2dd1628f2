//! Passkeys on the hosted sign-in: "Sign in with a passkey" (passwordless) and the server
//! side of a passkey as the second factor. JSON endpoints called by `assets/passkey.js`,
//! bound like the login form (interaction cookie + CSRF token, form-encoded fields; the
//! browser's credential travels as JSON text in `credential`). A finished sign-in answers
//! `{"location"}` with the session cookie, and the script goes there. Every failure after
//! the options is a `login.failed` (reason `passkey_*`), counted by the throttles, and
//! answers one message whatever went wrong, so nothing tells whether a credential exists.

use super::login::{bound_interaction, csrf_ok, record_failure, refuse_console, sign_in_verified};
use crate::domain::amr::AuthMethods;
use crate::domain::throttle::minutes_text;
use crate::domain::RequestMeta;
use crate::error::OAuthError;
use crate::mfa::Stage;
use crate::oauth::authorize::AuthRequest;
use crate::oauth::params::{Form, Params};
use crate::state::Shared;
use crate::store::sessions::InteractionRow;
use crate::store::users::{self, UserRow};
use crate::throttle::{self, source_key, LoginKeys};
use crate::webauthn::{self, Challenge, Failure, Pending};
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use maud::{html, Markup};
use serde_json::json;
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

/// The throttle account key of passkey answers whose credential is unknown: they are
/// counted together (and by IP), never against a real account.
const UNKNOWN_CREDENTIAL_KEY: &str = "passkey:unknown";

/// The script, served at [`SCRIPT_PATH`] (the pages' CSP allows scripts from 'self' only).
const SCRIPT: &str = include_str!("assets/passkey.js");
pub const SCRIPT_PATH: &str = "/assets/passkey.js";

pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        SCRIPT,
    )
        .into_response()
}

/// The script tag of the pages that use passkeys.
pub fn script_tag() -> Markup {
    html! { script src=(SCRIPT_PATH) defer {} }
}

/// "Sign in with a passkey" under the login form: hidden until the script finds WebAuthn
/// in the browser (the password form works without it).
pub fn login_button(interaction: &str, csrf: &str) -> Markup {
    html! {
        form id="passkey-login" class="passkey" hidden
            data-passkey="get" data-options="/login/passkey/options" data-finish="/login/passkey/finish" {
            (super::binding(interaction, csrf))
            button type="submit" class="secondary" { "Sign in with a passkey" }
            p class="passkey-status" role="status" {}
        }
        (script_tag())
    }
}

/// "Use a passkey" on the second-factor step (`/login/mfa`): hidden until the script finds
/// WebAuthn in the browser (the code form works without it).
pub fn second_factor_button(interaction: &str, csrf: &str) -> Markup {
    html! {
        form id="passkey-mfa" class="passkey" hidden
            data-passkey="get" data-options="/login/mfa/passkey/options"
            data-finish="/login/mfa/passkey/finish" {
            (super::binding(interaction, csrf))
            button type="submit" { "Use a passkey" }
            p class="passkey-status" role="status" {}
        }
        (script_tag())
    }
}

/// A JSON answer of these endpoints.
fn answer(status: StatusCode, error: &str, message: &str) -> Response {
    (status, Json(json!({"error": error, "message": message}))).into_response()
}

fn expired() -> Response {
    answer(
        StatusCode::BAD_REQUEST,
        "expired",
        "This sign-in request has expired. Reload the page and try again.",
    )
}

fn refused() -> Response {
    answer(
        StatusCode::UNAUTHORIZED,
        "passkey_refused",
        "That passkey could not be used. Try again, or sign in with your password.",
    )
}

fn internal() -> Response {
    answer(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        "Something went wrong. Please try again in a moment.",
    )
}

/// The interaction and request this browser may act on (cookie + CSRF token).
async fn bound(
    s: &Shared,
    headers: &HeaderMap,
    form: Result<Form, OAuthError>,
) -> Result<(Params, InteractionRow, AuthRequest), Response> {
    let Ok(Form(p)) = form else {
        return Err(expired());
    };
    let row = match bound_interaction(s, headers, p.get("interaction")).await {
        Ok(Some(row)) if csrf_ok(&p, &row) => row,
        Ok(_) => return Err(expired()),
        Err(_) => return Err(internal()),
    };
    // The console's confirmation page is the only thing such an interaction is good for.
    let req = match serde_json::from_str::<AuthRequest>(&row.request) {
        Ok(req) if req.confirm_session.is_none() => req,
        _ => return Err(expired()),
    };
    Ok((p, row, req))
}

/// The answer on a server whose issuer has no domain name (the script hides the button
/// on such a host; this is for anyone calling anyway).
pub fn unavailable() -> Response {
    answer(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "Passkeys are not available on this server.",
    )
}

fn challenge(result: Result<Challenge, Failure>) -> Response {
    match result {
        Ok(c) => Json(c).into_response(),
        Err(Failure::Unavailable) => unavailable(),
        Err(e) if e.is_internal() => {
            tracing::error!(error = %e, "cannot start a passkey ceremony");
            internal()
        }
        Err(_) => refused(),
    }
}

/// A request of these endpoints, bound to this browser's interaction (cookie + CSRF
/// token); the rejection is the answer.
pub struct Bound {
    headers: HeaderMap,
    p: Params,
    row: InteractionRow,
    req: AuthRequest,
}

impl FromRequest<Shared> for Bound {
    type Rejection = Response;

    async fn from_request(req: Request, s: &Shared) -> Result<Self, Self::Rejection> {
        let headers = req.headers().clone();
        let form = Form::from_request(req, s).await;
        let (p, row, req) = bound(s, &headers, form).await?;
        Ok(Bound {
            headers,
            p,
            row,
            req,
        })
    }
}

impl Bound {
    /// The user who typed the password in this interaction and waits for a second factor
    /// (the code step, not an enrollment), with the methods used so far.
    fn second_factor_user(&self) -> Option<(String, AuthMethods)> {
        let mfa = self.req.mfa.as_ref()?;
        (mfa.stage == Stage::Verify).then(|| (mfa.user_id.clone(), AuthMethods::parse(&mfa.amr)))
    }

    /// A verified user signs in with `methods`; the script gets `{"location"}`.
    async fn sign_in(
        &self,
        s: &Shared,
        meta: &RequestMeta,
        (user, keys, counted): (UserRow, LoginKeys, bool),
        methods: AuthMethods,
    ) -> Response {
        let res = sign_in_verified(
            s,
            meta,
            &self.headers,
            (&self.row, &self.req),
            (&user, &keys, counted),
            methods,
        )
        .await;
        as_json(res)
    }
}

/// `POST /login/passkey/options`: a passwordless ceremony for this interaction.
pub async fn login_options(State(s): State<Shared>, b: Bound) -> Response {
    challenge(webauthn::start_passwordless(&s, &b.row.id).await)
}

/// `POST /login/passkey/finish`: verifies the answer, finds its user, and signs them in
/// with `hwk user` (aal2), then goes on like a password sign-in.
pub async fn login_finish(State(s): State<Shared>, meta: RequestMeta, mut b: Bound) -> Response {
    // A passkey answers the request on its own: a second factor left pending on this
    // interaction by a typed password (maybe another user's) is not continued.
    b.req.mfa = None;
    let f = Finish::new(&s, &meta, &b);
    let credential = f.credential();
    let pending = match &credential {
        Some(c) => webauthn::finish_passwordless(&s, &b.row.id, f.ceremony, c).await,
        None => Err(Failure::Refused("not a WebAuthn credential".into())),
    };
    let (user, keys, counted) = match f.verify(pending, credential.as_ref()).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    let req = &b.req;
    if let Some(email) = &req.reauth_email {
        // The console asked this user to sign in again: no one else.
        if !email.eq_ignore_ascii_case(&user.email) {
            record_failure(&s, &meta, req, Some(user.id.clone()), "passkey_other_user").await;
            return refused();
        }
    }
    match crate::oauth::client_policy::may_sign_in(&s, &req.client_id, &user).await {
        Ok(true) => {}
        Ok(false) => return as_json(refuse_console(&s, &meta, &b.row, req, &user.id).await),
        Err(_) => return internal(),
    }
    b.sign_in(&s, &meta, (user, keys, counted), AuthMethods::passkey())
        .await
}

/// One passkey answer being checked.
struct Finish<'a> {
    s: &'a Shared,
    meta: &'a RequestMeta,
    req: &'a AuthRequest,
    ceremony: &'a str,
    raw: &'a str,
    /// The user the answer must be from, when known before it (the second factor).
    user: Option<String>,
}

impl<'a> Finish<'a> {
    fn new(s: &'a Shared, meta: &'a RequestMeta, b: &'a Bound) -> Self {
        Finish {
            s,
            meta,
            req: &b.req,
            ceremony: b.p.get("ceremony").unwrap_or(""),
            raw: b.p.get("credential").unwrap_or(""),
            user: None,
        }
    }

    /// The browser's credential (at most 64 KiB of JSON).
    fn credential(&self) -> Option<PublicKeyCredential> {
        (self.raw.len() <= 64 * 1024)
            .then(|| serde_json::from_str(self.raw).ok())
            .flatten()
    }

    /// Checks the throttles for the credential's user, verifies the answer and loads the
    /// active user; otherwise the answer to give (every failure audited and counted).
    async fn verify(
        &self,
        pending: Result<Pending, Failure>,
        credential: Option<&PublicKeyCredential>,
    ) -> Result<(UserRow, LoginKeys, bool), Response> {
        let user_id = pending
            .as_ref()
            .ok()
            .map(|p| p.user_id().to_string())
            .or_else(|| self.user.clone());
        let keys = LoginKeys {
            account: user_id
                .clone()
                .unwrap_or_else(|| UNKNOWN_CREDENTIAL_KEY.to_string()),
            user_id: user_id.clone(),
            ip: source_key(self.meta),
        };
        let check = throttle::check_login(self.s, &keys)
            .await
            .map_err(|_| internal())?;
        if let Some(t) = check.throttled {
            let msg = format!(
                "Too many attempts. Try again in {}.",
                minutes_text(t.retry_after)
            );
            let mut res = answer(StatusCode::TOO_MANY_REQUESTS, "rate_limited", &msg);
            res.headers_mut()
                .insert(header::RETRY_AFTER, t.retry_after.max(1).into());
            return Err(res);
        }
        let verified = match (pending, credential) {
            (Ok(p), Some(c)) => p.verify(self.s, self.meta, c).await,
            (Err(e), _) => Err(e),
            (Ok(_), None) => Err(Failure::Refused("no credential".into())),
        };
        let failure = match verified {
            Ok(v) => match users::find_user(&self.s.db.read, &v.user_id).await {
                Ok(Some(u)) if u.is_active() => return Ok((u, keys, check.account_counted)),
                Ok(Some(u)) => {
                    record_failure(self.s, self.meta, self.req, Some(u.id), "suspended").await;
                    return Err(answer(
                        StatusCode::FORBIDDEN,
                        "suspended",
                        "This account is suspended. Contact your administrator.",
                    ));
                }
                Ok(None) => Failure::UnknownCredential,
                Err(e) => Failure::Store(e),
            },
            Err(e) => e,
        };
        Err(self.refuse(&keys, user_id, failure).await)
    }

    /// A failed answer: audited `login.failed`, counted, one message.
    async fn refuse(&self, keys: &LoginKeys, user_id: Option<String>, e: Failure) -> Response {
        if e.is_internal() {
            tracing::error!(error = %e, "cannot check a passkey");
            return internal();
        }
        if matches!(e, Failure::Unavailable) {
            return unavailable();
        }
        tracing::info!(error = %e, "passkey refused");
        let (counted, ()) = tokio::join!(
            throttle::record_login_failure(self.s, self.meta, keys, &self.req.client_id),
            record_failure(self.s, self.meta, self.req, user_id, e.reason()),
        );
        if let Err(e) = counted {
            tracing::error!(error = %e, "cannot count a failed passkey sign-in");
        }
        if matches!(e, Failure::Ceremony) {
            return expired();
        }
        refused()
    }
}

/// A hosted page's answer for the script: a redirect becomes `{"location"}` (its cookies
/// kept), anything else an error with its status.
fn as_json(res: Response) -> Response {
    let status = res.status();
    match location_of(&res) {
        Some(location) if status.is_redirection() => {
            let cookies: Vec<_> = res
                .headers()
                .get_all(header::SET_COOKIE)
                .iter()
                .cloned()
                .collect();
            let mut out = Json(json!({"location": location})).into_response();
            for c in cookies {
                out.headers_mut().append(header::SET_COOKIE, c);
            }
            out
        }
        _ if status.is_server_error() => internal(),
        _ => expired(),
    }
}

/// The `Location` of an answer, if any.
pub fn location_of(res: &Response) -> Option<String> {
    res.headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Whether `user_id` may use a passkey as the second factor (offer the button on
/// `/login/mfa` when true).
pub async fn may_use_passkey(s: &Shared, user_id: &str) -> bool {
    webauthn::may_use_as_second_factor(s, user_id)
        .await
        .unwrap_or(false)
}

/// `POST /login/mfa/passkey/options`: a ceremony over the passkeys of the user who typed
/// the password in this interaction.
pub async fn mfa_options(State(s): State<Shared>, b: Bound) -> Response {
    match b.second_factor_user() {
        Some((user_id, _)) => {
            challenge(webauthn::start_second_factor(&s, &user_id, &b.row.id).await)
        }
        None => expired(),
    }
}

/// `POST /login/mfa/passkey/finish`: verifies the passkey of the user who typed the
/// password; the session starts (or, for a step-up, goes on) with `hwk` added (aal2).
pub async fn mfa_finish(State(s): State<Shared>, meta: RequestMeta, b: Bound) -> Response {
    let Some((user_id, so_far)) = b.second_factor_user() else {
        return expired();
    };
    let f = Finish {
        user: Some(user_id.clone()),
        ..Finish::new(&s, &meta, &b)
    };
    let credential = f.credential();
    let pending = match &credential {
        Some(c) => webauthn::finish_second_factor(&s, &user_id, &b.row.id, f.ceremony, c).await,
        None => Err(Failure::Refused("not a WebAuthn credential".into())),
    };
    match f.verify(pending, credential.as_ref()).await {
        Ok(verified) => b.sign_in(&s, &meta, verified, so_far.with("hwk")).await,
        Err(res) => res,
    }
}

/// "Use a passkey instead" on the enrollment step (`/login/mfa/setup`): registers a new
/// passkey for the user who typed the password, as their second factor.
pub fn enroll_button(interaction: &str, csrf: &str) -> Markup {
    html! {
        form id="passkey-enroll" class="passkey" hidden
            data-passkey="create" data-options="/login/mfa/setup/passkey/options"
            data-finish="/login/mfa/setup/passkey/finish" {
            (super::binding(interaction, csrf))
            button type="submit" class="secondary" { "Use a passkey instead" }
            p class="passkey-status" role="status" {}
        }
        (script_tag())
    }
}

impl Bound {
    /// The user who typed the password in this interaction and must now enroll a second
    /// factor, with the methods used so far.
    async fn enrolling_user(&self, s: &Shared) -> Result<(UserRow, AuthMethods), Response> {
        let Some(mfa) = self.req.mfa.as_ref().filter(|m| m.stage == Stage::Enroll) else {
            return Err(expired());
        };
        match users::find_user(&s.db.read, &mfa.user_id).await {
            Ok(Some(u)) if u.is_active() => Ok((u, AuthMethods::parse(&mfa.amr))),
            Ok(_) => Err(expired()),
            Err(_) => Err(internal()),
        }
    }
}

/// `POST /login/mfa/setup/passkey/options`: a registration for the enrolling user.
pub async fn enroll_options(State(s): State<Shared>, b: Bound) -> Response {
    match b.enrolling_user(&s).await {
        Ok((user, _)) => challenge(webauthn::start_registration(&s, &user, &b.row.id).await),
        Err(res) => res,
    }
}

/// `POST /login/mfa/setup/passkey/finish`: stores the new passkey (`passkey.registered`),
/// then the sign-in completes with `hwk` added to the pending methods (aal2).
pub async fn enroll_finish(State(s): State<Shared>, meta: RequestMeta, b: Bound) -> Response {
    let (user, so_far) = match b.enrolling_user(&s).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    let raw = b.p.get("credential").unwrap_or("");
    let credential: Option<RegisterPublicKeyCredential> = (raw.len() <= 64 * 1024)
        .then(|| serde_json::from_str(raw).ok())
        .flatten();
    let Some(credential) = credential else {
        return refused();
    };
    let ceremony = b.p.get("ceremony").unwrap_or("");
    let registered = webauthn::finish_registration(
        &s,
        &meta,
        &user.id,
        &b.row.id,
        ceremony,
        &credential,
        "Passkey",
    )
    .await;
    match registered {
        Ok(_) => {}
        Err(Failure::Unavailable) => return unavailable(),
        Err(e) if e.is_internal() => {
            tracing::error!(error = %e, "cannot register a passkey at enrollment");
            return internal();
        }
        Err(_) => return refused(),
    }
    let keys = LoginKeys::new(Some(&user.id), &user.email, &meta);
    b.sign_in(&s, &meta, (user, keys, true), so_far.with("hwk"))
        .await
}
