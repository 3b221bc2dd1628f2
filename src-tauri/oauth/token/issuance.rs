//! What every grant ends in: a grant's checks decide an [`Issuance`], and [`commit`]
//! mints and signs the tokens, stores the refresh and access-token rows and audits
//! (`token.issued` / `token.refreshed`), the same way for every grant, and hands back the
//! [`Issued`] tokens: `/oauth/token` answers them as RFC 6749 JSON, the first-party auth
//! API (`/v1/auth/*`) as its own body or cookies.

use crate::audit::Event;
use crate::crypto::sha256;
use crate::domain::amr::AuthMethods;
use crate::domain::branch::BranchContext;
use crate::domain::claims::AccessClaims;
use crate::domain::{scope, RequestMeta};
use crate::error::OAuthError;
use crate::oauth::dpop::{self, Proof};
use crate::oauth::issue::{self, audit_detail, tag_branch, IdTokenInput, Subject};
use crate::oauth::params::Params;
use crate::state::AppState;
use crate::store::clients::Client;
use crate::store::tokens::{self, NewAccessToken, NewFamily};
use crate::store::users::UserRow;
use crate::store::StoreError;
use crate::store::Tx;
use serde_json::json;

/// An authenticated token request, as every grant sees it.
pub struct TokenRequest<'a> {
    pub state: &'a AppState,
    pub meta: &'a RequestMeta,
    /// The authenticated client; its policy lists the grant.
    pub client: &'a Client,
    pub params: &'a Params,
    pub now: i64,
    /// The request's checked DPoP proof (its `jti` is spent in [`commit`]): the access
    /// token is bound to its key, and a public client's new refresh family too.
    pub dpop: Option<Proof>,
}

/// What a grant decided to issue.
pub struct Issuance {
    /// The transaction the grant's checks ran (and wrote) in, e.g. the code marked used:
    /// the tokens are stored and audited in it, so all of it happens or none. `None` when
    /// there is nothing to store (client tokens): the events then go through the
    /// group-committing audit sink, and the token only goes out once they are committed.
    pub tx: Option<Tx>,
    /// The user's sign-in the tokens are about; `None`: the client itself (`sub` =
    /// client_id, no ID or refresh token).
    pub sign_in: Option<SignIn>,
    pub scopes: Vec<String>,
    /// The active branch: `org`/`branch` claims, `groups`, the audit event's tags.
    pub branch: Option<BranchContext>,
    /// `token.issued` or `token.refreshed`.
    pub event: &'static str,
    /// More events of the same change (e.g. `branch.switched`), written before the main
    /// one and stamped with the new access token's jti.
    pub also_audit: Vec<Event>,
}

/// A user's sign-in behind an issuance.
pub struct SignIn {
    pub user: UserRow,
    pub auth_time: i64,
    /// How the user authenticated (`amr`, `acr`, `aal`, `auth_method` claims).
    pub amr: AuthMethods,
    /// The SSO session (`sid` claims).
    pub sid: Option<String>,
    /// The ID token's `nonce` (from the authorization request).
    pub nonce: Option<String>,
    pub refresh: Refresh,
}

/// What happens to refresh tokens.
pub enum Refresh {
    /// None is issued.
    None,
    /// A new family (one sign-in, of the SSO session `sid`, living the client's
    /// `refresh_family_ttl`) and its first token.
    NewFamily {
        id: String,
        /// The scope the sign-in asked for: every token of the family may go back to it.
        scope: String,
    },
    /// The next token of an existing family (rotation); the family keeps its scope and
    /// its absolute end.
    Rotate {
        family_id: String,
        scope: String,
        family_expires_at: i64,
    },
}

/// The tokens [`commit`] minted, stored and audited.
pub struct Issued {
    /// The signed access token (JWS).
    pub access: String,
    /// Its claims (`exp - iat` is its lifetime).
    pub claims: AccessClaims,
    /// The new refresh token, if the sign-in has a family.
    pub refresh: Option<String>,
    /// The ID token, when `openid` was granted to a user's sign-in.
    pub id_token: Option<String>,
}

