//! The background sender: takes due emails from the outbox one at a time (a lease, so
//! several nodes never send the same email twice at once), sends them over SMTP, and
//! marks them sent or schedules a retry with a growing delay. Woken when an email is
//! queued; also looks every few seconds (emails queued on other nodes, retries, settings
//! changed on another node).

use super::smtp::{self, SmtpConfig};
use crate::state::Shared;
use crate::store::email as outbox;
use crate::store::now;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;

/// How often the sender looks when nothing wakes it.
const POLL: Duration = Duration::from_secs(3);
/// How long an attempt holds an email before another sender may try it.
const LEASE_SECS: i64 = 120;
/// Attempts before an email is given up (about 7 hours of retries).
pub const MAX_ATTEMPTS: i64 = 30;
/// Emails taken per round.
const BATCH: i64 = 20;

/// The delay before retry number `attempts` + 1: 5 s doubling, at most 15 minutes.
pub fn retry_delay(attempts: i64) -> i64 {
    let shift = attempts.clamp(1, 16) - 1;
    (5i64 << shift).min(900)
}

/// Runs until the server stops.
pub async fn run(state: Shared) {
    let mut stopping = state.stopping.clone();
    let mut transport: Option<(Arc<SmtpConfig>, AsyncSmtpTransport<Tokio1Executor>)> = None;
    loop {
        if *stopping.borrow() {
            return;
        }
        let config = super::reload(&state).await.unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot read the SMTP settings");
            state.mail.config()
        });
        if let Some(cfg) = config {
            if transport.as_ref().is_none_or(|(c, _)| **c != *cfg) {
                transport = match cfg.transport() {
                    Ok(t) => Some((cfg.clone(), t)),
                    Err(e) => {
                        tracing::error!(error = %e, "cannot set up the SMTP transport");
                        None
                    }
                };
            }
            if let Some((cfg, t)) = &transport {
                send_due(&state, cfg, t).await;
            }
        }
        tokio::select! {
            _ = stopping.changed() => return,
            _ = state.mail.wake.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

async fn send_due(
    state: &Shared,
    cfg: &SmtpConfig,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
) {
    let due = match outbox::due_emails(&state.db.read, now(), BATCH).await {
        Ok(ids) => ids,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the email outbox");
            return;
        }
    };
    for id in due {
        if *state.stopping.borrow() {
            return;
        }
        if let Err(e) = send_one(state, cfg, transport, &id).await {
            tracing::error!(error = %e, email = %id, "cannot update the email outbox");
        }
    }
}

/// One attempt at one email.
async fn send_one(
    state: &Shared,
    cfg: &SmtpConfig,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    id: &str,
) -> Result<(), crate::store::StoreError> {
    let at = now();
    let mut tx = state.db.begin().await?;
    let claimed = outbox::claim_email(&mut tx, id, at, at + LEASE_SECS).await?;
    tx.commit().await?;
    let Some(email) = claimed else { return Ok(()) };
    let result = match email
        .body
        .as_deref()
        .and_then(|b| super::open_body(state.keys.kek(), id, b))
    {
        None => Err("the email's body cannot be opened with this key-encryption key".to_string()),
        Some(body) => match message(cfg, &email.recipient, &email.subject, body) {
            Ok(m) => transport
                .send(m)
                .await
                .map(|_| ())
                .map_err(|e| describe(&e, cfg)),
            Err(e) => Err(e),
        },
    };
    let mut tx = state.db.begin().await?;
    match &result {
        Ok(()) => outbox::mark_sent(&mut tx, id, now()).await?,
        Err(error) => {
            let retry =
                (email.attempts < MAX_ATTEMPTS).then(|| now() + retry_delay(email.attempts));
            outbox::mark_failed(&mut tx, id, error, retry).await?;
        }
    }
    tx.commit().await?;
    match result {
        Ok(()) => tracing::info!(email = %id, kind = %email.kind, "email sent"),
        Err(error) => {
            tracing::warn!(email = %id, attempt = email.attempts, %error, "email not sent")
        }
    }
    Ok(())
}

fn message(
    cfg: &SmtpConfig,
    to: &str,
    subject: &str,
    body: super::Body,
) -> Result<Message, String> {
    let from = cfg.sender().ok_or("the sender address is not valid")?;
    let to: Mailbox = to
        .parse()
        .map_err(|_| format!("{to:?} is not an email address"))?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(body.text),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(body.html),
                ),
        )
        .map_err(|e| format!("cannot build the email: {e}"))
}

/// An SMTP failure as the outbox shows it (never with the URL's password).
fn describe(e: &lettre::transport::smtp::Error, cfg: &SmtpConfig) -> String {
    let text = match url::Url::parse(&cfg.url) {
        Ok(u) => smtp::strip_secrets(&e.to_string(), &u),
        Err(_) => e.to_string(),
    };
    text.chars().take(500).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_up_to_fifteen_minutes() {
        assert_eq!(retry_delay(1), 5);
        assert_eq!(retry_delay(2), 10);
        assert_eq!(retry_delay(5), 80);
        assert_eq!(retry_delay(9), 900);
        assert_eq!(retry_delay(29), 900);
    }
}
