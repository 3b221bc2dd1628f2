//! WebAuthn ceremonies with `webauthn-rs`: registering a passkey (the account page), a
//! passwordless sign-in with a discoverable credential, and a passkey as the second
//! factor after a password. The relying party id is the issuer's host and the origin the
//! issuer's origin. A ceremony's state waits in `webauthn_ceremonies` between the options
//! and the browser's answer: 5 minutes, single use (taken, i.e. deleted, before it is
//! checked), and bound to what started it (the sign-in's interaction, or the signed-in
//! user), so one browser's challenge cannot finish another's ceremony. Credential records
//! are sealed with the key-encryption key (aad `passkey:{id}`).

mod authenticate;
mod register;

pub use authenticate::{
    finish_passwordless, finish_second_factor, may_use_as_second_factor, start_passwordless,
    start_second_factor, Pending, Verified,
};
pub use register::{finish_registration, start_registration, MAX_PASSKEYS};

use crate::crypto::{ct_eq, random_token};
use crate::error::StoreError;
use crate::state::AppState;
use crate::store::now;
use crate::store::passkeys::{self as store, CeremonyRow, PasskeyRow};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use webauthn_rs::prelude::{Passkey, Url, Webauthn, WebauthnBuilder};

/// How long a ceremony may take (the browser's timeout too).
pub const CEREMONY_TTL: i64 = 300;

/// Why a ceremony failed. Callers show the user one message for all the credential
/// failures, so none reveals whether a credential exists.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("the ceremony is unknown, expired, already answered or not this one's")]
    Ceremony,
    #[error("no passkey has this credential id")]
    UnknownCredential,
    #[error("the credential was refused: {0}")]
    Refused(String),
    #[error("this passkey is already registered")]
    Duplicate,
    #[error("too many passkeys")]
    TooMany,
    #[error("passkeys need an issuer with a domain name, not an IP address")]
    Unavailable,
    #[error("the relying party cannot be set up: {0}")]
    Config(String),
    #[error("sealed passkey: {0}")]
    Seal(String),
    #[error("database error: {0}")]
    Store(#[from] StoreError),
}

impl Failure {
    /// The `reason` of a `login.failed` event.
    pub fn reason(&self) -> &'static str {
        match self {
            Failure::Ceremony => "passkey_ceremony",
            Failure::UnknownCredential => "passkey_unknown",
            Failure::Refused(_) | Failure::Duplicate | Failure::TooMany => "passkey_refused",
            Failure::Unavailable => "passkey_unavailable",
            Failure::Config(_) | Failure::Seal(_) | Failure::Store(_) => "passkey_error",
        }
    }

    /// Whether this is the server's fault (answered as a server error, not counted).
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            Failure::Config(_) | Failure::Seal(_) | Failure::Store(_)
        )
    }
}

/// Options for the browser (`navigator.credentials.create/get`'s `publicKey`, binary
/// fields base64url) and the ceremony that waits for its answer.
#[derive(Debug, Serialize)]
pub struct Challenge {
    pub ceremony: String,
    #[serde(rename = "publicKey")]
    pub public_key: serde_json::Value,
}

/// Ceremony kinds (`webauthn_ceremonies.kind`).
const REGISTER: &str = "register";
const PASSWORDLESS: &str = "passwordless";
const SECOND_FACTOR: &str = "second_factor";

/// Whether this server can use passkeys: WebAuthn's relying-party id is a domain name,
/// so an issuer on an IP address (`http://127.0.0.1:7470`) has none.
pub fn available(s: &AppState) -> bool {
    Url::parse(&s.issuer).is_ok_and(|u| u.domain().is_some())
}

