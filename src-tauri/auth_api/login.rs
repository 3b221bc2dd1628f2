//! `POST /v1/auth/login`: the hosted login's password check (`pages::check_password`: the
//! same throttles, dummy hash and `login.failed`/`login.throttled` events), then tokens,
//! or an `mfa_token` when the user must give a second factor (`mfa::next_stage`: a user
//! with a factor is always asked). A user who must have a second factor but has none
//! enrolled gets 403 `mfa_enrollment_required` (enrollment needs a browser: the hosted
//! account page or sign-in); one whose only factor is a passkey gets 403
//! `mfa_method_unavailable` (passkeys need the hosted sign-in).

use super::answer;
use super::sign_in::{self, Verified};
use super::{invalid_credentials, rate_limited, refuse, token_client, Answer};
use crate::admin::ApiJson;
use crate::domain::amr::AuthMethods;
use crate::domain::RequestMeta;
use crate::mfa::{self, Stage};
use crate::pages::{check_password, PasswordRefused};
use crate::state::Shared;
use crate::store::users::UserRow;
use crate::throttle::hashing::BUSY_RETRY_AFTER;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use tessera_proto::auth::{Login, LoginAnswer, MfaRequired};

#[utoipa::path(
    post, path = "/auth/login", tag = "auth",
    operation_id = "auth_login", security(()),
    request_body = Login,
    responses(
        (status = 200, description = "Tokens (in cookie mode: in the `tessera_at`/`tessera_rt` cookies, not in the body), or `mfa_required` with an `mfa_token`", body = LoginAnswer),
        (status = 400, description = "`invalid_client`, `invalid_scope`, `branch_required`", body = tessera_proto::error::ErrorEnvelope),
        (status = 401, description = "`invalid_credentials` (wrong email or password, unknown or suspended account)", body = tessera_proto::error::ErrorEnvelope),
        (status = 403, description = "`origin_not_allowed` (cookie mode), `branch_not_allowed`, `mfa_enrollment_required`, `mfa_method_unavailable`", body = tessera_proto::error::ErrorEnvelope),
        (status = 429, description = "`rate_limited` (see `Retry-After`)", body = tessera_proto::error::ErrorEnvelope),
    )
)]
pub async fn login(
    State(s): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Login>,
) -> Answer<Response> {
    let client = token_client(&s, &body.client_id).await?;
    let mode = super::origin::mode(&s, &client, &headers, body.mode).await?;
    let request = sign_in::Request::new(&client, body.scope.as_deref(), body.branch.as_deref())?;
    let email: String = body.email.trim().chars().take(254).collect();
    let checked = check_password(&s, &meta, &client.client_id, &email, body.password).await;
    let (user, keys, account_counted) = checked.map_err(password_refusal)?;
    let branch = sign_in::branch_of(&s, &client, &user.id, request.branch.as_deref()).await?;
    if let Some(methods) = second_factor(&s, &client, &user).await? {
        let token = super::mfa::park(&s, &client, &user, &request, branch.as_ref()).await?;
        let answer = LoginAnswer::Mfa(MfaRequired {
            mfa_required: true,
            mfa_token: token,
            methods,
            expires_in: super::mfa::MFA_TOKEN_TTL,
        });
        return Ok(no_store(Json(answer).into_response()));
    }
    let verified = Verified {
        s: &s,
        meta: &meta,
        client: &client,
        user: &user,
        request: &request,
        branch,
        amr: AuthMethods::password(),
        reset: account_counted.then_some(&keys),
    };
    let tx = s.db.begin().await?;
    let issued = sign_in::complete(verified, tx).await?;
    Ok(answer::tokens(
        &s,
        &client,
        StatusCode::OK,
        mode,
        &user,
        issued,
    ))
}

/// The answer to a refused password: the same 401 for wrong, unknown and suspended.
pub fn password_refusal(r: PasswordRefused) -> super::Refusal {
    match r {
        PasswordRefused::Throttled(secs) => rate_limited(secs),
        PasswordRefused::Busy => super::Refusal(crate::error::ApiError::busy(BUSY_RETRY_AFTER)),
        PasswordRefused::Wrong | PasswordRefused::Suspended => invalid_credentials(),
        PasswordRefused::Failed => super::Refusal(crate::error::ApiError::internal()),
    }
}

/// The methods a second factor may be given with, when one is needed (`None`: sign in
/// now); a factor the API cannot take is a 403.
async fn second_factor(
    s: &Shared,
    client: &crate::store::clients::Client,
    user: &UserRow,
) -> Answer<Option<Vec<String>>> {
    let factors = crate::store::mfa::factors(&s.db.read, &user.id).await?;
    let required = mfa::aal2_required(client.mfa_required, user.mfa_required, &[]);
    match mfa::next_stage(factors.any(), required) {
        None => Ok(None),
        Some(Stage::Enroll | Stage::Enrolled) => Err(refuse(
            StatusCode::FORBIDDEN,
            "mfa_enrollment_required",
            "this sign-in needs a second factor and the user has none: set one up on the \
             hosted account page (/account) or sign in through the hosted pages once",
        )),
        Some(Stage::Verify) => {
            let mut methods = Vec::new();
            if factors.totp > 0 {
                methods.push("totp".to_string());
            }
            if factors.recovery_codes_left > 0 {
                methods.push("recovery_code".to_string());
            }
            if methods.is_empty() {
                return Err(refuse(
                    StatusCode::FORBIDDEN,
                    "mfa_method_unavailable",
                    "the user's only second factor is a passkey, which needs the hosted sign-in",
                ));
            }
            Ok(Some(methods))
        }
    }
}

fn no_store(mut res: Response) -> Response {
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    res
}
