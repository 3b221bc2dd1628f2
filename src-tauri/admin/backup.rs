//! `POST /v1/backup`: a `.tar.gz` of the data dir (see `crate::backup`), as a download.

use super::idempotency::ShowsSecret;
use super::Admin;
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::Shared;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

/// The downloaded archive (binary).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct Archive(Vec<u8>);

pub fn routes() -> Router<Shared> {
    Router::new().route("/backup", post(create))
}

#[utoipa::path(
    post, path = "/v1/backup", tag = "backup",
    operation_id = "backup_create",
    responses((status = 200, description = "A tar.gz of a consistent snapshot of the data \
        dir: `tessera.db`, `master.key` and `settings.json` when present. It holds the key \
        that decrypts the signing keys: keep it safe.", content_type = "application/gzip",
        body = Archive))
)]
pub async fn create(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
) -> Result<Response, ApiError> {
    let (name, bytes) = crate::backup::create_as(&s, admin.actor(), &meta).await?;
    let disposition = format!("attachment; filename=\"{name}\"");
    let mut res = (
        [
            (header::CONTENT_TYPE, "application/gzip".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response();
    // It holds master.key: an Idempotency-Key never stores it for a replay.
    res.extensions_mut().insert(ShowsSecret);
    Ok(res)
}
