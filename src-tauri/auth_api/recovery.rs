//! The email flows of the auth API: `password/forgot` (202 whatever the address),
//! `password/reset` and `email/verify` (the tokens of the emailed links). The same code
//! as the hosted pages (`selfservice`).

use super::{product_client, refuse, Answer, Refusal};
use crate::admin::ApiJson;
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::selfservice::{self, FlowError};
use crate::state::Shared;
use axum::extract::State;
use axum::http::StatusCode;
use tessera_proto::auth::{EmailVerify, PasswordForgot, PasswordReset};

impl From<FlowError> for Refusal {
    fn from(e: FlowError) -> Self {
        match e {
            FlowError::EmailOff => email_unavailable(),
            FlowError::InvalidLink => refuse(
                StatusCode::BAD_REQUEST,
                "invalid_token",
                "the link is unknown, expired or already used",
            ),
            FlowError::WeakPassword(problem) => {
                Refusal(ApiError::invalid_field("password", problem))
            }
            FlowError::Busy => Refusal(ApiError::busy(crate::throttle::hashing::BUSY_RETRY_AFTER)),
            FlowError::Store(e) => e.into(),
        }
    }
}

/// 503 `email_unavailable`: this server has no SMTP settings.
fn email_unavailable() -> Refusal {
    refuse(
        StatusCode::SERVICE_UNAVAILABLE,
        "email_unavailable",
        "this server cannot send email (no SMTP server is configured)",
    )
}

#[utoipa::path(
    post, path = "/auth/password/forgot", tag = "auth",
    operation_id = "auth_password_forgot", security(()),
    request_body = PasswordForgot,
    responses(
        (status = 202, description = "Accepted, whatever the address: an account with it gets an email with a link to the hosted reset page (at most 3 in 15 minutes)"),
        (status = 400, description = "`invalid_client`", body = tessera_proto::error::ErrorEnvelope),
        (status = 503, description = "`email_unavailable` (no SMTP server is configured)", body = tessera_proto::error::ErrorEnvelope),
    )
)]
pub async fn forgot(
    State(s): State<Shared>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<PasswordForgot>,
) -> Answer<StatusCode> {
    let client = product_client(&s, &body.client_id).await?;
    if !s.mail.enabled() {
        return Err(email_unavailable());
    }
    let email: String = body.email.trim().chars().take(254).collect();
    let client_id = Some(client.client_id.clone());
    selfservice::forgot_password_later(s.clone(), client_id, email, meta).await;
    Ok(StatusCode::ACCEPTED)
}

#[utoipa::path(
    post, path = "/auth/password/reset", tag = "auth",
    operation_id = "auth_password_reset", security(()),
    request_body = PasswordReset,
    responses(
        (status = 204, description = "The password is set; every session of the account ended"),
        (status = 400, description = "`invalid_token` (unknown, expired or used)", body = tessera_proto::error::ErrorEnvelope),
        (status = 422, description = "`validation_failed` (the password rules)", body = tessera_proto::error::ErrorEnvelope),
        (status = 503, description = "`busy` (see `Retry-After`)", body = tessera_proto::error::ErrorEnvelope),
    )
)]
pub async fn reset(
    State(s): State<Shared>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<PasswordReset>,
) -> Answer<StatusCode> {
    selfservice::reset_password(&s, &body.token, &body.password, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post, path = "/auth/email/verify", tag = "auth",
    operation_id = "auth_email_verify", security(()),
    request_body = EmailVerify,
    responses(
        (status = 204, description = "The account's email is verified"),
        (status = 400, description = "`invalid_token` (unknown, expired or used)", body = tessera_proto::error::ErrorEnvelope),
    )
)]
pub async fn verify_email(
    State(s): State<Shared>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<EmailVerify>,
) -> Answer<StatusCode> {
    selfservice::verify_email(&s, &body.token, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
