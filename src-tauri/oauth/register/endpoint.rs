//! `POST /oauth/register` (RFC 7591): admits the request (initial access token or open
//! registration), checks its metadata, then in one transaction spends the admission and
//! inserts the client of kind `dynamic` (`dyn_` + random id; a secret, hashed, only for a
//! confidential method; its registration access token hashed) with its `client.registered`
//! event. Answers 201 with the client information, credentials shown once.

use super::admission::{self, Admission};
use super::metadata::{self, Metadata};
use super::{json_object, kind, mint_secret, respond, Information};
use crate::audit::Event;
use crate::crypto::{random_token, sha256};
use crate::domain::scope::OIDC_SCOPES;
use crate::domain::RequestMeta;
use crate::error::OAuthError;
use crate::state::{AppState, Shared};
use crate::store::registration::{self, NewDynamicClient};
use crate::store::settings::OpenRegistration;
use crate::store::{now, to_json_list};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};

/// The rules a client's metadata follows.
pub(super) enum Rules<'a> {
    /// Admitted by an initial access token: any scope the server offers (OIDC scopes and
    /// those products declare); the OIDC scopes when it asks for none.
    Offered,
    /// Openly registered: public clients, https or loopback redirect URIs, the setting's
    /// scopes (all of them when it asks for none).
    Open(&'a OpenRegistration),
}

/// The body's metadata, checked under `rules`, with its scopes decided.
pub(super) async fn checked(
    s: &AppState,
    body: &Map<String, Value>,
    rules: &Rules<'_>,
) -> Result<Metadata, OAuthError> {
    let (mut m, requested) = metadata::parse(body)?;
    let scopes = match rules {
        Rules::Open(open) => {
            metadata::check_open(&m)?;
            let allowed = |s: &str| open.scopes.iter().any(|a| a == s);
            let refusal = "is not allowed for open registration";
            metadata::decide_scopes(requested, &open.scopes, allowed, refusal)?
        }
        Rules::Offered => {
            let declared = registration::declared_scopes(&s.db.read).await?;
            let offered = |s: &str| OIDC_SCOPES.contains(&s) || declared.iter().any(|d| d == s);
            let oidc = OIDC_SCOPES.map(String::from);
            metadata::decide_scopes(requested, &oidc, offered, "is not offered by this server")?
        }
    };
    m.set_scopes(scopes);
    Ok(m)
}

/// The client row of `m`: its name is `client_name`, or its id.
pub(super) fn new_client<'a>(
    client_id: &'a str,
    m: &'a Metadata,
    scopes_json: &'a str,
    metadata_json: &'a str,
    secret_hash: Option<&'a [u8]>,
) -> NewDynamicClient<'a> {
    NewDynamicClient {
        client_id,
        name: m.described.client_name.as_deref().unwrap_or(client_id),
        secret_hash,
        scopes_json,
        auth_method: m.auth_method,
        application_type: m.application_type,
        metadata_json,
        redirect_uris: &m.redirect_uris,
    }
}

/// What an audit event records of a registration (never a token or secret).
pub(super) fn audit_detail(m: &Metadata, registered_via: Option<&str>) -> Value {
    json!({
        "client_name": m.described.client_name,
        "redirect_uris": m.redirect_uris,
        "token_endpoint_auth_method": m.auth_method.as_str(),
        "application_type": m.application_type.as_str(),
        "scope": m.described.scope,
        "software_id": m.described.software_id,
        "registration_token_id": registered_via,
    })
}

pub async fn register(
    State(s): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, OAuthError> {
    let admission = admission::admit(&s, &meta, &headers).await?;
    let rules = match &admission {
        Admission::Token(_) => Rules::Offered,
        Admission::Open(open) => Rules::Open(open),
    };
    let checked = match json_object(&headers, body) {
        Ok(body) => checked(&s, &body, &rules).await,
        Err(e) => Err(e),
    };
    let m = match checked {
        Ok(m) => m,
        Err(e) if e.status.is_server_error() => return Err(e),
        Err(e) => return Err(admission::refuse(&s, &meta, e.into()).await),
    };
    let client_id = format!("dyn_{}", random_token(16));
    let registration_token = random_token(32);
    let secret = m.auth_method.uses_secret().then(mint_secret);
    let (scopes_json, metadata_json) = (to_json_list(&m.scopes), m.stored_json());
    let secret_hash = secret.as_ref().map(|(_, h)| h.as_slice());
    let row = new_client(&client_id, &m, &scopes_json, &metadata_json, secret_hash);
    let now = now();

    let mut tx = s.db.begin().await?;
    let registered_via = match admission::spend(&mut tx, &admission, &meta).await? {
        Ok(via) => via,
        Err(refused) => {
            tx.rollback().await?;
            return Err(admission::refuse(&s, &meta, refused).await);
        }
    };
    let reg_hash = sha256(&registration_token);
    let via = registered_via.as_deref();
    registration::insert_dynamic_client(&mut tx, &row, &reg_hash, via, now).await?;
    Event::success(kind::CLIENT_REGISTERED)
        .meta(&meta)
        .subject(&client_id)
        .client(&client_id)
        .detail(audit_detail(&m, via))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    s.clients.clear();
    s.audit.ring();

    let info = Information {
        client_id: &client_id,
        issued_at: now,
        secret: secret.as_ref().map(|(s, _)| s.as_str()),
        registration_access_token: &registration_token,
        metadata: &m,
    };
    Ok(respond(&s, StatusCode::CREATED, &info))
}
