//! Signing in with a passkey: passwordless (a discoverable credential names its user) or
//! as the second factor of a user who typed the password. Both spend the ceremony first,
//! then find the stored credential, and the caller checks the throttles before the
//! signature is verified (`verify`).

use super::{open, relying_party, save, seal, take, Challenge, Failure};
use super::{PASSWORDLESS, SECOND_FACTOR};
use crate::audit::{kind, Event};
use crate::domain::RequestMeta;
use crate::state::AppState;
use crate::store::now;
use crate::store::passkeys::{self as store, PasskeyRow};
use serde::Serialize;
use serde_json::json;
use webauthn_rs::prelude::{
    AuthenticationResult, DiscoverableAuthentication, Passkey, PasskeyAuthentication,
    PublicKeyCredential, RequestChallengeResponse,
};

/// A passkey answer whose ceremony was spent and whose credential is known, ready to be
/// verified once the caller has checked the throttles for `user_id`.
pub struct Verified {
    pub user_id: String,
    pub passkey_id: String,
}

/// Starts a passwordless sign-in bound to `bound` (the interaction): no credential list,
/// the authenticator offers the user's discoverable credentials for this site.
pub async fn start_passwordless(s: &AppState, bound: &str) -> Result<Challenge, Failure> {
    let (rcr, state) = relying_party(s)?
        .start_discoverable_authentication()
        .map_err(|e| Failure::Config(e.to_string()))?;
    request(s, PASSWORDLESS, None, bound, &rcr, state).await
}

/// The browser's options (`publicKey`) with the ceremony stored for their answer. Only
/// the `publicKey` part goes out: a button click is a modal request, so the library's
/// conditional mediation is dropped.
async fn request<T: Serialize>(
    s: &AppState,
    kind: &str,
    user_id: Option<&str>,
    bound: &str,
    rcr: &RequestChallengeResponse,
    state: T,
) -> Result<Challenge, Failure> {
    let public_key =
        serde_json::to_value(&rcr.public_key).map_err(|e| Failure::Config(e.to_string()))?;
    let ceremony = save(s, kind, user_id, bound, state).await?;
    Ok(Challenge {
        ceremony,
        public_key,
    })
}

/// The first half of a passwordless answer: the ceremony spent, the credential found (and
/// the user handle the authenticator sent is its user's). Then [`Pending::verify`] checks it.
pub async fn finish_passwordless(
    s: &AppState,
    bound: &str,
    ceremony: &str,
    credential: &PublicKeyCredential,
) -> Result<Pending, Failure> {
    let (_, state): (_, DiscoverableAuthentication) =
        take(s, PASSWORDLESS, ceremony, bound).await?;
    let row = known(s, credential).await?;
    let rp = relying_party(s)?;
    let (handle, _) = rp
        .identify_discoverable_authentication(credential)
        .map_err(|e| Failure::Refused(e.to_string()))?;
    if handle.to_string() != row.user_id {
        return Err(Failure::Refused(
            "the user handle is not the credential's user".into(),
        ));
    }
    Ok(Pending {
        row,
        state: State::Passwordless(state),
    })
}

/// Whether `user_id` may use a passkey as the second factor (holds at least one).
pub async fn may_use_as_second_factor(s: &AppState, user_id: &str) -> Result<bool, Failure> {
    Ok(store::count_user_passkeys(&s.db.read, user_id).await? > 0)
}

/// Starts a second-factor check for `user_id`, bound to `bound` (the interaction): the
/// options list the user's passkeys.
pub async fn start_second_factor(
    s: &AppState,
    user_id: &str,
    bound: &str,
) -> Result<Challenge, Failure> {
    let rows = store::user_passkeys(&s.db.read, user_id).await?;
    if rows.is_empty() {
        return Err(Failure::UnknownCredential);
    }
    let passkeys = rows
        .iter()
        .map(|r| open(s, r))
        .collect::<Result<Vec<Passkey>, _>>()?;
    let (rcr, state) = relying_party(s)?
        .start_passkey_authentication(&passkeys)
        .map_err(|e| Failure::Config(e.to_string()))?;
    request(s, SECOND_FACTOR, Some(user_id), bound, &rcr, state).await
}

/// The first half of a second-factor answer: the ceremony spent (it must be `user_id`'s)
/// and the credential found among the user's. Then [`Pending::verify`] checks it.
pub async fn finish_second_factor(
    s: &AppState,
    user_id: &str,
    bound: &str,
    ceremony: &str,
    credential: &PublicKeyCredential,
) -> Result<Pending, Failure> {
    let (owner, state): (_, PasskeyAuthentication) =
        take(s, SECOND_FACTOR, ceremony, bound).await?;
    if owner.as_deref() != Some(user_id) {
        return Err(Failure::Ceremony);
    }
    let row = known(s, credential).await?;
    if row.user_id != user_id {
        return Err(Failure::UnknownCredential);
    }
    Ok(Pending {
        row,
        state: State::SecondFactor(state),
    })
}

/// The stored passkey the answer names.
async fn known(s: &AppState, credential: &PublicKeyCredential) -> Result<PasskeyRow, Failure> {
    let id = credential.get_credential_id();
    if id.is_empty() || id.len() > 1023 {
        return Err(Failure::UnknownCredential);
    }
    store::find_by_credential(&s.db.read, id)
        .await?
        .ok_or(Failure::UnknownCredential)
}

enum State {
    Passwordless(DiscoverableAuthentication),
    SecondFactor(PasskeyAuthentication),
}

/// An answer with a known credential, not yet verified.
pub struct Pending {
    row: PasskeyRow,
    state: State,
}

impl Pending {
    /// The user the credential belongs to (for the throttle check before [`Pending::verify`]).
    pub fn user_id(&self) -> &str {
        &self.row.user_id
    }

    /// Verifies the signature, then records the use (counter, last used) with
    /// `passkey.used` in one transaction.
    pub async fn verify(
        self,
        s: &AppState,
        meta: &RequestMeta,
        credential: &PublicKeyCredential,
    ) -> Result<Verified, Failure> {
        let rp = relying_party(s)?;
        let mut passkey = open(s, &self.row)?;
        let (result, used_as) = match self.state {
            State::Passwordless(state) => (
                rp.finish_discoverable_authentication_v2(credential, state, &passkey),
                "passwordless",
            ),
            State::SecondFactor(state) => (
                rp.finish_passkey_authentication(credential, &state),
                "second_factor",
            ),
        };
        let result: AuthenticationResult = result.map_err(|e| Failure::Refused(e.to_string()))?;
        passkey.update_credential(&result);
        let sealed = seal(s, &self.row.id, &passkey)?;
        let mut tx = s.db.begin().await?;
        store::record_use(&mut tx, &self.row.id, &sealed, now()).await?;
        Event::success(kind::PASSKEY_USED)
            .meta(meta)
            .actor(&self.row.user_id)
            .subject(&self.row.user_id)
            .detail(json!({"passkey_id": self.row.id, "as": used_as}))
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(Verified {
            user_id: self.row.user_id,
            passkey_id: self.row.id,
        })
    }
}
