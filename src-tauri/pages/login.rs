//! The hosted sign-in page. The form is bound to the browser by the interaction cookie
//! and to the pending request by a CSRF token; success starts an SSO session and
//! returns to the client with a code. Throttles are checked before the password is
//! hashed (a throttled account or IP is refused even with the right password), and every
//! hash runs through the server's hashing bound.

use super::{alert, binding, error_page, page};
use crate::audit::{kind, Event};
use crate::crypto::{ct_eq, random_token, sha256, verify_password, verify_password_against_dummy};
use crate::domain::amr::AuthMethods;
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
use crate::store::sessions::{self, InteractionRow, NewSession, SessionRow};
use crate::store::users::UserRow;
use crate::store::{mfa, StoreError, Tx};
use crate::store::{now, users};
use crate::throttle::hashing::{HashRefused, BUSY_RETRY_AFTER};
use crate::throttle::{self, LoginKeys};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use maud::html;
use serde_json::json;

/// How long an SSO session lasts.
pub(crate) const SESSION_TTL: i64 = 12 * 3600;

pub(super) fn expired() -> Response {
    error_page(
        StatusCode::BAD_REQUEST,
        "Sign-in expired",
        "This sign-in request has expired or was started in another browser. Go back to the application and start again.",
    )
}

/// The form; `reauth`: a console session too old to continue on its own, so the email is
/// shown read-only and only the password is asked for.
/// What the sign-in page says around the form: the product's name, and the links the
/// server can offer ("Forgot password?" needs email).
pub(super) struct FormContext<'a> {
    pub product: Option<&'a str>,
    pub forgot: bool,
    /// The product allows sign-up: link to `/signup`.
    pub sign_up: bool,
    /// The password was just reset: say so.
    pub notice: Option<&'a str>,
}

impl<'a> FormContext<'a> {
    pub fn of(s: &Shared, req: &'a AuthRequest) -> Self {
        FormContext {
            product: req.product_name.as_deref(),
            forgot: s.mail.enabled() && req.reauth_email.is_none(),
            sign_up: req.sign_up,
            notice: None,
        }
    }
}

