//! The token-exchange grant (RFC 8693): an agent, or a server client allowed it, trades a
//! user's access token addressed to its product for a new one that acts for that user: the
//! same subject, sign-in and branch, a scope never wider than the subject token's or the
//! caller's, `act` naming the caller (over the subject's own actors), an `exp` no later than
//! the subject token's, recorded in the subject token's refresh family so revoking that
//! family ends it too. No refresh or ID token.

use super::issuance::{Exchange, Issuance, Refresh, SignIn, TokenRequest, ACCESS_TOKEN_TYPE};
use super::Grant;
use crate::domain::amr::AuthMethods;
use crate::domain::branch::BranchContext;
use crate::domain::claims::{AccessClaims, Actor};
use crate::domain::scope;
use crate::error::OAuthError;
use crate::oauth::bearer::{checked_access_token, ActiveToken, Inactive};
use crate::oauth::params::Params;
use crate::oauth::{issue, resource};
use crate::store::clients::{policy::TOKEN_EXCHANGE_GRANT, Client};

/// The audit type of an exchanged token.
pub const TOKEN_EXCHANGED: &str = "token.exchanged";
/// The longest `act` chain a subject token may already carry.
const MAX_ACTORS: usize = 8;

pub struct TokenExchange;

impl Grant for TokenExchange {
    const GRANT_TYPE: &'static str = TOKEN_EXCHANGE_GRANT;

    /// Its policy must list it (agents, server clients allowed it), and it must prove who
    /// it is: an exchanged token names it as the actor.
    fn may_use(&self, client: &Client) -> bool {
        client.policy.may_use(Self::GRANT_TYPE) && client.is_confidential()
    }

    fn refusal(&self, _: &Params) -> OAuthError {
        OAuthError::unauthorized_client(
            "this client may not use token exchange (agents and server clients allowed \
             token exchange may)",
        )
    }

    async fn validate(&self, req: &TokenRequest<'_>) -> Result<Issuance, OAuthError> {
        check_token_types(req.params)?;
        let ActiveToken {
            claims: subject,
            family_id,
            user,
        } = subject_token(req, req.params.require("subject_token")?).await?;
        check_actor_token(req).await?;
        let target = target(req).await?;
        let scopes = exchanged_scopes(req.client, &subject, req.params.get("scope"))?;
        // The check found the user active (a client's own token was refused).
        let user = user.ok_or_else(|| {
            OAuthError::invalid_grant("the user is suspended or no longer exists")
        })?;
        let branch = match (&subject.org, &subject.branch) {
            (Some(org), Some(branch)) => Some(BranchContext {
                org: org.clone(),
                branch: branch.clone(),
                groups: Vec::new(),
                scopes: Vec::new(),
            }),
            _ => None,
        };
        let exchange = Exchange {
            act: Actor {
                sub: req.client.client_id.clone(),
                act: subject.act.clone().map(Box::new),
            },
            not_after: subject.exp,
            subject_jti: subject.jti.clone(),
            family_id,
        };
        Ok(Issuance {
            // The token's row joins the subject's family, written with its audit event.
            tx: Some(req.state.db.begin().await?),
            sign_in: Some(SignIn {
                user,
                auth_time: subject.auth_time.unwrap_or(subject.iat),
                amr: AuthMethods::parse(&subject.amr.clone().unwrap_or_default().join(" ")),
                sid: subject.sid.clone(),
                nonce: None,
                refresh: Refresh::None,
            }),
            scopes,
            branch,
            event: TOKEN_EXCHANGED,
            also_audit: Vec::new(),
            resource: target,
            exchange: Some(exchange),
        })
    }
}

/// `subject_token_type` (required), `requested_token_type` (optional): access tokens
/// only; `actor_token` and `actor_token_type` come together.
fn check_token_types(params: &Params) -> Result<(), OAuthError> {
    let only_access = |name: &str, value: &str| {
        if value == ACCESS_TOKEN_TYPE {
            Ok(())
        } else {
            Err(OAuthError::invalid_request(format!(
                "{name} must be {ACCESS_TOKEN_TYPE}: only access tokens are exchanged"
            )))
        }
    };
    only_access("subject_token_type", params.require("subject_token_type")?)?;
    if let Some(t) = params.get("requested_token_type") {
        only_access("requested_token_type", t)?;
    }
    match (params.get("actor_token"), params.get("actor_token_type")) {
        (None, None) => Ok(()),
        (Some(_), Some(t)) => only_access("actor_token_type", t),
        _ => Err(OAuthError::invalid_request(
            "actor_token and actor_token_type must be sent together",
        )),
    }
}