/// Mints and signs the tokens of `issuance`, stores and audits them (in the grant's
/// transaction, committed here, or through the audit sink), and returns them.
pub async fn commit(
    req: &TokenRequest<'_>,
    grant_type: &str,
    issuance: Issuance,
) -> Result<Issued, OAuthError> {
    let Issuance {
        tx,
        sign_in,
        scopes,
        branch,
        event,
        also_audit,
    } = issuance;
    let (access, claims) = access_token(req, sign_in.as_ref(), &scopes, branch.as_ref())?;
    let id_token = match &sign_in {
        Some(u) if scope::has(&scopes, "openid") => {
            Some(id_token(req, u, &scopes, branch.as_ref())?)
        }
        _ => None,
    };
    let refresh = sign_in
        .as_ref()
        .filter(|u| !matches!(u.refresh, Refresh::None))
        .map(|_| issue::refresh_token());
    let sub = sign_in
        .as_ref()
        .map_or(&req.client.client_id, |u| &u.user.id);
    let main = tag_branch(Event::success(event), branch.as_ref())
        .meta(req.meta)
        .subject(sub)
        .client(&req.client.client_id)
        .jti(&claims.jti)
        .detail(audit_detail(grant_type, &access, &claims));
    let events = also_audit
        .into_iter()
        .map(|e| e.jti(&claims.jti))
        .chain([main]);
    match tx {
        Some(mut tx) => {
            spend_proof(&mut tx, req).await?;
            let (user, token) = (sign_in.as_ref(), refresh.as_deref());
            store(&mut tx, req, user, token, branch.as_ref(), &claims).await?;
            // A dynamic client's last use, for the console (a no-op for other kinds).
            crate::store::registration::note_use(&mut tx, req.client, req.now).await?;
            for e in events {
                e.write(&mut tx).await?;
            }
            tx.commit().await?;
        }
        None => {
            if req.dpop.is_some() {
                let mut tx = req.state.db.begin().await?;
                spend_proof(&mut tx, req).await?;
                tx.commit().await?;
            }
            for e in events {
                req.state
                    .audit
                    .append(e)
                    .await
                    .map_err(|_| OAuthError::server_error())?;
            }
        }
    }
    Ok(Issued {
        access,
        claims,
        refresh,
        id_token,
    })
}

/// Spends the request's DPoP proof `jti` in `tx`: a replayed proof refuses the request
/// (and rolls back what the grant wrote, e.g. the code stays unused).
async fn spend_proof(tx: &mut Tx, req: &TokenRequest<'_>) -> Result<(), OAuthError> {
    match &req.dpop {
        Some(p) if !dpop::spend(tx, p, req.now).await? => Err(dpop::replayed().at_token_endpoint()),
        _ => Ok(()),
    }
}

fn access_token(
    req: &TokenRequest<'_>,
    user: Option<&SignIn>,
    scopes: &[String],
    branch: Option<&BranchContext>,
) -> Result<(String, AccessClaims), OAuthError> {
    let subject = Subject {
        sub: user.map_or(&req.client.client_id, |u| &u.user.id),
        auth_time: user.map(|u| u.auth_time),
        sid: user.and_then(|u| u.sid.as_deref()),
        amr: user.map(|u| &u.amr),
    };
    let scope = scope::join(scopes);
    let jkt = req.dpop.as_ref().map(|p| p.jkt.as_str());
    issue::access_token_in(
        req.state, req.client, &subject, &scope, branch, jkt, req.now,
    )
}

fn id_token(
    req: &TokenRequest<'_>,
    sign_in: &SignIn,
    scopes: &[String],
    branch: Option<&BranchContext>,
) -> Result<String, OAuthError> {
    let groups = branch.map(|c| c.groups.clone()).unwrap_or_default();
    let input = IdTokenInput {
        user: &sign_in.user,
        scopes,
        auth_time: sign_in.auth_time,
        amr: &sign_in.amr,
        nonce: sign_in.nonce.as_deref(),
        sid: sign_in.sid.as_deref(),
        groups: &groups,
    };
    issue::id_token(req.state, req.client, &input, req.now)
}

