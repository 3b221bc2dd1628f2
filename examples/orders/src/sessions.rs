//! Browser sessions: a random cookie id (HttpOnly, SameSite=Lax) pointing into an
//! in-memory map that holds either a login in progress or the SDK [`Session`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::header::COOKIE;
use axum::http::HeaderMap;
use tessera_sdk::{LoginRequest, Session};

/// The session cookie's name.
pub const COOKIE_NAME: &str = "orders_session";
/// A login must come back to `/callback` within this time.
const PENDING_TTL: Duration = Duration::from_secs(600);
/// A signed-in session unused for this long is forgotten.
const IDLE_TTL: Duration = Duration::from_secs(12 * 3600);

/// A signed-in browser: the SDK session and the CSRF token its forms must carry.
#[derive(Clone, Debug)]
pub struct SignedIn {
    /// The user's tokens (refreshing, branch-switching).
    pub session: Session,
    /// Random per session; every POST form repeats it.
    pub csrf_token: String,
}

enum Entry {
    Pending { login: LoginRequest },
    SignedIn(SignedIn),
}

struct Slot {
    entry: Entry,
    touched: Instant,
}

/// The session map. Ids are 256 random bits; every sign-in gets a fresh id (no fixation).
#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Slot>>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions").finish_non_exhaustive()
    }
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Slot>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores a login in progress under a new id (dropping `previous`, the browser's old
    /// session, and expired entries) and returns the id.
    pub fn start_login(&self, previous: Option<&str>, login: LoginRequest) -> String {
        let id = random_hex();
        let mut map = self.lock();
        if let Some(previous) = previous {
            map.remove(previous);
        }
        map.retain(|_, slot| match slot.entry {
            Entry::Pending { .. } => slot.touched.elapsed() < PENDING_TTL,
            Entry::SignedIn(_) => slot.touched.elapsed() < IDLE_TTL,
        });
        map.insert(
            id.clone(),
            Slot {
                entry: Entry::Pending { login },
                touched: Instant::now(),
            },
        );
        id
    }

    /// Removes and returns the login in progress under `id` (single use), if not expired.
    pub fn take_pending(&self, id: &str) -> Option<LoginRequest> {
        let mut map = self.lock();
        match map.remove(id) {
            Some(Slot {
                entry: Entry::Pending { login },
                touched,
            }) if touched.elapsed() < PENDING_TTL => Some(login),
            Some(
                slot @ Slot {
                    entry: Entry::SignedIn(_),
                    ..
                },
            ) => {
                // Not a login in progress: leave the signed-in session alone.
                map.insert(id.to_string(), slot);
                None
            }
            _ => None,
        }
    }

    /// Stores a signed-in session under a new id and returns the id.
    pub fn sign_in(&self, session: Session) -> String {
        let id = random_hex();
        let entry = Entry::SignedIn(SignedIn {
            session,
            csrf_token: random_hex(),
        });
        self.lock().insert(
            id.clone(),
            Slot {
                entry,
                touched: Instant::now(),
            },
        );
        id
    }

    /// The signed-in session under `id`, if any (and not idle for too long).
    pub fn signed_in(&self, id: &str) -> Option<SignedIn> {
        let mut map = self.lock();
        let slot = map.get_mut(id)?;
        if slot.touched.elapsed() >= IDLE_TTL {
            map.remove(id);
            return None;
        }
        match &slot.entry {
            Entry::SignedIn(s) => {
                slot.touched = Instant::now();
                Some(s.clone())
            }
            Entry::Pending { .. } => None,
        }
    }

    /// Forgets `id`.
    pub fn remove(&self, id: &str) {
        self.lock().remove(id);
    }
}

/// 256 random bits, hex.
pub fn random_hex() -> String {
    rand::random::<[u8; 32]>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// `Set-Cookie` for session `id`: HttpOnly, SameSite=Lax, Path=/, and Secure when the
/// app is served over https. A session cookie (no Max-Age): gone when the browser closes.
pub fn set_cookie(id: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE_NAME}={id}; Path=/; HttpOnly; SameSite=Lax{secure}")
}

/// `Set-Cookie` that deletes the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE_NAME}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}")
}

/// Constant-time equality (for CSRF tokens).
pub fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1; orders_session=abc"));
        headers.append(COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(cookie(&headers, COOKIE_NAME).as_deref(), Some("abc"));
        assert_eq!(cookie(&headers, "b").as_deref(), Some("2"));
        assert_eq!(cookie(&headers, "orders"), None);
    }

    #[test]
    fn cookie_attributes_and_ids() {
        let c = set_cookie("x", false);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && !c.contains("Secure"));
        assert!(set_cookie("x", true).ends_with("; Secure"));
        assert!(clear_cookie(false).contains("Max-Age=0"));
        let (a, b) = (random_hex(), random_hex());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(ct_eq(&a, &a.clone()) && !ct_eq(&a, &b) && !ct_eq("ab", "abc"));
    }

    #[test]
    fn a_pending_login_is_single_use() {
        let sessions = Sessions::default();
        let login = LoginRequest {
            url: "http://issuer/authorize".into(),
            state: "s".into(),
            nonce: "n".into(),
            code_verifier: "v".into(),
            redirect_uri: "http://app/callback".into(),
        };
        let id = sessions.start_login(None, login);
        assert!(sessions.signed_in(&id).is_none());
        assert_eq!(
            sessions.take_pending(&id).map(|l| l.state).as_deref(),
            Some("s")
        );
        assert!(sessions.take_pending(&id).is_none());
    }
}
