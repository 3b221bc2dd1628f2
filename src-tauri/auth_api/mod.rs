//! `/v1/auth/*`: the first-party auth API (PRODUCT.md "First-party auth API"). A
//! product's own backend or app posts JSON with its web client's `client_id` and gets the
//! same JWTs as `/oauth/token` issues for that client, minted by the same code
//! (`oauth::token::issuance::commit`), in the body (bearer mode) or as HttpOnly cookies
//! (cookie mode, writes checked against the product's origins: `origin`). Errors use the
//! `/v1` envelope; every answer is audited (successes by their handlers, refusals by
//! [`audit_refusals`]). Mounted outside the admin API's idempotency store: no answer that
//! carries a token is ever kept for replay.
//!
//! One file per concept: `register` (the account-creating core the hosted sign-up page
//! shares), `login` (password, then tokens or an `mfa_token`), `mfa` (the second factor),
//! `sign_in` (session + tokens for a verified user), `refresh`, `logout`, `sessions`
//! (the caller's own), `caller` (who calls: bearer or `tessera_at` cookie), `answer`
//! (tokens as body or cookies), `origin`, `recovery` (password forgot/reset, email
//! verification: the `selfservice` flows).

mod answer;
mod caller;
mod login;
mod logout;
mod mfa;
pub(crate) mod origin;
mod recovery;
mod refresh;
pub mod register;
mod sessions;
mod sign_in;

use crate::audit::Event;
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::clients::{Client, ClientKind};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::json;
use std::sync::Arc;
use tessera_proto::auth::AuthUser;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The `grant_type` the audit log and the metrics name for tokens minted here.
pub const GRANT: &str = "first_party";
/// Audit type of every refused `/v1/auth` call (with the path, status and error code).
pub const AUTH_REFUSED: &str = "auth.refused";

/// Every `/v1/auth` operation, paths relative to `/v1` (as the admin API's).
pub fn api() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(register::register))
        .routes(routes!(login::login))
        .routes(routes!(mfa::verify))
        .routes(routes!(refresh::refresh))
        .routes(routes!(logout::logout))
        .routes(routes!(sessions::session))
        .routes(routes!(sessions::list))
        .routes(routes!(sessions::end))
        .routes(routes!(recovery::forgot))
        .routes(routes!(recovery::reset))
        .routes(routes!(recovery::verify_email))
}

/// The router server.rs merges into `/v1` (after the idempotency layer, so it is not
/// under it), with refusals audited.
pub fn routes(state: Shared) -> Router<Shared> {
    let (router, _) = api().split_for_parts();
    let cors = crate::cors::for_clients(&state);
    router
        .route_layer(axum::middleware::from_fn_with_state(state, audit_refusals))
        // Outside the audit: a preflight is answered here and is no refusal.
        .layer(cors)
}

/// Appends `auth.refused` for every 4xx/5xx answer of a `/v1/auth` call: its path, status
/// and envelope code (never a token, code or password: bodies of refusals hold none).
async fn audit_refusals(State(s): State<Shared>, req: Request, next: Next) -> Response {
    let path = req.uri().path().chars().take(200).collect::<String>();
    let (mut parts, body) = req.into_parts();
    let meta = RequestMeta::from_request_parts(&mut parts, &s)
        .await
        .unwrap_or_default();
    let res = next.run(Request::from_parts(parts, body)).await;
    if res.status().is_success() {
        return res;
    }
    let code = res.extensions().get::<RefusalCode>().map_or("", |c| c.0);
    let event = Event::failure(AUTH_REFUSED).meta(&meta).detail(json!({
        "path": path,
        "status": res.status().as_u16(),
        "code": code,
    }));
    if s.audit.append(event).await.is_err() {
        tracing::error!("cannot record a refused auth API call");
    }
    res
}

/// The envelope code of a refusal, for [`audit_refusals`].
#[derive(Clone, Copy)]
struct RefusalCode(&'static str);

/// An [`ApiError`] answered with its code remembered for the audit.
pub struct Refusal(pub ApiError);

impl From<ApiError> for Refusal {
    fn from(e: ApiError) -> Self {
        Refusal(e)
    }
}

impl From<crate::store::StoreError> for Refusal {
    fn from(e: crate::store::StoreError) -> Self {
        Refusal(e.into())
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let code = self.0.code;
        let mut res = self.0.into_response();
        res.extensions_mut().insert(RefusalCode(code));
        res.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
        res
    }
}

/// The answer type of the handlers.
pub type Answer<T> = Result<T, Refusal>;

pub fn refuse(status: StatusCode, code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal(ApiError::new(status, code, message))
}

/// 401 `invalid_credentials`: a wrong email or password, an unknown or suspended account
/// (the same answer for each, so nothing can be probed).
pub fn invalid_credentials() -> Refusal {
    refuse(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "wrong email or password",
    )
}

/// 429 `rate_limited` with `Retry-After`.
pub fn rate_limited(retry_after: i64) -> Refusal {
    let mut e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!(
            "too many attempts: try again in {} seconds",
            retry_after.max(1)
        ),
    );
    e.retry_after = Some(retry_after.clamp(1, i64::from(u16::MAX)) as u16);
    Refusal(e)
}

/// Whether the auth API serves `client`: a product's web client (not the console, the
/// account page, a server or admin client).
pub fn serves(client: &Client) -> bool {
    client.kind == ClientKind::Web && client.product_id.is_some()
}

/// The product web client named by a request body, or 400 `invalid_client`.
pub async fn product_client(s: &Shared, client_id: &str) -> Answer<Arc<Client>> {
    let client = s
        .clients
        .get(&s.db.read, client_id.get(..200).unwrap_or(client_id))
        .await?;
    client.filter(|c| serves(c)).ok_or_else(|| {
        refuse(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "client_id is not the web client of a product",
        )
    })
}

/// [`product_client`], for an endpoint that issues tokens: only a public client whose
/// tokens need no DPoP key. A confidential client must authenticate, and a DPoP-bound
/// one prove its key, at `/oauth/token` (RFC 6749 §4.3.2 and §6; RFC 9449), which this
/// API does not ask for; so they sign in through `/oauth/authorize`.
pub async fn token_client(s: &Shared, client_id: &str) -> Answer<Arc<Client>> {
    let client = product_client(s, client_id).await?;
    if client.is_confidential() || client.app.dpop_bound {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "this client authenticates itself (or binds its tokens with DPoP) at /oauth/token: \
             it signs in through /oauth/authorize, not the auth API",
        ));
    }
    Ok(client)
}

/// The user as the auth API shows it.
pub fn auth_user(u: &crate::store::users::UserRow) -> AuthUser {
    AuthUser {
        id: u.id.clone(),
        email: u.email.clone(),
        name: u.name.clone(),
        email_verified: u.email_verified,
    }
}