fn login_form(
    status: StatusCode,
    interaction: &str,
    csrf: &str,
    email: &str,
    reauth: bool,
    error: Option<&str>,
    context: &FormContext<'_>,
) -> Response {
    let intro = if reauth {
        "Enter your password again to continue to the Tessera console."
    } else {
        "Use your Tessera account."
    };
    let body = html! {
        h1 {
            @if let Some(product) = context.product { "Sign in to " (product) } @else { "Sign in" }
        }
        p { (intro) }
        @if let Some(notice) = context.notice { p class="done" role="status" { (notice) } }
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
        (super::passkey::login_button(interaction, csrf))
        @if context.forgot {
            p class="note" { a href=(format!("/password/forgot?interaction={interaction}")) { "Forgot password?" } }
        }
        @if context.sign_up {
            p class="note" { "New here? " a href=(format!("/signup?interaction={interaction}")) { "Create an account" } }
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

/// The interaction a page's GET (`?interaction=…`) is for, bound to this browser; else
/// the page to answer.
pub(super) async fn shown_interaction(
    s: &Shared,
    headers: &HeaderMap,
    q: Option<String>,
) -> Result<InteractionRow, Response> {
    let p = Params::parse(q.unwrap_or_default().as_bytes()).map_err(|_| expired())?;
    match bound_interaction(s, headers, p.get("interaction")).await {
        Ok(Some(row)) => Ok(row),
        Ok(None) => Err(expired()),
        Err(_) => Err(super::server_error()),
    }
}

/// The live SSO session behind this browser's session cookie, and its user while active.
pub(super) async fn live_session(
    s: &Shared,
    headers: &HeaderMap,
) -> Result<Option<(SessionRow, UserRow)>, OAuthError> {
    let Some(token) = cookie(headers, session_cookie(s.secure_cookies)) else {
        return Ok(None);
    };
    let Some(session) = sessions::find_live_session(&s.db.read, &sha256(&token), now()).await?
    else {
        return Ok(None);
    };
    let user = users::find_user(&s.db.read, &session.user_id).await?;
    Ok(user.filter(|u| u.is_active()).map(|u| (session, u)))
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
            let Ok(req) = serde_json::from_str::<AuthRequest>(&row.request) else {
                return expired();
            };
            let mut context = FormContext::of(&s, &req);
            if p.get("reset") == Some("1") {
                context.notice = Some("Your password is changed. Sign in with the new one.");
            }
            let reauth = req.reauth_email.as_deref();
            login_form(
                StatusCode::OK,
                &row.id,
                &row.csrf_token,
                reauth.unwrap_or(""),
                reauth.is_some(),
                None,
                &context,
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
    let (row, mut req) = match bound_request(&s, &headers, &p).await {
        Ok(bound) => bound,
        Err(res) => return res,
    };
    // A password starts over: whatever second factor was pending on this interaction is
    // decided again for the user it belongs to.
    req.mfa = None;
    let a = Attempt {
        s: &s,
        meta: &meta,
        row: &row,
        req: &req,
        email: p
            .get("email")
            .unwrap_or("")
            .trim()
            .chars()
            .take(254)
            .collect(),
        reauth: req.reauth_email.is_some(),
    };
    let password = p.get("password").unwrap_or("").to_string();
    let (user, keys, account_counted) = match authenticate(&a, password).await {
        Ok(v) => v,
        Err(res) => return res,
    };

    match crate::oauth::client_policy::may_sign_in(&s, &req.client_id, &user).await {
        Ok(true) => {}
        Ok(false) => return refuse_console(&s, &meta, &row, &req, &user.id).await,
        Err(_) => return super::server_error(),
    }

    // A second factor to pass (or enroll) first: the interaction remembers the password.
    match super::after_password(&s, &row, &req, &user).await {
        Ok(Some(location)) => return see_other(&location, None),
        Ok(None) => {}
        Err(e) if e.error == "invalid_request" => return expired(),
        Err(_) => return super::server_error(),
    }
    let c = Completion {
        s: &s,
        meta: &meta,
        headers: &headers,
        row: &row,
        req: &req,
        user: &user,
        reset: account_counted.then_some(&keys),
    };
    match s.db.begin().await {
        Ok(tx) => complete_sign_in(&c, tx, AuthMethods::password()).await,
        Err(_) => super::server_error(),
    }
}

/// One sign-in at the form: the request it answers and who it says they are.
struct Attempt<'a> {
    s: &'a Shared,
    meta: &'a RequestMeta,
    row: &'a InteractionRow,
    req: &'a AuthRequest,
    /// As typed (trimmed, at most 254 characters), shown again on failure.
    email: String,
    reauth: bool,
}

impl Attempt<'_> {
    /// The form again, with `msg`.
    fn retry(&self, status: StatusCode, msg: &str) -> Response {
        let row = self.row;
        login_form(
            status,
            &row.id,
            &row.csrf_token,
            &self.email,
            self.reauth,
            Some(msg),
            &FormContext::of(self.s, self.req),
        )
    }
}

/// The interaction and request a posted form acts on: bound to this browser, CSRF token
/// right; otherwise the answer to give.
pub(super) async fn bound_request(
    s: &Shared,
    headers: &HeaderMap,
    p: &Params,
) -> Result<(InteractionRow, AuthRequest), Response> {
    let row = match bound_interaction(s, headers, p.get("interaction")).await {
        Ok(Some(row)) => row,
        Ok(None) => return Err(expired()),
        Err(_) => return Err(super::server_error()),
    };
    if !csrf_ok(p, &row) {
        return Err(expired());
    }
    let Ok(req) = serde_json::from_str::<AuthRequest>(&row.request) else {
        return Err(expired());
    };
    Ok((row, req))
}

/// The active user whose password this is, with the throttle keys of the attempt and
/// whether the account had failures counted; otherwise the form again (throttled, busy,
/// wrong password, suspended).
async fn authenticate(
    a: &Attempt<'_>,
    password: String,
) -> Result<(UserRow, LoginKeys, bool), Response> {
    let checked = check_password(a.s, a.meta, &a.req.client_id, &a.email, password).await;
    checked.map_err(|refused| match refused {
        PasswordRefused::Throttled(secs) => {
            let msg = format!("Too many attempts. Try again in {}.", minutes_text(secs));
            with_retry_after(a.retry(StatusCode::TOO_MANY_REQUESTS, &msg), secs)
        }
        PasswordRefused::Busy => {
            let page = a.retry(
                StatusCode::SERVICE_UNAVAILABLE,
                "The server is busy right now. Please try again in a moment.",
            );
            with_retry_after(page, i64::from(BUSY_RETRY_AFTER))
        }
        PasswordRefused::Wrong => a.retry(StatusCode::UNAUTHORIZED, "Wrong email or password."),
        PasswordRefused::Suspended => a.retry(
            StatusCode::FORBIDDEN,
            "This account is suspended. Contact your administrator.",
        ),
        PasswordRefused::Failed => super::server_error(),
    })
}

/// Why a password attempt identified no active user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PasswordRefused {
    /// The account or the IP is throttled: seconds until it ends (nothing was hashed).
    Throttled(i64),
    /// The hashing bound is full (answer 503 + `Retry-After`).
    Busy,
    /// A wrong password or an unknown email: counted for the throttles and audited.
    Wrong,
    /// The right password of a suspended account: audited, not counted.
    Suspended,
    /// A storage failure.
    Failed,
}

/// One password attempt for `client_id`, shared by the hosted form and the first-party
/// auth API (`/v1/auth/login`): the account and IP throttles before any hashing, the
/// hash on the hashing bound (against a dummy hash for an unknown email, so both take as
/// long), a failure counted and audited `login.failed`. Returns the active user, the
/// attempt's throttle keys and whether the account had failures counted.
pub(crate) async fn check_password(
    s: &Shared,
    meta: &RequestMeta,
    client_id: &str,
    email: &str,
    password: String,
) -> Result<(UserRow, LoginKeys, bool), PasswordRefused> {
    let fail = |_| PasswordRefused::Failed;
    let user = users::find_user_by_email(&s.db.read, email)
        .await
        .map_err(fail)?;
    let keys = LoginKeys::new(user.as_ref().map(|u| u.id.as_str()), email, meta);
    let check = throttle::check_login(s, &keys).await.map_err(fail)?;
    if let Some(t) = check.throttled {
        return Err(PasswordRefused::Throttled(t.retry_after));
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
        Err(HashRefused::Busy) => return Err(PasswordRefused::Busy),
        Err(HashRefused::Failed) => false,
    };
    let user = match (user, ok) {
        (Some(u), true) => u,
        (u, _) => {
            wrong_password(s, meta, client_id, &keys, u).await;
            return Err(PasswordRefused::Wrong);
        }
    };
    if !user.is_active() {
        failure_event(s, meta, client_id, Some(user.id.clone()), "suspended").await;
        return Err(PasswordRefused::Suspended);
    }
    Ok((user, keys, check.account_counted))
}

/// A wrong password or unknown email: counted for the throttles and audited.
async fn wrong_password(
    s: &Shared,
    meta: &RequestMeta,
    client_id: &str,
    keys: &LoginKeys,
    user: Option<UserRow>,
) {
    let reason = if user.is_some() {
        "wrong_password"
    } else {
        "unknown_email"
    };
    let (counted, ()) = tokio::join!(
        throttle::record_login_failure(s, meta, keys, client_id),
        failure_event(s, meta, client_id, user.map(|u| u.id), reason),
    );
    if let Err(e) = counted {
        tracing::error!(error = %e, "cannot count a failed sign-in");
    }
}

/// A sign-in whose factors are all verified, on the interaction it answers.
pub(crate) struct Completion<'a> {
    pub s: &'a Shared,
    pub meta: &'a RequestMeta,
    pub headers: &'a HeaderMap,
    pub row: &'a InteractionRow,
    pub req: &'a AuthRequest,
    pub user: &'a UserRow,
    /// The account's throttle counters to forget (it signed in), if any.
    pub reset: Option<&'a LoginKeys>,
}

