//! axum integration: the [`Caller`] extractor and the [`require_scope`] layer, both
//! answering RFC 6750 errors (`401 invalid_token`, `403 insufficient_scope`), and RFC
//! 9470's `401 insufficient_user_authentication` when a second factor is required
//! ([`Caller::require_aal2`], [`RequireScopeLayer::and_aal2`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::{InsufficientAuthentication, TokenRejection};
use crate::verifier::{Caller, Verifier};

/// Why a request was refused; answers with the matching status and `WWW-Authenticate`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthRejection {
    /// 401 `Bearer error="invalid_token"`: missing, malformed, expired, ... token.
    InvalidToken(TokenRejection),
    /// 403 `Bearer error="insufficient_scope", scope="..."`.
    InsufficientScope(String),
    /// 401 `Bearer error="insufficient_user_authentication", acr_values="aal2"` (RFC
    /// 9470): a valid token from a sign-in weaker than the resource requires; the client
    /// signs the user in again with `acr_values=aal2` (step-up).
    InsufficientUserAuthentication(InsufficientAuthentication),
    /// 500: no [`Verifier`] reachable from the request (a wiring mistake).
    NoVerifier,
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        let (status, challenge, error, description) = match &self {
            AuthRejection::InvalidToken(why @ TokenRejection::Dpop(_)) => (
                StatusCode::UNAUTHORIZED,
                r#"DPoP error="invalid_dpop_proof", algs="ES256 ES384 EdDSA PS256 RS256""#
                    .to_string(),
                "invalid_dpop_proof",
                why.to_string(),
            ),
            AuthRejection::InvalidToken(why) => (
                StatusCode::UNAUTHORIZED,
                r#"Bearer error="invalid_token""#.to_string(),
                "invalid_token",
                why.to_string(),
            ),
            AuthRejection::InsufficientScope(scope) => (
                StatusCode::FORBIDDEN,
                // Scope tokens never contain `"` or `\` (RFC 6749 §3.3), so no escaping.
                format!(r#"Bearer error="insufficient_scope", scope="{scope}""#),
                "insufficient_scope",
                format!("the token lacks the scope {scope}"),
            ),
            AuthRejection::InsufficientUserAuthentication(why) => (
                StatusCode::UNAUTHORIZED,
                // `required` is one of our own level names (`aal2`): no quote to escape.
                format!(
                    r#"Bearer error="insufficient_user_authentication", error_description="A second factor is required", acr_values="{}""#,
                    why.required
                ),
                "insufficient_user_authentication",
                why.to_string(),
            ),
            AuthRejection::NoVerifier => {
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "no token verifier configured",
                )
                    .into_response()
            }
        };
        let body = serde_json::json!({"error": error, "error_description": description});
        let mut resp = (status, body.to_string()).into_response();
        let headers = resp.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            headers.insert(WWW_AUTHENTICATE, v);
        }
        resp
    }
}

impl Caller {
    /// `Ok` when the token grants `scope`, else the 403 `insufficient_scope` rejection:
    /// `caller.require_scope("orders:write")?;` in a handler.
    pub fn require_scope(&self, scope: &str) -> Result<(), AuthRejection> {
        if self.has_scope(scope) {
            Ok(())
        } else {
            Err(AuthRejection::InsufficientScope(scope.to_string()))
        }
    }
}

impl From<InsufficientAuthentication> for AuthRejection {
    fn from(why: InsufficientAuthentication) -> Self {
        AuthRejection::InsufficientUserAuthentication(why)
    }
}

async fn authenticate(parts: &Parts, verifier: &Verifier) -> Result<Caller, AuthRejection> {
    if let Some(caller) = parts.extensions.get::<Caller>() {
        return Ok(caller.clone());
    }
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let Some(token) = header.and_then(crate::verifier::dpop_token) else {
        return verifier
            .verify_authorization(header)
            .await
            .map_err(AuthRejection::InvalidToken);
    };
    let mut proofs = parts.headers.get_all("dpop").iter();
    let proof = match (proofs.next(), proofs.next()) {
        (Some(p), None) => p.to_str().ok(),
        _ => None,
    };
    verifier
        .verify_dpop(token, proof, parts.method.as_str(), &request_url(parts))
        .await
        .map_err(AuthRejection::InvalidToken)
}

/// The URL the client called, for a DPoP proof's `htu`: the `Host` header and the path,
/// `http` for a loopback host and `https` otherwise (a service behind a proxy that
/// rewrites the path or the host checks proofs with [`Verifier::verify_dpop`] instead).
fn request_url(parts: &Parts) -> String {
    let host = parts
        .headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
    let loopback = matches!(name, "localhost" | "127.0.0.1" | "[::1]");
    let scheme = if loopback { "http" } else { "https" };
    format!("{scheme}://{host}{}", parts.uri.path())
}

/// Extracts the verified caller. The [`Verifier`] comes from the router state
/// (`Verifier: FromRef<S>`, e.g. `#[derive(FromRef)]` on your state); a caller already
/// verified by [`require_scope`] is reused.
impl<S> FromRequestParts<S> for Caller
where
    Verifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = Verifier::from_ref(state);
        authenticate(parts, &verifier).await
    }
}

