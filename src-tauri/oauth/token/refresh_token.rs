//! The `refresh_token` grant: every use rotates the token; presenting an already
//! rotated token revokes the whole family (RFC 9700 §4.14.2).

use super::issuance::{refuse_replay, Issuance, Refresh, Replay, SignIn, TokenRequest};
use super::Grant;
use crate::audit::{kind, Event};
use crate::crypto::sha256;
use crate::domain::amr::AuthMethods;
use crate::domain::branch::{self, BranchContext};
use crate::domain::scope;
use crate::error::OAuthError;
use crate::oauth::issue;
use crate::oauth::params::Params;
use crate::oauth::resource;
use crate::store::tokens::{self, RefreshRecord};
use crate::store::users::{self, UserRow};
use crate::store::Tx;
use serde_json::json;

/// Audit type of a branch switch.
const BRANCH_SWITCHED: &str = "branch.switched";
const UNKNOWN: &str = "the refresh token is unknown or was issued to another client";

pub struct RefreshToken;

impl Grant for RefreshToken {
    const GRANT_TYPE: &'static str = "refresh_token";

    /// A client that may not refresh holds no refresh token of its own: it gets what
    /// any unknown token gets.
    fn refusal(&self, params: &Params) -> OAuthError {
        match params.require("refresh_token") {
            Err(missing) => missing,
            Ok(_) => OAuthError::invalid_grant(UNKNOWN),
        }
    }

    async fn validate(&self, req: &TokenRequest<'_>) -> Result<Issuance, OAuthError> {
        let hash = sha256(req.params.require("refresh_token")?);
        let tx = req.state.db.begin().await?;
        let (mut tx, record) = redeem(tx, req, &hash).await?;
        check_key(req, &record)?;
        let user = users::find_user(&req.state.db.read, &record.user_id)
            .await?
            .filter(|u| u.is_active())
            .ok_or_else(|| {
                OAuthError::invalid_grant("the user is suspended or no longer exists")
            })?;
        let scopes = narrowed_scopes(req, &record)?;
        // The family's resource stays the `aud` of every token it mints.
        let target = resource::redeemed(
            req.state,
            req.client,
            record.resource.as_deref(),
            resource::param(req.params, req.client)?,
            false,
        )
        .await?;
        // A branchless client (the console) signs in without a branch and never switches.
        let ctx = if req.client.policy.branchless {
            None
        } else {
            active_branch(req, &user.id, &record).await?
        };
        let scopes = issue::user_scopes(req.client, &user, &scopes, ctx.as_ref())?;
        if !tokens::mark_refresh_used(&mut tx, &hash, req.now).await? {
            return Err(OAuthError::invalid_grant(
                "the refresh token was already used",
            ));
        }
        let also_audit = switch_branch(&mut tx, req, &record, &user, ctx.as_ref()).await?;
        Ok(Issuance {
            tx: Some(tx),
            sign_in: Some(SignIn {
                user,
                auth_time: record.auth_time,
                amr: AuthMethods::parse(&record.amr),
                sid: record.session_id,
                nonce: None,
                // The family keeps its original scope, so a narrowed refresh can widen
                // back later.
                refresh: Refresh::Rotate {
                    family_id: record.family_id,
                    scope: record.scope,
                    family_expires_at: record.family_expires_at,
                },
            }),
            scopes,
            branch: ctx,
            event: kind::TOKEN_REFRESHED,
            also_audit,
            resource: target,
            exchange: None,
        })
    }
}

