//! `/oauth/logout`: RP-initiated logout (OIDC RP-Initiated Logout 1.0). With a valid
//! `id_token_hint` of the browser's own session (`sid`, else `sub`) the session ends at
//! once; without one, or with someone else's, the user confirms with a POST (the
//! SameSite=Lax cookie is not sent on cross-site POSTs, so it cannot be forged). Ending a
//! session also revokes the refresh families started in it, in the same transaction.

use super::authorize::see_other;
use super::client_policy;
use super::params::{Form, Params};
use super::{cookie, session_cookie, set_cookie};
use crate::audit::{kind, Event};
use crate::crypto::sha256;
use crate::domain::claims::IdClaims;
use crate::domain::redirect::with_params;
use crate::domain::RequestMeta;
use crate::error::OAuthError;
use crate::keys::TokenType;
use crate::pages::{self, page};
use crate::state::{AppState, Shared};
use crate::store::sessions::{self, EndedSession};
use crate::store::StoreError;
use crate::store::{now, Tx};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use maud::html;
use serde_json::json;

pub async fn logout_get(
    State(s): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    match Params::parse(q.unwrap_or_default().as_bytes()) {
        Ok(p) => logout(&s, &meta, &headers, p, false).await,
        Err(e) => pages::error_page(
            StatusCode::BAD_REQUEST,
            "Bad sign-out request",
            &e.description,
        ),
    }
}

pub async fn logout_post(
    State(s): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    form: Result<Form, OAuthError>,
) -> Response {
    match form {
        Ok(Form(p)) => logout(&s, &meta, &headers, p, true).await,
        Err(e) => pages::error_page(e.status, "Bad sign-out request", &e.description),
    }
}

/// A sign-out request's checked parameters.
struct LogoutRequest {
    hint: Option<IdClaims>,
    /// Named by the request, else the hint's audience.
    client_id: Option<String>,
    /// The post-logout redirect URI, registered for `client_id`.
    redirect: Option<String>,
}

async fn logout(
    s: &AppState,
    meta: &RequestMeta,
    headers: &HeaderMap,
    p: Params,
    is_post: bool,
) -> Response {
    let LogoutRequest {
        hint,
        client_id,
        redirect,
    } = match check_request(s, &p).await {
        Ok(r) => r,
        Err(shown) => return shown,
    };
    let cookie_name = session_cookie(s.secure_cookies);
    let token = cookie(headers, cookie_name);
    if !is_post {
        let silent = match (&hint, &token) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(h), Some(t)) => match hint_is_for_session(s, h, t).await {
                Ok(same) => same,
                Err(_) => return pages::server_error(),
            },
        };
        if !silent {
            return confirm_page(client_id.as_deref(), &p);
        }
    }
    if let Some(token) = token {
        if end_session(s, meta, &token, client_id.as_deref())
            .await
            .is_err()
        {
            return pages::server_error();
        }
    }
    let clear = set_cookie(cookie_name, "", 0, s.secure_cookies);
    match redirect {
        Some(uri) => {
            let params: Vec<(&str, &str)> = p
                .get("state")
                .map(|st| vec![("state", st)])
                .unwrap_or_default();
            see_other(&with_params(&uri, &params), Some(clear))
        }
        None => {
            let mut res = pages::signed_out();
            if let Ok(v) = clear.parse() {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
    }
}

/// Checks the hint, the client_id and the post-logout redirect URI; a bad one is shown
/// (never redirected), as is any failure.
async fn check_request(s: &AppState, p: &Params) -> Result<LogoutRequest, Response> {
    let bad = |msg: &str| pages::error_page(StatusCode::BAD_REQUEST, "Bad sign-out request", msg);
    let hint = match p.get("id_token_hint") {
        None => None,
        Some(t) => match hint_claims(s, t) {
            Some(c) => Some(c),
            None => return Err(bad("The id_token_hint was not issued by this server.")),
        },
    };
    let client_id = match (p.get("client_id"), &hint) {
        (Some(c), Some(h)) if c != h.aud => {
            return Err(bad("client_id does not match the id_token_hint."))
        }
        (Some(c), _) => Some(c.to_string()),
        (None, Some(h)) => Some(h.aud.clone()),
        (None, None) => None,
    };
    let redirect = match p.get("post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            let Some(cid) = &client_id else {
                return Err(bad(
                    "post_logout_redirect_uri needs an id_token_hint or client_id.",
                ));
            };
            match client_policy::redirect_uri_allowed_for(s, cid, "post_logout", uri).await {
                Ok(true) => Some(uri.to_string()),
                Ok(false) => {
                    return Err(bad(
                        "The post_logout_redirect_uri is not registered for this application.",
                    ))
                }
                Err(_) => return Err(pages::server_error()),
            }
        }
    };
    Ok(LogoutRequest {
        hint,
        client_id,
        redirect,
    })
}

