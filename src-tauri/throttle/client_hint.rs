//! Clients this server recently found not throttled, so the token hot path does not read
//! the throttle table (a database round trip) on every request of a busy client.
//!
//! Only "not throttled" is remembered, for [`HINT_TTL`] (the client row cache's life). A
//! failure counted on this server forgets the client at once, so the throttle it may begin
//! applies to the very next request. A throttle begun by another server on the same
//! database applies here within `HINT_TTL`, like any other change to a client row.

use crate::store::clients::CLIENT_CACHE_TTL;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::Instant;

/// How long a "not throttled" answer is believed.
pub const HINT_TTL: std::time::Duration = CLIENT_CACHE_TTL;
/// More clients than this at once: the hints start over (they are only a shortcut).
const MAX_HINTS: usize = 10_000;

#[derive(Default)]
pub struct ClientHints {
    unthrottled_at: RwLock<HashMap<String, Instant>>,
    /// Bumped by [`ClientHints::forget`], so an answer read before a failure is not
    /// remembered after it.
    generation: AtomicU64,
}

impl ClientHints {
    /// Whether `client_id` was found not throttled within [`HINT_TTL`].
    pub fn unthrottled(&self, client_id: &str) -> bool {
        self.unthrottled_at
            .read()
            .is_ok_and(|map| map.get(client_id).is_some_and(|at| at.elapsed() < HINT_TTL))
    }

    /// The generation to hand to [`ClientHints::remember`] (take it before reading).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Remembers that `client_id` was not throttled in a read that began at `generation`.
    pub fn remember(&self, client_id: &str, generation: u64) {
        let Ok(mut map) = self.unthrottled_at.write() else {
            return;
        };
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if map.len() >= MAX_HINTS {
            map.clear();
        }
        map.insert(client_id.to_owned(), Instant::now());
    }

    /// Forgets `client_id` (a failure was counted against it).
    pub fn forget(&self, client_id: &str) {
        if let Ok(mut map) = self.unthrottled_at.write() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            map.remove(client_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_forgets_and_a_read_from_before_it_is_not_remembered() {
        let hints = ClientHints::default();
        assert!(!hints.unthrottled("c1"));
        let before = hints.generation();
        hints.remember("c1", before);
        assert!(hints.unthrottled("c1"));
        assert!(!hints.unthrottled("c2"));

        let stale = hints.generation();
        hints.forget("c1");
        assert!(!hints.unthrottled("c1"));
        // A check that read the table before the failure was counted.
        hints.remember("c1", stale);
        assert!(!hints.unthrottled("c1"));
        hints.remember("c1", hints.generation());
        assert!(hints.unthrottled("c1"));
    }
}