/// The live, unused record of the presented token. A token used before revokes its
/// family (and its access tokens), records `token.reuse_detected` in the same
/// transaction, commits it, and is refused.
async fn redeem(
    mut tx: Tx,
    req: &TokenRequest<'_>,
    hash: &[u8],
) -> Result<(Tx, RefreshRecord), OAuthError> {
    let client = req.client;
    let record = tokens::find_refresh_in_tx(&mut tx, hash)
        .await?
        .filter(|r| r.client_id == client.client_id)
        .ok_or_else(|| OAuthError::invalid_grant(UNKNOWN))?;
    if record.family_revoked_at.is_some() {
        return Err(OAuthError::invalid_grant(
            "the refresh token has been revoked",
        ));
    }
    if record.used_at.is_some() {
        let replay = Replay {
            family_id: Some(&record.family_id),
            user_id: &record.user_id,
            revoke_reason: "refresh_reuse",
            event: kind::TOKEN_REUSE_DETECTED,
            refusal: "the refresh token was already used; every token of this sign-in is revoked",
        };
        return Err(refuse_replay(tx, req, replay).await);
    }
    if record.expires_at <= req.now {
        return Err(OAuthError::invalid_grant("the refresh token has expired"));
    }
    if record.family_expires_at <= req.now {
        return Err(OAuthError::invalid_grant(
            "this sign-in has reached its maximum lifetime; sign in again",
        ));
    }
    Ok((tx, record))
}

/// A bound family (a public client's, RFC 9449 §5) refreshes only with a proof by its
/// key; checked before the token is used, so a stolen token cannot even burn it.
fn check_key(req: &TokenRequest<'_>, record: &RefreshRecord) -> Result<(), OAuthError> {
    let Some(jkt) = &record.dpop_jkt else {
        return Ok(());
    };
    match &req.dpop {
        Some(p) if p.jkt == *jkt => Ok(()),
        _ => Err(OAuthError::invalid_grant(
            "the refresh token is bound to a DPoP key: send a DPoP proof made with that key",
        )),
    }
}

/// The family's scopes, or the `scope` asked for, which must lie within them.
fn narrowed_scopes(
    req: &TokenRequest<'_>,
    record: &RefreshRecord,
) -> Result<Vec<String>, OAuthError> {
    let family_scopes = scope::parse(&record.scope).unwrap_or_default();
    let Some(raw) = req.params.get("scope") else {
        return Ok(family_scopes);
    };
    let requested = scope::parse(raw).map_err(OAuthError::invalid_scope)?;
    if let Some(bad) = scope::first_not_allowed(&requested, &family_scopes) {
        return Err(OAuthError::invalid_scope(format!(
            "scope {bad} was not granted to this sign-in"
        )));
    }
    Ok(requested)
}

/// The branch the new tokens are for: `branch=ID` switches (refused with `invalid_scope`
/// unless the user holds a role there), else the family's branch, re-checked.
async fn active_branch(
    req: &TokenRequest<'_>,
    user_id: &str,
    record: &RefreshRecord,
) -> Result<Option<BranchContext>, OAuthError> {
    let requested = req.params.get("branch");
    let target = match requested {
        Some(b) => b,
        None => match record.branch.as_deref() {
            Some(b) => b,
            None => return Ok(None),
        },
    };
    let grants = issue::user_grants(req.state, user_id).await?;
    match branch::context(&grants, target) {
        Some(c) => Ok(Some(c)),
        None if requested.is_some() => Err(OAuthError::invalid_scope(
            "the user holds no role in the requested branch",
        )),
        None => Err(OAuthError::invalid_grant(
            "the user no longer holds a role in this sign-in's branch",
        )),
    }
}

/// Moves the family to the active branch when it changed, and returns the
/// `branch.switched` event to record with the new tokens.
async fn switch_branch(
    tx: &mut Tx,
    req: &TokenRequest<'_>,
    record: &RefreshRecord,
    user: &UserRow,
    ctx: Option<&BranchContext>,
) -> Result<Vec<Event>, OAuthError> {
    let Some(c) = ctx.filter(|c| record.branch.as_ref() != Some(&c.branch)) else {
        return Ok(Vec::new());
    };
    tokens::set_family_branch(tx, &record.family_id, &c.org, &c.branch).await?;
    Ok(vec![Event::success(BRANCH_SWITCHED)
        .meta(req.meta)
        .actor(&user.id)
        .subject(&user.id)
        .client(&req.client.client_id)
        .org(&c.org)
        .branch(&c.branch)
        .detail(json!({
            "family_id": record.family_id,
            "from_org": record.org,
            "from_branch": record.branch,
        }))])
}
