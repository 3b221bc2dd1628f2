//! Server-provided DPoP nonces (RFC 9449 §8, §9), stateless: a nonce is an HMAC of a
//! 5-minute window under a key derived from the KEK, so every node of a cluster issues
//! and accepts the same ones without storing anything. A nonce is accepted during its
//! window and the next one (5 to 10 minutes).

use crate::crypto::{b64url, ct_eq};
use aws_lc_rs::hmac;

/// Length of a nonce window, in seconds.
const WINDOW_SECS: i64 = 300;

pub struct Nonces {
    key: hmac::Key,
}

impl Nonces {
    /// Nonces keyed by `key` (derived from the KEK: the same on every node).
    pub fn new(key: &[u8; 32]) -> Self {
        Nonces {
            key: hmac::Key::new(hmac::HMAC_SHA256, key),
        }
    }

    /// The nonce to hand out at `now`.
    pub fn current(&self, now: i64) -> String {
        self.of_window(now.div_euclid(WINDOW_SECS))
    }

    /// Whether `nonce` is the current or the previous window's.
    pub fn accepts(&self, nonce: &str, now: i64) -> bool {
        let window = now.div_euclid(WINDOW_SECS);
        [window, window - 1]
            .iter()
            .any(|w| ct_eq(self.of_window(*w).as_bytes(), nonce.as_bytes()))
    }

    fn of_window(&self, window: i64) -> String {
        let tag = hmac::sign(&self.key, format!("dpop-nonce:{window}").as_bytes());
        b64url(&tag.as_ref()[..16])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_lives_one_to_two_windows() {
        let n = Nonces::new(&[7; 32]);
        let issued = n.current(1_000_000);
        assert!(n.accepts(&issued, 1_000_000));
        assert!(n.accepts(&issued, 1_000_000 + WINDOW_SECS));
        assert!(!n.accepts(&issued, 1_000_000 + 2 * WINDOW_SECS));
        assert!(!n.accepts("other", 1_000_000));
        assert!(!Nonces::new(&[8; 32]).accepts(&issued, 1_000_000));
    }
}
