//! Multi-factor sign-in rules (PRODUCT.md "Multi-factor sign-in"): when a sign-in needs a
//! second factor, the state a pending second factor keeps on its interaction, and the
//! factor checks (TOTP, recovery codes) run inside the transaction that signs the user in,
//! so a code is spent exactly when the sign-in it allows commits.

pub mod recovery;
pub mod totp;

use crate::domain::amr::AAL2;
use crate::keys::Kek;
use crate::store::{mfa as store, StoreError, Tx};
use serde::{Deserialize, Serialize};

/// What a sign-in still needs after its first factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// A code of an enrolled factor (`/login/mfa`).
    Verify,
    /// TOTP enrollment (`/login/mfa/setup`): the user must have MFA and has no factor.
    Enroll,
    /// Enrollment confirmed with a code; the recovery codes were shown once; "Continue"
    /// completes the sign-in.
    Enrolled,
}

/// A second factor pending on an interaction (inside its stored request: server-side,
/// reachable only with the interaction cookie and CSRF token of the browser that got
/// past the first factor).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingMfa {
    pub user_id: String,
    pub stage: Stage,
    /// The methods used so far (`AuthMethods` stored text, e.g. `pwd`).
    pub amr: String,
    /// Step-up: the live SSO session to upgrade; `None`: a new session starts.
    #[serde(default)]
    pub session_id: Option<String>,
    /// Enrollment: the new TOTP secret, sealed with the key-encryption key.
    #[serde(default)]
    pub sealed_secret: Option<Vec<u8>>,
}

/// Whether a sign-in to this request must reach `aal2`: the product requires MFA, the
/// user must have it, or the client asked for it (`acr_values=aal2`).
pub fn aal2_required(client_requires: bool, user_requires: bool, acr_values: &[String]) -> bool {
    client_requires || user_requires || acr_values.iter().any(|v| v == AAL2)
}

/// After a first factor: `None` to sign in at once, else the stage to go through. A user
/// with a factor enrolled is always asked for it.
pub fn next_stage(has_factor: bool, required: bool) -> Option<Stage> {
    if has_factor {
        Some(Stage::Verify)
    } else if required {
        Some(Stage::Enroll)
    } else {
        None
    }
}

/// The associated data sealing a user's TOTP secret (so it opens only for that user).
fn aad(user_id: &str) -> Vec<u8> {
    [b"totp:".as_slice(), user_id.as_bytes()].concat()
}

/// A new TOTP secret: the plain bytes and their sealed form.
pub fn new_secret(kek: &Kek, user_id: &str) -> Option<(Vec<u8>, Vec<u8>)> {
    let secret = crate::crypto::random_bytes(totp::SECRET_BYTES);
    let sealed = kek.seal(&aad(user_id), &secret).ok()?;
    Some((secret, sealed))
}

/// Opens a sealed TOTP secret of `user_id`.
pub fn open_secret(kek: &Kek, user_id: &str, sealed: &[u8]) -> Option<Vec<u8>> {
    kek.open(&aad(user_id), sealed).ok()
}

/// Which factor a typed code was accepted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    Totp,
    RecoveryCode,
}

impl Accepted {
    pub fn as_str(self) -> &'static str {
        match self {
            Accepted::Totp => "totp",
            Accepted::RecoveryCode => "recovery_code",
        }
    }
}

/// Checks `input` (a TOTP code or a recovery code) for `user_id` and spends it inside
/// `tx`: the TOTP step is recorded only if it is later than the last accepted one, and a
/// recovery code is marked used only if it was unused (conditional updates: two
/// concurrent submits of one code cannot both pass, on any node). `None`: refused.
pub async fn accept_code(
    tx: &mut Tx,
    kek: &Kek,
    user_id: &str,
    input: &str,
    now: i64,
) -> Result<Option<Accepted>, StoreError> {
    let input = input.trim();
    if input.len() > 64 {
        return Ok(None);
    }
    let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
        let Some(factor) = store::find_totp_tx(tx, user_id).await? else {
            return Ok(None);
        };
        let Some(secret) = open_secret(kek, user_id, &factor.secret) else {
            tracing::error!("a TOTP secret does not open with the key-encryption key");
            return Ok(None);
        };
        let Some(step) = totp::matching_step(&secret, &digits, now, factor.last_step) else {
            return Ok(None);
        };
        let spent = store::accept_totp_step(tx, user_id, step, now).await?;
        return Ok(spent.then_some(Accepted::Totp));
    }
    let Some(hash) = recovery::hash(input) else {
        return Ok(None);
    };
    let spent = store::use_recovery_code(tx, user_id, &hash, now).await?;
    Ok(spent.then_some(Accepted::RecoveryCode))
}

/// `text` in groups of 4 characters joined by `sep` (easier to read and type).
pub fn grouped(text: &str, sep: &str) -> String {
    text.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(sep)
}

/// RFC 4648 base32 without padding (the alphabet of TOTP secrets and recovery codes).
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_rfc4648() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(&[0u8; 20]).len(), 32);
    }

    #[test]
    fn stage_after_the_first_factor() {
        assert_eq!(next_stage(true, false), Some(Stage::Verify));
        assert_eq!(next_stage(true, true), Some(Stage::Verify));
        assert_eq!(next_stage(false, true), Some(Stage::Enroll));
        assert_eq!(next_stage(false, false), None);
        assert!(aal2_required(false, false, &["aal2".into()]));
        assert!(!aal2_required(false, false, &["aal1".into()]));
    }
}
