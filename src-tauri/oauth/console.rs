//! The built-in console client `tessera-console`: a public (PKCE) sign-in client whose
//! redirect URIs follow a rule instead of a list (`{issuer}/console/callback`, or a loopback
//! host on any port, RFC 8252 §7.3), and the only client that may ever be granted the
//! `admin` scope, and only for an active super-admin.

use crate::audit::{kind, Event};
use crate::domain::RequestMeta;
use crate::error::OAuthError;
use crate::state::AppState;
use crate::store::clients;
use crate::store::users::UserRow;
use axum::http::StatusCode;

pub use crate::store::clients::CONSOLE_CLIENT_ID as CLIENT_ID;

/// The scope that opens the `/v1` admin API.
pub const ADMIN_SCOPE: &str = "admin";
/// Why a sign-in to the console is refused.
pub const DENIED: &str = "only super-admins can sign in to the console";

const CALLBACK_PATH: &str = "/console/callback";
const SIGNED_OUT_PATH: &str = "/console/";
const LOOPBACK_HOSTS: [&str; 3] = ["127.0.0.1", "localhost", "[::1]"];

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
/// exactly `{issuer}{path}`, or `http://{loopback}[:port]{path}` with nothing else.
pub fn redirect_allowed(issuer: &str, kind: &str, uri: &str) -> bool {
    let path = match kind {
        "login" => CALLBACK_PATH,
        "post_logout" => SIGNED_OUT_PATH,
        _ => return false,
    };
    if uri.strip_prefix(issuer) == Some(path) {
        return true;
    }
    let Some(rest) = uri.strip_prefix("http://") else {
        return false;
    };
    let Some(authority) = rest.strip_suffix(path) else {
        return false;
    };
    LOOPBACK_HOSTS
        .iter()
        .any(|host| match authority.strip_prefix(host) {
            Some("") => true,
            Some(port) => port.strip_prefix(':').is_some_and(is_port),
            None => false,
        })
}

/// 1-5 ASCII digits naming a port from 1 to 65535.
fn is_port(s: &str) -> bool {
    (1..=5).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_digit())
        && s.parse::<u32>().is_ok_and(|p| (1..=65_535).contains(&p))
}

/// Whether `uri` may be used as a redirect URI of `kind` for `client_id`: by rule for the
/// console, else registered exactly.
pub async fn redirect_uri_registered(
    s: &AppState,
    client_id: &str,
    kind: &str,
    uri: &str,
) -> Result<bool, sqlx::Error> {
    if is_console(client_id) {
        return Ok(redirect_allowed(&s.issuer, kind, uri));
    }
    clients::has_redirect_uri(&s.db.read, client_id, kind, uri).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS: &str = "https://id.example.com";

    #[test]
    fn issuer_and_loopback_callbacks_are_accepted() {
        for ok in [
            "https://id.example.com/console/callback",
            "http://127.0.0.1:7470/console/callback",
            "http://127.0.0.1:1/console/callback",
            "http://localhost:65535/console/callback",
            "http://[::1]:8080/console/callback",
            "http://localhost/console/callback",
        ] {
            assert!(redirect_allowed(ISS, "login", ok), "{ok}");
        }
        assert!(redirect_allowed(
            ISS,
            "post_logout",
            "http://127.0.0.1:9/console/"
        ));
        assert!(redirect_allowed(
            ISS,
            "post_logout",
            "https://id.example.com/console/"
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
            "http://127.0.0.2:7470/console/callback",
            "http://127.0.0.1.evil.example/console/callback",
            "http://127.0.0.1:0/console/callback",
            "http://127.0.0.1:65536/console/callback",
            "http://127.0.0.1:/console/callback",
            "http://127.0.0.1:+80/console/callback",
            "http://user@127.0.0.1:80/console/callback",
            "http://127.0.0.1:80@evil.example/console/callback",
            "http://LOCALHOST:80/console/callback",
            "http://127.0.0.1:80/console/",
            "",
        ] {
            assert!(!redirect_allowed(ISS, "login", bad), "{bad}");
        }
        assert!(!redirect_allowed(
            ISS,
            "post_logout",
            "http://127.0.0.1:80/console/callback"
        ));
        assert!(!redirect_allowed(
            ISS,
            "other",
            "http://127.0.0.1:80/console/"
        ));
    }
}
