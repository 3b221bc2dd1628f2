//! Third-party consent (OIDC Core §3.1.2.4): a client whose policy is `third_party` (a
//! dynamically registered one) gets a code only for scopes its user approved. [`gate`]
//! runs inside [`super::issue_code_in`], the one place every code is minted (silent SSO,
//! password, passkey, second factor, branch choice, sign-up, step-up), so no path skips
//! it: when the remembered consent does not cover the request (or `prompt=consent`), the
//! finished sign-in is parked on a new interaction and the browser goes to `/consent`
//! (`pages::consent`) instead of back to the client.

use super::{to_interaction, AuthRequest, INTERACTION_TTL};
use crate::crypto::random_token;
use crate::domain::branch::BranchContext;
use crate::error::OAuthError;
use crate::oauth::{interaction_cookie, set_cookie};
use crate::state::AppState;
use crate::store::sessions::{self, InteractionRow, SessionRow};
use crate::store::{consents, now, Tx};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

/// The hosted consent page.
pub const PAGE: &str = "/consent";

/// Audit events: the user approved scopes for a client, refused them, or a consent was
/// removed (by its user on the account page, or by an admin).
pub const CONSENT_GRANTED: &str = "consent.granted";
pub const CONSENT_DENIED: &str = "consent.denied";
pub const CONSENT_REVOKED: &str = "consent.revoked";

/// What a request says about consent, and the sign-in waiting for it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ConsentStep {
    /// `prompt=consent`: ask even when the remembered consent covers the scopes.
    #[serde(default)]
    pub prompt: bool,
    /// `prompt=none`: never ask; `consent_required` instead.
    #[serde(default)]
    pub none: bool,
    /// A finished sign-in waiting for the user's answer on the consent page.
    #[serde(default)]
    pub pending: Option<PendingConsent>,
}

impl ConsentStep {
    /// The step of a request with these `prompt` values.
    pub fn asked(prompts: &[&str]) -> Self {
        ConsentStep {
            prompt: prompts.contains(&"consent"),
            none: prompts.contains(&"none"),
            pending: None,
        }
    }
}

/// The sign-in the consent page continues: whose, which SSO session, which branch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingConsent {
    pub user_id: String,
    pub session_id: String,
    pub org: Option<String>,
    pub branch: Option<String>,
}

impl PendingConsent {
    /// The branch the sign-in landed in, as `issue_code_in` takes it.
    pub fn branch_context(&self) -> Option<BranchContext> {
        Some(BranchContext {
            org: self.org.clone()?,
            branch: self.branch.clone()?,
            ..BranchContext::default()
        })
    }
}

/// `None` when `req` may have its code now; else where the browser goes (the consent
/// page, on a new interaction holding the sign-in) or `consent_required` for
/// `prompt=none`. First-party clients always pass. Unknown clients fail closed.
pub(super) async fn gate(
    s: &AppState,
    tx: &mut Tx,
    req: &AuthRequest,
    session: &SessionRow,
    ctx: Option<&BranchContext>,
) -> Result<Option<String>, OAuthError> {
    let client = s
        .clients
        .get(&s.db.read, &req.client_id)
        .await?
        .ok_or_else(|| OAuthError::invalid_request("the client is no longer registered"))?;
    if !client.policy.third_party {
        return Ok(None);
    }
    let granted = consents::granted(&mut *tx, &session.user_id, &req.client_id)
        .await?
        .unwrap_or_default();
    if !req.consent.prompt && req.scope.iter().all(|s| granted.contains(s)) {
        return Ok(None);
    }
    if req.consent.none {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "consent_required",
            "the user has not approved this application's access",
        ));
    }
    let mut parked = req.clone();
    parked.consent.pending = Some(PendingConsent {
        user_id: session.user_id.clone(),
        session_id: session.id.clone(),
        org: ctx.map(|c| c.org.clone()),
        branch: ctx.map(|c| c.branch.clone()),
    });
    let now = now();
    let row = InteractionRow {
        id: random_token(24),
        csrf_token: random_token(24),
        client_id: req.client_id.clone(),
        request: serde_json::to_string(&parked).map_err(|_| OAuthError::server_error())?,
        expires_at: now + INTERACTION_TTL,
    };
    sessions::insert_interaction(tx, &row, now).await?;
    Ok(Some(format!("{PAGE}?interaction={}", row.id)))
}

/// The interaction a sign-in was parked on, when `location` (where `issue_code_in` sent
/// it) is the consent page.
pub fn parked(location: &str) -> Option<&str> {
    location.strip_prefix(PAGE)?.strip_prefix("?interaction=")
}

/// The interaction cookie for the last step of a sign-in going to `location`: bound to
/// the consent step's interaction when the sign-in was parked, else ended (its request is
/// spent).
pub fn next_interaction_cookie(s: &AppState, location: &str) -> String {
    let (id, max_age) = parked(location).map_or(("", 0), |id| (id, INTERACTION_TTL));
    set_cookie(
        interaction_cookie(s.secure_cookies),
        id,
        max_age,
        s.secure_cookies,
    )
}

/// The answer of `/oauth/authorize` going to `location`: a 303, binding the consent step's
/// interaction to this browser when the sign-in was parked.
pub(super) fn redirect(s: &AppState, location: &str) -> Response {
    match parked(location) {
        Some(id) => to_interaction(s, location, id),
        None => super::see_other(location, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_consent_page_is_a_parked_location() {
        assert_eq!(parked("/consent?interaction=abc"), Some("abc"));
        assert_eq!(parked("https://app.example/cb?code=x"), None);
        assert_eq!(parked("/consentx?interaction=abc"), None);
        assert_eq!(parked("/login/branch?interaction=abc"), None);
    }

    #[test]
    fn prompt_values_set_the_step() {
        let step = ConsentStep::asked(&["login", "consent"]);
        assert!(step.prompt && !step.none);
        let step = ConsentStep::asked(&["none"]);
        assert!(!step.prompt && step.none);
    }
}
