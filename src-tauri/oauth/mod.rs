//! Protocol endpoints: discovery, JWKS, authorize, token, userinfo, introspect, revoke, logout,
//! dynamic client registration.

pub mod authorize;
pub mod bearer;
pub mod client_assertion;
pub mod client_auth;
pub mod client_jwks;
pub mod client_policy;
pub mod console;
pub mod discovery;
pub mod dpop;
pub mod introspect;
pub mod issue;
pub mod logout;
pub mod par;
pub mod params;
pub mod register;
pub mod resource;
pub mod revoke;
pub mod token;
pub mod userinfo;

use crate::domain::RequestMeta;
use crate::state::Shared;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::routing::{get, post};
use axum::Router;
use std::convert::Infallible;
use std::net::SocketAddr;

/// The protocol routes; CORS (`crate::cors`) on those a browser app calls.
pub fn routes(state: &Shared) -> Router<Shared> {
    let clients = crate::cors::for_clients(state);
    let anyone = crate::cors::for_anyone();
    Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(discovery::openid_configuration).layer(anyone.clone()),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(discovery::oauth_authorization_server).layer(anyone.clone()),
        )
        .route("/.well-known/jwks.json", get(discovery::jwks).layer(anyone))
        .route(
            "/oauth/register",
            post(register::endpoint::register).layer(crate::cors::for_registration()),
        )
        .route(
            "/oauth/register/{client_id}",
            get(register::management::read)
                .put(register::management::update)
                .delete(register::management::delete)
                .layer(crate::cors::for_registration()),
        )
        .route(
            "/oauth/authorize",
            get(authorize::authorize_get).post(authorize::authorize_post),
        )
        .route("/oauth/token", post(token::token).layer(clients.clone()))
        .route("/oauth/par", post(par::par).layer(clients.clone()))
        .route(
            "/oauth/userinfo",
            get(userinfo::userinfo)
                .post(userinfo::userinfo)
                .layer(clients.clone()),
        )
        .route("/oauth/introspect", post(introspect::introspect))
        .route("/oauth/revoke", post(revoke::revoke).layer(clients))
        .route(
            "/oauth/logout",
            get(logout::logout_get).post(logout::logout_post),
        )
}

/// The client IP is the TCP peer's, or, from a `--trusted-proxy`, the one it forwarded.
impl FromRequestParts<Shared> for RequestMeta {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, s: &Shared) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| {
                s.trusted_proxies
                    .client_ip(addr.ip(), &parts.headers)
                    .to_string()
            });
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(256).collect());
        Ok(RequestMeta { ip, user_agent })
    }
}

/// Name of the SSO session cookie. On https issuers it carries the `__Host-` prefix, so
/// the browser only accepts it Secure, for Path=/ and without Domain: a sibling subdomain
/// or a plain-http page cannot plant or overwrite it. Every reader and writer goes through
/// here, so the prefixed cookie is the only one an https server ever reads.
pub fn session_cookie(secure: bool) -> &'static str {
    if secure {
        "__Host-tessera_session"
    } else {
        "tessera_session"
    }
}

/// Name of the cookie binding a pending sign-in to the browser (see [`session_cookie`]).
pub fn interaction_cookie(secure: bool) -> &'static str {
    if secure {
        "__Host-tessera_interaction"
    } else {
        "tessera_interaction"
    }
}

/// The value of cookie `name` in the request, if any.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, no Domain, Secure on https
/// issuers (what the `__Host-` names of [`session_cookie`] require).
pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}");
    if secure {
        c.push_str("; Secure");
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_cookies_get_the_host_prefix_and_its_attributes() {
        assert_eq!(session_cookie(true), "__Host-tessera_session");
        assert_eq!(interaction_cookie(true), "__Host-tessera_interaction");
        assert_eq!(session_cookie(false), "tessera_session");
        assert_eq!(interaction_cookie(false), "tessera_interaction");
        let c = set_cookie(session_cookie(true), "v", 60, true);
        assert!(c.contains("; Path=/;") && c.ends_with("; Secure"), "{c}");
        assert!(!c.to_ascii_lowercase().contains("domain"), "{c}");
    }
}