/// The refresh family and token rows (if any) and the user-bound access-token row.
async fn store(
    tx: &mut Tx,
    req: &TokenRequest<'_>,
    sign_in: Option<&SignIn>,
    refresh: Option<&str>,
    branch: Option<&BranchContext>,
    claims: &AccessClaims,
) -> Result<(), OAuthError> {
    let family_id = match (sign_in, refresh) {
        (Some(s), Some(token)) => store_refresh(tx, req, s, token, branch).await?,
        _ => None,
    };
    tokens::insert_access_token(
        tx,
        &NewAccessToken {
            jti: &claims.jti,
            family_id,
            client_id: &req.client.client_id,
            user_id: sign_in.map(|s| s.user.id.as_str()),
            expires_at: claims.exp,
        },
    )
    .await?;
    Ok(())
}

/// Stores the refresh token `token` (and its new family); returns the family's id. A
/// token never outlives its family.
async fn store_refresh<'a>(
    tx: &mut Tx,
    req: &TokenRequest<'_>,
    sign_in: &'a SignIn,
    token: &str,
    branch: Option<&BranchContext>,
) -> Result<Option<&'a str>, OAuthError> {
    let (client, now) = (req.client, req.now);
    let (family_id, scope, family_expires_at) = match &sign_in.refresh {
        Refresh::None => return Ok(None),
        Refresh::NewFamily { id, scope } => {
            let amr = sign_in.amr.stored();
            let expires_at = now + client.refresh_family_ttl;
            let family = NewFamily {
                id,
                client_id: &client.client_id,
                user_id: &sign_in.user.id,
                session_id: sign_in.sid.as_deref(),
                scope,
                auth_time: sign_in.auth_time,
                org: branch.map(|c| c.org.as_str()),
                branch: branch.map(|c| c.branch.as_str()),
                expires_at,
                amr: &amr,
                // RFC 9449 §5: a public client's refresh tokens need its key too.
                dpop_jkt: req
                    .dpop
                    .as_ref()
                    .filter(|_| !client.is_confidential())
                    .map(|p| p.jkt.as_str()),
            };
            tokens::insert_family(tx, &family, now).await?;
            (id, scope, expires_at)
        }
        Refresh::Rotate {
            family_id,
            scope,
            family_expires_at,
        } => (family_id, scope, *family_expires_at),
    };
    tokens::insert_refresh_token(
        tx,
        &sha256(token),
        family_id,
        scope,
        now,
        (now + client.refresh_token_ttl).min(family_expires_at),
    )
    .await?;
    Ok(Some(family_id))
}

/// A credential presented again after use (a redeemed code, a rotated refresh token).
pub struct Replay<'a> {
    /// The family it started or belongs to.
    pub family_id: Option<&'a str>,
    pub user_id: &'a str,
    /// Why the family is revoked (`code_replay`, `refresh_reuse`).
    pub revoke_reason: &'static str,
    /// The audit event (`code.replayed`, `token.reuse_detected`).
    pub event: &'static str,
    /// The `invalid_grant` description to refuse with.
    pub refusal: &'static str,
}

/// Revokes the replay's family (and its access tokens) and records its event in the same
/// transaction, commits it, and returns the refusal (RFC 9700 §4.5, §4.14.2).
pub async fn refuse_replay(mut tx: Tx, req: &TokenRequest<'_>, replay: Replay<'_>) -> OAuthError {
    let recorded: Result<(), StoreError> = async {
        if let Some(family) = replay.family_id {
            tokens::revoke_family(&mut tx, family, replay.revoke_reason, req.now).await?;
        }
        Event::failure(replay.event)
            .meta(req.meta)
            .subject(replay.user_id)
            .client(&req.client.client_id)
            .detail(json!({"revoked_family": replay.family_id}))
            .write(&mut tx)
            .await?;
        tx.commit().await
    }
    .await;
    match recorded {
        Ok(()) => OAuthError::invalid_grant(replay.refusal),
        Err(e) => e.into(),
    }
}
