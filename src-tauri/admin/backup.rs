//! `POST /v1/backup`: an encrypted backup of the data dir (see `crate::backup`), as a
//! download, for a super-admin who signed in within the last 10 minutes only.

use super::idempotency::ShowsSecret;
use super::{ApiJson, FreshSuperAdmin};
use crate::backup::check_passphrase;
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::Shared;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use tessera_proto::backup::{Archive, BackupRequest};
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new().routes(routes!(create))
}

#[utoipa::path(
    post, path = "/backup", tag = "backup",
    operation_id = "backup_create",
    request_body(content = BackupRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The data dir (`tessera.db` as a consistent snapshot, \
            `master.key`, and `settings.json` when present) as a tar.gz encrypted with the \
            passphrase in the age format (scrypt recipient): \
            `tessera-backup-YYYYMMDD-HHMMSS.tar.gz.age`. Open it with `tessera restore FILE` \
            (or `age -d`). It holds the key that decrypts the signing keys: keep it safe.",
            content_type = "application/octet-stream", body = Archive),
        (status = 403, description = "`insufficient_authentication`: only a super-admin's console \
            token whose sign-in (`auth_time`) is at most 10 minutes old may take a backup; \
            admin clients (client_credentials) never may: sign in again. \
            (`insufficient_scope` when the token is not an admin's at all.)"),
        (status = 422, description = "`passphrase` missing, shorter than 12 or longer than 1024 \
            characters"),
    )
)]
pub async fn create(
    State(s): State<Shared>,
    admin: FreshSuperAdmin,
    meta: RequestMeta,
    ApiJson(body): ApiJson<BackupRequest>,
) -> Result<Response, ApiError> {
    let passphrase = body
        .passphrase
        .ok_or_else(|| ApiError::invalid_field("passphrase", "is required"))?;
    check_passphrase(&passphrase)?;
    let (name, bytes) =
        crate::backup::create_as(&s, admin.actor(), &meta, passphrase.into()).await?;
    let disposition = format!("attachment; filename=\"{name}\"");
    let mut res = (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
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
