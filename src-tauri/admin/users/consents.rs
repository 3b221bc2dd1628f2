//! A user's remembered consents for third-party (dynamically registered) clients: list
//! them, remove one (which revokes what that client holds for the user, as on the
//! account page).

use super::require_user;
use crate::admin::Admin;
use crate::audit::Event;
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::oauth::authorize::consent::CONSENT_REVOKED;
use crate::state::Shared;
use crate::store::consents::{self, ConsentRow};
use crate::store::now;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::json;
use tessera_proto::consents::{Consent, ConsentList};

/// The wire shape of a consent.
fn consent(r: &ConsentRow) -> Consent {
    Consent {
        client_id: r.client_id.clone(),
        client_name: r.client_name(),
        scopes: r.scopes(),
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

#[utoipa::path(
    get, path = "/users/{id}/consents", tag = "users",
    operation_id = "users_list_consents",
    params(("id" = String, Path, description = "The resource id")),
    responses((status = 200, description = "The apps the user allowed, most recently approved first", body = ConsentList))
)]
pub async fn list_consents(
    State(s): State<Shared>,
    _admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<ConsentList>, ApiError> {
    require_user(&s, &id).await?;
    let rows = consents::list(&s.db.read, &id).await?;
    Ok(Json(ConsentList {
        consents: rows.iter().map(consent).collect(),
    }))
}

/// Forgets the user's consent for the client and revokes the user's refresh families,
/// access tokens and unspent codes of that client; its next sign-in asks again.
#[utoipa::path(
    delete, path = "/users/{id}/consents/{client_id}", tag = "users",
    operation_id = "users_revoke_consent",
    params(("id" = String, Path, description = "The resource id"), ("client_id" = String, Path, description = "The client the user allowed")),
    responses((status = 204, description = "The consent is removed and the client's tokens for the user revoked"))
)]
pub async fn revoke_consent(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path((id, client_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let mut tx = s.db.begin().await?;
    let Some(removed) = consents::remove(&mut tx, &id, &client_id, now()).await? else {
        return Err(ApiError::not_found("consent"));
    };
    Event::success(CONSENT_REVOKED)
        .meta(&meta)
        .actor(admin.actor())
        .subject(&id)
        .client(&client_id)
        .detail(json!({"by": "admin", "families_revoked": removed.families_revoked}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
