//! The second factor of an API sign-in. After the password, [`park`] stores the pending
//! sign-in under an `mfa_token` (random, stored hashed, 5 minutes); `POST
//! /v1/auth/mfa/verify` takes a TOTP or recovery code for it through `mfa::accept_code`,
//! throttled and counted like the hosted MFA step (account + IP), and a correct code
//! spends the token in the transaction that signs the user in (`amr` gains `otp`: aal2).

use super::answer;
use super::sign_in::{self, Verified};
use super::{rate_limited, refuse, token_client, Answer};
use crate::admin::ApiJson;
use crate::audit::{kind, Event};
use crate::crypto::{random_token, sha256};
use crate::domain::amr::AuthMethods;
use crate::domain::branch::BranchContext;
use crate::domain::RequestMeta;
use crate::state::{AppState, Shared};
use crate::store::auth_api::{self as store, MfaTokenRow, NewMfaToken};
use crate::store::clients::Client;
use crate::store::now;
use crate::store::users::{self, UserRow};
use crate::throttle::{self, LoginKeys};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;
use tessera_proto::auth::MfaVerify;

/// How long an `mfa_token` lives (seconds).
pub const MFA_TOKEN_TTL: i64 = 300;

/// Stores the sign-in waiting for its second factor; returns its `mfa_token`.
pub async fn park(
    s: &AppState,
    client: &Client,
    user: &UserRow,
    request: &sign_in::Request,
    branch: Option<&BranchContext>,
) -> Answer<String> {
    let token = random_token(32);
    let now = now();
    let mut tx = s.db.begin().await?;
    store::insert_mfa_token(
        &mut tx,
        &NewMfaToken {
            token_hash: &sha256(&token),
            user_id: &user.id,
            client_id: &client.client_id,
            scope: &request.scope,
            branch: branch.map(|b| b.branch.as_str()),
            amr: &AuthMethods::password().stored(),
            now,
            expires_at: now + MFA_TOKEN_TTL,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

fn invalid_mfa_token() -> super::Refusal {
    refuse(
        StatusCode::UNAUTHORIZED,
        "invalid_mfa_token",
        "the mfa_token is unknown, expired or already used: sign in again",
    )
}

#[utoipa::path(
    post, path = "/auth/mfa/verify", tag = "auth",
    operation_id = "auth_mfa_verify", security(()),
    request_body = MfaVerify,
    responses(
        (status = 200, description = "Tokens (cookie mode: as cookies)", body = tessera_proto::auth::Tokens),
        (status = 401, description = "`invalid_code` (a wrong code; the token stays usable) or `invalid_mfa_token` (unknown, expired or spent)", body = tessera_proto::error::ErrorEnvelope),
        (status = 403, description = "`origin_not_allowed` (cookie mode)", body = tessera_proto::error::ErrorEnvelope),
        (status = 429, description = "`rate_limited` (see `Retry-After`)", body = tessera_proto::error::ErrorEnvelope),
    )
)]
pub async fn verify(
    State(s): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    ApiJson(body): ApiJson<MfaVerify>,
) -> Answer<Response> {
    let hash = sha256(body.mfa_token.get(..200).unwrap_or(&body.mfa_token));
    let pending = store::find_mfa_token(&s.db.read, &hash, now())
        .await?
        .ok_or_else(invalid_mfa_token)?;
    let client = token_client(&s, &pending.client_id).await?;
    let mode = super::origin::mode(&s, &client, &headers, body.mode).await?;
    let user = users::find_user(&s.db.read, &pending.user_id)
        .await?
        .filter(UserRow::is_active)
        .ok_or_else(invalid_mfa_token)?;
    let keys = LoginKeys::new(Some(&user.id), &user.email, &meta);
    let check = throttle::check_login(&s, &keys).await?;
    if let Some(t) = check.throttled {
        return Err(rate_limited(t.retry_after));
    }
    let mut tx = s.db.begin().await?;
    let accepted =
        crate::mfa::accept_code(&mut tx, s.keys.kek(), &user.id, &body.code, now()).await?;
    let Some(factor) = accepted else {
        drop(tx);
        count_wrong_code(&s, &meta, &client, &user, &keys).await;
        return Err(refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_code",
            "the code is not right",
        ));
    };
    if !store::spend_mfa_token(&mut tx, &hash, now()).await? {
        return Err(invalid_mfa_token());
    }
    Event::success(kind::MFA_VERIFIED)
        .meta(&meta)
        .actor(&user.id)
        .subject(&user.id)
        .client(&client.client_id)
        .detail(json!({"factor": factor.as_str(), "via": "auth_api"}))
        .write(&mut tx)
        .await?;
    let issued = finish(&s, &meta, &client, &user, &pending, &keys, tx).await?;
    Ok(answer::tokens(
        &s,
        &client,
        StatusCode::OK,
        mode,
        &user,
        issued,
    ))
}

/// Signs the user in with the parked request, the branch re-checked.
async fn finish(
    s: &AppState,
    meta: &RequestMeta,
    client: &Client,
    user: &UserRow,
    pending: &MfaTokenRow,
    keys: &LoginKeys,
    tx: crate::store::Tx,
) -> Answer<crate::oauth::token::issuance::Issued> {
    let request = sign_in::Request {
        scope: pending.scope.clone(),
        branch: pending.branch.clone(),
    };
    let branch = match &pending.branch {
        Some(b) => sign_in::branch_of(s, client, &user.id, Some(b)).await?,
        None => None,
    };
    let verified = Verified {
        s,
        meta,
        client,
        user,
        request: &request,
        branch,
        amr: AuthMethods::parse(&pending.amr).with("otp"),
        reset: Some(keys),
    };
    sign_in::complete(verified, tx).await
}

/// A wrong code: counted against the account and the IP, audited `mfa.failed` (never
/// with the code), as on the hosted MFA step.
async fn count_wrong_code(
    s: &AppState,
    meta: &RequestMeta,
    client: &Client,
    user: &UserRow,
    keys: &LoginKeys,
) {
    let event = Event::failure(kind::MFA_FAILED)
        .meta(meta)
        .subject(&user.id)
        .client(&client.client_id)
        .detail(json!({"reason": "wrong_code", "stage": "verify", "via": "auth_api"}));
    let (counted, audited) = tokio::join!(
        throttle::record_login_failure(s, meta, keys, &client.client_id),
        s.audit.append(event),
    );
    if let Err(e) = counted {
        tracing::error!(error = %e, "cannot count a wrong second-factor code");
    }
    if audited.is_err() {
        tracing::error!("cannot record a wrong second-factor code");
    }
}
