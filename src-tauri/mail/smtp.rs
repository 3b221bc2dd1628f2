//! SMTP settings: from `TESSERA_SMTP_URL` / `TESSERA_SMTP_FROM`, or stored by the console
//! (sealed with the key-encryption key, since the URL may hold a password).

use crate::keys::Kek;
use crate::store::sql::{q, scalar};
use crate::store::{Reader, StoreError, Tx};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use std::time::Duration;

/// The environment's settings (`tessera serve` flags / env vars).
#[derive(Clone, Debug, Default)]
pub struct SmtpEnv {
    pub url: Option<String>,
    pub from: Option<String>,
}

/// Where the settings in force come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpSource {
    Environment,
    Console,
}

/// Checked SMTP settings.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// `smtp://` or `smtps://`, possibly with user and password.
    pub url: String,
    /// The sender, `Name <address>` or `address`.
    pub from: String,
    pub source: SmtpSource,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("url", &self.masked_url())
            .field("from", &self.from)
            .finish()
    }
}

/// How long one SMTP conversation may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

impl SmtpConfig {
    /// Checks `url` and `from`; the error says what is wrong, never echoing a password.
    pub fn new(url: &str, from: &str, source: SmtpSource) -> Result<Self, String> {
        let url = url.trim();
        let parsed = url::Url::parse(url)
            .map_err(|_| "the SMTP URL is not a URL (smtp://host:port or smtps://…)".to_string())?;
        if !matches!(parsed.scheme(), "smtp" | "smtps") {
            return Err("the SMTP URL must start with smtp:// or smtps://".into());
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err("the SMTP URL has no host".into());
        }
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| {
            format!(
                "the SMTP URL is not usable: {}",
                strip_secrets(&e.to_string(), &parsed)
            )
        })?;
        let from = from.trim();
        from.parse::<Mailbox>().map_err(|_| {
            "the sender is not an email address (e.g. Tessera <no-reply@example.com>)".to_string()
        })?;
        Ok(SmtpConfig {
            url: url.to_string(),
            from: from.to_string(),
            source,
        })
    }

    /// The environment's settings, if `TESSERA_SMTP_URL` is set (then the sender is
    /// required too).
    pub fn from_env(env: &SmtpEnv) -> Result<Option<Self>, String> {
        match (&env.url, &env.from) {
            (None, None) => Ok(None),
            (Some(url), Some(from)) => Self::new(url, from, SmtpSource::Environment)
                .map(Some)
                .map_err(|e| format!("TESSERA_SMTP_URL / TESSERA_SMTP_FROM: {e}")),
            (Some(_), None) => Err("TESSERA_SMTP_URL is set but TESSERA_SMTP_FROM is not".into()),
            (None, Some(_)) => Err("TESSERA_SMTP_FROM is set but TESSERA_SMTP_URL is not".into()),
        }
    }

    /// The URL with its password replaced by `***` (what the console shows).
    pub fn masked_url(&self) -> String {
        match url::Url::parse(&self.url) {
            Ok(mut u) => {
                if u.password().is_some() {
                    let _ = u.set_password(Some("***"));
                }
                u.to_string()
            }
            Err(_) => "(unreadable)".into(),
        }
    }

    pub fn sender(&self) -> Option<Mailbox> {
        self.from.parse().ok()
    }

    /// A transport for these settings (connections are pooled inside it).
    pub fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        let parsed = url::Url::parse(&self.url).map_err(|e| e.to_string())?;
        Ok(AsyncSmtpTransport::<Tokio1Executor>::from_url(&self.url)
            .map_err(|e| strip_secrets(&e.to_string(), &parsed))?
            .timeout(Some(SMTP_TIMEOUT))
            .build())
    }
}

/// An SMTP error message without the URL's password (a library may echo the URL).
pub fn strip_secrets(message: &str, url: &url::Url) -> String {
    match url.password() {
        Some(p) if !p.is_empty() => message.replace(p, "***"),
        _ => message.to_string(),
    }
}

/// The settings row holding the console's SMTP settings (sealed JSON).
const SMTP_KEY: &str = "smtp";
const SMTP_AAD: &[u8] = b"settings:smtp";

#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    url: String,
    from: String,
}

/// The console's stored settings, if any (unreadable ones are ignored with a warning).
pub async fn load(pool: &Reader, kek: &Kek) -> Result<Option<SmtpConfig>, StoreError> {
    let value: Option<String> = scalar("SELECT value FROM settings WHERE key = $1")
        .bind(SMTP_KEY)
        .fetch_optional(pool)
        .await?;
    let Some(value) = value else { return Ok(None) };
    use base64::Engine;
    let opened = base64::engine::general_purpose::STANDARD
        .decode(value)
        .ok()
        .and_then(|sealed| kek.open(SMTP_AAD, &sealed).ok())
        .and_then(|plain| serde_json::from_slice::<Stored>(&plain).ok())
        .and_then(|s| SmtpConfig::new(&s.url, &s.from, SmtpSource::Console).ok());
    if opened.is_none() {
        tracing::warn!("ignoring stored SMTP settings that cannot be read");
    }
    Ok(opened)
}

/// Stores (or, with `None`, removes) the console's settings.
pub async fn save(
    tx: &mut Tx,
    kek: &Kek,
    cfg: Option<&SmtpConfig>,
    now: i64,
) -> Result<(), StoreError> {
    let Some(cfg) = cfg else {
        q("DELETE FROM settings WHERE key = $1")
            .bind(SMTP_KEY)
            .execute(&mut *tx)
            .await?;
        return Ok(());
    };
    let plain = serde_json::to_vec(&Stored {
        url: cfg.url.clone(),
        from: cfg.from.clone(),
    })
    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let sealed = kek
        .seal(SMTP_AAD, &plain)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    use base64::Engine;
    q(
        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(SMTP_KEY)
    .bind(base64::engine::general_purpose::STANDARD.encode(sealed))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_urls_and_senders() {
        let ok = SmtpConfig::new(
            "smtp://127.0.0.1:2525",
            "Tessera <no-reply@example.com>",
            SmtpSource::Console,
        );
        assert!(ok.is_ok(), "{ok:?}");
        for bad in ["http://mail.example.com", "not a url", "smtp://"] {
            assert!(
                SmtpConfig::new(bad, "a@b.c", SmtpSource::Console).is_err(),
                "{bad}"
            );
        }
        assert!(SmtpConfig::new("smtp://h:25", "nobody", SmtpSource::Console).is_err());
    }

    #[test]
    fn never_shows_the_password() {
        let cfg = SmtpConfig::new(
            "smtps://ann:s3cret@mail.example.com:465",
            "a@b.c",
            SmtpSource::Console,
        )
        .unwrap();
        assert_eq!(cfg.masked_url(), "smtps://ann:***@mail.example.com:465");
        assert!(!format!("{cfg:?}").contains("s3cret"));
    }

    #[test]
    fn env_needs_both_values() {
        let only_url = SmtpEnv {
            url: Some("smtp://h:25".into()),
            from: None,
        };
        assert!(SmtpConfig::from_env(&only_url).is_err());
        assert_eq!(SmtpConfig::from_env(&SmtpEnv::default()), Ok(None));
    }
}
