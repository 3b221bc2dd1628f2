//! Sign-up: `POST /v1/auth/register`, and the account-creating core the hosted sign-up
//! page shares. Only for products with `self_registration`; the admin API's email and
//! password rules; the password hashed on the hashing bound (never inside a
//! transaction); the IP throttle applies (a taken email counts as a failure, so the
//! endpoint cannot be used to test many emails).
//!
//! Use from other code: [`prepare`] (checks and hashes, no transaction held), then
//! [`create_user`] inside the caller's transaction (inserts the user, audits
//! `user.registered`, queues the verification email), then commit and wake the sender.

use super::answer;
use super::sign_in::{self, Verified};
use super::{rate_limited, refuse, token_client, Answer};
use crate::admin::{clean_name, validate_email, validate_password, ApiJson};
use crate::audit::Event;
use crate::crypto::hash_password;
use crate::domain::amr::AuthMethods;
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::{AppState, Shared};
use crate::store::clients::Client;
use crate::store::users::{self, NewUser, UserRow};
use crate::store::{now, StoreError, Tx};
use crate::throttle::hashing::{HashRefused, BUSY_RETRY_AFTER};
use crate::throttle::{self, LoginKeys};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;
use tessera_proto::auth::Register;

/// Audit type of a user who signed up on their own.
pub const USER_REGISTERED: &str = "user.registered";

/// Why a sign-up was refused.
#[derive(Debug)]
pub enum RegisterError {
    /// The product does not allow sign-up.
    Closed,
    /// A field breaks the rules (`ApiError::invalid_field`: its field and message).
    Invalid(ApiError),
    /// Another account has this email.
    EmailTaken,
    /// The IP is throttled: seconds to wait.
    Throttled(i64),
    /// The hashing bound is full.
    Busy,
    Store(StoreError),
}

impl From<StoreError> for RegisterError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(_) => RegisterError::EmailTaken,
            other => RegisterError::Store(other),
        }
    }
}

impl From<RegisterError> for super::Refusal {
    fn from(e: RegisterError) -> Self {
        match e {
            RegisterError::Closed => refuse(
                StatusCode::FORBIDDEN,
                "registration_closed",
                "this product does not allow sign-up",
            ),
            RegisterError::Invalid(e) => super::Refusal(e),
            RegisterError::EmailTaken => refuse(
                StatusCode::CONFLICT,
                "email_taken",
                "an account with this email already exists",
            ),
            RegisterError::Throttled(secs) => rate_limited(secs),
            RegisterError::Busy => super::Refusal(ApiError::busy(BUSY_RETRY_AFTER)),
            RegisterError::Store(e) => e.into(),
        }
    }
}

/// A checked sign-up, its password hashed.
pub struct NewAccount {
    pub email: String,
    pub name: Option<String>,
    pub password_hash: String,
    /// The attempt's throttle keys (a taken email is counted against them).
    pub keys: LoginKeys,
}

/// Checks a sign-up for `client` (open, email, password, name, the IP throttle) and
/// hashes the password on the hashing bound.
pub async fn prepare(
    s: &AppState,
    meta: &RequestMeta,
    client: &Client,
    (email, password, name): (&str, String, Option<&str>),
) -> Result<NewAccount, RegisterError> {
    if !client.self_registration {
        return Err(RegisterError::Closed);
    }
    let email = validate_email(email).map_err(RegisterError::Invalid)?;
    validate_password(&password).map_err(RegisterError::Invalid)?;
    let name = name
        .map(|n| clean_name("name", n))
        .transpose()
        .map_err(RegisterError::Invalid)?;
    let keys = LoginKeys::new(None, &email, meta);
    if let Some(t) = throttle::check_login(s, &keys).await?.throttled {
        return Err(RegisterError::Throttled(t.retry_after));
    }
    let hashed = s
        .hashing
        .run(keys.ip.as_deref(), move || hash_password(&password))
        .await;
    let password_hash = match hashed {
        Ok(h) => h,
        Err(HashRefused::Failed) => {
            return Err(RegisterError::Store(StoreError::Corrupt(
                "cannot hash a password".into(),
            )))
        }
        Err(HashRefused::Busy) => return Err(RegisterError::Busy),
    };
    Ok(NewAccount {
        email,
        name,
        password_hash,
        keys,
    })
}

