//! The `authorization_code` grant: single-use codes bound to client, redirect URI and
//! PKCE S256 verifier. A replayed code revokes everything it issued (RFC 9700 §4.5).

use super::issuance::{refuse_replay, Issuance, Refresh, Replay, SignIn, TokenRequest};
use super::Grant;
use crate::audit::kind;
use crate::crypto::sha256;
use crate::domain::amr::AuthMethods;
use crate::domain::{branch, pkce, scope};
use crate::error::OAuthError;
use crate::oauth::issue;
use crate::oauth::params::Params;
use crate::oauth::resource;
use crate::store::tokens::{self, CodeRow};
use crate::store::{users, Tx};

pub struct AuthorizationCode;

impl Grant for AuthorizationCode {
    const GRANT_TYPE: &'static str = "authorization_code";

    fn refusal(&self, _: &Params) -> OAuthError {
        OAuthError::unauthorized_client("this client may not use the authorization_code grant")
    }

    async fn validate(&self, req: &TokenRequest<'_>) -> Result<Issuance, OAuthError> {
        let code = req.params.require("code")?;
        let redirect_uri = req.params.require("redirect_uri")?;
        let verifier = req.params.require("code_verifier")?;
        let code_hash = sha256(code);
        let tx = req.state.db.begin().await?;
        let (mut tx, row) = redeem(tx, req, &code_hash).await?;
        if row.expires_at <= req.now {
            return Err(OAuthError::invalid_grant("the code has expired"));
        }
        if row.redirect_uri != redirect_uri {
            return Err(OAuthError::invalid_grant(
                "redirect_uri does not match the authorization request",
            ));
        }
        if !pkce::verify_s256(verifier, &row.code_challenge) {
            return Err(OAuthError::invalid_grant(
                "code_verifier does not match the code_challenge",
            ));
        }
        let user = users::find_user(&req.state.db.read, &row.user_id)
            .await?
            .filter(|u| u.is_active())
            .ok_or_else(|| {
                OAuthError::invalid_grant("the user is suspended or no longer exists")
            })?;
        let grants = issue::user_grants(req.state, &user.id).await?;
        let ctx = match row.branch.as_deref() {
            None => None,
            Some(b) => Some(branch::context(&grants, b).ok_or_else(|| {
                OAuthError::invalid_grant("the user no longer holds a role in the chosen branch")
            })?),
        };
        // The code's resource stays the `aud`; a code without one may name it now.
        let target = resource::redeemed(
            req.state,
            req.client,
            row.resource.as_deref(),
            resource::param(req.params, req.client)?,
            true,
        )
        .await?;
        let requested = scope::parse(&row.scope).unwrap_or_default();
        let scopes = issue::user_scopes(req.client, &user, &requested, ctx.as_ref())?;
        let family_id = uuid::Uuid::now_v7().to_string();
        if !tokens::mark_code_used(&mut tx, &code_hash, Some(&family_id), req.now).await? {
            return Err(OAuthError::invalid_grant("the code was already used"));
        }
        Ok(Issuance {
            tx: Some(tx),
            sign_in: Some(SignIn {
                user,
                auth_time: row.auth_time,
                amr: AuthMethods::parse(&row.amr),
                sid: Some(row.session_id),
                nonce: row.nonce,
                refresh: Refresh::NewFamily {
                    id: family_id,
                    scope: row.scope,
                },
            }),
            scopes,
            branch: ctx,
            event: kind::TOKEN_ISSUED,
            also_audit: Vec::new(),
            resource: target,
            exchange: None,
        })
    }
}

/// The code's row, if it was issued to this client. A code used before revokes the
/// family it started (and its access tokens), records `code.replayed` in the same
/// transaction, commits it, and is refused.
async fn redeem(
    mut tx: Tx,
    req: &TokenRequest<'_>,
    code_hash: &[u8],
) -> Result<(Tx, CodeRow), OAuthError> {
    let client = req.client;
    let row = tokens::find_code(&mut tx, code_hash)
        .await?
        .filter(|r| r.client_id == client.client_id)
        .ok_or_else(|| {
            OAuthError::invalid_grant(
                "the code is unknown, expired or was issued to another client",
            )
        })?;
    if row.used_at.is_none() {
        return Ok((tx, row));
    }
    let replay = Replay {
        family_id: row.family_id.as_deref(),
        user_id: &row.user_id,
        revoke_reason: "code_replay",
        event: kind::CODE_REPLAYED,
        refusal: "the code was already used; the tokens issued from it are revoked",
    };
    Err(refuse_replay(tx, req, replay).await)
}
