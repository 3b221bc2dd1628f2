//! Email: SMTP settings (`smtp`), the messages Tessera sends (`compose`), the durable
//! outbox they are queued in (in the transaction of the change that needs them) and the
//! background sender that works through it (`worker`), so an SMTP outage or a crash
//! never loses an email and never holds up a request.

pub mod compose;
pub mod smtp;
pub mod worker;

use crate::keys::Kek;
use crate::store::email::{self as store, NewEmail};
use crate::store::{StoreError, Tx};
pub use smtp::{SmtpConfig, SmtpEnv, SmtpSource};
use std::sync::{Arc, RwLock};

/// The server's email state: the SMTP settings in force and the sender's wake-up.
#[derive(Default)]
pub struct Mail {
    config: RwLock<Option<Arc<SmtpConfig>>>,
    /// Set from `TESSERA_SMTP_URL` at start: the console's setting is then ignored.
    env: RwLock<Option<Arc<SmtpConfig>>>,
    wake: tokio::sync::Notify,
}

impl Mail {
    /// Starts with the environment's settings, if any (checked at start).
    pub fn from_env(env: &SmtpEnv) -> Result<Self, String> {
        let mail = Mail::default();
        if let Some(cfg) = SmtpConfig::from_env(env)? {
            let cfg = Arc::new(cfg);
            *mail.env.write().unwrap_or_else(|e| e.into_inner()) = Some(cfg.clone());
            *mail.config.write().unwrap_or_else(|e| e.into_inner()) = Some(cfg);
        }
        Ok(mail)
    }

    /// The settings in force; `None`: email is off (no SMTP server configured).
    pub fn config(&self) -> Option<Arc<SmtpConfig>> {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Whether emails can be sent (the flows that need one are off otherwise).
    pub fn enabled(&self) -> bool {
        self.config().is_some()
    }

    /// Whether the environment fixes the settings (the console cannot change them).
    pub fn from_environment(&self) -> bool {
        self.env.read().unwrap_or_else(|e| e.into_inner()).is_some()
    }

    /// Takes the settings stored in the database (`None`: none stored), unless the
    /// environment's are in force.
    pub fn use_stored(&self, stored: Option<SmtpConfig>) {
        if self.from_environment() {
            return;
        }
        let mut slot = self.config.write().unwrap_or_else(|e| e.into_inner());
        if slot.as_deref() != stored.as_ref() {
            *slot = stored.map(Arc::new);
        }
    }

    /// Tells the sender there is something to send (after the queuing transaction commits).
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// The settings in force after reading the stored ones (another node, or this one, may
/// have changed them) and taking them into use, unless the environment's are in force.
pub async fn reload(state: &crate::state::AppState) -> Result<Option<Arc<SmtpConfig>>, StoreError> {
    if !state.mail.from_environment() {
        let stored = smtp::load(&state.db.read, state.keys.kek()).await?;
        state.mail.use_stored(stored);
    }
    Ok(state.mail.config())
}

/// An email to send.
pub struct Outgoing {
    /// What it is (`reset`, `verify`, `invite`, `test`): shown in the console's outbox.
    pub kind: &'static str,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The sealed part of an outbox row.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct Body {
    pub text: String,
    pub html: String,
}

fn body_aad(id: &str) -> Vec<u8> {
    format!("email:{id}").into_bytes()
}

/// Queues `email` in the outbox inside `tx`; the body is sealed with the key-encryption
/// key. Call [`Mail::wake`] once `tx` has committed. Returns the outbox id.
pub async fn queue(
    tx: &mut Tx,
    kek: &Kek,
    email: &Outgoing,
    now: i64,
) -> Result<String, StoreError> {
    let id = uuid::Uuid::new_v4().to_string();
    let body = serde_json::to_vec(&Body {
        text: email.text.clone(),
        html: email.html.clone(),
    })
    .map_err(|e| StoreError::Corrupt(format!("cannot encode an email: {e}")))?;
    let sealed = kek
        .seal(&body_aad(&id), &body)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let row = NewEmail {
        id: &id,
        kind: email.kind,
        recipient: &email.to,
        subject: &email.subject,
        body: &sealed,
    };
    store::insert_email(tx, &row, now).await?;
    Ok(id)
}

/// Opens a queued email's body.
pub(crate) fn open_body(kek: &Kek, id: &str, sealed: &[u8]) -> Option<Body> {
    let plain = kek.open(&body_aad(id), sealed).ok()?;
    serde_json::from_slice(&plain).ok()
}

/// How long sent and given-up emails stay listed in the outbox.
const OUTBOX_RETENTION_SECS: i64 = 30 * 86_400;

/// Deletes old outbox rows and ended links (the maintenance job).
pub async fn prune(db: &crate::store::Db, now: i64) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    store::prune_emails(&mut tx, now - OUTBOX_RETENTION_SECS).await?;
    store::prune_links(&mut tx, now).await?;
    tx.commit().await
}
