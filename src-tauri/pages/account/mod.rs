//! The end users' account page `/account`: hosted, server-rendered, works without the
//! console (JavaScript only for the WebAuthn calls). It signs in like any client: the
//! built-in client `tessera-account` (`ClientPolicy::account`) goes through
//! `/oauth/authorize` (code + PKCE S256, state, nonce) and redeems the code through the
//! token endpoint's own code path (`signin`). Its access token lives in an HttpOnly,
//! SameSite=Strict cookie limited to `/account`; the forms' CSRF token is derived from it.
//! Every change (end a session, change the password, add or remove a passkey or the
//! authenticator app, new recovery codes; not removing an app's access) needs a
//! fresh sign-in (`auth_time` within [`FRESH_FOR`]), else the user signs in again through
//! `/oauth/authorize?max_age=0` and comes back.

mod consents;
mod passkeys;
mod password;
mod sessions;
mod signin;
mod totp;
mod view;

use crate::audit::Event;
use crate::crypto::{b64url, ct_eq, sha256};
use crate::domain::claims::AccessClaims;
use crate::domain::RequestMeta;
use crate::error::OAuthError;
use crate::oauth::authorize::see_other;
use crate::oauth::bearer::active_access_token;
use crate::oauth::cookie;
use crate::oauth::params::{Form, Params};
use crate::state::{AppState, Shared};
use crate::store::clients::ACCOUNT_CLIENT_ID;
use crate::store::now;
use crate::store::users::{self, UserRow};
use axum::extract::{FromRequest, RawQuery, Request, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/account", get(home))
        .route("/account/", get(home))
        .route("/account/callback", get(signin::callback))
        .route("/account/reauth", get(signin::reauth))
        .route("/account/signout", post(signin::sign_out))
        .route("/account/sessions/end", post(sessions::end))
        .route("/account/password", post(password::change))
        .route("/account/passkeys/options", post(passkeys::options))
        .route("/account/passkeys/finish", post(passkeys::finish))
        .route("/account/passkeys/rename", post(passkeys::rename))
        .route("/account/passkeys/remove", post(passkeys::remove))
        .route("/account/totp/start", post(totp::start))
        .route("/account/totp/confirm", post(totp::confirm))
        .route("/account/totp/remove", post(totp::remove))
        .route("/account/recovery-codes", post(totp::regenerate))
        .route("/account/consents/remove", post(consents::remove))
}

/// How recent a sign-in must be for a change on the account page.
pub const FRESH_FOR: i64 = 300;

/// The cookie holding the account page's access token (`__Secure-` on https issuers).
fn token_cookie(secure: bool) -> &'static str {
    if secure {
        "__Secure-tessera_account"
    } else {
        "tessera_account"
    }
}

/// A `Set-Cookie` value for a cookie of the account page: HttpOnly, Path=/account,
/// Secure on https issuers, with `same_site` (`Strict` for the token).
fn account_cookie(name: &str, value: &str, max_age: i64, secure: bool, same_site: &str) -> String {
    let mut c =
        format!("{name}={value}; Path=/account; HttpOnly; SameSite={same_site}; Max-Age={max_age}");
    if secure {
        c.push_str("; Secure");
    }
    c
}

/// A user signed in to the account page, by the token in its cookie.
pub struct Account {
    pub user: UserRow,
    pub claims: AccessClaims,
    /// The forms' CSRF token (derived from the cookie's token, which a page elsewhere
    /// cannot read).
    pub csrf: String,
}

