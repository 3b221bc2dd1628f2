//! The second-factor pages of a sign-in: `/login/mfa` (a TOTP or recovery code),
//! `/login/mfa/setup` (TOTP enrollment: QR code, secret, `otpauth://` link, first code),
//! then the recovery codes, shown once, and "Continue" (`/login/mfa/continue`). The
//! pending state lives in the interaction's stored request (`AuthRequest::mfa`), so each
//! page is bound like the login form (interaction cookie + CSRF token) and is reachable
//! only after the first factor; a step-up is also bound to the session it upgrades.
//! Codes are throttled like passwords (account + IP) and every wrong one is counted.

use super::login::{
    bound_request, complete_sign_in, csrf_ok, expired, shown_interaction, with_retry_after,
    Completion,
};
use super::{alert, binding, page};
use crate::audit::{kind, Event};
use crate::crypto::sha256;
use crate::domain::amr::AuthMethods;
use crate::domain::throttle::minutes_text;
use crate::domain::RequestMeta;
use crate::error::OAuthError;
use crate::mfa::{self, base32, recovery, totp, PendingMfa, Stage};
use crate::oauth::authorize::AuthRequest;
use crate::oauth::params::{Form, Params};
use crate::oauth::{cookie, session_cookie};
use crate::state::Shared;
use crate::store::sessions::{self, InteractionRow};
use crate::store::users::{self, UserRow};
use crate::store::{mfa as store, now};
use crate::throttle::{self, LoginKeys};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::{html, Markup, PreEscaped};
use serde_json::json;

/// The page of a stage.
pub fn page_of(stage: Stage) -> &'static str {
    match stage {
        Stage::Verify => "/login/mfa",
        Stage::Enroll | Stage::Enrolled => "/login/mfa/setup",
    }
}

/// After a correct password: when the user has a factor or must have one, the request
/// remembers the first factor and the browser goes to the second-factor (or enrollment)
/// page; `None` signs in at once.
pub(crate) async fn after_password(
    s: &Shared,
    row: &InteractionRow,
    req: &AuthRequest,
    user: &UserRow,
) -> Result<Option<String>, OAuthError> {
    let client_requires = s
        .clients
        .get(&s.db.read, &req.client_id)
        .await?
        .is_some_and(|c| c.mfa_required);
    let factors = store::factors(&s.db.read, &user.id).await?;
    let required = mfa::aal2_required(client_requires, user.mfa_required, &req.acr_values);
    let Some(stage) = mfa::next_stage(factors.any(), required) else {
        return Ok(None);
    };
    let mut pending = req.clone();
    pending.mfa = Some(PendingMfa {
        user_id: user.id.clone(),
        stage,
        amr: AuthMethods::password().stored(),
        session_id: None,
        sealed_secret: None,
    });
    save(s, &row.id, &pending).await?;
    Ok(Some(format!("{}?interaction={}", page_of(stage), row.id)))
}

/// Stores the request (with its pending factor) back on the interaction.
async fn save(s: &Shared, id: &str, req: &AuthRequest) -> Result<(), OAuthError> {
    let text = serde_json::to_string(req).map_err(|_| OAuthError::server_error())?;
    let mut tx = s.db.begin().await?;
    if !store::set_interaction_request(&mut tx, id, &text).await? {
        return Err(OAuthError::invalid_request("interaction already used"));
    }
    tx.commit().await?;
    Ok(())
}

/// What a second-factor page acts on.
struct Pending {
    row: InteractionRow,
    req: AuthRequest,
    mfa: PendingMfa,
    user: UserRow,
}

/// The pending second factor at `stage` this browser may act on: bound interaction, an
/// active user, and for a step-up the very session it upgrades.
async fn pending(
    s: &Shared,
    headers: &HeaderMap,
    row: InteractionRow,
    req: AuthRequest,
    stage: Stage,
) -> Result<Option<Pending>, OAuthError> {
    let Some(mfa) = req.mfa.clone().filter(|m| m.stage == stage) else {
        return Ok(None);
    };
    let Some(user) = users::find_user(&s.db.read, &mfa.user_id)
        .await?
        .filter(|u| u.is_active())
    else {
        return Ok(None);
    };
    if let Some(wanted) = &mfa.session_id {
        let Some(token) = cookie(headers, session_cookie(s.secure_cookies)) else {
            return Ok(None);
        };
        let live = sessions::find_live_session(&s.db.read, &sha256(&token), now()).await?;
        if live.is_none_or(|l| &l.id != wanted) {
            return Ok(None);
        }
    }
    Ok(Some(Pending {
        row,
        req,
        mfa,
        user,
    }))
}

