//! `POST /v1/auth/refresh`: the token endpoint's own `refresh_token` grant
//! (`oauth::token::RefreshToken` + `issuance::commit`), so rotation and reuse detection
//! are one implementation: a rotated token presented again revokes its family (and its
//! access tokens) and is refused, `token.reuse_detected`. Refusals are audited
//! `token.refused` as at `/oauth/token` and answered in the `/v1` envelope with the OAuth
//! code: 401 `invalid_grant` (unknown, used, revoked or expired token, a suspended user),
//! 400 `invalid_request` (no token).

use super::answer::{self, REFRESH_COOKIE};
use super::sign_in::oauth_refusal;
use super::{token_client, Answer};
use crate::crypto::sha256;
use crate::domain::RequestMeta;
use crate::error::OAuthError;
use crate::oauth::cookie;
use crate::oauth::params::Params;
use crate::oauth::token::issuance::{self, Issued, TokenRequest};
use crate::oauth::token::{record_refusal, Grant, RefreshToken};
use crate::state::Shared;
use crate::store::clients::Client;
use crate::store::users::UserRow;
use crate::store::{now, tokens};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::sync::Arc;
use tessera_proto::auth::{Mode, Refresh};

const GRANT_TYPE: &str = RefreshToken::GRANT_TYPE;

/// The refresh token of a request: the body's, else the `tessera_rt` cookie (`true`).
pub fn presented(body: Option<&str>, headers: &HeaderMap) -> Option<(String, bool)> {
    match body {
        Some(t) => Some((t.to_string(), false)),
        None => cookie(headers, REFRESH_COOKIE).map(|t| (t, true)),
    }
}

/// The product web client a refresh token was issued to (refused like an unknown token
/// when it is not one the auth API serves).
pub async fn client_of(s: &Shared, token: &str) -> Result<Arc<Client>, OAuthError> {
    let unknown = || OAuthError::invalid_grant("the refresh token is unknown");
    let record = tokens::find_refresh(&s.db.read, &sha256(token))
        .await?
        .ok_or_else(unknown)?;
    token_client(s, &record.client_id)
        .await
        .map_err(|_| unknown())
}

#[utoipa::path(
    post, path = "/auth/refresh", tag = "auth",
    operation_id = "auth_refresh", security(()),
    request_body = Refresh,
    responses(
        (status = 200, description = "Rotated tokens (cookie mode: as cookies)", body = tessera_proto::auth::Tokens),
        (status = 400, description = "`invalid_request`: no refresh token in the body or the `tessera_rt` cookie", body = tessera_proto::error::ErrorEnvelope),
        (status = 401, description = "`invalid_grant`: unknown, used (the family is then revoked), revoked or expired", body = tessera_proto::error::ErrorEnvelope),
        (status = 403, description = "`origin_not_allowed` (cookie mode)", body = tessera_proto::error::ErrorEnvelope),
    )
)]
pub async fn refresh(
    State(s): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    crate::admin::ApiJson(body): crate::admin::ApiJson<Refresh>,
) -> Answer<Response> {
    let Some((token, by_cookie)) = presented(body.refresh_token.as_deref(), &headers) else {
        let e = OAuthError::invalid_request("refresh_token is required");
        record_refusal(&s, &meta, None, GRANT_TYPE, &e).await;
        return Err(oauth_refusal(e));
    };
    let mode = match (body.mode, by_cookie) {
        (Some(m), _) => m,
        (None, true) => Mode::Cookie,
        (None, false) => Mode::Bearer,
    };
    let client = match client_of(&s, &token).await {
        Ok(c) => c,
        Err(e) => {
            record_refusal(&s, &meta, None, GRANT_TYPE, &e).await;
            return Err(oauth_refusal(e));
        }
    };
    if mode == Mode::Cookie || by_cookie {
        super::origin::check(&s, &client, &headers).await?;
    }
    match rotate(&s, &meta, &client, &token).await {
        Ok((user, issued)) => Ok(answer::tokens(
            &s,
            &client,
            StatusCode::OK,
            mode,
            &user,
            issued,
        )),
        Err(e) => {
            record_refusal(&s, &meta, Some(client.client_id.clone()), GRANT_TYPE, &e).await;
            Err(oauth_refusal(e))
        }
    }
}

/// Runs the `refresh_token` grant for `client` with `token`.
pub async fn rotate(
    s: &Shared,
    meta: &RequestMeta,
    client: &Client,
    token: &str,
) -> Result<(UserRow, Issued), OAuthError> {
    if !RefreshToken.may_use(client) {
        return Err(RefreshToken.refusal(&Params::default()));
    }
    let form = serde_urlencoded::to_string([("refresh_token", token)])
        .map_err(|_| OAuthError::invalid_request("the refresh token is malformed"))?;
    let params = Params::parse(form.as_bytes())?;
    let req = TokenRequest {
        state: s,
        meta,
        client,
        params: &params,
        now: now(),
        // The auth API takes no proofs: a DPoP-bound family refreshes at /oauth/token.
        dpop: None,
    };
    let issuance = RefreshToken.validate(&req).await?;
    let user = issuance
        .sign_in
        .as_ref()
        .map(|u| u.user.clone())
        .ok_or_else(OAuthError::server_error)?;
    let issued = issuance::commit(&req, GRANT_TYPE, issuance).await?;
    crate::metrics::token_issued(GRANT_TYPE);
    Ok((user, issued))
}
