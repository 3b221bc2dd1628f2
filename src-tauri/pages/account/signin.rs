//! How the account page signs in, like any OIDC client: a redirect into
//! `/oauth/authorize` (code + PKCE S256, state, nonce; `max_age=0` to sign in again), the
//! callback that checks the state, redeems the code through the token endpoint's own
//! handler (every check of the code grant applies) and checks the ID token's nonce, and
//! the sign-out.

use super::{account_cookie, token_cookie, Post};
use crate::crypto::{b64url, ct_eq, random_token, sha256};
use crate::domain::claims::IdClaims;
use crate::domain::RequestMeta;
use crate::keys::TokenType;
use crate::oauth::authorize::see_other;
use crate::oauth::logout::end_browser_session;
use crate::oauth::params::{Form, Params};
use crate::oauth::{cookie, session_cookie, set_cookie};
use crate::pages::{error_page, page};
use crate::state::{AppState, Shared};
use crate::store::clients::policy::ACCOUNT_CALLBACK_PATH;
use crate::store::clients::ACCOUNT_CLIENT_ID;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use maud::html;
use serde::Deserialize;

/// The cookie holding a sign-in in flight (`state.nonce.verifier`); SameSite=Lax, as the
/// callback may end a redirect chain another site started.
fn pending_cookie(secure: bool) -> &'static str {
    if secure {
        "__Secure-tessera_account_pending"
    } else {
        "tessera_account_pending"
    }
}

/// How long a sign-in may take before its callback is refused.
const PENDING_TTL: i64 = 15 * 60;

/// A redirect into `/oauth/authorize` for the account client; `again`: `max_age=0` and
/// `prompt=login`, so the user proves who they are now (a change needs a fresh sign-in).
pub fn start(s: &AppState, again: bool) -> Response {
    let (state, nonce, verifier) = (random_token(16), random_token(16), random_token(32));
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("response_type", "code")
        .append_pair("client_id", ACCOUNT_CLIENT_ID)
        .append_pair("redirect_uri", &s.url(ACCOUNT_CALLBACK_PATH))
        .append_pair("scope", "openid")
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &b64url(&sha256(&verifier)))
        .append_pair("code_challenge_method", "S256");
    if again {
        query
            .append_pair("max_age", "0")
            .append_pair("prompt", "login");
    }
    let pending = account_cookie(
        pending_cookie(s.secure_cookies),
        &format!("{state}.{nonce}.{verifier}"),
        PENDING_TTL,
        s.secure_cookies,
        "Lax",
    );
    see_other(
        &format!("/oauth/authorize?{}", query.finish()),
        Some(pending),
    )
}

/// `GET /account/reauth`: sign in again, then back to the page.
pub async fn reauth(State(s): State<Shared>) -> Response {
    start(&s, true)
}

fn expired() -> Response {
    let body = html! {
        h1 { "Sign-in expired" }
        p class="error" { "This sign-in has expired or was started in another browser." }
        p { a href="/account" { "Go to your account" } }
    };
    page(StatusCode::BAD_REQUEST, "Sign-in expired", body)
}

/// The token endpoint's answer (the refresh token, if any, is dropped).
#[derive(Deserialize)]
struct Tokens {
    access_token: String,
    id_token: String,
    expires_in: i64,
}

