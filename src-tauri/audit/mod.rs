//! Audit events: a builder that records who did what, appended in the same
//! transaction as the change it describes. Never holds a token, secret or password.

use crate::domain::RequestMeta;
use crate::store::audit::{append_events, insert_event, AuditRow};
use crate::store::StoreError;
use crate::store::{now_ms, Db, Tx};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, watch};

/// Event types (PRODUCT.md "Audit events").
pub mod kind {
    pub const TOKEN_ISSUED: &str = "token.issued";
    pub const TOKEN_REFRESHED: &str = "token.refreshed";
    pub const TOKEN_REVOKED: &str = "token.revoked";
    pub const TOKEN_REFUSED: &str = "token.refused";
    pub const TOKEN_REUSE_DETECTED: &str = "token.reuse_detected";
    pub const CODE_REPLAYED: &str = "code.replayed";
    pub const LOGIN_SUCCEEDED: &str = "login.succeeded";
    pub const LOGIN_FAILED: &str = "login.failed";
    pub const LOGOUT: &str = "logout";
    pub const USER_CREATED: &str = "admin.user.created";
    pub const USER_SUSPENDED: &str = "admin.user.suspended";
    pub const PRODUCT_CREATED: &str = "admin.product.created";
    pub const SECRET_ROTATED: &str = "admin.product.secret_rotated";
    pub const ADMIN_CLIENT_CREATED: &str = "admin.admin_client.created";
    pub const SUPERADMIN_CREATED: &str = "admin.superadmin.created";
    pub const KEY_ROTATED: &str = "key.rotated";
    pub const KEY_RETIRED: &str = "key.retired";
    pub const KEY_DELETED: &str = "key.deleted";
    pub const AUDIT_PRUNED: &str = "audit.pruned";
    pub const SETTINGS_UPDATED: &str = "admin.settings.updated";
    /// A sign-in key (account or IP) began a throttle; detail: scope, retry_after.
    pub const LOGIN_THROTTLED: &str = "login.throttled";
    /// A client began a throttle for failed client authentication.
    pub const CLIENT_THROTTLED: &str = "client.throttled";
    pub const THROTTLE_CLEARED: &str = "admin.throttle.cleared";
    /// A user confirmed a new authenticator app (TOTP); detail: factor.
    pub const MFA_ENROLLED: &str = "mfa.enrolled";
    /// A second factor was accepted at sign-in; detail: factor (`totp`, `recovery_code`).
    pub const MFA_VERIFIED: &str = "mfa.verified";
    /// A wrong second-factor code (never the code itself).
    pub const MFA_FAILED: &str = "mfa.failed";
    /// A super-admin removed every second factor of a user.
    pub const MFA_RESET: &str = "mfa.reset";
    /// A user removed their authenticator app (and its recovery codes) on the account page.
    pub const MFA_REMOVED: &str = "mfa.removed";
    /// A user replaced their recovery codes on the account page (never the codes).
    pub const MFA_RECOVERY_CODES_REPLACED: &str = "mfa.recovery_codes_replaced";
    /// Passkeys (WebAuthn): one added on the account page; one used to sign in (detail
    /// `as`: `passwordless` or `second_factor`); one removed.
    pub const PASSKEY_REGISTERED: &str = "passkey.registered";
    pub const PASSKEY_USED: &str = "passkey.used";
    pub const PASSKEY_REMOVED: &str = "passkey.removed";
    /// The account page: a user ended one of their sessions, changed their password.
    pub const ACCOUNT_SESSION_ENDED: &str = "account.session_ended";
    pub const ACCOUNT_PASSWORD_CHANGED: &str = "account.password_changed";
}

/// One audit event being built.
#[derive(Debug, Clone)]
pub struct Event(AuditRow);

impl Event {
    pub fn success(kind: &str) -> Self {
        Self::new(kind, "success")
    }
    pub fn failure(kind: &str) -> Self {
        Self::new(kind, "failure")
    }
    fn new(kind: &str, outcome: &str) -> Self {
        Event(AuditRow {
            at: now_ms(),
            kind: kind.to_string(),
            outcome: outcome.to_string(),
            ..AuditRow::default()
        })
    }
    pub fn actor(mut self, v: impl Into<String>) -> Self {
        self.0.actor = Some(v.into());
        self
    }
    pub fn subject(mut self, v: impl Into<String>) -> Self {
        self.0.subject = Some(v.into());
        self
    }
    pub fn client(mut self, v: impl Into<String>) -> Self {
        self.0.client_id = Some(v.into());
        self
    }
    pub fn org(mut self, v: impl Into<String>) -> Self {
        self.0.org = Some(v.into());
        self
    }
    pub fn branch(mut self, v: impl Into<String>) -> Self {
        self.0.branch = Some(v.into());
        self
    }
    pub fn jti(mut self, v: impl Into<String>) -> Self {
        self.0.jti = Some(v.into());
        self
    }
    pub fn meta(mut self, m: &RequestMeta) -> Self {
        self.0.ip = m.ip.clone();
        self.0.user_agent = m.user_agent.clone();
        self
    }
    /// Structured detail, e.g. the issued token's claims or the refusal reason (a
    /// `json!` value, or a struct serialized straight to text).
    pub fn detail(mut self, v: impl serde::Serialize) -> Self {
        self.0.detail = Some(serde_json::to_string(&v).unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot serialize an audit event's detail");
            "null".to_owned()
        }));
        self
    }

    /// Appends the event inside `tx`; it commits or rolls back with the change.
    pub async fn write(self, tx: &mut Tx) -> Result<i64, StoreError> {
        let id = insert_event(tx, &self.0).await?;
        crate::metrics::audited(&self.0.kind);
        Ok(id)
    }
}

