//! `FreshSuperAdmin`: the caller of anything that hands out key material (a backup holds
//! `master.key`). Only a super-admin's own console token whose sign-in (`auth_time`, kept
//! unchanged across refreshes) is at most [`FRESH_SIGN_IN_SECS`] old; an admin client's
//! client_credentials token never qualifies, whatever its age.

use super::check_admin_token;
use crate::domain::claims::AccessClaims;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::clients::AdminApiAccess;
use crate::store::now;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;

/// How recent the super-admin's sign-in must be.
pub const FRESH_SIGN_IN_SECS: i64 = 600;

/// Clock slack for an `auth_time` a little ahead of this server's clock (it is our own
/// clock, so more than this means the claim is not to be trusted).
const FUTURE_SLACK_SECS: i64 = 60;

/// The `/v1` error code when the token is an admin's but not a fresh super-admin's.
pub const INSUFFICIENT_AUTHENTICATION: &str = "insufficient_authentication";

/// A super-admin who signed in to the console within the last 10 minutes.
pub struct FreshSuperAdmin {
    pub claims: AccessClaims,
}

impl FreshSuperAdmin {
    /// Who to name as the actor of an audit event.
    pub fn actor(&self) -> &str {
        &self.claims.sub
    }
}

impl FromRequestParts<Shared> for FreshSuperAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Shared,
    ) -> Result<Self, Self::Rejection> {
        let claims = super::admin_request(state, parts).await?;
        fresh_claims(state, claims)
            .await
            .map(|claims| FreshSuperAdmin { claims })
    }
}

/// [`check_admin_token`] (401 inactive, 403 not an admin's), then [`require_fresh`].
pub async fn check_fresh_superadmin(
    state: &crate::state::AppState,
    token: &str,
) -> Result<AccessClaims, ApiError> {
    fresh_claims(state, check_admin_token(state, token).await?).await
}

/// [`require_fresh`] for an admin's `claims`.
async fn fresh_claims(
    state: &crate::state::AppState,
    claims: AccessClaims,
) -> Result<AccessClaims, ApiError> {
    let access = state
        .clients
        .get(&state.db.read, &claims.client_id)
        .await?
        .map(|c| c.policy.admin_api);
    require_fresh(&claims, access, now())?;
    Ok(claims)
}

/// 403 `insufficient_authentication` unless `claims` (already checked as an admin's) are
/// a user token of a client whose admin-API `access` is its super-admins' (the console),
/// with an `auth_time` within the last [`FRESH_SIGN_IN_SECS`].
pub fn require_fresh(
    claims: &AccessClaims,
    access: Option<AdminApiAccess>,
    now: i64,
) -> Result<(), ApiError> {
    let refuse =
        |message: &str| ApiError::new(StatusCode::FORBIDDEN, INSUFFICIENT_AUTHENTICATION, message);
    if claims.sub == claims.client_id || access != Some(AdminApiAccess::SuperAdminUsers) {
        return Err(refuse(
            "admin clients may not do this: only a super-admin who signed in to the console \
             within the last 10 minutes can",
        ));
    }
    match claims.auth_time {
        Some(at) if at <= now + FUTURE_SLACK_SECS && now - at <= FRESH_SIGN_IN_SECS => Ok(()),
        _ => Err(refuse(
            "sign in again: only a super-admin who signed in within the last 10 minutes can \
             do this",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::clients::{ClientKind, ClientPolicy};

    fn claims(sub: &str, client_id: &str, auth_time: Option<i64>) -> AccessClaims {
        AccessClaims {
            iss: "http://127.0.0.1:7470".into(),
            sub: sub.into(),
            aud: "http://127.0.0.1:7470/v1".into(),
            client_id: client_id.into(),
            exp: 0,
            iat: 0,
            jti: "j".into(),
            scope: "admin".into(),
            auth_time,
            sid: None,
            org: None,
            branch: None,
            amr: None,
            acr: None,
            aal: None,
            auth_method: None,
            cnf: None,
            act: None,
        }
    }

    fn code(r: Result<(), ApiError>) -> &'static str {
        match r {
            Ok(()) => "ok",
            Err(e) => {
                assert_eq!(e.status, StatusCode::FORBIDDEN);
                e.code
            }
        }
    }

    #[test]
    fn only_a_recent_console_sign_in_is_fresh() {
        let now = 1_000_000;
        let console = Some(ClientPolicy::console().admin_api);
        let at = |t| {
            code(require_fresh(
                &claims("u1", "tessera-console", t),
                console,
                now,
            ))
        };
        assert_eq!(at(Some(now)), "ok");
        assert_eq!(at(Some(now - FRESH_SIGN_IN_SECS)), "ok");
        assert_eq!(
            at(Some(now - FRESH_SIGN_IN_SECS - 1)),
            INSUFFICIENT_AUTHENTICATION
        );
        assert_eq!(at(None), INSUFFICIENT_AUTHENTICATION);
        assert_eq!(at(Some(now + FUTURE_SLACK_SECS)), "ok");
        assert_eq!(at(Some(now + 3600)), INSUFFICIENT_AUTHENTICATION);
        // An admin client (sub = client_id), even with a claim it never gets.
        let client = claims("adm_x", "adm_x", Some(now));
        let admin = Some(ClientPolicy::for_kind(ClientKind::Admin).admin_api);
        for access in [admin, console] {
            assert_eq!(
                code(require_fresh(&client, access, now)),
                INSUFFICIENT_AUTHENTICATION
            );
        }
        let other = claims("u1", "web_x", Some(now));
        let web = Some(ClientPolicy::for_kind(ClientKind::Web).admin_api);
        for access in [web, None] {
            assert_eq!(
                code(require_fresh(&other, access, now)),
                INSUFFICIENT_AUTHENTICATION
            );
        }
    }
}