/// The relying party of this issuer: id = its host, origin = its origin.
fn relying_party(s: &AppState) -> Result<Webauthn, Failure> {
    let issuer = Url::parse(&s.issuer).map_err(|e| Failure::Config(e.to_string()))?;
    let host = issuer.domain().ok_or(Failure::Unavailable)?;
    let origin = Url::parse(&issuer.origin().ascii_serialization())
        .map_err(|e| Failure::Config(e.to_string()))?;
    WebauthnBuilder::new(host, &origin)
        .and_then(|b| {
            b.rp_name("Tessera")
                .timeout(Duration::from_secs(CEREMONY_TTL as u64))
                .build()
        })
        .map_err(|e| Failure::Config(e.to_string()))
}

/// What a ceremony row holds: the library's state and what the ceremony is bound to.
#[derive(Serialize, Deserialize)]
struct Stored<T> {
    bound: String,
    state: T,
}

/// Stores a ceremony's state; returns its id.
async fn save<T: Serialize>(
    s: &AppState,
    kind: &str,
    user_id: Option<&str>,
    bound: &str,
    state: T,
) -> Result<String, Failure> {
    let stored = serde_json::to_vec(&Stored {
        bound: bound.to_string(),
        state,
    })
    .map_err(|e| Failure::Config(e.to_string()))?;
    let now = now();
    let row = CeremonyRow {
        id: random_token(24),
        user_id: user_id.map(str::to_string),
        kind: kind.to_string(),
        state: stored,
        expires_at: now + CEREMONY_TTL,
    };
    let mut tx = s.db.begin().await?;
    store::insert_ceremony(&mut tx, &row, now).await?;
    tx.commit().await?;
    Ok(row.id)
}

/// Takes a ceremony of `kind` bound to `bound` (spent whatever follows); its user and state.
async fn take<T: DeserializeOwned>(
    s: &AppState,
    kind: &str,
    id: &str,
    bound: &str,
) -> Result<(Option<String>, T), Failure> {
    if id.is_empty() || id.len() > 64 {
        return Err(Failure::Ceremony);
    }
    let mut tx = s.db.begin().await?;
    let row = store::take_ceremony(&mut tx, id, kind, now()).await?;
    tx.commit().await?;
    let row = row.ok_or(Failure::Ceremony)?;
    let stored: Stored<T> = serde_json::from_slice(&row.state).map_err(|_| Failure::Ceremony)?;
    if !ct_eq(stored.bound.as_bytes(), bound.as_bytes()) {
        return Err(Failure::Ceremony);
    }
    Ok((row.user_id, stored.state))
}

fn aad(passkey_id: &str) -> Vec<u8> {
    [b"passkey:".as_slice(), passkey_id.as_bytes()].concat()
}

/// The credential record sealed for the row `passkey_id`.
fn seal(s: &AppState, passkey_id: &str, passkey: &Passkey) -> Result<Vec<u8>, Failure> {
    let plain = serde_json::to_vec(passkey).map_err(|e| Failure::Seal(e.to_string()))?;
    s.keys
        .kek()
        .seal(&aad(passkey_id), &plain)
        .map_err(|e| Failure::Seal(e.to_string()))
}

/// The credential record of a stored passkey.
fn open(s: &AppState, row: &PasskeyRow) -> Result<Passkey, Failure> {
    let plain = s
        .keys
        .kek()
        .open(&aad(&row.id), &row.passkey)
        .map_err(|_| Failure::Seal(format!("cannot open passkey {}", row.id)))?;
    serde_json::from_slice(&plain).map_err(|e| Failure::Seal(e.to_string()))
}

/// A passkey name as the user typed it: trimmed, control characters dropped, at most 64
/// characters; `None` when nothing is left.
pub fn clean_name(name: &str) -> Option<String> {
    let name: String = name
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect();
    let name = name.trim().to_string();
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_bounded_and_never_empty() {
        assert_eq!(clean_name("  Laptop \n"), Some("Laptop".into()));
        assert_eq!(clean_name(" \u{7} "), None);
        assert_eq!(clean_name(&"x".repeat(200)).map(|n| n.len()), Some(64));
    }

    #[test]
    fn the_aad_names_the_row() {
        assert_eq!(aad("abc"), b"passkey:abc".to_vec());
    }
}