/// Appends standalone events (those with no other change to commit alongside) in group
/// commits: concurrent requests share one transaction, and each caller resumes only once
/// its event is committed. This keeps the hot client_credentials path off the single
/// writer's critical section.
#[derive(Clone)]
pub struct AuditSink {
    queue: mpsc::Sender<Queued>,
    /// Rung after commits that appended events, so live streams look at once.
    bell: Arc<watch::Sender<u64>>,
}

/// Largest group commit; more waiting events go in the next one.
const MAX_BATCH: usize = 256;

/// An event waiting in the sink, and who waits for its commit.
type Queued = (AuditRow, oneshot::Sender<bool>);

/// Yields at most this often while gathering one group commit.
const MAX_YIELDS: usize = 4;

/// `first` and what else is queued for the same commit. Each commit costs a round trip
/// to the single writer's thread (three on PostgreSQL), so the requests ready to run go first (a yield)
/// and add their events, and again while they do; on an idle server nothing else is
/// ready and this returns at once.
async fn gather(rx: &mut mpsc::Receiver<Queued>, first: Queued) -> Vec<Queued> {
    let mut batch = vec![first];
    for _ in 0..MAX_YIELDS {
        tokio::task::yield_now().await;
        let before = batch.len();
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(item) => batch.push(item),
                Err(_) => break,
            }
        }
        if batch.len() == before || batch.len() >= MAX_BATCH {
            break;
        }
    }
    batch
}

impl AuditSink {
    pub fn start(db: Db) -> AuditSink {
        let (queue, mut rx) = mpsc::channel::<Queued>(4096);
        let bell = Arc::new(watch::channel(0u64).0);
        let ringer = bell.clone();
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let batch = gather(&mut rx, first).await;
                let rows: Vec<&AuditRow> = batch.iter().map(|(row, _)| row).collect();
                let ok = match append_events(&db, &rows).await {
                    Ok(()) => true,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot append audit events");
                        false
                    }
                };
                if ok {
                    ringer.send_modify(|n| *n = n.wrapping_add(1));
                }
                for (row, ack) in batch {
                    if ok {
                        crate::metrics::audited(&row.kind);
                    }
                    let _ = ack.send(ok);
                }
            }
        });
        AuditSink { queue, bell }
    }

    /// Tells live streams that events were committed (call after a commit that wrote some).
    /// Commits that do not ring are still seen by the streams' short polling.
    pub fn ring(&self) {
        self.bell.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that changes whenever [`AuditSink::ring`] is called.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.bell.subscribe()
    }

    /// Appends `event` and waits until it is committed.
    pub async fn append(&self, event: Event) -> Result<(), AuditUnavailable> {
        let (ack, done) = oneshot::channel();
        self.queue
            .send((event.0, ack))
            .await
            .map_err(|_| AuditUnavailable)?;
        match done.await {
            Ok(true) => Ok(()),
            _ => Err(AuditUnavailable),
        }
    }
}

/// The audit log could not be written; the request must fail closed.
#[derive(Debug, thiserror::Error)]
#[error("the audit log could not be written")]
pub struct AuditUnavailable;

/// Events deleted per retention transaction: keeps the single writer free for requests.
const PRUNE_BATCH: i64 = 5_000;

/// Deletes events older than `retention_days`, in batches, and appends one `audit.pruned`
/// event with the count (in the last batch's transaction) when any were deleted.
pub async fn prune_events(db: &Db, retention_days: i64) -> Result<u64, StoreError> {
    let cutoff = now_ms() - retention_days.max(1) * 86_400_000;
    let mut total = 0u64;
    loop {
        let mut tx = db.begin().await?;
        let n = crate::store::audit::delete_events_before(&mut tx, cutoff, PRUNE_BATCH).await?;
        total += n;
        if n < PRUNE_BATCH as u64 {
            if total > 0 {
                Event::success(kind::AUDIT_PRUNED)
                    .actor("system")
                    .detail(serde_json::json!({
                        "deleted": total,
                        "retention_days": retention_days,
                        "before_ms": cutoff,
                    }))
                    .write(&mut tx)
                    .await?;
            }
            tx.commit().await?;
            return Ok(total);
        }
        tx.commit().await?;
    }
}
