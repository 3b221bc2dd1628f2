//! `/v1/settings/email` (the SMTP server emails go through, a test email) and
//! `/v1/email-outbox` (the emails queued, sent, retried or given up).

use serde::{Deserialize, Serialize};

/// The SMTP settings in force (never the password: the URL shows `***` in its place).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmailSettings {
    /// Whether emails can be sent; without SMTP the flows that send email are off.
    pub configured: bool,
    /// `environment` (`TESSERA_SMTP_URL`: read-only here), `console`, or null when off.
    pub source: Option<String>,
    /// The SMTP URL with its password masked as `***`, or null.
    pub smtp_url: Option<String>,
    /// The sender, `Name <address>` or `address`, or null.
    pub from: Option<String>,
}

/// `PUT /v1/settings/email`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetEmailSettings {
    /// `smtps://user:pass@host:465`, `smtp://user:pass@host:587?tls=required` or
    /// `smtp://host:25`. A password of `***` keeps the stored one (same host and user).
    pub smtp_url: String,
    /// The sender, e.g. `Tessera <no-reply@example.com>`.
    pub from: String,
}

/// `POST /v1/settings/email:test`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SendTestEmail {
    /// The address to send the test email to.
    pub to: String,
}

/// An email queued in the outbox (follow it in `GET /v1/email-outbox`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueuedEmail {
    /// The outbox id.
    pub id: String,
}

/// One email of the outbox (never its body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboxEmail {
    /// The outbox id.
    pub id: String,
    /// `reset`, `verify`, `invite` or `test`.
    pub kind: String,
    /// The recipient.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// `queued`, `retrying` (an attempt failed; tried again at `next_attempt_at`),
    /// `sent` or `failed` (given up).
    pub status: String,
    /// Attempts so far.
    pub attempts: i64,
    /// The last attempt's error, or null.
    pub last_error: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// When it was sent, unix seconds, or null.
    pub sent_at: Option<i64>,
    /// When it is tried next, unix seconds; null once sent or given up.
    pub next_attempt_at: Option<i64>,
}

/// The newest emails, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Outbox {
    /// The emails.
    pub emails: Vec<OutboxEmail>,
}