/// The session a completed sign-in ends up in.
enum Sso {
    /// A new session: its cookie value and id.
    New { token: String, id: String },
    /// Step-up: the live session whose sign-in gains a factor.
    Upgrade(String),
}

/// Completes a sign-in with methods `amr` (`password()`, `password().with("otp")`,
/// `passkey()`, `password().with("hwk")`): in ONE transaction `tx` (which may already hold
/// the factor's own writes: the TOTP step, the spent recovery code, a passkey's counter),
/// forgets the account's failures, starts the SSO session (or, for a step-up, upgrades
/// it), stores the code or keeps the interaction for the branch choice, and appends
/// `login.succeeded`. Returns where the browser goes.
pub(crate) async fn complete_sign_in(c: &Completion<'_>, tx: Tx, amr: AuthMethods) -> Response {
    let s = c.s;
    let choice = match branch_choice(s, &c.user.id, c.req).await {
        Ok(c) => c,
        Err(_) => return super::server_error(),
    };
    let picking = matches!(choice, Choice::Pick(_));
    let sso = match c.req.mfa.as_ref().and_then(|m| m.session_id.clone()) {
        Some(id) => Sso::Upgrade(id),
        None => Sso::New {
            token: random_token(32),
            id: uuid::Uuid::now_v7().to_string(),
        },
    };
    match start_session(c, tx, &choice, &sso, &amr).await {
        Ok(location) => {
            let cookie = match &sso {
                Sso::New { token, .. } => Some(set_cookie(
                    session_cookie(s.secure_cookies),
                    token,
                    SESSION_TTL,
                    s.secure_cookies,
                )),
                Sso::Upgrade(_) => None,
            };
            let mut res = see_other(&location, cookie);
            // A branch still to pick keeps the interaction (and its cookie).
            if !picking {
                set_next_interaction(s, &location, &mut res);
            }
            res
        }
        Err(e) if e.error == "invalid_request" => expired(),
        Err(_) => super::server_error(),
    }
}

