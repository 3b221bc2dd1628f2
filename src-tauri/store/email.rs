//! Email: one-time links (stored as hashes) and the outbox (`email_outbox`) the sender
//! works through.

use super::sql::{q, scalar};
use super::{Reader, Result, Tx};

/// What a one-time link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    Reset,
    Verify,
    Invite,
}

impl LinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Reset => "reset",
            LinkKind::Verify => "verify",
            LinkKind::Invite => "invite",
        }
    }
}

/// A link found unused and unexpired, and now spent.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SpentLink {
    pub user_id: String,
    pub client_id: Option<String>,
}

/// Stores a new link of `kind` for `user_id` (its token's SHA-256), living `ttl` seconds.
pub async fn insert_link(
    tx: &mut Tx,
    hash: &[u8],
    kind: LinkKind,
    user_id: &str,
    client_id: Option<&str>,
    now: i64,
    ttl: i64,
) -> Result<()> {
    q(
        "INSERT INTO email_links (token_hash, kind, user_id, client_id, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(hash)
    .bind(kind.as_str())
    .bind(user_id)
    .bind(client_id)
    .bind(now)
    .bind(now + ttl)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Spends the link whose token hashes to `hash`, if it is of `kind`, unused and not
/// expired; every other unused link of that kind for the same user stops working too
/// (the newest email is not the only key: any one of them ends them all).
pub async fn spend_link(
    tx: &mut Tx,
    hash: &[u8],
    kind: LinkKind,
    now: i64,
) -> Result<Option<SpentLink>> {
    let spent: Option<SpentLink> = q("UPDATE email_links SET used_at = $1
         WHERE token_hash = $2 AND kind = $3 AND used_at IS NULL AND expires_at > $1
         RETURNING user_id, client_id")
    .bind(now)
    .bind(hash)
    .bind(kind.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(link) = &spent {
        end_links(tx, &link.user_id, kind, now).await?;
    }
    Ok(spent)
}

/// The email address a good (unused, unexpired) link of `kind` was sent to, without
/// spending it (the page shows whose account it is about).
pub async fn peek_link(
    pool: &Reader,
    hash: &[u8],
    kind: LinkKind,
    now: i64,
) -> Result<Option<String>> {
    scalar(
        "SELECT u.email FROM email_links l JOIN users u ON u.id = l.user_id
         WHERE l.token_hash = $1 AND l.kind = $2 AND l.used_at IS NULL AND l.expires_at > $3",
    )
    .bind(hash)
    .bind(kind.as_str())
    .bind(now)
    .fetch_optional(pool)
    .await
}

/// Ends every unused link of `kind` for a user (a newer invitation replaces the old one).
pub async fn end_links(tx: &mut Tx, user_id: &str, kind: LinkKind, now: i64) -> Result<()> {
    q("UPDATE email_links SET used_at = $1 WHERE user_id = $2 AND kind = $3 AND used_at IS NULL")
        .bind(now)
        .bind(user_id)
        .bind(kind.as_str())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The product client the newest link of `kind` for a user named (what a resent
/// invitation names again); `None` when it named none or there is no such link.
pub async fn last_link_client(
    tx: &mut Tx,
    user_id: &str,
    kind: LinkKind,
) -> Result<Option<String>> {
    let link: Option<SpentLink> = q("SELECT user_id, client_id FROM email_links
         WHERE user_id = $1 AND kind = $2 ORDER BY created_at DESC LIMIT 1")
    .bind(user_id)
    .bind(kind.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    Ok(link.and_then(|l| l.client_id))
}

/// How many links of `kind` were made for a user since `since` (caps how many emails one
/// address can be sent).
pub async fn links_since(tx: &mut Tx, user_id: &str, kind: LinkKind, since: i64) -> Result<i64> {
    scalar("SELECT COUNT(*) FROM email_links WHERE user_id = $1 AND kind = $2 AND created_at >= $3")
        .bind(user_id)
        .bind(kind.as_str())
        .bind(since)
        .fetch_one(&mut *tx)
        .await
}

/// Deletes links that ended more than a day ago.
pub async fn prune_links(tx: &mut Tx, now: i64) -> Result<u64> {
    q("DELETE FROM email_links WHERE expires_at < $1")
        .bind(now - 86_400)
        .execute(&mut *tx)
        .await
}

/// An email to queue.
pub struct NewEmail<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub recipient: &'a str,
    pub subject: &'a str,
    /// Sealed with the key-encryption key (aad `email:` + id).
    pub body: &'a [u8],
}

pub async fn insert_email(tx: &mut Tx, e: &NewEmail<'_>, now: i64) -> Result<()> {
    q(
        "INSERT INTO email_outbox (id, kind, recipient, subject, body, next_attempt_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(e.id)
    .bind(e.kind)
    .bind(e.recipient)
    .bind(e.subject)
    .bind(e.body)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// An outbox row as the sender and the console see it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EmailRow {
    pub id: String,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    /// `queued` (with a `last_error`: retrying), `sent` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

/// An email taken for an attempt.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedEmail {
    pub id: String,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    /// Sealed; `None` once sent or given up.
    pub body: Option<Vec<u8>>,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

/// The ids of queued emails due at `now`, oldest first.
pub async fn due_emails(pool: &Reader, now: i64, limit: i64) -> Result<Vec<String>> {
    scalar(format!(
        "SELECT id FROM email_outbox WHERE status = 'queued' AND next_attempt_at <= $1
         ORDER BY next_attempt_at, id LIMIT {limit}"
    ))
    .bind(now)
    .fetch_all(pool)
    .await
}

/// Takes a due email for one attempt: counts the attempt and moves its next try to
/// `lease_until`, so no other sender takes it meanwhile (and a sender that dies leaves it
/// to be tried again then). `None`: another sender took it first.
pub async fn claim_email(
    tx: &mut Tx,
    id: &str,
    now: i64,
    lease_until: i64,
) -> Result<Option<ClaimedEmail>> {
    q(
        "UPDATE email_outbox SET attempts = attempts + 1, next_attempt_at = $1
       WHERE id = $2 AND status = 'queued' AND next_attempt_at <= $3
       RETURNING id, kind, recipient, subject, body, attempts",
    )
    .bind(lease_until)
    .bind(id)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await
}

/// The email went out: its body is dropped.
pub async fn mark_sent(tx: &mut Tx, id: &str, now: i64) -> Result<()> {
    q(
        "UPDATE email_outbox SET status = 'sent', sent_at = $1, body = NULL, last_error = NULL
       WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The attempt failed: tried again at `retry_at`, or, when `None`, given up (the body is
/// dropped).
pub async fn mark_failed(tx: &mut Tx, id: &str, error: &str, retry_at: Option<i64>) -> Result<()> {
    match retry_at {
        Some(at) => {
            q("UPDATE email_outbox SET next_attempt_at = $1, last_error = $2 WHERE id = $3")
                .bind(at)
                .bind(error)
                .bind(id)
                .execute(&mut *tx)
                .await?
        }
        None => q(
            "UPDATE email_outbox SET status = 'failed', body = NULL, last_error = $1 WHERE id = $2",
        )
        .bind(error)
        .bind(id)
        .execute(&mut *tx)
        .await?,
    };
    Ok(())
}

/// The newest emails (bodies left out), newest first, optionally of one status
/// (`retrying` = queued after a failed attempt: it has a `last_error`).
pub async fn list_emails(pool: &Reader, status: Option<&str>, limit: i64) -> Result<Vec<EmailRow>> {
    let filter = match status {
        // A first attempt under way has counted itself but not failed: still `queued`.
        Some("retrying") => "WHERE status = 'queued' AND last_error IS NOT NULL",
        Some("queued") => "WHERE status = 'queued' AND last_error IS NULL",
        Some("sent") => "WHERE status = 'sent'",
        Some("failed") => "WHERE status = 'failed'",
        _ => "",
    };
    q(format!(
        "SELECT id, kind, recipient, subject, status, attempts, next_attempt_at,
                last_error, created_at, sent_at
         FROM email_outbox {filter} ORDER BY created_at DESC, id DESC LIMIT {limit}"
    ))
    .fetch_all(pool)
    .await
}

/// Deletes sent and failed emails older than `before`.
pub async fn prune_emails(tx: &mut Tx, before: i64) -> Result<u64> {
    q("DELETE FROM email_outbox WHERE status <> 'queued' AND created_at < $1")
        .bind(before)
        .execute(&mut *tx)
        .await
}