/// A layer refusing requests whose token lacks `scope` (401 without a valid token, 403
/// without the scope). It verifies with the [`Verifier`] found in the request
/// extensions (add `axum::Extension(verifier)` outside it) unless a [`Caller`] is already
/// there; [`Verifier::require_scope`] builds one carrying its own verifier. The verified
/// [`Caller`] is stored in the request extensions for the handler's extractor.
///
/// ```no_run
/// # use axum::{routing::post, Router};
/// # fn app(verifier: tessera_sdk::Verifier) -> Router {
/// async fn create_order(caller: tessera_sdk::Caller) -> String { caller.subject }
/// Router::new()
///     .route("/orders", post(create_order))
///     .route_layer(verifier.require_scope("orders:write"))
///     .with_state(verifier)
/// # }
/// ```
pub fn require_scope(scope: &str) -> RequireScopeLayer {
    RequireScopeLayer {
        scope: Arc::from(scope),
        verifier: None,
        aal2: false,
    }
}

impl Verifier {
    /// A [`require_scope`] layer that verifies tokens with this verifier.
    pub fn require_scope(&self, scope: &str) -> RequireScopeLayer {
        RequireScopeLayer {
            scope: Arc::from(scope),
            verifier: Some(self.clone()),
            aal2: false,
        }
    }
}

/// The layer returned by [`require_scope`].
#[derive(Clone, Debug)]
pub struct RequireScopeLayer {
    scope: Arc<str>,
    verifier: Option<Verifier>,
    aal2: bool,
}

impl RequireScopeLayer {
    /// Also refuse tokens from a one-factor sign-in ([`Caller::require_aal2`]): 401
    /// `insufficient_user_authentication` with `acr_values="aal2"`, checked after the scope.
    ///
    /// ```no_run
    /// # use axum::{routing::post, Router};
    /// # fn app(verifier: tessera_sdk::Verifier) -> Router {
    /// async fn pay(caller: tessera_sdk::Caller) -> String { caller.subject }
    /// Router::new()
    ///     .route("/payments", post(pay))
    ///     .route_layer(verifier.require_scope("payments:write").and_aal2())
    ///     .with_state(verifier)
    /// # }
    /// ```
    pub fn and_aal2(mut self) -> Self {
        self.aal2 = true;
        self
    }
}

impl<S> tower_layer::Layer<S> for RequireScopeLayer {
    type Service = RequireScope<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireScope {
            inner,
            scope: self.scope.clone(),
            verifier: self.verifier.clone(),
            aal2: self.aal2,
        }
    }
}

/// The service [`RequireScopeLayer`] wraps around a route.
#[derive(Clone, Debug)]
pub struct RequireScope<S> {
    inner: S,
    scope: Arc<str>,
    verifier: Option<Verifier>,
    aal2: bool,
}

impl<S> tower_service::Service<Request<Body>> for RequireScope<S>
where
    S: tower_service::Service<Request<Body>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        // Keep the service that was polled ready; leave a fresh clone behind.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let scope = self.scope.clone();
        let verifier = self.verifier.clone();
        let aal2 = self.aal2;
        Box::pin(async move {
            let (mut parts, body) = req.into_parts();
            let verifier = verifier.or_else(|| parts.extensions.get::<Verifier>().cloned());
            let caller = match (parts.extensions.get::<Caller>(), verifier) {
                (Some(caller), _) => Ok(caller.clone()),
                (None, Some(verifier)) => authenticate(&parts, &verifier).await,
                (None, None) => Err(AuthRejection::NoVerifier),
            };
            let checked = caller.and_then(|c| {
                c.require_scope(&scope)?;
                if aal2 {
                    c.require_aal2()?;
                }
                Ok(c)
            });
            let caller = match checked {
                Ok(caller) => caller,
                Err(rejection) => return Ok(rejection.into_response()),
            };
            parts.extensions.insert(caller);
            inner.call(Request::from_parts(parts, body)).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn answer(rejection: AuthRejection) -> (StatusCode, String, serde_json::Value) {
        let resp = rejection.into_response();
        let challenge = resp.headers()[WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .to_string();
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, challenge, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn insufficient_user_authentication_is_rfc_9470s_401() {
        let why = InsufficientAuthentication {
            required: "aal2".into(),
            reached: Some("aal1".into()),
        };
        let (status, challenge, body) = answer(why.into()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            challenge,
            r#"Bearer error="insufficient_user_authentication", error_description="A second factor is required", acr_values="aal2""#
        );
        assert_eq!(body["error"], "insufficient_user_authentication");
        let description = body["error_description"].as_str().unwrap();
        assert!(
            description.contains("aal2") && description.contains("aal1"),
            "{description}"
        );
    }

    #[tokio::test]
    async fn scope_and_token_refusals_keep_their_rfc_6750_answers() {
        let (status, challenge, _) = answer(AuthRejection::InsufficientScope("a:b".into())).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(
            challenge,
            r#"Bearer error="insufficient_scope", scope="a:b""#
        );
        let (status, challenge, _) =
            answer(AuthRejection::InvalidToken(TokenRejection::Expired)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(challenge, r#"Bearer error="invalid_token""#);
    }
}
