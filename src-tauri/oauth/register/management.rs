//! RFC 7592 at `/oauth/register/{client_id}`: read (GET), update (PUT: a full replacement
//! under the rules the client was registered with) and delete (DELETE) with the client's
//! registration access token. A wrong or missing token, another kind of client, or a
//! disabled one all get the same 401 `invalid_token`: nothing tells whether it exists.

use super::admission::{bearer, refuse, Refused};
use super::endpoint::{audit_detail, checked, new_client, Rules};
use super::metadata::{invalid_metadata, Metadata};
use super::{json_object, kind, mint_secret, no_store, respond, Information};
use crate::audit::Event;
use crate::crypto::{ct_eq, sha256};
use crate::domain::RequestMeta;
use crate::error::OAuthError;
use crate::state::{AppState, Shared};
use crate::store::registration::{self, RegisteredClient};
use crate::store::settings::load_open_registration;
use crate::store::{now, to_json_list, Tx};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};

/// The registration access token a request presents, and its hash.
struct Presented {
    token: String,
    hash: Vec<u8>,
}

/// The request's registration access token for `client_id`, or the audited 401.
async fn presented(
    s: &AppState,
    meta: &RequestMeta,
    headers: &HeaderMap,
    client_id: &str,
) -> Result<(Presented, RegisteredClient), OAuthError> {
    let refused = |reason: &str| Refused {
        error: OAuthError::invalid_token("a valid registration access token is required"),
        reason: format!("{reason} (client {client_id:?})"),
    };
    let token = match bearer(headers) {
        Ok(Some(token)) => token.to_string(),
        Ok(None) => return Err(refuse(s, meta, refused("no registration access token")).await),
        Err(_) => return Err(refuse(s, meta, refused("malformed Authorization header")).await),
    };
    let hash = sha256(&token);
    match registration::find_registered(&s.db.read, client_id, &hash).await? {
        Some(row) => Ok((Presented { token, hash }, row)),
        None => Err(refuse(s, meta, refused("wrong registration access token")).await),
    }
}

/// The client information of a registered client, as stored.
async fn stored_metadata(s: &AppState, row: &RegisteredClient) -> Result<Metadata, OAuthError> {
    let uris = registration::redirect_uris(&s.db.read, &row.client_id).await?;
    Ok(Metadata::from_stored(row, uris)?)
}

/// `GET /oauth/register/{client_id}`.
pub async fn read(
    State(s): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(client_id): Path<String>,
) -> Result<Response, OAuthError> {
    let (presented, row) = presented(&s, &meta, &headers, &client_id).await?;
    let m = stored_metadata(&s, &row).await?;
    let info = Information {
        client_id: &row.client_id,
        issued_at: row.created_at,
        secret: None,
        registration_access_token: &presented.token,
        metadata: &m,
    };
    Ok(respond(&s, StatusCode::OK, &info))
}

/// The update's own members (RFC 7592 §2.2): `client_id` must be the client's, and a
/// `client_secret`, when present, its current secret. Returns that secret.
fn check_identity(
    body: &Map<String, Value>,
    row: &RegisteredClient,
) -> Result<Option<String>, OAuthError> {
    if body.get("client_id").and_then(Value::as_str) != Some(row.client_id.as_str()) {
        return Err(invalid_metadata("client_id must be this client's id"));
    }
    let Some(given) = body.get("client_secret").filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let matches = match (given.as_str(), &row.secret_hash) {
        (Some(secret), Some(hash)) => ct_eq(&sha256(secret), hash),
        _ => false,
    };
    if !matches {
        return Err(invalid_metadata(
            "client_secret does not match the client's secret",
        ));
    }
    Ok(given.as_str().map(str::to_string))
}

/// The metadata of an update, checked under the rules the client was registered with
/// (an openly registered client stays within open registration's rules).
async fn checked_update(
    s: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    row: &RegisteredClient,
) -> Result<(Metadata, Option<String>), OAuthError> {
    let body = json_object(headers, body)?;
    let given_secret = check_identity(&body, row)?;
    let m = match row.registered_via {
        Some(_) => checked(s, &body, &Rules::Offered).await?,
        None => {
            let open = load_open_registration(&s.db.read).await?;
            checked(s, &body, &Rules::Open(&open)).await?
        }
    };
    Ok((m, given_secret))
}

/// `PUT /oauth/register/{client_id}`.
pub async fn update(
    State(s): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(client_id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, OAuthError> {
    let (presented, row) = presented(&s, &meta, &headers, &client_id).await?;
    let (m, given_secret) = match checked_update(&s, &headers, body, &row).await {
        Ok(checked) => checked,
        Err(e) if e.status.is_server_error() => return Err(e),
        Err(e) => return Err(refuse(&s, &meta, e.into()).await),
    };
    // A move to a secret method mints a secret (shown once); a move away drops it.
    let minted = (m.auth_method.uses_secret() && row.secret_hash.is_none()).then(mint_secret);
    let secret_change = match (&minted, m.auth_method.uses_secret()) {
        (Some((_, hash)), _) => Some(Some(hash.as_slice())),
        (None, false) => Some(None),
        (None, true) => None,
    };
    let (scopes_json, metadata_json) = (to_json_list(&m.scopes), m.stored_json());
    let new = new_client(&row.client_id, &m, &scopes_json, &metadata_json, None);

    let mut tx = s.db.begin().await?;
    locked(&mut tx, &row.client_id, &presented).await?;
    registration::replace_dynamic_client(&mut tx, &new, secret_change, now()).await?;
    Event::success(kind::CLIENT_UPDATED)
        .meta(&meta)
        .subject(&row.client_id)
        .client(&row.client_id)
        .detail(audit_detail(&m, row.registered_via.as_deref()))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    s.clients.clear();
    s.audit.ring();

    let shown = minted.as_ref().map(|(s, _)| s.clone()).or(given_secret);
    let info = Information {
        client_id: &row.client_id,
        issued_at: row.created_at,
        secret: shown.as_deref().filter(|_| m.auth_method.uses_secret()),
        registration_access_token: &presented.token,
        metadata: &m,
    };
    Ok(respond(&s, StatusCode::OK, &info))
}

/// The client, found again inside the write transaction (it may have been deleted or
/// disabled since the token was checked): 401 otherwise.
async fn locked(tx: &mut Tx, client_id: &str, presented: &Presented) -> Result<(), OAuthError> {
    match registration::find_registered(&mut *tx, client_id, &presented.hash).await? {
        Some(_) => Ok(()),
        None => Err(OAuthError::invalid_token(
            "a valid registration access token is required",
        )),
    }
}

/// `DELETE /oauth/register/{client_id}`: 204; its tokens are revoked, its codes, refresh
/// families and consents deleted with it.
pub async fn delete(
    State(s): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(client_id): Path<String>,
) -> Result<Response, OAuthError> {
    let (presented, row) = presented(&s, &meta, &headers, &client_id).await?;
    let now = now();
    let mut tx = s.db.begin().await?;
    locked(&mut tx, &row.client_id, &presented).await?;
    let families =
        registration::delete_dynamic_client(&mut tx, &row.client_id, "client_deleted", now)
            .await?
            .unwrap_or(0);
    Event::success(kind::CLIENT_DELETED)
        .meta(&meta)
        .subject(&row.client_id)
        .client(&row.client_id)
        .detail(json!({"families_revoked": families, "by": "registration_access_token"}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    s.clients.clear();
    s.audit.ring();
    Ok(no_store(StatusCode::NO_CONTENT, ()))
}
