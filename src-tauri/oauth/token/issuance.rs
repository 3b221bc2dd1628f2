//! What every grant ends in: a grant's checks decide an [`Issuance`], and [`commit`]
//! mints and signs the tokens, stores the refresh and access-token rows and audits
//! (`token.issued` / `token.refreshed`), the same way for every grant, and hands back the
//! [`Issued`] tokens: `/oauth/token` answers them as RFC 6749 JSON, the first-party auth
//! API (`/v1/auth/*`) as its own body or cookies.

use crate::audit::Event;
use crate::crypto::sha256;
use crate::domain::amr::AuthMethods;
use crate::domain::branch::BranchContext;
use crate::domain::claims::{AccessClaims, Actor};
use crate::domain::{scope, RequestMeta};
use crate::error::OAuthError;
use crate::oauth::dpop::{self, Proof};
use crate::oauth::issue::{self, audit_detail, tag_branch, AccessInput, IdTokenInput, Subject};
use crate::oauth::params::Params;
use crate::state::AppState;
use crate::store::clients::Client;
use crate::store::tokens::{self, NewAccessToken, NewFamily};
use crate::store::users::UserRow;
use crate::store::StoreError;
use crate::store::Tx;
use serde_json::json;

/// RFC 6749 §6: the grant a refresh token is for.
const REFRESH_GRANT: &str = "refresh_token";

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
    /// The access token's `aud` when it is not the client's own: an RFC 8707 resource,
    /// checked by the grant (a new refresh family keeps it), or a token exchange's target.
    pub resource: Option<String>,
    /// A token exchange (RFC 8693): no ID or refresh token, `act`, and what the new token
    /// inherits from its subject token.
    pub exchange: Option<Exchange>,
}

/// What an exchanged access token inherits from the subject token it replaces.
pub struct Exchange {
    /// The new `act` claim: the caller over the subject token's own actors.
    pub act: Actor,
    /// The subject token's `exp`: the new token never outlives it.
    pub not_after: i64,
    /// The subject token's `jti` (audited, never the token).
    pub subject_jti: String,
    /// The subject token's refresh family: the new token's row joins it, so revoking the
    /// family (sign-out, reuse detection, consent revocation) stops it too.
    pub family_id: Option<String>,
}

/// RFC 8693's token type of an access token (`subject_token_type`, `issued_token_type`).
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

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
    /// A token exchange's `issued_token_type`.
    pub issued_token_type: Option<&'static str>,
}

/// Mints and signs the tokens of `issuance`, stores and audits them (in the grant's
/// transaction, committed here, or through the audit sink), and returns them.
pub async fn commit(
    req: &TokenRequest<'_>,
    grant_type: &str,
    issuance: Issuance,
) -> Result<Issued, OAuthError> {
    let (access, claims) = access_token(req, &issuance)?;
    let Issuance {
        tx,
        sign_in,
        scopes,
        branch,
        event,
        also_audit,
        resource,
        exchange,
    } = issuance;
    let id_token = match &sign_in {
        Some(u) if exchange.is_none() && scope::has(&scopes, "openid") => {
            Some(id_token(req, u, &scopes, branch.as_ref())?)
        }
        _ => None,
    };
    // No refresh token for a client that may not use one (RFC 6749 §5.1: it is optional).
    let refresh = sign_in
        .as_ref()
        .filter(|u| !matches!(u.refresh, Refresh::None))
        .filter(|_| req.client.policy.may_use(REFRESH_GRANT))
        .map(|_| issue::refresh_token());
    let sub = sign_in
        .as_ref()
        .map_or(&req.client.client_id, |u| &u.user.id);
    let main = tag_branch(Event::success(event), branch.as_ref())
        .meta(req.meta)
        .subject(sub)
        .client(&req.client.client_id)
        .jti(&claims.jti)
        .detail(
            audit_detail(grant_type, &access, &claims)
                .exchanged_from(exchange.as_ref().map(|e| e.subject_jti.as_str())),
        );
    let events = also_audit
        .into_iter()
        .map(|e| e.jti(&claims.jti))
        .chain([main]);
    match tx {
        Some(mut tx) => {
            spend_proof(&mut tx, req).await?;
            let rows = Rows {
                sign_in: sign_in.as_ref(),
                refresh: refresh.as_deref(),
                branch: branch.as_ref(),
                resource: resource.as_deref(),
                family_id: exchange.as_ref().and_then(|e| e.family_id.as_deref()),
            };
            store(&mut tx, req, &rows, &claims).await?;
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
        issued_token_type: exchange.map(|_| ACCESS_TOKEN_TYPE),
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
    issuance: &Issuance,
) -> Result<(String, AccessClaims), OAuthError> {
    let user = issuance.sign_in.as_ref();
    let subject = Subject {
        sub: user.map_or(&req.client.client_id, |u| &u.user.id),
        auth_time: user.map(|u| u.auth_time),
        sid: user.and_then(|u| u.sid.as_deref()),
        amr: user.map(|u| &u.amr),
    };
    let scope = scope::join(&issuance.scopes);
    let exchange = issuance.exchange.as_ref();
    let input = AccessInput {
        subject,
        scope: &scope,
        branch: issuance.branch.as_ref(),
        dpop_jkt: req.dpop.as_ref().map(|p| p.jkt.as_str()),
        audience: issuance.resource.as_deref(),
        act: exchange.map(|e| &e.act),
        not_after: exchange.map(|e| e.not_after),
    };
    issue::access_token_in(req.state, req.client, &input, req.now)
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

/// What [`store`] writes rows for.
struct Rows<'a> {
    sign_in: Option<&'a SignIn>,
    /// The new refresh token, if any.
    refresh: Option<&'a str>,
    branch: Option<&'a BranchContext>,
    /// The RFC 8707 resource a new family keeps.
    resource: Option<&'a str>,
    /// The family the access token joins when it starts or rotates none (an exchanged
    /// token joins its subject token's).
    family_id: Option<&'a str>,
}

/// The refresh family and token rows (if any) and the user-bound access-token row.
async fn store(
    tx: &mut Tx,
    req: &TokenRequest<'_>,
    rows: &Rows<'_>,
    claims: &AccessClaims,
) -> Result<(), OAuthError> {
    let sign_in = rows.sign_in;
    let family_id = match (sign_in, rows.refresh) {
        (Some(s), Some(token)) => store_refresh(tx, req, s, token, rows).await?,
        _ => rows.family_id,
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
    rows: &Rows<'_>,
) -> Result<Option<&'a str>, OAuthError> {
    let branch = rows.branch;
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
                resource: rows.resource,
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
