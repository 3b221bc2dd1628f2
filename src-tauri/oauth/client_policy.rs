//! The protocol side of a client's policy (`store::clients::ClientPolicy`): redirect URIs
//! by rule or by registration, and the policy of a client named only by its id.

use crate::domain::redirect;
use crate::error::{OAuthError, StoreError};
use crate::state::AppState;
use crate::store::clients::{self, ApplicationType, Client, ClientPolicy, RedirectRule};
use crate::store::users::UserRow;

/// The hosts the desktop window may open the console at (`loopback_if_unspecified`).
const LOOPBACK_HOSTS: [&str; 2] = ["127.0.0.1", "[::1]"];

/// Whether `uri` may be used as a redirect URI of `kind` (`login` or `post_logout`) for
/// `client`: registered exactly, or following its rule. A native app's loopback IP
/// redirect matches its port-less registration on any port (RFC 8252 §7.3).
pub async fn redirect_uri_allowed(
    s: &AppState,
    client: &Client,
    kind: &str,
    uri: &str,
) -> Result<bool, StoreError> {
    match client.policy.redirects {
        RedirectRule::Registered => {
            let id = &client.client_id;
            if clients::has_redirect_uri(&s.db.read, id, kind, uri).await? {
                return Ok(true);
            }
            match redirect::loopback_without_port(uri) {
                Some(portless) if client.app.application_type == ApplicationType::Native => {
                    clients::has_redirect_uri(&s.db.read, id, kind, &portless).await
                }
                _ => Ok(false),
            }
        }
        RedirectRule::UnderIssuer { login, post_logout } => {
            let path = match kind {
                "login" => login,
                "post_logout" => post_logout,
                _ => return Ok(false),
            };
            Ok(under_issuer(&s.issuer, s.console_loopback_port, path, uri))
        }
    }
}

/// [`redirect_uri_allowed`] for a client named by id; an unknown client has none.
pub async fn redirect_uri_allowed_for(
    s: &AppState,
    client_id: &str,
    kind: &str,
    uri: &str,
) -> Result<bool, StoreError> {
    match s.clients.get(&s.db.read, client_id).await? {
        Some(client) => Ok(redirect_uri_allowed(s, &client, kind, uri).await?),
        None => Ok(false),
    }
}

/// Whether `uri` is exactly `{issuer}{path}`, or, when `loopback_port` is set (the desktop
/// build), exactly `http://127.0.0.1:{loopback_port}{path}` (or `[::1]`). Any other port
/// is refused: a local process listening there must never receive an admin code.
pub fn under_issuer(issuer: &str, loopback_port: Option<u16>, path: &str, uri: &str) -> bool {
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

/// The policy of the client of a pending sign-in, known only by id (the interaction
/// outlives the request that loaded the client); a client deleted since is refused.
pub async fn policy_of(s: &AppState, client_id: &str) -> Result<ClientPolicy, OAuthError> {
    s.clients
        .get(&s.db.read, client_id)
        .await?
        .map(|c| c.policy.clone())
        .ok_or_else(|| OAuthError::invalid_request("the client no longer exists"))
}

/// Whether `user` may sign in to the client `client_id` (its [`SignInRule`]).
///
/// [`SignInRule`]: crate::store::clients::SignInRule
pub async fn may_sign_in(
    s: &AppState,
    client_id: &str,
    user: &UserRow,
) -> Result<bool, OAuthError> {
    Ok(policy_of(s, client_id).await?.sign_in.allows(user))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS: &str = "https://id.example.com";

    /// The console's rule, as `redirect_uri_allowed` applies it.
    fn redirect_allowed(issuer: &str, port: Option<u16>, kind: &str, uri: &str) -> bool {
        let RedirectRule::UnderIssuer { login, post_logout } = ClientPolicy::console().redirects
        else {
            panic!("the console's redirect URIs follow a rule");
        };
        match kind {
            "login" => under_issuer(issuer, port, login, uri),
            "post_logout" => under_issuer(issuer, port, post_logout, uri),
            _ => false,
        }
    }
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