impl Account {
    /// The signed-in user of this request: an active account-page token of an active user.
    pub async fn load(s: &AppState, headers: &HeaderMap) -> Result<Option<Account>, Response> {
        let Some(token) = cookie(headers, token_cookie(s.secure_cookies)) else {
            return Ok(None);
        };
        let claims = match active_access_token(s, &token).await {
            Ok(c) if c.client_id == ACCOUNT_CLIENT_ID && c.aud == ACCOUNT_CLIENT_ID => c,
            Ok(_) => return Ok(None),
            Err(crate::oauth::bearer::Inactive::Db(_)) => return Err(super::server_error()),
            Err(_) => return Ok(None),
        };
        let user = match users::find_user(&s.db.read, &claims.sub).await {
            Ok(Some(u)) if u.is_active() => u,
            Ok(_) => return Ok(None),
            Err(_) => return Err(super::server_error()),
        };
        Ok(Some(Account {
            csrf: csrf_for(&token),
            user,
            claims,
        }))
    }

    /// Whether the form carries this page's CSRF token (compared in constant time).
    pub fn csrf_ok(&self, p: &Params) -> bool {
        p.get("csrf_token")
            .is_some_and(|t| ct_eq(t.as_bytes(), self.csrf.as_bytes()))
    }

    /// Whether the sign-in is recent enough for a change.
    pub fn fresh(&self) -> bool {
        self.claims
            .auth_time
            .is_some_and(|t| now() - t <= FRESH_FOR)
    }

    /// The audit event of a change the user made here (actor and subject the user, the
    /// account page's client).
    pub fn event(&self, kind: &'static str, meta: &RequestMeta) -> Event {
        Event::success(kind)
            .meta(meta)
            .actor(&self.user.id)
            .subject(&self.user.id)
            .client(ACCOUNT_CLIENT_ID)
    }

    /// The SSO session the page was signed in with.
    pub fn session_id(&self) -> &str {
        self.claims.sid.as_deref().unwrap_or(&self.claims.jti)
    }
}

fn csrf_for(token: &str) -> String {
    b64url(&sha256(&format!("tessera-account-csrf:{token}")))
}

/// `GET /account`: the page, or the sign-in that leads to it.
async fn home(State(s): State<Shared>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    match Account::load(&s, &headers).await {
        Ok(Some(account)) => {
            let done = Params::parse(q.unwrap_or_default().as_bytes())
                .ok()
                .and_then(|p| p.get("done").map(str::to_string));
            view::render(&s, &account, view::Notice::done(done.as_deref())).await
        }
        Ok(None) => signin::start(&s, false),
        Err(res) => res,
    }
}

/// A form posted by the signed-in user: the account, its CSRF token right and, for a
/// `change`, a fresh sign-in; otherwise the answer to give (no token: to the page, which
/// signs in; stale: through a new sign-in and back).
async fn posted(
    s: &AppState,
    headers: &HeaderMap,
    form: Result<Form, OAuthError>,
    change: bool,
) -> Result<(Account, Params), Response> {
    let account = match Account::load(s, headers).await? {
        Some(a) => a,
        None => return Err(see_other("/account/", None)),
    };
    let p = match form {
        Ok(Form(p)) if account.csrf_ok(&p) => p,
        _ => return Err(view::csrf_refused()),
    };
    if change && !account.fresh() {
        return Err(see_other("/account/reauth", None));
    }
    Ok((account, p))
}

/// A form of the account page that changes something: the signed-in user's, with its
/// CSRF token, after a fresh sign-in (see [`posted`]; the rejection is its answer).
pub struct Change(pub Account, pub Params);

/// A form of the account page that needs no fresh sign-in (sign out, rename a passkey).
pub struct Post(pub Account, pub Params);

async fn extract(req: Request, s: &Shared, change: bool) -> Result<(Account, Params), Response> {
    let headers = req.headers().clone();
    let form = Form::from_request(req, s).await;
    posted(s, &headers, form, change).await
}

impl FromRequest<Shared> for Change {
    type Rejection = Response;

    async fn from_request(req: Request, s: &Shared) -> Result<Self, Self::Rejection> {
        extract(req, s, true).await.map(|(a, p)| Change(a, p))
    }
}

impl FromRequest<Shared> for Post {
    type Rejection = Response;

    async fn from_request(req: Request, s: &Shared) -> Result<Self, Self::Rejection> {
        extract(req, s, false).await.map(|(a, p)| Post(a, p))
    }
}