/// [`complete_sign_in`]'s transaction. Returns where the browser goes.
async fn start_session(
    c: &Completion<'_>,
    mut tx: Tx,
    choice: &Choice,
    sso: &Sso,
    amr: &AuthMethods,
) -> Result<String, OAuthError> {
    let (s, meta) = (c.s, c.meta);
    // The account's earlier failures are forgotten (the IP's are not).
    if let Some(keys) = c.reset {
        throttle::reset_account_in(&mut tx, keys).await?;
    }
    // The request is done with its second factor: from here it may yield a code.
    let mut req = c.req.clone();
    req.mfa = None;
    if matches!(choice, Choice::Pick(_)) {
        // A branch still to pick keeps the interaction for the branch page, without the
        // pending factor it stored (if any).
        let request = serde_json::to_string(&req).map_err(|_| OAuthError::server_error())?;
        if request != c.row.request
            && !mfa::set_interaction_request(&mut tx, &c.row.id, &request).await?
        {
            return Err(OAuthError::invalid_request("interaction already used"));
        }
    } else if !sessions::delete_interaction(&mut tx, &c.row.id).await? {
        return Err(OAuthError::invalid_request("interaction already used"));
    }
    let session = session_in(c, &mut tx, sso, amr).await?;
    let location = match choice {
        Choice::Pick(_) => format!("/login/branch?interaction={}", c.row.id),
        Choice::Denied => error_location(s, &req, denied()),
        Choice::Use(ctx) => issue_code_in(s, &mut tx, &req, &session, Some(ctx)).await?,
        Choice::NoBranch => issue_code_in(s, &mut tx, &req, &session, None).await?,
    };
    Event::success(kind::LOGIN_SUCCEEDED)
        .meta(meta)
        .actor(&c.user.id)
        .subject(&c.user.id)
        .client(&req.client_id)
        .detail(json!({
            "method": amr.auth_method(),
            "amr": amr.amr(),
            "session_id": session.id,
            "step_up": matches!(sso, Sso::Upgrade(_)),
        }))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(location)
}

