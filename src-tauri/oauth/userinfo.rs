//! `/oauth/userinfo` (OIDC Core §5.3): claims of the access token's subject, by scope,
//! plus `org`, `branch` and `groups` when the token has an active branch.

use super::bearer::{presented, request_token, Inactive, Presentation};
use crate::domain::claims::{ReleasedClaims, UserClaims};
use crate::domain::{branch, scope};
use crate::error::OAuthError;
use crate::state::Shared;
use crate::store::{businesses, users};
use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

pub async fn userinfo(
    State(s): State<Shared>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    let Some((scheme, token)) = presented(&headers) else {
        let mut e = OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_request",
            "a Bearer or DPoP access token is required",
        );
        e.www_authenticate = Some(
            format!(
                "Bearer realm=\"tessera\", DPoP algs=\"{}\"",
                super::dpop::ALGS.join(" ")
            )
            .into(),
        );
        return e.into_response();
    };
    let request = Presentation {
        scheme,
        method: method.as_str(),
        path: uri.path(),
        headers: &headers,
    };
    let claims = match request_token(&s, token, &request).await {
        Ok(c) => c,
        Err(Inactive::Db(e)) => return OAuthError::from(e).into_response(),
        Err(Inactive::Dpop(e)) => return e.at_oauth_resource().into_response(),
        Err(e) => return OAuthError::invalid_token(e.to_string()).into_response(),
    };
    let scopes = claims.scopes();
    if !scope::has(&scopes, "openid") {
        let mut e = OAuthError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "the token lacks the openid scope",
        );
        e.www_authenticate =
            Some("Bearer realm=\"tessera\", error=\"insufficient_scope\", scope=\"openid\"".into());
        return e.into_response();
    }
    let user = match users::find_user(&s.db.read, &claims.sub).await {
        Ok(Some(u)) => u,
        Ok(None) => return OAuthError::invalid_token("the user no longer exists").into_response(),
        Err(e) => return OAuthError::from(e).into_response(),
    };
    let mut body =
        serde_json::to_value(UserClaims::for_scopes(&user, &scopes)).unwrap_or_else(|_| json!({}));
    body["sub"] = json!(user.id);
    if let (Some(org), Some(branch_id)) = (&claims.org, &claims.branch) {
        body["org"] = json!(org);
        body["branch"] = json!(branch_id);
        let grants = match businesses::user_branch_grants(&s.db.read, &user.id).await {
            Ok(g) => g,
            Err(e) => return OAuthError::from(e).into_response(),
        };
        if let Some(ctx) = branch::context(&grants, branch_id).filter(|c| !c.groups.is_empty()) {
            body["groups"] = json!(ctx.groups);
        }
    }
    ([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}
