//! Sign-in protection around the hosted login and client authentication: throttle checks
//! before any secret is compared or hashed, failure counting (each new throttle audited in
//! the same transaction), the hashing bound and the client IP. Rules: `domain::throttle`.

pub mod client_hint;
pub mod client_ip;
pub mod hashing;

use crate::audit::{kind, Event};
use crate::domain::throttle::{ip_key, retry_after, unknown_email_key, Counter, Scope};
use crate::domain::RequestMeta;
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::{now, throttles, Tx};
use serde_json::json;
use std::net::IpAddr;

/// Runs a password hash for the admin API through the hashing bound: 503 + Retry-After
/// when it is full.
pub async fn hash_bounded<T: Send + 'static>(
    s: &AppState,
    meta: &RequestMeta,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, crate::error::ApiError> {
    use crate::error::ApiError;
    use hashing::{HashRefused, BUSY_RETRY_AFTER};
    s.hashing
        .run(source_key(meta).as_deref(), work)
        .await
        .map_err(|e| match e {
            HashRefused::Busy => ApiError::busy(BUSY_RETRY_AFTER),
            HashRefused::Failed => ApiError::internal(),
        })
}

/// A key that is throttled now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    pub scope: Scope,
    /// Seconds until it ends (1..=900).
    pub retry_after: i64,
}

/// The throttle key of a request's client IP (IPv6 by /64), when the IP is known.
pub fn source_key(meta: &RequestMeta) -> Option<String> {
    meta.ip
        .as_deref()
        .and_then(|ip| ip.parse::<IpAddr>().ok())
        .map(ip_key)
}

/// The keys one password attempt counts against.
#[derive(Debug, Clone)]
pub struct LoginKeys {
    /// The user's id, or a hash of an email no user has.
    pub account: String,
    pub user_id: Option<String>,
    pub ip: Option<String>,
}

impl LoginKeys {
    pub fn new(user_id: Option<&str>, email: &str, meta: &RequestMeta) -> LoginKeys {
        LoginKeys {
            account: user_id.map_or_else(|| unknown_email_key(email), str::to_string),
            user_id: user_id.map(str::to_string),
            ip: source_key(meta),
        }
    }

    fn list(&self) -> Vec<(Scope, &str)> {
        let mut keys = vec![(Scope::Account, self.account.as_str())];
        if let Some(ip) = &self.ip {
            keys.push((Scope::Ip, ip.as_str()));
        }
        keys
    }
}

/// What the check before a password attempt found.
#[derive(Debug, Clone, Copy)]
pub struct LoginCheck {
    /// The longest throttle on the account or the IP, if any.
    pub throttled: Option<Throttled>,
    /// The account has a counter (so a success has something to reset).
    pub account_counted: bool,
}

/// One indexed read: is the account or the IP throttled?
pub async fn check_login(s: &AppState, keys: &LoginKeys) -> Result<LoginCheck, StoreError> {
    let found = throttles::find(&s.db.read, &keys.list()).await?;
    let t = now();
    let throttled = found
        .iter()
        .filter_map(|f| {
            retry_after(f.until, t).map(|retry_after| Throttled {
                scope: f.scope,
                retry_after,
            })
        })
        .max_by_key(|th| th.retry_after);
    Ok(LoginCheck {
        throttled,
        account_counted: found.iter().any(|f| f.scope == Scope::Account),
    })
}

/// Counts a wrong password against the account and the IP; a failure that begins a
/// throttle appends `login.throttled` in the same transaction.
pub async fn record_login_failure(
    s: &AppState,
    meta: &RequestMeta,
    keys: &LoginKeys,
    client_id: &str,
) -> Result<(), StoreError> {
    let t = now();
    let mut tx = s.db.begin().await?;
    let mut audited = false;
    for (scope, key) in keys.list() {
        let (counter, tripped) =
            throttles::record_failure(&mut tx, scope, key, scope.rule(), t).await?;
        if !tripped {
            continue;
        }
        let mut event =
            throttle_event(kind::LOGIN_THROTTLED, meta, scope, key, &counter, t).client(client_id);
        if scope == Scope::Account {
            if let Some(id) = &keys.user_id {
                event = event.subject(id);
            }
        }
        event.write(&mut tx).await?;
        audited = true;
    }
    tx.commit().await?;
    if audited {
        s.audit.ring();
    }
    Ok(())
}

/// A successful sign-in forgets the account's earlier failures (not the IP's), inside
/// the sign-in's own transaction.
pub async fn reset_account_in(tx: &mut Tx, keys: &LoginKeys) -> Result<(), StoreError> {
    throttles::clear(tx, Scope::Account, &keys.account).await?;
    Ok(())
}

/// Is this client throttled for failed client authentication? (A client found free
/// within the last 2 s and without a failure since is not looked up again: `client_hint`.)
pub async fn check_client(s: &AppState, client_id: &str) -> Result<Option<Throttled>, StoreError> {
    if s.client_hints.unthrottled(client_id) {
        return Ok(None);
    }
    let generation = s.client_hints.generation();
    let found = throttles::find(&s.db.read, &[(Scope::Client, client_id)]).await?;
    let t = now();
    let throttled = found.iter().find_map(|f| {
        retry_after(f.until, t).map(|retry_after| Throttled {
            scope: Scope::Client,
            retry_after,
        })
    });
    if throttled.is_none() {
        s.client_hints.remember(client_id, generation);
    }
    Ok(throttled)
}

/// Counts a wrong or missing secret of a confidential client; audits `client.throttled`
/// when this failure begins a throttle.
pub async fn record_client_failure(
    s: &AppState,
    meta: &RequestMeta,
    client_id: &str,
) -> Result<(), StoreError> {
    let t = now();
    let mut tx = s.db.begin().await?;
    let rule = Scope::Client.rule();
    let (counter, tripped) =
        throttles::record_failure(&mut tx, Scope::Client, client_id, rule, t).await?;
    if tripped {
        throttle_event(
            kind::CLIENT_THROTTLED,
            meta,
            Scope::Client,
            client_id,
            &counter,
            t,
        )
        .client(client_id)
        .write(&mut tx)
        .await?;
    }
    tx.commit().await?;
    s.client_hints.forget(client_id);
    if tripped {
        s.audit.ring();
    }
    Ok(())
}

/// The audit event of a throttle that begins (counted in the metrics here).
fn throttle_event(
    kind: &str,
    meta: &RequestMeta,
    scope: Scope,
    key: &str,
    c: &Counter,
    now: i64,
) -> Event {
    crate::metrics::throttle_begun(scope.as_str());
    Event::failure(kind).meta(meta).detail(json!({
        "scope": scope.as_str(),
        "key": key,
        "failures": c.failures,
        "retry_after": retry_after(c.until, now).unwrap_or(0),
        "until": c.until,
    }))
}