/// A GET of a second-factor page: the pending factor at `stage`, or the answer to give.
async fn shown(
    s: &Shared,
    headers: &HeaderMap,
    q: Option<String>,
    stage: Stage,
) -> Result<Pending, Response> {
    let row = shown_interaction(s, headers, q).await?;
    let Ok(req) = serde_json::from_str::<AuthRequest>(&row.request) else {
        return Err(expired());
    };
    match pending(s, headers, row, req, stage).await {
        Ok(Some(p)) => Ok(p),
        Ok(None) => Err(expired()),
        Err(_) => Err(super::server_error()),
    }
}

/// A POST of a second-factor page: bound, CSRF token right, the factor at `stage`.
async fn posted(
    s: &Shared,
    headers: &HeaderMap,
    p: &Params,
    stage: Stage,
) -> Result<Pending, Response> {
    let (row, req) = bound_request(s, headers, p).await?;
    if !csrf_ok(p, &row) {
        return Err(expired());
    }
    match pending(s, headers, row, req, stage).await {
        Ok(Some(p)) => Ok(p),
        Ok(None) => Err(expired()),
        Err(_) => Err(super::server_error()),
    }
}

/// The form asking for a code, posted to `action`.
fn code_fields(p: &Pending, action: &str, inputmode: &str) -> Markup {
    html! {
        form method="post" action=(action) {
            (binding(&p.row.id, &p.row.csrf_token))
            label for="code" { "Code" }
            input id="code" name="code" type="text" inputmode=(inputmode)
                autocomplete="one-time-code" maxlength="64" required autofocus;
            button type="submit" { "Verify" }
        }
    }
}

/// The code step; `passkeys`: the user may also answer with a passkey.
fn code_form(status: StatusCode, p: &Pending, passkeys: bool, error: Option<&str>) -> Response {
    let intro = if passkeys {
        "Use your passkey, or enter the 6-digit code from your authenticator app or one of your recovery codes."
    } else {
        "Enter the 6-digit code from your authenticator app, or one of your recovery codes."
    };
    let body = html! {
        h1 { "Two-step sign-in" }
        p { (intro) }
        (alert(error))
        @if passkeys {
            (super::passkey::second_factor_button(&p.row.id, &p.row.csrf_token))
        }
        (code_fields(p, "/login/mfa", "text"))
    };
    page(status, "Two-step sign-in", body)
}

/// The enrollment page for the pending secret.
fn setup_form(status: StatusCode, s: &Shared, p: &Pending, error: Option<&str>) -> Response {
    let secret = p
        .mfa
        .sealed_secret
        .as_deref()
        .and_then(|sealed| mfa::open_secret(s.keys.kek(), &p.user.id, sealed));
    let Some(secret) = secret else {
        return super::server_error();
    };
    let body = html! {
        h1 { "Set up two-step sign-in" }
        p { "Scan this code with an authenticator app, then enter the 6-digit code it shows." }
        (alert(error))
        (authenticator_key(&secret, &p.user.email))
        (code_fields(p, "/login/mfa/setup", "numeric"))
        @if crate::webauthn::available(s) {
            (super::passkey::enroll_button(&p.row.id, &p.row.csrf_token))
        }
    };
    page(status, "Set up two-step sign-in", body)
}

/// A new authenticator key as an app takes it: the QR code, the key as text
/// (`#totp-secret`) and the `otpauth://` link.
pub(crate) fn authenticator_key(secret: &[u8], email: &str) -> Markup {
    let b32 = base32(secret);
    let uri = totp::otpauth_uri("Tessera", email, &b32);
    html! {
        @if let Some(svg) = totp::qr_svg(&uri) {
            div class="qr" role="img" aria-label="QR code of the authenticator key" { (PreEscaped(svg)) }
        }
        p { "Or enter this key: " code id="totp-secret" { (mfa::grouped(&b32, " ")) } }
        p { a href=(uri) { "Open in an authenticator app" } }
    }
}

/// Recovery codes, shown once.
pub(crate) fn recovery_codes(codes: &[String]) -> Markup {
    html! { ol class="codes" { @for c in codes { li { code { (c) } } } } }
}

/// The recovery codes, shown once, and "Continue".
fn recovery_page(p: &Pending, codes: &[String]) -> Response {
    let body = html! {
        h1 { "Save your recovery codes" }
        p { "Each code signs you in once if you lose your authenticator app. They are shown only now: store them somewhere safe." }
        (recovery_codes(codes))
        form method="post" action="/login/mfa/continue" {
            (binding(&p.row.id, &p.row.csrf_token))
            button type="submit" { "Continue" }
        }
    };
    page(StatusCode::OK, "Recovery codes", body)
}

