//! `/oauth/logout`: RP-initiated logout (OIDC RP-Initiated Logout 1.0). With a valid
//! `id_token_hint` the session ends at once; without one the user confirms with a POST
//! (the SameSite=Lax cookie is not sent on cross-site POSTs, so it cannot be forged).

use super::authorize::see_other;
use super::console;
use super::params::{Form, Params};
use super::{cookie, set_cookie, SESSION_COOKIE};
use crate::audit::{kind, Event};
use crate::crypto::sha256;
use crate::domain::claims::IdClaims;
use crate::domain::redirect::with_params;
use crate::domain::RequestMeta;
use crate::error::OAuthError;
use crate::keys::TokenType;
use crate::pages::{self, esc, page};
use crate::state::{AppState, Shared};
use crate::store::{now, sessions};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
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

async fn logout(
    s: &AppState,
    meta: &RequestMeta,
    headers: &HeaderMap,
    p: Params,
    is_post: bool,
) -> Response {
    let bad = |msg: &str| pages::error_page(StatusCode::BAD_REQUEST, "Bad sign-out request", msg);
    let hint = match p.get("id_token_hint") {
        None => None,
        Some(t) => match hint_claims(s, t) {
            Some(c) => Some(c),
            None => return bad("The id_token_hint was not issued by this server."),
        },
    };
    let client_id = match (p.get("client_id"), &hint) {
        (Some(c), Some(h)) if c != h.aud => {
            return bad("client_id does not match the id_token_hint.")
        }
        (Some(c), _) => Some(c.to_string()),
        (None, Some(h)) => Some(h.aud.clone()),
        (None, None) => None,
    };
    let redirect = match p.get("post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            let Some(cid) = &client_id else {
                return bad("post_logout_redirect_uri needs an id_token_hint or client_id.");
            };
            match console::redirect_uri_registered(s, cid, "post_logout", uri).await {
                Ok(true) => Some(uri.to_string()),
                Ok(false) => {
                    return bad(
                        "The post_logout_redirect_uri is not registered for this application.",
                    )
                }
                Err(_) => return pages::server_error(),
            }
        }
    };
    if hint.is_none() && !is_post {
        return confirm_page(&p);
    }
    if let Some(token) = cookie(headers, SESSION_COOKIE) {
        if end_session(s, meta, &token, client_id.as_deref())
            .await
            .is_err()
        {
            return pages::server_error();
        }
    }
    let clear = set_cookie(SESSION_COOKIE, "", 0, s.secure_cookies);
    match redirect {
        Some(uri) => {
            let params: Vec<(&str, &str)> = p
                .get("state")
                .map(|st| vec![("state", st)])
                .unwrap_or_default();
            see_other(&with_params(&uri, &params), Some(clear))
        }
        None => {
            let mut res = page(
                StatusCode::OK,
                "Signed out",
                "<h1>You are signed out</h1><p>You can close this window.</p>",
            );
            if let Ok(v) = clear.parse() {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
    }
}

/// Claims of an ID token we signed; expired hints are fine (the user may be long gone).
fn hint_claims(s: &AppState, token: &str) -> Option<IdClaims> {
    s.keys
        .verify_ignoring_expiry(token, TokenType::IdToken, &s.issuer)
        .ok()
}

async fn end_session(
    s: &AppState,
    meta: &RequestMeta,
    token: &str,
    client_id: Option<&str>,
) -> Result<(), sqlx::Error> {
    let mut tx = s.db.begin().await?;
    if let Some(user_id) = sessions::end_session_by_token(&mut tx, &sha256(token), now()).await? {
        let mut e = Event::success(kind::LOGOUT)
            .meta(meta)
            .actor(&user_id)
            .subject(&user_id)
            .detail(json!({"initiated_by": "rp"}));
        if let Some(c) = client_id {
            e = e.client(c);
        }
        e.write(&mut tx).await?;
    }
    tx.commit().await
}

fn confirm_page(p: &Params) -> Response {
    let hidden: String = ["client_id", "post_logout_redirect_uri", "state"]
        .iter()
        .filter_map(|k| {
            p.get(k)
                .map(|v| format!("<input type=\"hidden\" name=\"{k}\" value=\"{}\">", esc(v)))
        })
        .collect();
    page(
        StatusCode::OK,
        "Sign out",
        &format!("<h1>Sign out?</h1><p>You will be signed out of Tessera in this browser.</p><form method=\"post\" action=\"/oauth/logout\">{hidden}<button type=\"submit\">Sign out</button></form>"),
    )
}
