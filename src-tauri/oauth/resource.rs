//! RFC 8707 resource indicators: a `resource` (or a token exchange's `audience`) names the
//! API a token is for; it must be a product's registered `audience` or one of its
//! `resources`, and becomes the access token's `aud`. Anything else is `invalid_target`.

use crate::error::OAuthError;
use crate::oauth::issue;
use crate::oauth::params::Params;
use crate::state::AppState;
use crate::store::clients::{self, AudienceRule, Client};
use axum::http::StatusCode;

/// At most this many resources per product.
pub const MAX_RESOURCES: usize = 20;
/// The longest resource URI accepted.
const MAX_LEN: usize = 2000;

/// RFC 8707 §2's error: the target is unknown, malformed or not allowed here.
pub fn invalid_target(description: impl Into<String>) -> OAuthError {
    OAuthError::new(StatusCode::BAD_REQUEST, "invalid_target", description)
}

/// Why `uri` cannot be a resource indicator (RFC 8707 §2: an absolute URI without a
/// fragment), if it cannot.
pub fn syntax_problem(uri: &str) -> Option<String> {
    if uri.len() > MAX_LEN {
        return Some(format!("is longer than {MAX_LEN} characters"));
    }
    match url::Url::parse(uri) {
        Err(e) => Some(format!("is not an absolute URI ({e})")),
        Ok(_) if uri.contains('#') => Some("must not contain a fragment".into()),
        Ok(_) => None,
    }
}

/// The request's `resource` parameter, checked for shape (one value: repeats are refused
/// by [`Params`]); `invalid_target` when it is no absolute URI, or when `client`'s tokens
/// are for the admin API (the console, admin clients): an `admin` token never goes
/// elsewhere.
pub fn param<'a>(params: &'a Params, client: &Client) -> Result<Option<&'a str>, OAuthError> {
    let Some(uri) = params.get("resource") else {
        return Ok(None);
    };
    if client.policy.audience != AudienceRule::Product {
        return Err(invalid_target(
            "this client's tokens are for the admin API only: no resource",
        ));
    }
    match syntax_problem(uri) {
        Some(why) => Err(invalid_target(format!("resource {why}"))),
        None => Ok(Some(uri)),
    }
}

/// `invalid_target` unless some product serves `target` (its audience or a resource).
pub async fn require_registered(state: &AppState, target: &str) -> Result<(), OAuthError> {
    if clients::target_registered(&state.db.read, target).await? {
        return Ok(());
    }
    Err(invalid_target(format!(
        "{} is not a resource or audience registered here",
        target.chars().take(200).collect::<String>()
    )))
}

/// `invalid_target` unless `client` may have tokens for `target`: a third-party
/// (registered) client any product's API, which its user approves on the consent page;
/// a product's own client only its product's audience or resources: another product's
/// API is not its to reach. (Token exchange, where an agent reaches another API for a
/// user on purpose, checks [`require_registered`] alone.)
pub async fn require_for(
    state: &AppState,
    client: &Client,
    target: &str,
) -> Result<(), OAuthError> {
    if client.policy.third_party {
        return require_registered(state, target).await;
    }
    if client.audience.as_deref() == Some(target) || client.resources.iter().any(|r| r == target) {
        return Ok(());
    }
    require_registered(state, target).await?;
    Err(invalid_target(format!(
        "{} is another product's API: this client's tokens are for its own product",
        target.chars().take(200).collect::<String>()
    )))
}

/// The `aud` of tokens redeemed from a code or refreshed in a family that stored
/// `stored`, when the token request names `requested`: the stored resource stays (a
/// different one is `invalid_target`); without one, the request's resource, one `client`
/// may have ([`require_for`]), when `may_choose` (a code), else only the client's own
/// audience ([`issue::audience`]).
pub async fn redeemed(
    state: &AppState,
    client: &Client,
    stored: Option<&str>,
    requested: Option<&str>,
    may_choose: bool,
) -> Result<Option<String>, OAuthError> {
    match (stored, requested) {
        (Some(s), None) => Ok(Some(s.to_string())),
        (Some(s), Some(r)) if s == r => Ok(Some(s.to_string())),
        (Some(_), Some(_)) => Err(invalid_target(
            "resource differs from the one this grant was issued for",
        )),
        (None, None) => Ok(None),
        (None, Some(r)) if r == issue::audience(state, client) => Ok(None),
        (None, Some(r)) if may_choose => {
            require_for(state, client, r).await?;
            Ok(Some(r.to_string()))
        }
        (None, Some(_)) => Err(invalid_target(
            "resource differs from the one this grant was issued for",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_are_absolute_uris_without_fragment() {
        assert_eq!(syntax_problem("https://api.example/mcp"), None);
        assert_eq!(syntax_problem("urn:example:api"), None);
        assert!(syntax_problem("api.example").is_some());
        assert!(syntax_problem("/relative").is_some());
        assert!(syntax_problem("https://api.example/#x").is_some());
        assert!(syntax_problem(&format!("https://a.example/{}", "x".repeat(MAX_LEN))).is_some());
    }
}