pub async fn show(State(s): State<Shared>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    match shown(&s, &headers, q, Stage::Verify).await {
        Ok(p) => {
            let passkeys = super::passkey::may_use_passkey(&s, &p.user.id).await;
            code_form(StatusCode::OK, &p, passkeys, None)
        }
        Err(res) => res,
    }
}

pub async fn show_setup(
    State(s): State<Shared>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let mut p = match shown(&s, &headers, q, Stage::Enroll).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    // One secret per interaction: a reload shows the same key as the app scanned.
    if p.mfa.sealed_secret.is_none() {
        let Some((_, sealed)) = mfa::new_secret(s.keys.kek(), &p.user.id) else {
            return super::server_error();
        };
        p.mfa.sealed_secret = Some(sealed);
        p.req.mfa = Some(p.mfa.clone());
        match save(&s, &p.row.id, &p.req).await {
            Ok(()) => {}
            Err(e) if e.error == "invalid_request" => return expired(),
            Err(_) => return super::server_error(),
        }
    }
    setup_form(StatusCode::OK, &s, &p, None)
}

/// The throttle keys of a code attempt (the account and the IP, as for passwords), or the
/// page again with 429 and `Retry-After` while one of them is throttled.
async fn throttle_keys(
    s: &Shared,
    meta: &RequestMeta,
    p: &Pending,
    again: impl Fn(StatusCode, &str) -> Response,
) -> Result<LoginKeys, Response> {
    let keys = LoginKeys::new(Some(&p.user.id), &p.user.email, meta);
    let check = throttle::check_login(s, &keys)
        .await
        .map_err(|_| super::server_error())?;
    match check.throttled {
        None => Ok(keys),
        Some(t) => {
            let msg = format!(
                "Too many attempts. Try again in {}.",
                minutes_text(t.retry_after)
            );
            Err(with_retry_after(
                again(StatusCode::TOO_MANY_REQUESTS, &msg),
                t.retry_after,
            ))
        }
    }
}

/// A wrong code: counted against the account and the IP, audited `mfa.failed` (never
/// with the code).
async fn count_wrong_code(s: &Shared, meta: &RequestMeta, p: &Pending, keys: &LoginKeys) {
    let stage = match p.mfa.stage {
        Stage::Verify => "verify",
        Stage::Enroll | Stage::Enrolled => "enroll",
    };
    let event = Event::failure(kind::MFA_FAILED)
        .meta(meta)
        .subject(&p.user.id)
        .client(&p.req.client_id)
        .detail(json!({"reason": "wrong_code", "stage": stage}));
    let (counted, audited) = tokio::join!(
        throttle::record_login_failure(s, meta, keys, &p.req.client_id),
        s.audit.append(event),
    );
    if let Err(e) = counted {
        tracing::error!(error = %e, "cannot count a wrong second-factor code");
    }
    if audited.is_err() {
        tracing::error!("cannot record a wrong second-factor code");
    }
}

/// `POST /login/mfa`: a TOTP or recovery code; right → signed in (`pwd otp`).
pub async fn submit(
    State(s): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    form: Result<Form, OAuthError>,
) -> Response {
    let Ok(Form(f)) = form else { return expired() };
    let p = match posted(&s, &headers, &f, Stage::Verify).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let passkeys = super::passkey::may_use_passkey(&s, &p.user.id).await;
    let again = |status: StatusCode, msg: &str| code_form(status, &p, passkeys, Some(msg));
    let keys = match throttle_keys(&s, &meta, &p, again).await {
        Ok(k) => k,
        Err(res) => return res,
    };
    let code = f.get("code").unwrap_or("");
    let Ok(mut tx) = s.db.begin().await else {
        return super::server_error();
    };
    let accepted = match mfa::accept_code(&mut tx, s.keys.kek(), &p.user.id, code, now()).await {
        Ok(a) => a,
        Err(_) => return super::server_error(),
    };
    let Some(factor) = accepted else {
        drop(tx);
        count_wrong_code(&s, &meta, &p, &keys).await;
        return again(
            StatusCode::UNAUTHORIZED,
            "That code is not right. Try again.",
        );
    };
    let written = Event::success(kind::MFA_VERIFIED)
        .meta(&meta)
        .actor(&p.user.id)
        .subject(&p.user.id)
        .client(&p.req.client_id)
        .detail(json!({"factor": factor.as_str()}))
        .write(&mut tx)
        .await;
    if written.is_err() {
        return super::server_error();
    }
    let amr = AuthMethods::parse(&p.mfa.amr).with("otp");
    complete_sign_in(&completion(&s, &meta, &headers, &p, &keys), tx, amr).await
}