/// Inserts the account in `tx` (409 `email_taken` when the email is in use), audits
/// `user.registered` and queues the verification email (when email is on); the caller
/// commits, then calls `s.mail.wake()`.
pub async fn create_user(
    s: &AppState,
    tx: &mut Tx,
    meta: &RequestMeta,
    client: &Client,
    account: &NewAccount,
) -> Result<UserRow, RegisterError> {
    let id = uuid::Uuid::now_v7().to_string();
    let now = now();
    users::insert_user(
        tx,
        &NewUser {
            id: &id,
            email: &account.email,
            name: account.name.as_deref(),
            password_hash: &account.password_hash,
            is_superadmin: false,
            now,
        },
    )
    .await?;
    Event::success(USER_REGISTERED)
        .meta(meta)
        .actor(&id)
        .subject(&id)
        .client(&client.client_id)
        .detail(json!({"email": account.email}))
        .write(tx)
        .await?;
    let user = UserRow {
        id,
        email: account.email.clone(),
        name: account.name.clone(),
        given_name: None,
        family_name: None,
        locale: None,
        email_verified: false,
        password_hash: account.password_hash.clone(),
        status: "active".into(),
        is_superadmin: false,
        created_at: now,
        updated_at: now,
        mfa_required: false,
        invited_at: None,
    };
    // The verification email goes out with the account (when email is on); the caller
    // wakes the sender after its commit.
    crate::selfservice::send_verification(tx, s, &user, Some(&client.client_id)).await?;
    Ok(user)
}

#[utoipa::path(
    post, path = "/auth/register", tag = "auth",
    operation_id = "auth_register", security(()),
    request_body = Register,
    responses(
        (status = 201, description = "The new account, signed in (cookie mode: tokens as cookies)", body = tessera_proto::auth::Tokens),
        (status = 400, description = "`invalid_client`, `invalid_scope`", body = tessera_proto::error::ErrorEnvelope),
        (status = 403, description = "`registration_closed` (the product does not allow sign-up), `origin_not_allowed` (cookie mode)", body = tessera_proto::error::ErrorEnvelope),
        (status = 409, description = "`email_taken`", body = tessera_proto::error::ErrorEnvelope),
        (status = 422, description = "`validation_failed` (email, password or name, named in `field`)", body = tessera_proto::error::ErrorEnvelope),
        (status = 429, description = "`rate_limited` (see `Retry-After`)", body = tessera_proto::error::ErrorEnvelope),
    )
)]
pub async fn register(
    State(s): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Register>,
) -> Answer<Response> {
    let client = token_client(&s, &body.client_id).await?;
    let mode = super::origin::mode(&s, &client, &headers, body.mode).await?;
    let request = sign_in::Request::new(&client, body.scope.as_deref(), None)?;
    let fields = (body.email.as_str(), body.password, body.name.as_deref());
    let account = prepare(&s, &meta, &client, fields).await?;
    let mut tx = s.db.begin().await?;
    let user = match create_user(&s, &mut tx, &meta, &client, &account).await {
        Ok(u) => u,
        Err(RegisterError::EmailTaken) => {
            drop(tx);
            count_taken(&s, &meta, &client, &account.keys).await;
            return Err(RegisterError::EmailTaken.into());
        }
        Err(e) => return Err(e.into()),
    };
    let verified = Verified {
        s: &s,
        meta: &meta,
        client: &client,
        user: &user,
        request: &request,
        branch: None,
        amr: AuthMethods::password(),
        reset: None,
    };
    let issued = sign_in::complete(verified, tx).await?;
    s.mail.wake();
    Ok(answer::tokens(
        &s,
        &client,
        StatusCode::CREATED,
        mode,
        &user,
        issued,
    ))
}

/// A taken email counts as a failed attempt of the IP (sign-up cannot be used to test
/// emails faster than passwords).
pub(crate) async fn count_taken(
    s: &AppState,
    meta: &RequestMeta,
    client: &Client,
    keys: &LoginKeys,
) {
    if let Err(e) = throttle::record_login_failure(s, meta, keys, &client.client_id).await {
        tracing::error!(error = %e, "cannot count a refused sign-up");
    }
}
