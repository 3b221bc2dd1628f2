//! Tokens as the auth API hands them out: in the JSON body (bearer mode), or as the
//! `tessera_at` / `tessera_rt` HttpOnly SameSite=Strict cookies with no token in the body
//! (cookie mode). Never cached.

use crate::oauth::token::issuance::Issued;
use crate::state::AppState;
use crate::store::clients::Client;
use crate::store::users::UserRow;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use tessera_proto::auth::{Mode, Tokens};

/// The access-token cookie (Path=/, so the product's own pages send it along).
pub const ACCESS_COOKIE: &str = "tessera_at";
/// The refresh-token cookie (Path=/v1/auth: only refresh and logout see it).
pub const REFRESH_COOKIE: &str = "tessera_rt";
const REFRESH_PATH: &str = "/v1/auth";

/// A `Set-Cookie` value of the auth API's cookies.
fn cookie(name: &str, value: &str, path: &str, max_age: i64, secure: bool) -> String {
    let mut c =
        format!("{name}={value}; HttpOnly; SameSite=Strict; Path={path}; Max-Age={max_age}");
    if secure {
        c.push_str("; Secure");
    }
    c
}

fn append(headers: &mut HeaderMap, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.append(header::SET_COOKIE, v);
    }
}

/// The answer carrying `issued` for `user`, with `status`.
pub fn tokens(
    s: &AppState,
    client: &Client,
    status: StatusCode,
    mode: Mode,
    user: &UserRow,
    issued: Issued,
) -> Response {
    let expires_in = issued.claims.exp - issued.claims.iat;
    let cookie_mode = mode == Mode::Cookie;
    let body = Tokens {
        user: super::auth_user(user),
        access_token: (!cookie_mode).then(|| issued.access.clone()),
        refresh_token: if cookie_mode {
            None
        } else {
            issued.refresh.clone()
        },
        token_type: "Bearer".into(),
        expires_in,
        scope: issued.claims.scope.clone(),
    };
    let mut res = (status, Json(body)).into_response();
    let headers = res.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if cookie_mode {
        let secure = s.secure_cookies;
        append(
            headers,
            &cookie(ACCESS_COOKIE, &issued.access, "/", expires_in, secure),
        );
        if let Some(refresh) = &issued.refresh {
            let max_age = client.refresh_token_ttl;
            append(
                headers,
                &cookie(REFRESH_COOKIE, refresh, REFRESH_PATH, max_age, secure),
            );
        }
    }
    res
}

/// Clears both cookies on `res` (cookie-mode logout).
pub fn clear_cookies(s: &AppState, res: &mut Response) {
    let headers = res.headers_mut();
    append(
        headers,
        &cookie(ACCESS_COOKIE, "", "/", 0, s.secure_cookies),
    );
    append(
        headers,
        &cookie(REFRESH_COOKIE, "", REFRESH_PATH, 0, s.secure_cookies),
    );
}

#[cfg(test)]
mod tests {
    use super::cookie;

    #[test]
    fn cookies_are_http_only_strict_and_secure_on_https() {
        assert_eq!(
            cookie("tessera_rt", "v", "/v1/auth", 60, true),
            "tessera_rt=v; HttpOnly; SameSite=Strict; Path=/v1/auth; Max-Age=60; Secure"
        );
        assert!(!cookie("tessera_at", "v", "/", 60, false).contains("Secure"));
    }
}
