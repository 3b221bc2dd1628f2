//! Sign-in throttling rules (PRODUCT.md "Sign-in protection"): which failures count per
//! key, how many trip a throttle, and how long it lasts. No HTTP and no SQL: the store
//! applies the same rule in one atomic upsert (tested against [`Counter::fail`]).

use crate::crypto::{b64url, sha256};
use std::net::IpAddr;

/// What a counter is kept for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Password failures for one account (user id, or a hash of an unknown email).
    Account,
    /// Password failures from one client IP (IPv6 by /64).
    Ip,
    /// Client-secret failures for one client_id.
    Client,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Account => "account",
            Scope::Ip => "ip",
            Scope::Client => "client",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "account" => Some(Scope::Account),
            "ip" => Some(Scope::Ip),
            "client" => Some(Scope::Client),
            _ => None,
        }
    }

    pub fn rule(self) -> Rule {
        match self {
            Scope::Account => ACCOUNT,
            Scope::Ip => IP,
            Scope::Client => CLIENT,
        }
    }
}

/// `failures` failures within `window_secs` (counted from the first) trip a throttle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub failures: i64,
    pub window_secs: i64,
}

pub const ACCOUNT: Rule = Rule {
    failures: 5,
    window_secs: 900,
};
pub const IP: Rule = Rule {
    failures: 20,
    window_secs: 60,
};
pub const CLIENT: Rule = Rule {
    failures: 10,
    window_secs: 300,
};

/// The first throttle of a key lasts this long; each further one doubles it ...
pub const BASE_BACKOFF_SECS: i64 = 60;
/// ... up to this: never a lockout an attacker could make permanent for a real user.
pub const MAX_BACKOFF_SECS: i64 = 900;
/// A counter with no failure for this long starts over (its backoff too): longer than
/// any window plus the longest backoff. Such rows are pruned by the maintenance job.
pub const FORGET_AFTER_SECS: i64 = 3600;

/// How long the throttle that follows `strikes` earlier ones lasts.
pub fn backoff_secs(strikes: i64) -> i64 {
    (BASE_BACKOFF_SECS << strikes.clamp(0, 10)).min(MAX_BACKOFF_SECS)
}

/// Seconds until a throttle ending at `until` is over (1..=900), or `None` when not throttled.
pub fn retry_after(until: i64, now: i64) -> Option<i64> {
    (until > now).then(|| (until - now).clamp(1, MAX_BACKOFF_SECS))
}

/// One key's counter, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counter {
    pub failures: i64,
    pub window_start: i64,
    pub strikes: i64,
    pub until: i64,
    pub throttled_at: i64,
    pub updated_at: i64,
}

impl Counter {
    /// The counter after one more failure at `now`, and whether that failure began a
    /// throttle. A failure recorded while throttled (a request that passed the check just
    /// before) counts but does not extend it; after the backoff, the next failure in the
    /// same window throttles again, for longer.
    pub fn fail(prev: Option<Counter>, rule: Rule, now: i64) -> (Counter, bool) {
        let fresh = Counter {
            failures: 1,
            window_start: now,
            updated_at: now,
            ..Counter::default()
        };
        let Some(c) = prev else {
            return (fresh, false);
        };
        if now - c.updated_at >= FORGET_AFTER_SECS {
            return (fresh, false);
        }
        if now - c.window_start >= rule.window_secs {
            return (
                Counter {
                    failures: 1,
                    window_start: now,
                    updated_at: now,
                    ..c
                },
                false,
            );
        }
        let failures = c.failures + 1;
        let trip = failures >= rule.failures && c.until <= now;
        let next = Counter {
            failures,
            updated_at: now,
            ..c
        };
        if !trip {
            return (next, false);
        }
        let until = now + backoff_secs(c.strikes);
        let tripped = Counter {
            strikes: c.strikes + 1,
            until,
            throttled_at: now,
            ..next
        };
        (tripped, true)
    }
}

/// The account key of an email no user has: a hash, so that what people type into the
/// email field (sometimes a password) is not stored in clear, while unknown and known
/// emails are throttled alike.
pub fn unknown_email_key(email: &str) -> String {
    format!("email:{}", b64url(&sha256(&email.trim().to_lowercase())))
}

/// The IP key: IPv4 as is; IPv6 by its /64 (one customer's prefix); IPv4-mapped IPv6 as IPv4.
pub fn ip_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let prefix = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{prefix}/64")
        }
    }
}

/// "N minutes" for a wait of `secs` seconds, rounded up.
pub fn minutes_text(secs: i64) -> String {
    let m = (secs.max(1) + 59) / 60;
    if m == 1 {
        "1 minute".into()
    } else {
        format!("{m} minutes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let steps: Vec<i64> = (0..7).map(backoff_secs).collect();
        assert_eq!(steps, [60, 120, 240, 480, 900, 900, 900]);
        assert_eq!(backoff_secs(i64::MAX), 900);
    }

    #[test]
    fn fifth_account_failure_trips_then_backoff_grows() {
        let mut c = None;
        for t in 0..4 {
            let (next, tripped) = Counter::fail(c, ACCOUNT, 1000 + t);
            assert!(!tripped);
            c = Some(next);
        }
        let (next, tripped) = Counter::fail(c, ACCOUNT, 1004);
        assert!(tripped);
        assert_eq!((next.until, next.strikes), (1064, 1));
        assert_eq!(retry_after(next.until, 1004), Some(60));
        // A late failure while throttled counts but does not extend.
        let (late, tripped) = Counter::fail(Some(next), ACCOUNT, 1010);
        assert!(!tripped);
        assert_eq!(late.until, 1064);
        // After the backoff, one more failure in the window throttles for twice as long.
        let (again, tripped) = Counter::fail(Some(late), ACCOUNT, 1070);
        assert!(tripped);
        assert_eq!(again.until, 1070 + 120);
        // A new window starts the count again but remembers the strikes.
        let (reset, tripped) = Counter::fail(Some(again), ACCOUNT, 1000 + 900);
        assert!(!tripped);
        assert_eq!((reset.failures, reset.strikes), (1, 2));
        // Forgotten after an idle hour.
        let (forgot, _) = Counter::fail(Some(reset), ACCOUNT, 1900 + FORGET_AFTER_SECS);
        assert_eq!((forgot.failures, forgot.strikes, forgot.until), (1, 0, 0));
    }

    #[test]
    fn retry_after_is_within_bounds() {
        assert_eq!(retry_after(10, 10), None);
        assert_eq!(retry_after(11, 10), Some(1));
        assert_eq!(retry_after(10_000, 10), Some(900));
    }

    #[test]
    fn keys_normalise() {
        assert_eq!(ip_key("203.0.113.9".parse().unwrap()), "203.0.113.9");
        assert_eq!(ip_key("::ffff:203.0.113.9".parse().unwrap()), "203.0.113.9");
        assert_eq!(
            ip_key("2001:db8:1:2:aaaa::1".parse().unwrap()),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            unknown_email_key(" Ann@Example.com"),
            unknown_email_key("ann@example.com")
        );
        assert!(unknown_email_key("a@b.c").starts_with("email:"));
        assert_eq!(minutes_text(1), "1 minute");
        assert_eq!(minutes_text(61), "2 minutes");
        assert_eq!(minutes_text(900), "15 minutes");
    }
}
