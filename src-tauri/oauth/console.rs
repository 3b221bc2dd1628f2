//! The built-in console client `tessera-console`: a public (PKCE) sign-in client whose
//! redirect URIs follow a rule instead of a list (`{issuer}/console/callback`, plus, in the
//! desktop build only, the embedded server's own loopback port), and the only client that
//! may ever be granted the `admin` scope, and only for an active super-admin. A live SSO
//! session never yields a console code by itself: the super-admin confirms on a hosted
//! page, or types the password again when the session is older than [`REAUTH_AFTER`].

use crate::audit::{kind, Event};
use crate::domain::RequestMeta;
use crate::error::OAuthError;
use crate::state::AppState;
use crate::store::clients;
use crate::store::users::UserRow;
use crate::store::StoreError;
use axum::http::StatusCode;

pub use crate::store::clients::CONSOLE_CLIENT_ID as CLIENT_ID;

/// The scope that opens the `/v1` admin API.
pub const ADMIN_SCOPE: &str = "admin";
/// Why a sign-in to the console is refused.
pub const DENIED: &str = "only super-admins can sign in to the console";

/// An SSO session older than this (seconds since the password was typed) must type it
/// again before the console gets a code.
pub const REAUTH_AFTER: i64 = 10 * 60;

const CALLBACK_PATH: &str = "/console/callback";
const SIGNED_OUT_PATH: &str = "/console/";
/// The hosts the desktop window may open the console at (`loopback_if_unspecified`).
const LOOPBACK_HOSTS: [&str; 2] = ["127.0.0.1", "[::1]"];

pub fn is_console(client_id: &str) -> bool {
    client_id == CLIENT_ID
}

/// Whether the user may sign in to the console (and hold `admin`) right now.
pub fn may_sign_in(user: &UserRow) -> bool {
    user.is_active() && user.is_superadmin
}

/// `access_denied` for a console sign-in by anyone but an active super-admin.
pub fn denied() -> OAuthError {
    OAuthError::new(StatusCode::FORBIDDEN, "access_denied", DENIED)
}

/// Records a refused console sign-in (`login.failed`, reason `not_superadmin`); `method`
/// is `password` (the login form) or `sso` (an existing session).
pub async fn record_refusal(
    s: &AppState,
    meta: &RequestMeta,
    client_id: &str,
    user_id: &str,
    method: &str,
) {
    let event = Event::failure(kind::LOGIN_FAILED)
        .meta(meta)
        .subject(user_id)
        .client(client_id)
        .detail(serde_json::json!({"reason": "not_superadmin", "method": method}));
    if s.audit.append(event).await.is_err() {
        tracing::error!("cannot record a refused console sign-in");
    }
}

/// Whether `uri` is an accepted console redirect URI of `kind` (`login` or `post_logout`):
/// exactly `{issuer}{path}`, or, when `loopback_port` is set (the desktop build), exactly
/// `http://127.0.0.1:{loopback_port}{path}` (or `[::1]`). Any other port is refused: a
/// local process listening there must never receive an admin code.
pub fn redirect_allowed(issuer: &str, loopback_port: Option<u16>, kind: &str, uri: &str) -> bool {
    let path = match kind {
        "login" => CALLBACK_PATH,
        "post_logout" => SIGNED_OUT_PATH,
        _ => return false,
    };
    if uri.strip_prefix(issuer) == Some(path) {
        return true;
    }
    let Some(port) = loopback_port.filter(|p| *p != 0) else {
        return false;
    };
    LOOPBACK_HOSTS
        .iter()
        .any(|host| uri == format!("http://{host}:{port}{path}"))
}

/// Whether `uri` may be used as a redirect URI of `kind` for `client_id`: by rule for the
/// console, else registered exactly.
pub async fn redirect_uri_registered(
    s: &AppState,
    client_id: &str,
    kind: &str,
    uri: &str,
) -> Result<bool, StoreError> {
    if is_console(client_id) {
        return Ok(redirect_allowed(
            &s.issuer,
            s.console_loopback_port,
            kind,
            uri,
        ));
    }
    clients::has_redirect_uri(&s.db.read, client_id, kind, uri).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS: &str = "https://id.example.com";
    const LOCAL: &str = "http://127.0.0.1:7470";

    #[test]
    fn the_issuer_callback_is_accepted_everywhere() {
        for port in [None, Some(7470)] {
            assert!(redirect_allowed(
                ISS,
                port,
                "login",
                "https://id.example.com/console/callback"
            ));
            assert!(redirect_allowed(
                ISS,
                port,
                "post_logout",
                "https://id.example.com/console/"
            ));
        }
        // `tessera serve` on loopback: the issuer is the loopback origin itself.
        assert!(redirect_allowed(
            LOCAL,
            None,
            "login",
            "http://127.0.0.1:7470/console/callback"
        ));
    }

    #[test]
    fn the_desktop_port_is_accepted_only_in_the_desktop_build() {
        for ok in [
            "http://127.0.0.1:7470/console/callback",
            "http://[::1]:7470/console/callback",
        ] {
            assert!(redirect_allowed(ISS, Some(7470), "login", ok), "{ok}");
            assert!(!redirect_allowed(ISS, None, "login", ok), "{ok}");
        }
        assert!(redirect_allowed(
            ISS,
            Some(7470),
            "post_logout",
            "http://127.0.0.1:7470/console/"
        ));
        assert!(!redirect_allowed(
            ISS,
            None,
            "post_logout",
            "http://127.0.0.1:7470/console/"
        ));
    }

    #[test]
    fn other_loopback_ports_and_hosts_are_refused() {
        for port in [None, Some(7470)] {
            for bad in [
                "http://127.0.0.1:7471/console/callback",
                "http://127.0.0.1:1/console/callback",
                "http://localhost:7470/console/callback",
                "http://localhost/console/callback",
                "http://[::1]:8080/console/callback",
                "http://127.0.0.1/console/callback",
                "http://127.0.0.2:7470/console/callback",
            ] {
                assert!(!redirect_allowed(ISS, port, "login", bad), "{bad}");
            }
        }
        assert!(!redirect_allowed(
            LOCAL,
            None,
            "login",
            "http://127.0.0.1:7471/console/callback"
        ));
        assert!(!redirect_allowed(
            ISS,
            Some(0),
            "login",
            "http://127.0.0.1:0/console/callback"
        ));
    }

    #[test]
    fn everything_else_is_refused() {
        for bad in [
            "https://id.example.com/console/callback/",
            "https://id.example.com/console/callback?x=1",
            "https://id.example.com/console/other",
            "https://evil.example/console/callback",
            "https://127.0.0.1:7470/console/callback",
            "http://127.0.0.1:7470/console/callback#f",
            "http://127.0.0.1:7470/console/./callback",
            "http://127.0.0.1.evil.example/console/callback",
            "http://127.0.0.1:65536/console/callback",
            "http://127.0.0.1:/console/callback",
            "http://127.0.0.1:+7470/console/callback",
            "http://127.0.0.1:07470/console/callback",
            "http://user@127.0.0.1:7470/console/callback",
            "http://127.0.0.1:7470@evil.example/console/callback",
            "http://127.0.0.1:7470/console/",
            "",
        ] {
            assert!(!redirect_allowed(ISS, Some(7470), "login", bad), "{bad}");
        }
        assert!(!redirect_allowed(
            ISS,
            Some(7470),
            "post_logout",
            "http://127.0.0.1:7470/console/callback"
        ));
        assert!(!redirect_allowed(
            ISS,
            Some(7470),
            "other",
            "http://127.0.0.1:7470/console/"
        ));
    }
}
