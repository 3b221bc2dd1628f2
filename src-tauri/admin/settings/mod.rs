//! `/v1/settings`: server settings an admin may change (key rotation period, audit
//! retention, open dynamic client registration and the scopes it allows).
//! `PATCH` takes any subset of the fields, validates them all, then stores and audits.
//! Both answers also show the sign-in protection policy (`throttle`), read-only: it is
//! not a field `PATCH` takes (unknown fields are refused with 422). The SMTP server
//! emails go through is its own resource, `/v1/settings/email` (`email`).

mod email;

pub(super) use email::{check_email_on, email_unavailable};

use crate::admin::{Admin, ApiJson};
use crate::audit::{kind, Event};
use crate::domain::scope::OIDC_SCOPES;
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::{AppState, Shared};
use crate::store::settings::MIN_AUDIT_RETENTION_DAYS as MIN_RETENTION_DAYS;
use crate::store::settings::{self, OpenRegistration, Settings};
use crate::store::{now, registration, Tx};
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use tessera_proto::settings::{self as wire, SettingsPatch, ThrottlePolicy};
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(show, update))
        .merge(email::routes())
}

/// The stored settings as the audit event records them (before and after a change).
fn stored_json(s: &Settings, open: &OpenRegistration) -> Value {
    json!({
        "key_rotation_days": s.key_rotation_days,
        "audit_retention_days": s.audit_retention_days,
        "open_registration": open.enabled,
        "open_registration_scopes": open.scopes,
    })
}

/// The sign-in throttle policy and hashing bound in force (fixed; not stored).
fn throttle_policy(s: &AppState) -> ThrottlePolicy {
    use crate::domain::throttle::{ACCOUNT, CLIENT, IP, MAX_BACKOFF_SECS};
    ThrottlePolicy {
        account_failures: ACCOUNT.failures,
        account_window_secs: ACCOUNT.window_secs,
        ip_failures: IP.failures,
        ip_window_secs: IP.window_secs,
        client_failures: CLIENT.failures,
        client_window_secs: CLIENT.window_secs,
        max_backoff_secs: MAX_BACKOFF_SECS,
        hash_concurrency: s.hashing.permits() as u64,
    }
}

/// The answer of GET and PATCH: the stored settings plus the read-only policy.
fn answer(s: &AppState, settings: &Settings, open: OpenRegistration) -> Json<wire::Settings> {
    Json(wire::Settings {
        key_rotation_days: settings.key_rotation_days,
        audit_retention_days: settings.audit_retention_days,
        throttle: throttle_policy(s),
        open_registration: open.enabled,
        open_registration_scopes: open.scopes,
    })
}

/// The scopes open registration may allow: OIDC scopes and scopes some product declares,
/// at most 50, without repeats.
async fn check_open_scopes(tx: &mut Tx, scopes: &[String]) -> Result<Vec<String>, ApiError> {
    const FIELD: &str = "open_registration_scopes";
    if scopes.len() > 50 {
        return Err(ApiError::invalid_field(FIELD, "at most 50 scopes"));
    }
    let declared = registration::declared_scopes(&mut *tx).await?;
    let mut out: Vec<String> = Vec::with_capacity(scopes.len());
    for scope in scopes {
        if !OIDC_SCOPES.contains(&scope.as_str()) && !declared.contains(scope) {
            return Err(ApiError::invalid_field(
                FIELD,
                format!("{scope:?} is neither an OIDC scope nor a scope some product declares"),
            ));
        }
        if !out.contains(scope) {
            out.push(scope.clone());
        }
    }
    Ok(out)
}

fn check_range(field: &str, value: i64, min: i64, max: i64) -> Result<i64, ApiError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(ApiError::invalid_field(
            field,
            format!("must be between {min} and {max} days"),
        ))
    }
}

#[utoipa::path(
    get, path = "/settings", tag = "settings",
    operation_id = "settings_show",
    responses((status = 200, description = "The settings", body = wire::Settings))
)]
pub async fn show(
    State(s): State<Shared>,
    _admin: Admin,
) -> Result<Json<wire::Settings>, ApiError> {
    let open = settings::load_open_registration(&s.db.read).await?;
    Ok(answer(&s, &settings::load(&s.db.read).await?, open))
}

#[utoipa::path(
    patch, path = "/settings", tag = "settings",
    operation_id = "settings_update",
    request_body = SettingsPatch,
    responses((status = 200, description = "The updated settings", body = wire::Settings))
)]
pub async fn update(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    ApiJson(patch): ApiJson<SettingsPatch>,
) -> Result<Json<wire::Settings>, ApiError> {
    if let Some(v) = patch.key_rotation_days {
        check_range("key_rotation_days", v, 0, 3650)?;
    }
    if let Some(v) = patch.audit_retention_days {
        check_range("audit_retention_days", v, MIN_RETENTION_DAYS, 3650)?;
    }
    let mut tx = s.db.begin().await?;
    // Read inside the write transaction so concurrent patches of other fields compose.
    let before = settings::load_in(&mut tx).await?;
    let open_before = settings::load_open_registration(&mut tx).await?;
    let after = Settings {
        key_rotation_days: patch.key_rotation_days.unwrap_or(before.key_rotation_days),
        audit_retention_days: patch
            .audit_retention_days
            .unwrap_or(before.audit_retention_days),
    };
    let open_after = OpenRegistration {
        enabled: patch.open_registration.unwrap_or(open_before.enabled),
        scopes: match &patch.open_registration_scopes {
            Some(scopes) => check_open_scopes(&mut tx, scopes).await?,
            None => open_before.scopes.clone(),
        },
    };
    let now = now();
    settings::save(&mut tx, &after, now).await?;
    settings::save_open_registration(&mut tx, &open_after, now).await?;
    let before = stored_json(&before, &open_before);
    Event::success(kind::SETTINGS_UPDATED)
        .actor(admin.actor())
        .meta(&meta)
        .detail(json!({"before": before, "after": stored_json(&after, &open_after)}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    s.audit.ring();
    // Apply a shorter retention or rotation period now rather than at the next hour.
    s.maintenance.notify_one();
    Ok(answer(&s, &after, open_after))
}