/// The sign-in's session inside `tx`: a new one (ending the one this browser held before:
/// one session per browser, with the refresh families started in it), or the live
/// session a step-up upgrades (it must still be this user's).
async fn session_in(
    c: &Completion<'_>,
    tx: &mut Tx,
    sso: &Sso,
    amr: &AuthMethods,
) -> Result<SessionRow, OAuthError> {
    let (s, meta, at) = (c.s, c.meta, now());
    let (token, id) = match sso {
        Sso::Upgrade(id) => {
            return mfa::upgrade_session(tx, id, &c.user.id, &amr.stored(), at)
                .await?
                .ok_or_else(|| OAuthError::invalid_request("the session ended"));
        }
        Sso::New { token, id } => (token, id),
    };
    if let Some(previous) = cookie(c.headers, session_cookie(s.secure_cookies)) {
        end_browser_session(tx, meta, &previous, None, "new_sign_in").await?;
    }
    let session = SessionRow {
        id: id.clone(),
        user_id: c.user.id.clone(),
        auth_time: at,
        expires_at: at + SESSION_TTL,
        ended_at: None,
        amr: amr.stored(),
    };
    sessions::insert_session(
        tx,
        &NewSession {
            id,
            token_hash: &sha256(token),
            user_id: &c.user.id,
            auth_time: at,
            expires_at: session.expires_at,
            ip: meta.ip.as_deref(),
            user_agent: meta.user_agent.as_deref(),
            amr: &session.amr,
        },
    )
    .await?;
    Ok(session)
}

pub(super) fn with_retry_after(mut res: Response, secs: i64) -> Response {
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    res
}

/// After the last step of a sign-in to `location`: the interaction cookie ends (the
/// request is spent) or, when the sign-in was parked for the consent page, binds the
/// consent step's interaction.
pub(super) fn set_next_interaction(s: &Shared, location: &str, res: &mut Response) {
    let cookie = crate::oauth::authorize::consent::next_interaction_cookie(s, location);
    if let Ok(v) = cookie.parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The answer to the last step of a sign-in (the branch choice, the consent page): a 303
/// to where it goes (see [`set_next_interaction`]), or the expired or error page.
pub(super) fn last_step(s: &Shared, result: Result<String, OAuthError>) -> Response {
    match result {
        Ok(location) => {
            let mut res = see_other(&location, None);
            set_next_interaction(s, &location, &mut res);
            res
        }
        Err(e) if e.error == "invalid_request" => expired(),
        Err(_) => super::server_error(),
    }
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
pub(super) async fn refuse_console(
    s: &Shared,
    meta: &RequestMeta,
    row: &InteractionRow,
    req: &AuthRequest,
    user_id: &str,
) -> Response {
    let spent: Result<bool, StoreError> = async {
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

pub(super) async fn record_failure(
    s: &Shared,
    meta: &RequestMeta,
    req: &AuthRequest,
    user_id: Option<String>,
    reason: &str,
) {
    failure_event(s, meta, &req.client_id, user_id, reason).await;
}

/// Appends `login.failed` (`reason`, never the password) for a sign-in to `client_id`.
pub(crate) async fn failure_event(
    s: &Shared,
    meta: &RequestMeta,
    client_id: &str,
    user_id: Option<String>,
    reason: &str,
) {
    let mut event = Event::failure(kind::LOGIN_FAILED)
        .meta(meta)
        .client(client_id)
        .detail(json!({"reason": reason}));
    if let Some(id) = user_id {
        event = event.subject(id);
    }
    if s.audit.append(event).await.is_err() {
        tracing::error!("cannot record a failed login");
    }
}

/// A user verified another way (a passkey, `pages::passkey`) signs in with `methods`
/// (`passkey()`, or the pending methods plus `hwk`), like [`complete_sign_in`] after a
/// password: the account's failures are forgotten when `account_counted`.
pub(super) async fn sign_in_verified(
    s: &Shared,
    meta: &RequestMeta,
    headers: &HeaderMap,
    (row, req): (&InteractionRow, &AuthRequest),
    (user, keys, account_counted): (&UserRow, &LoginKeys, bool),
    methods: AuthMethods,
) -> Response {
    let c = Completion {
        s,
        meta,
        headers,
        row,
        req,
        user,
        reset: account_counted.then_some(keys),
    };
    match s.db.begin().await {
        Ok(tx) => complete_sign_in(&c, tx, methods).await,
        Err(_) => super::server_error(),
    }
}