/// The subject token: an access token this issuer signed, active (not expired or revoked,
/// its user active), a user's, and addressed to the caller's product.
async fn subject_token(req: &TokenRequest<'_>, token: &str) -> Result<ActiveToken, OAuthError> {
    let checked = active(req, token, "subject").await?;
    let claims = &checked.claims;
    if claims.sub == claims.client_id {
        return Err(OAuthError::invalid_grant(
            "the subject token is a client's own token: token exchange acts for users",
        ));
    }
    if !addressed_to_caller(req, claims).await? {
        return Err(OAuthError::invalid_grant(
            "the subject token is not addressed to this client's product (its aud)",
        ));
    }
    if actors(claims).len() >= MAX_ACTORS {
        return Err(OAuthError::invalid_grant(
            "the subject token already passed through too many actors",
        ));
    }
    Ok(checked)
}

/// `token` checked, if it is active; `invalid_grant` naming `what` otherwise.
async fn active(
    req: &TokenRequest<'_>,
    token: &str,
    what: &str,
) -> Result<ActiveToken, OAuthError> {
    match checked_access_token(req.state, token).await {
        Ok(checked) => Ok(checked),
        Err(Inactive::Db(e)) => Err(e.into()),
        Err(why) => Err(OAuthError::invalid_grant(format!(
            "the {what} token is not an active access token of this issuer: {why}"
        ))),
    }
}

/// RFC 8693 leaves it to the server whom a token may be exchanged by; RFC 9700 asks for
/// audience restriction: the token's `aud` must be the caller's (its product's audience or
/// one of its resources, or its own id), or, for a product without an audience, the id of
/// another client of the caller's product the token was issued to.
async fn addressed_to_caller(
    req: &TokenRequest<'_>,
    claims: &AccessClaims,
) -> Result<bool, OAuthError> {
    let client = req.client;
    let aud = claims.aud.as_str();
    if aud == client.client_id
        || aud == issue::audience(req.state, client)
        || client.resources.iter().any(|r| r == aud)
    {
        return Ok(true);
    }
    if aud != claims.client_id || client.product_id.is_none() {
        return Ok(false);
    }
    let owner = req.state.clients.get(&req.state.db.read, aud).await?;
    Ok(owner.is_some_and(|o| o.product_id == client.product_id))
}

/// An `actor_token`, when sent, must be an active token of the caller itself.
async fn check_actor_token(req: &TokenRequest<'_>) -> Result<(), OAuthError> {
    let Some(token) = req.params.get("actor_token") else {
        return Ok(());
    };
    let claims = active(req, token, "actor").await?.claims;
    if claims.sub != req.client.client_id {
        return Err(OAuthError::invalid_grant(
            "the actor token must be the calling client's own token (its sub)",
        ));
    }
    Ok(())
}

/// The new token's audience (RFC 8693 `audience`, RFC 8707 `resource`): a registered
/// product audience or resource; `None` = the caller's own product audience.
async fn target(req: &TokenRequest<'_>) -> Result<Option<String>, OAuthError> {
    let resource = resource::param(req.params, req.client)?;
    let target = match (req.params.get("audience"), resource) {
        (Some(a), Some(r)) if a != r => {
            return Err(resource::invalid_target(
                "audience and resource name different targets; a token has one audience",
            ))
        }
        (a, r) => a.or(r),
    };
    if let Some(t) = target {
        resource::require_registered(req.state, t).await?;
    }
    Ok(target.map(String::from))
}

/// Requested (default: the subject token's) ∩ the subject token's ∩ what the caller may
/// hold (its granted scopes and the OIDC scopes); a requested scope outside that is
/// `invalid_scope`: an exchange never widens.
fn exchanged_scopes(
    client: &Client,
    subject: &AccessClaims,
    requested: Option<&str>,
) -> Result<Vec<String>, OAuthError> {
    let allowed: Vec<String> = subject
        .scopes()
        .into_iter()
        .filter(|s| client.granted_scopes.contains(s) || scope::OIDC_SCOPES.contains(&s.as_str()))
        .collect();
    let Some(raw) = requested else {
        return Ok(allowed);
    };
    let requested = scope::parse(raw).map_err(OAuthError::invalid_scope)?;
    if let Some(bad) = scope::first_not_allowed(&requested, &allowed) {
        return Err(OAuthError::invalid_scope(format!(
            "scope {bad} is not held by the subject token or not granted to this client"
        )));
    }
    Ok(requested)
}

/// The `act` chain of a token, outermost first.
fn actors(claims: &AccessClaims) -> Vec<&str> {
    let mut out = Vec::new();
    let mut next = claims.act.as_ref();
    while let Some(a) = next {
        out.push(a.sub.as_str());
        next = a.act.as_deref();
    }
    out
}
