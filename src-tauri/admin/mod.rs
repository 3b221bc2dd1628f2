//! The `/v1` admin API: bearer token with scope `admin`, JSON in and out, errors in the
//! `{"error": {"code", "message", "type"}}` envelope.

mod audit_events;
mod backup;
mod businesses;
mod clients;
mod dynamic_clients;
mod email_outbox;
mod fresh;
pub(crate) mod idempotency;
mod input;
mod keys;
mod openapi;
mod products;
mod registration_tokens;
mod settings;
mod stats;
mod throttles;
mod users;

pub use fresh::{check_fresh_superadmin, FreshSuperAdmin};
pub use users::{validate_email, validate_password};

use crate::domain::claims::AccessClaims;
use crate::domain::scope;
use crate::error::ApiError;
use crate::oauth::bearer::{active_access_token, presented, request_token, Inactive, Presentation};
use crate::oauth::console;
use crate::oauth::dpop::DpopError;
use crate::state::{AppState, Shared};
use crate::store::clients::AdminApiAccess;
use crate::store::users::find_user;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::Router;
use serde::de::DeserializeOwned;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

/// The `/v1` router (server.rs nests it at `/v1` and layers the idempotency middleware on
/// its routes). Every route comes from [`api`]: each resource's `routes()` registers its
/// handlers with `routes!`, at the path of their `#[utoipa::path]`, so the router and
/// `/v1/openapi.json` are one list and cannot drift.
pub fn routes() -> Router<Shared> {
    let (router, _) = api().split_for_parts();
    router
        .fallback(|| async { ApiError::not_found("endpoint") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this method is not allowed here",
            )
        })
}

/// Every `/v1` operation and its documentation; paths are relative to `/v1` (the
/// document puts them under it, see [`openapi::document`]).
fn api() -> OpenApiRouter<Shared> {
    OpenApiRouter::default()
        .merge(users::routes())
        .merge(products::routes())
        .merge(keys::routes())
        .merge(audit_events::routes())
        .merge(businesses::routes())
        .merge(settings::routes())
        .merge(email_outbox::routes())
        .merge(stats::routes())
        .merge(backup::routes())
        .merge(throttles::routes())
        .merge(clients::routes())
        .merge(registration_tokens::routes())
        .merge(dynamic_clients::routes())
        .merge(openapi::routes())
}

/// Routes documented operations at `axum_path` instead of their documented paths. The one
/// exception to "routed where documented", for a path axum cannot express: the
/// documented `/keys/{kid}` (GET) and `/keys/{kid}:retire` (POST) would need a parameter
/// with a suffix, so `/keys/{kid_action}` serves both and the handler checks the suffix
/// (any other is 404 `endpoint not found`); `/dynamic-clients/{client_action}` likewise.
/// The document keeps the documented paths; keys.rs and dynamic_clients.rs test that they
/// are all served by `axum_path`, and tests/openapi.rs calls each.
fn routes_at(
    router: OpenApiRouter<Shared>,
    axum_path: &str,
    (schemas, paths, method_router): UtoipaMethodRouter<Shared>,
) -> OpenApiRouter<Shared> {
    let mut router = router.route(axum_path, method_router);
    document(&mut router, schemas, paths);
    router
}

/// Adds documented operations that are served by another operation's route (their method
/// router is dropped): `POST /dynamic-clients/{client_id}:enable` goes where `:disable`
/// does (see [`routes_at`]), one POST handler per axum route.
fn documented_at(
    mut router: OpenApiRouter<Shared>,
    (schemas, paths, _served_elsewhere): UtoipaMethodRouter<Shared>,
) -> OpenApiRouter<Shared> {
    document(&mut router, schemas, paths);
    router
}

/// Adds operations and their schemas to the router's document.
fn document(
    router: &mut OpenApiRouter<Shared>,
    schemas: Vec<(
        String,
        utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
    )>,
    paths: utoipa::openapi::path::Paths,
) {
    let doc = router.get_openapi_mut();
    doc.paths.merge(paths);
    doc.components
        .get_or_insert_with(Default::default)
        .schemas
        .extend(schemas);
}

/// The authenticated admin: an admin client, or a super-admin user, holding scope `admin`.
pub struct Admin {
    pub claims: AccessClaims,
}

impl Admin {
    /// Who to name as the actor of an audit event.
    pub fn actor(&self) -> &str {
        &self.claims.sub
    }
}