/// `GET /account/callback`: checks the state, redeems the code, keeps the access token.
pub async fn callback(
    State(s): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let Ok(p) = Params::parse(q.unwrap_or_default().as_bytes()) else {
        return expired();
    };
    let pending = cookie(&headers, pending_cookie(s.secure_cookies)).unwrap_or_default();
    let mut parts = pending.splitn(3, '.');
    let (Some(state), Some(nonce), Some(verifier)) = (parts.next(), parts.next(), parts.next())
    else {
        return expired();
    };
    if !p
        .get("state")
        .is_some_and(|got| ct_eq(got.as_bytes(), state.as_bytes()))
    {
        return expired();
    }
    if p.get("error").is_some() {
        return error_page(
            StatusCode::FORBIDDEN,
            "Sign-in cancelled",
            "You were not signed in to your account.",
        );
    }
    let tokens = match redeem(&s, &meta, p.get("code").unwrap_or(""), verifier).await {
        Some(t) => t,
        None => return expired(),
    };
    let id: Option<IdClaims> = s
        .keys
        .verify(&tokens.id_token, TokenType::IdToken, &s.issuer)
        .ok();
    let nonce_ok = id.as_ref().is_some_and(|c| {
        c.aud == ACCOUNT_CLIENT_ID
            && c.nonce
                .as_deref()
                .is_some_and(|n| ct_eq(n.as_bytes(), nonce.as_bytes()))
    });
    if !nonce_ok {
        return expired();
    }
    signed_in(&s, &tokens)
}

/// The code redeemed at the token endpoint's handler, in-process.
async fn redeem(s: &Shared, meta: &RequestMeta, code: &str, verifier: &str) -> Option<Tokens> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("redirect_uri", &s.url(ACCOUNT_CALLBACK_PATH))
        .append_pair("client_id", ACCOUNT_CLIENT_ID)
        .append_pair("code_verifier", verifier)
        .finish();
    let params = Params::parse(body.as_bytes()).ok()?;
    let res = crate::oauth::token::token(
        State(s.clone()),
        meta.clone(),
        HeaderMap::new(),
        Ok(Form(params)),
    )
    .await;
    if res.status() != StatusCode::OK {
        return None;
    }
    let bytes = axum::body::to_bytes(res.into_body(), 64 * 1024)
        .await
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The token kept in its cookie; the page is reached through a same-site refresh, so the
/// SameSite=Strict cookie goes with it even when another site started the sign-in.
fn signed_in(s: &AppState, tokens: &Tokens) -> Response {
    let body = html! {
        h1 { "Signed in" }
        p { a href="/account/" { "Continue to your account" } }
    };
    let mut res = page(StatusCode::OK, "Signed in", body);
    let secure = s.secure_cookies;
    let cookies = [
        account_cookie(
            token_cookie(secure),
            &tokens.access_token,
            tokens.expires_in.max(1),
            secure,
            "Strict",
        ),
        account_cookie(pending_cookie(secure), "", 0, secure, "Lax"),
    ];
    let headers = res.headers_mut();
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(&c) {
            headers.append(header::SET_COOKIE, v);
        }
    }
    headers.insert(
        header::REFRESH,
        HeaderValue::from_static("0; url=/account/"),
    );
    res
}

/// `POST /account/signout`: ends the browser's SSO session (and the refresh families
/// started in it) and forgets the account page's token.
pub async fn sign_out(
    State(s): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    _: Post,
) -> Response {
    if let Some(token) = cookie(&headers, session_cookie(s.secure_cookies)) {
        let ended = async {
            let mut tx = s.db.begin().await?;
            end_browser_session(&mut tx, &meta, &token, Some(ACCOUNT_CLIENT_ID), "rp").await?;
            tx.commit().await
        }
        .await;
        if ended.is_err() {
            return crate::pages::server_error();
        }
    }
    let body = html! {
        h1 { "You are signed out" }
        p { a href="/account/" { "Sign in again" } }
    };
    let mut res = page(StatusCode::OK, "Signed out", body);
    forget(&s, &mut res);
    if let Ok(v) = HeaderValue::from_str(&set_cookie(
        session_cookie(s.secure_cookies),
        "",
        0,
        s.secure_cookies,
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// Removes the account page's token cookie (signed out, or the session it came from ended).
pub fn forget(s: &AppState, res: &mut Response) {
    let c = account_cookie(
        token_cookie(s.secure_cookies),
        "",
        0,
        s.secure_cookies,
        "Strict",
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}