/// Ends the browser's session (cookie value `token`) in its own transaction.
async fn end_session(
    s: &AppState,
    meta: &RequestMeta,
    token: &str,
    client_id: Option<&str>,
) -> Result<(), StoreError> {
    let mut tx = s.db.begin().await?;
    end_browser_session(&mut tx, meta, token, client_id, "rp").await?;
    tx.commit().await
}

/// Claims of an ID token we signed; expired hints are fine (the user may be long gone).
fn hint_claims(s: &AppState, token: &str) -> Option<IdClaims> {
    s.keys
        .verify_ignoring_expiry(token, TokenType::IdToken, &s.issuer)
        .ok()
}

/// Whether the hint names the session behind the cookie: its `sid`, or for a token
/// without one its `sub`. No live session means nothing to end, so the hint may act.
async fn hint_is_for_session(
    s: &AppState,
    hint: &IdClaims,
    token: &str,
) -> Result<bool, StoreError> {
    let Some(session) = sessions::find_live_session(&s.db.read, &sha256(token), now()).await?
    else {
        return Ok(true);
    };
    Ok(match &hint.sid {
        Some(sid) => *sid == session.id,
        None => hint.sub == session.user_id,
    })
}

/// Ends the browser's SSO session behind cookie value `token` (if not ended yet), revokes
/// the refresh families started in it with their access tokens, and records `logout`
/// (`initiated_by`: `rp`, or `new_sign_in` when a sign-in replaces the session), all in
/// `tx`. The one way a browser's session ends.
pub async fn end_browser_session(
    tx: &mut Tx,
    meta: &RequestMeta,
    token: &str,
    client_id: Option<&str>,
    initiated_by: &str,
) -> Result<Option<EndedSession>, StoreError> {
    let reason = match initiated_by {
        "rp" => "logout",
        _ => "session_replaced",
    };
    let Some(ended) = sessions::end_session_by_token(tx, &sha256(token), reason, now()).await?
    else {
        return Ok(None);
    };
    let mut e = Event::success(kind::LOGOUT)
        .meta(meta)
        .actor(&ended.user_id)
        .subject(&ended.user_id)
        .detail(json!({
            "initiated_by": initiated_by,
            "session_id": ended.id,
            "families_revoked": ended.families_revoked,
        }));
    if let Some(c) = client_id {
        e = e.client(c);
    }
    e.write(tx).await?;
    Ok(Some(ended))
}

/// The sign-out question; `client_id` is the resolved one (from the hint when the request
/// named none), so the POST can still check the post-logout redirect URI.
fn confirm_page(client_id: Option<&str>, p: &Params) -> Response {
    let fields = [
        ("client_id", client_id),
        (
            "post_logout_redirect_uri",
            p.get("post_logout_redirect_uri"),
        ),
        ("state", p.get("state")),
    ];
    let body = html! {
        h1 { "Sign out?" }
        p { "You will be signed out of Tessera in this browser." }
        form method="post" action="/oauth/logout" {
            @for (name, value) in fields {
                @if let Some(value) = value { (pages::hidden(name, value)) }
            }
            button type="submit" { "Sign out" }
        }
    };
    page(StatusCode::OK, "Sign out", body)
}
