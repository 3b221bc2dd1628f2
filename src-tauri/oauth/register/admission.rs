//! What admits a registration: an initial access token (`Authorization: Bearer`, looked up
//! by its SHA-256; a use is spent by one conditional UPDATE in the transaction that
//! inserts the client), or, without one, open registration when a super-admin turned it
//! on, within its limits (per client IP and in total). Every refusal is audited.

use super::kind;
use crate::audit::Event;
use crate::crypto::sha256;
use crate::domain::RequestMeta;
use crate::error::OAuthError;
use crate::state::AppState;
use crate::store::registration::{self, TokenStatus};
use crate::store::settings::{load_open_registration, OpenRegistration};
use crate::store::{now, now_ms, StoreError, Tx};
use axum::http::{header, HeaderMap, StatusCode};
use serde_json::json;

/// Open registration: at most this many registrations from one client IP an hour ...
pub const OPEN_PER_IP_PER_HOUR: i64 = 20;
/// ... and at most this many openly registered clients in all.
pub const OPEN_CLIENTS_MAX: i64 = 10_000;
const HOUR_MS: i64 = 3_600_000;

/// What admits a registration.
pub enum Admission {
    /// An initial access token (its SHA-256), usable when the request came.
    Token(Vec<u8>),
    /// Open registration, under these settings.
    Open(OpenRegistration),
}

/// A refused registration: the answer, and the reason its audit event records.
pub struct Refused {
    pub error: OAuthError,
    pub reason: String,
}

impl Refused {
    fn token(reason: &str) -> Self {
        Refused {
            error: OAuthError::invalid_token(format!(
                "a valid initial access token is required ({reason})"
            )),
            reason: reason.to_string(),
        }
    }
}

/// The request's bearer token: `None` without an `Authorization` header; any other
/// scheme, an empty token or several headers are refused (never taken as "no token").
pub fn bearer(headers: &HeaderMap) -> Result<Option<&str>, OAuthError> {
    let mut all = headers.get_all(header::AUTHORIZATION).iter();
    let value = match (all.next(), all.next()) {
        (None, _) => return Ok(None),
        (Some(v), None) => v.to_str().unwrap_or(""),
        (Some(_), Some(_)) => return Err(OAuthError::invalid_token("one Authorization header")),
    };
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim()))
        }
        _ => Err(OAuthError::invalid_token(
            "the Authorization header must be `Bearer <token>`",
        )),
    }
}

/// Checks, before anything else, that the request's initial access token is usable now,
/// or that open registration is on when it has none.
pub async fn admit(
    s: &AppState,
    meta: &RequestMeta,
    headers: &HeaderMap,
) -> Result<Admission, OAuthError> {
    let token = match bearer(headers) {
        Ok(t) => t,
        Err(error) => {
            let reason = "malformed Authorization header".to_string();
            return Err(refuse(s, meta, Refused { error, reason }).await);
        }
    };
    let refused = match token {
        Some(token) => {
            let hash = sha256(token);
            let row = registration::find_token_by_hash(&s.db.read, &hash).await?;
            match row.map(|r| r.status(now())) {
                Some(TokenStatus::Active) => return Ok(Admission::Token(hash)),
                Some(status) => Refused::token(&format!("the token is {}", status.as_str())),
                None => Refused::token("unknown token"),
            }
        }
        None => {
            let open = load_open_registration(&s.db.read).await?;
            if open.enabled {
                return Ok(Admission::Open(open));
            }
            Refused::token("none was given and open registration is off")
        }
    };
    Err(refuse(s, meta, refused).await)
}

/// Spends what admitted the registration, in `tx` (the client's insert): a use of the
/// token, or a place within open registration's limits. `Ok(Ok(id))`: the token's id
/// (`None` for open registration).
pub async fn spend(
    tx: &mut Tx,
    admission: &Admission,
    meta: &RequestMeta,
) -> Result<Result<Option<String>, Refused>, StoreError> {
    match admission {
        Admission::Token(hash) => {
            let spent = registration::spend_token(tx, hash, now()).await?;
            Ok(spent
                .map(|(id, _name)| Some(id))
                .ok_or_else(|| Refused::token("it was used up, revoked or expired meanwhile")))
        }
        Admission::Open(_) => open_limits(tx, meta).await.map(|r| r.map(|()| None)),
    }
}

/// Open registration's limits against resource exhaustion: per client IP an hour, and in
/// total. Read in the write transaction, so concurrent registrations count together.
async fn open_limits(tx: &mut Tx, meta: &RequestMeta) -> Result<Result<(), Refused>, StoreError> {
    if registration::count_open_clients(tx).await? >= OPEN_CLIENTS_MAX {
        return Ok(Err(Refused {
            error: OAuthError::new(
                StatusCode::FORBIDDEN,
                "access_denied",
                format!(
                    "open registration is full ({OPEN_CLIENTS_MAX} clients); ask the \
                     administrator for an initial access token"
                ),
            ),
            reason: "open registration is full".into(),
        }));
    }
    let Some(ip) = meta.ip.as_deref() else {
        return Ok(Ok(()));
    };
    let since = now_ms() - HOUR_MS;
    let (count, oldest) =
        registration::registrations_from(tx, kind::CLIENT_REGISTERED, ip, since).await?;
    if count < OPEN_PER_IP_PER_HOUR {
        return Ok(Ok(()));
    }
    let wait = (oldest.unwrap_or(since) + HOUR_MS - now_ms()) / 1000;
    let mut error = OAuthError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "temporarily_unavailable",
        format!("at most {OPEN_PER_IP_PER_HOUR} registrations an hour from one address"),
    );
    error.retry_after = Some(wait.clamp(1, 3600) as u16);
    Ok(Err(Refused {
        error,
        reason: "too many registrations from this address".into(),
    }))
}

/// Audits a refused registration (through the audit sink: nothing else is written) and
/// returns its answer; if the audit log cannot be written, a server error.
pub async fn refuse(s: &AppState, meta: &RequestMeta, refused: Refused) -> OAuthError {
    let event = Event::failure(kind::CLIENT_REGISTRATION_REFUSED)
        .meta(meta)
        .detail(json!({"reason": refused.reason, "error": refused.error.error}));
    match s.audit.append(event).await {
        Ok(()) => refused.error,
        Err(_) => OAuthError::server_error(),
    }
}

impl From<OAuthError> for Refused {
    /// A metadata refusal: its description is the reason.
    fn from(error: OAuthError) -> Self {
        Refused {
            reason: error.description.clone(),
            error,
        }
    }
}