fn completion<'a>(
    s: &'a Shared,
    meta: &'a RequestMeta,
    headers: &'a HeaderMap,
    p: &'a Pending,
    keys: &'a LoginKeys,
) -> Completion<'a> {
    Completion {
        s,
        meta,
        headers,
        row: &p.row,
        req: &p.req,
        user: &p.user,
        reset: Some(keys),
    }
}

/// `POST /login/mfa/setup`: the first code of the new authenticator. Right → the factor
/// is stored (its step spent), 10 recovery codes replace any old ones, `mfa.enrolled`,
/// and the codes are shown once.
pub async fn submit_setup(
    State(s): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    form: Result<Form, OAuthError>,
) -> Response {
    let Ok(Form(f)) = form else { return expired() };
    let p = match posted(&s, &headers, &f, Stage::Enroll).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let again = |status: StatusCode, msg: &str| setup_form(status, &s, &p, Some(msg));
    let keys = match throttle_keys(&s, &meta, &p, again).await {
        Ok(k) => k,
        Err(res) => return res,
    };
    let Some(sealed) = p.mfa.sealed_secret.clone() else {
        return expired();
    };
    let Some(secret) = mfa::open_secret(s.keys.kek(), &p.user.id, &sealed) else {
        return super::server_error();
    };
    let code: String = f
        .get("code")
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let Some(step) = totp::matching_step(&secret, &code, now(), 0) else {
        count_wrong_code(&s, &meta, &p, &keys).await;
        return again(
            StatusCode::UNAUTHORIZED,
            "That code is not right. Check the app and try again.",
        );
    };
    match enroll(&s, &meta, &p, &sealed, step).await {
        Ok(Some(codes)) => recovery_page(&p, &codes),
        Ok(None) => super::error_page(
            StatusCode::CONFLICT,
            "Already set up",
            "An authenticator app was set up for this account meanwhile. Go back to the application and sign in again.",
        ),
        Err(e) if e.error == "invalid_request" => expired(),
        Err(_) => super::server_error(),
    }
}

/// In one transaction: the confirmed factor, new recovery codes, the interaction moved on
/// to "continue", `mfa.enrolled`. Returns the codes to show, or `None` when the user got a
/// confirmed factor meanwhile.
async fn enroll(
    s: &Shared,
    meta: &RequestMeta,
    p: &Pending,
    sealed: &[u8],
    step: i64,
) -> Result<Option<Vec<String>>, OAuthError> {
    let now = now();
    let (codes, hashes) = recovery::generate();
    let mut req = p.req.clone();
    req.mfa = Some(PendingMfa {
        stage: Stage::Enrolled,
        sealed_secret: None,
        ..p.mfa.clone()
    });
    let text = serde_json::to_string(&req).map_err(|_| OAuthError::server_error())?;
    let mut tx = s.db.begin().await?;
    if !store::set_interaction_request(&mut tx, &p.row.id, &text).await? {
        return Err(OAuthError::invalid_request("interaction already used"));
    }
    if !store::confirm_totp(&mut tx, &p.user.id, sealed, step, now).await? {
        return Ok(None);
    }
    store::replace_recovery_codes(&mut tx, &p.user.id, &hashes, now).await?;
    Event::success(kind::MFA_ENROLLED)
        .meta(meta)
        .actor(&p.user.id)
        .subject(&p.user.id)
        .client(&p.req.client_id)
        .detail(json!({"factor": "totp", "recovery_codes": hashes.len()}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(Some(codes))
}

/// `POST /login/mfa/continue`: after the recovery codes, the sign-in completes with the
/// factor just confirmed (`pwd otp`).
pub async fn submit_continue(
    State(s): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    form: Result<Form, OAuthError>,
) -> Response {
    let Ok(Form(f)) = form else { return expired() };
    let p = match posted(&s, &headers, &f, Stage::Enrolled).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let keys = LoginKeys::new(Some(&p.user.id), &p.user.email, &meta);
    let Ok(tx) = s.db.begin().await else {
        return super::server_error();
    };
    let amr = AuthMethods::parse(&p.mfa.amr).with("otp");
    complete_sign_in(&completion(&s, &meta, &headers, &p, &keys), tx, amr).await
}
