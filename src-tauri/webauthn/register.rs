//! Registering a passkey for a signed-in user (the account page).

use super::{relying_party, save, seal, take, Challenge, Failure, REGISTER};
use crate::audit::{kind, Event};
use crate::domain::RequestMeta;
use crate::state::AppState;
use crate::store::now;
use crate::store::passkeys::{self as store, PasskeyRow};
use crate::store::users::UserRow;
use serde_json::json;
use webauthn_rs::prelude::{CredentialID, PasskeyRegistration, RegisterPublicKeyCredential, Uuid};

/// A user holds at most this many passkeys.
pub const MAX_PASSKEYS: i64 = 20;

/// Starts a registration for `user`, bound to `bound` (the account page's session): the
/// options exclude the user's passkeys and ask for a discoverable credential (so it can
/// sign in without a password too) with user verification.
pub async fn start_registration(
    s: &AppState,
    user: &UserRow,
    bound: &str,
) -> Result<Challenge, Failure> {
    let existing = store::user_passkeys(&s.db.read, &user.id).await?;
    if existing.len() as i64 >= MAX_PASSKEYS {
        return Err(Failure::TooMany);
    }
    let exclude: Vec<CredentialID> = existing
        .iter()
        .map(|p| CredentialID::from(p.credential_id.clone()))
        .collect();
    // The user handle is the user's id (a UUID), so a discoverable sign-in names its user.
    let handle = Uuid::parse_str(&user.id).map_err(|e| Failure::Config(e.to_string()))?;
    let display = user.name.as_deref().unwrap_or(&user.email);
    let (ccr, state) = relying_party(s)?
        .start_passkey_registration(handle, &user.email, display, Some(exclude))
        .map_err(|e| Failure::Config(e.to_string()))?;
    let mut options = serde_json::to_value(&ccr).map_err(|e| Failure::Config(e.to_string()))?;
    let selection = &mut options["publicKey"]["authenticatorSelection"];
    selection["residentKey"] = json!("required");
    selection["requireResidentKey"] = json!(true);
    let ceremony = save(s, REGISTER, Some(&user.id), bound, state).await?;
    Ok(Challenge {
        ceremony,
        public_key: options["publicKey"].take(),
    })
}

/// Finishes a registration: checks the browser's answer against the ceremony, stores the
/// sealed credential under `name` and appends `passkey.registered`, in one transaction.
pub async fn finish_registration(
    s: &AppState,
    meta: &RequestMeta,
    user_id: &str,
    bound: &str,
    ceremony: &str,
    credential: &RegisterPublicKeyCredential,
    name: &str,
) -> Result<PasskeyRow, Failure> {
    let (owner, state): (_, PasskeyRegistration) = take(s, REGISTER, ceremony, bound).await?;
    if owner.as_deref() != Some(user_id) {
        return Err(Failure::Ceremony);
    }
    let passkey = relying_party(s)?
        .finish_passkey_registration(credential, &state)
        .map_err(|e| Failure::Refused(e.to_string()))?;
    let now = now();
    let id = uuid::Uuid::now_v7().to_string();
    let row = PasskeyRow {
        passkey: seal(s, &id, &passkey)?,
        id,
        user_id: user_id.to_string(),
        credential_id: passkey.cred_id().to_vec(),
        name: name.to_string(),
        created_at: now,
        last_used_at: None,
    };
    let mut tx = s.db.begin().await?;
    if store::count_user_passkeys(&mut tx, user_id).await? >= MAX_PASSKEYS {
        return Err(Failure::TooMany);
    }
    match store::insert_passkey(&mut tx, &row).await {
        Ok(()) => {}
        Err(e) if e.is_unique_violation() => return Err(Failure::Duplicate),
        Err(e) => return Err(e.into()),
    }
    Event::success(kind::PASSKEY_REGISTERED)
        .meta(meta)
        .actor(user_id)
        .subject(user_id)
        .detail(json!({"passkey_id": row.id, "name": row.name}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(row)
}