impl FromRequestParts<Shared> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Shared,
    ) -> Result<Self, Self::Rejection> {
        let claims = admin_request(state, parts).await?;
        Ok(Admin { claims })
    }
}

/// The admin token a request presents (`Bearer`, or `DPoP` with its proof for this
/// request), checked as [`check_admin_token`] checks one.
pub async fn admin_request(state: &AppState, parts: &Parts) -> Result<AccessClaims, ApiError> {
    let (scheme, token) = presented(&parts.headers)
        .ok_or_else(|| ApiError::unauthenticated("a Bearer (or DPoP) access token is required"))?;
    let claims = request_token(state, token, &Presentation::of(parts, scheme))
        .await
        .map_err(inactive)?;
    admin_only(state, claims).await
}

fn inactive(e: Inactive) -> ApiError {
    match e {
        Inactive::Db(e) => e.into(),
        Inactive::Dpop(e) => e.at_api(),
        e => ApiError::unauthenticated(e.to_string()),
    }
}

/// Checks an admin access token completely: active (signature, expiry, revocation, client,
/// user), scope `admin`, and held by an admin client or by an active super-admin signed in
/// through the console. 401 when the token is not active, 403 when it is not an admin's.
/// A token alone proves nothing of a DPoP key, so a DPoP-bound one is refused here.
pub async fn check_admin_token(state: &AppState, token: &str) -> Result<AccessClaims, ApiError> {
    let claims = recheck_admin_token(state, token).await?;
    if claims.cnf.is_some() {
        let refusal = DpopError::token("this token is DPoP-bound: it needs a DPoP proof");
        return Err(refusal.at_api());
    }
    Ok(claims)
}

/// [`check_admin_token`] for a token its request already proved (the audit stream's
/// periodic re-check), DPoP-bound or not.
pub(crate) async fn recheck_admin_token(
    state: &AppState,
    token: &str,
) -> Result<AccessClaims, ApiError> {
    let claims = active_access_token(state, token).await.map_err(inactive)?;
    admin_only(state, claims).await
}

/// Scope `admin`, held by an admin client or an active super-admin (403 otherwise).
async fn admin_only(state: &AppState, claims: AccessClaims) -> Result<AccessClaims, ApiError> {
    let forbidden = |m: &str| ApiError::new(StatusCode::FORBIDDEN, "insufficient_scope", m);
    if !scope::has(&claims.scopes(), "admin") {
        return Err(forbidden("the token lacks the admin scope"));
    }
    // The same cached row `active_access_token` just checked (any change to a client
    // clears the cache), not a second query on every admin request.
    let client = state.clients.get(&state.db.read, &claims.client_id).await?;
    let allowed = match client.map(|c| c.policy.admin_api) {
        Some(AdminApiAccess::ClientTokens) => claims.sub == claims.client_id,
        Some(AdminApiAccess::SuperAdminUsers) => {
            claims.sub != claims.client_id
                && find_user(&state.db.read, &claims.sub)
                    .await?
                    .is_some_and(|u| console::may_sign_in(&u))
        }
        _ => false,
    };
    if !allowed {
        return Err(forbidden(
            "only admin clients and super-admins may use the admin API",
        ));
    }
    Ok(claims)
}

/// A JSON body: 415 unless `application/json`, 413 when too large, 400 when not JSON,
/// 422 when the JSON does not fit the expected shape.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            });
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the body must be application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "the request body is larger than 64 KiB",
                )
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_body",
                    "the request body could not be read",
                )
            }
        })?;
        serde_json::from_slice(&bytes).map(ApiJson).map_err(|e| {
            use serde_json::error::Category;
            match e.classify() {
                Category::Data => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    format!("the body does not have the expected shape: {e}"),
                ),
                _ => ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_json",
                    format!("the body is not valid JSON: {e}"),
                ),
            }
        })
    }
}

/// Trims a display name and checks its length.
pub fn clean_name(field: &str, raw: &str) -> Result<String, ApiError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(ApiError::invalid_field(field, "must not be empty"));
    }
    if name.chars().count() > 200 {
        return Err(ApiError::invalid_field(
            field,
            "must be at most 200 characters",
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(ApiError::invalid_field(
            field,
            "must not contain control characters",
        ));
    }
    Ok(name.to_string())
}
