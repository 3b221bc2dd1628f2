//! `/v1/settings/email`: the SMTP server emails go through. Set here (stored sealed, see
//! `mail::smtp`) unless `TESSERA_SMTP_URL` fixes it (then changes are 409); applied on
//! this node at once (other nodes' senders reload it within seconds). The password is
//! never shown: the URL comes back with `***` in its place, and `***` sent back keeps the
//! stored password. `email:test` queues a test email to follow in `/v1/email-outbox`.

use crate::admin::{validate_email, Admin, ApiJson};
use crate::audit::Event;
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::mail::{compose, smtp, SmtpConfig, SmtpSource};
use crate::state::{AppState, Shared};
use crate::store::now;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use tessera_proto::email::{EmailSettings, QueuedEmail, SendTestEmail, SetEmailSettings};
use tessera_proto::error::ErrorEnvelope;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Audit types: the settings were set or removed (detail: the masked URL and sender,
/// before and after); a test email was queued.
pub const EMAIL_SETTINGS_UPDATED: &str = "admin.settings.email_updated";
pub const TEST_EMAIL_QUEUED: &str = "admin.settings.email_tested";

/// What a submitted URL's password must be to keep the stored one (GET shows it so).
const MASK: &str = "***";

pub(super) fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(show, put, remove))
        .routes(routes!(send_test))
}

/// The settings as the API shows them (and the audit records them): no password.
fn shown(cfg: Option<&SmtpConfig>) -> EmailSettings {
    EmailSettings {
        configured: cfg.is_some(),
        source: cfg.map(|c| match c.source {
            SmtpSource::Environment => "environment".to_string(),
            SmtpSource::Console => "console".to_string(),
        }),
        smtp_url: cfg.map(SmtpConfig::masked_url),
        from: cfg.map(|c| c.from.clone()),
    }
}

fn audited(cfg: Option<&SmtpConfig>) -> Value {
    let s = shown(cfg);
    json!({"smtp_url": s.smtp_url, "from": s.from})
}

/// 409 when the environment fixes the settings.
fn check_not_fixed(s: &AppState) -> Result<(), ApiError> {
    if s.mail.from_environment() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "settings_from_environment",
            "the SMTP settings come from TESSERA_SMTP_URL / TESSERA_SMTP_FROM: change them there",
        ));
    }
    Ok(())
}

/// The stored settings, also taken into use on this node (another node may have
/// changed them); the environment's when they are in force.
async fn current(s: &AppState) -> Result<Option<SmtpConfig>, ApiError> {
    Ok(crate::mail::reload(s).await?.map(|c| (*c).clone()))
}

/// A submitted URL whose password is `***` keeps the stored password, but only for the
/// same scheme, host, port and user: the mask must not carry the password to another
/// server. Any other URL is taken as it is.
fn keep_password(submitted: &str, stored: Option<&SmtpConfig>) -> Result<String, ApiError> {
    let submitted = submitted.trim();
    let Ok(mut url) = url::Url::parse(submitted) else {
        return Ok(submitted.to_string());
    };
    if url.password() != Some(MASK) {
        return Ok(submitted.to_string());
    }
    let same_server = |old: &url::Url| {
        old.scheme() == url.scheme()
            && old.host_str() == url.host_str()
            && old.port_or_known_default() == url.port_or_known_default()
            && old.username() == url.username()
    };
    let password = stored
        .and_then(|c| url::Url::parse(&c.url).ok())
        .filter(same_server)
        .and_then(|old| old.password().map(str::to_string));
    let Some(password) = password else {
        return Err(ApiError::invalid_field(
            "smtp_url",
            "type the password: *** keeps the stored password only for the same server and user",
        ));
    };
    // `password()` is percent-encoded already; setting it keeps those escapes as they are.
    url.set_password(Some(&password))
        .map_err(|()| ApiError::invalid_field("smtp_url", "cannot hold a password"))?;
    Ok(url.to_string())
}

/// Checks the URL and the sender, each error naming its field.
fn checked(url: &str, from: &str) -> Result<SmtpConfig, ApiError> {
    // A known-good sender first, so a URL problem is named as such.
    SmtpConfig::new(url, "check@example.com", SmtpSource::Console)
        .map_err(|m| ApiError::invalid_field("smtp_url", m))?;
    SmtpConfig::new(url, from, SmtpSource::Console).map_err(|m| ApiError::invalid_field("from", m))
}

#[utoipa::path(
    get, path = "/settings/email", tag = "settings",
    operation_id = "settings_email_show",
    responses((status = 200, description = "The SMTP settings in force (password masked)",
        body = EmailSettings))
)]
pub async fn show(State(s): State<Shared>, _admin: Admin) -> Result<Json<EmailSettings>, ApiError> {
    Ok(Json(shown(current(&s).await?.as_ref())))
}

#[utoipa::path(
    put, path = "/settings/email", tag = "settings",
    operation_id = "settings_email_set",
    request_body = SetEmailSettings,
    responses(
        (status = 200, description = "Saved and in force", body = EmailSettings),
        (status = 409, description = "`settings_from_environment`: TESSERA_SMTP_URL fixes them",
            body = ErrorEnvelope),
    )
)]
pub async fn put(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    ApiJson(body): ApiJson<SetEmailSettings>,
) -> Result<Json<EmailSettings>, ApiError> {
    check_not_fixed(&s)?;
    let before = current(&s).await?;
    let url = keep_password(&body.smtp_url, before.as_ref())?;
    let cfg = checked(&url, &body.from)?;
    save(&s, &admin, &meta, before.as_ref(), Some(&cfg)).await?;
    Ok(Json(shown(Some(&cfg))))
}

#[utoipa::path(
    delete, path = "/settings/email", tag = "settings",
    operation_id = "settings_email_remove",
    responses(
        (status = 204, description = "Removed: email is off"),
        (status = 409, description = "`settings_from_environment`: TESSERA_SMTP_URL fixes them",
            body = ErrorEnvelope),
    )
)]
pub async fn remove(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
) -> Result<StatusCode, ApiError> {
    check_not_fixed(&s)?;
    let before = current(&s).await?;
    save(&s, &admin, &meta, before.as_ref(), None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Stores `after` (or removes the settings), audited, and puts it in force on this node.
async fn save(
    s: &AppState,
    admin: &Admin,
    meta: &RequestMeta,
    before: Option<&SmtpConfig>,
    after: Option<&SmtpConfig>,
) -> Result<(), ApiError> {
    let mut tx = s.db.begin().await?;
    smtp::save(&mut tx, s.keys.kek(), after, now()).await?;
    Event::success(EMAIL_SETTINGS_UPDATED)
        .actor(admin.actor())
        .meta(meta)
        .detail(json!({"before": audited(before), "after": audited(after)}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    s.audit.ring();
    s.mail.use_stored(after.cloned());
    s.mail.wake();
    Ok(())
}

/// 409 `email_unavailable`: no SMTP server is configured.
pub(crate) fn email_unavailable() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "email_unavailable",
        "email is off: configure an SMTP server first (settings, or TESSERA_SMTP_URL)",
    )
}

/// [`email_unavailable`] unless an SMTP server is configured.
pub(crate) fn check_email_on(s: &AppState) -> Result<(), ApiError> {
    if s.mail.enabled() {
        Ok(())
    } else {
        Err(email_unavailable())
    }
}

#[utoipa::path(
    post, path = "/settings/email:test", tag = "settings",
    operation_id = "settings_email_test",
    request_body = SendTestEmail,
    responses(
        (status = 202, description = "Queued; follow it in the outbox", body = QueuedEmail),
        (status = 409, description = "`email_unavailable`: no SMTP server is configured",
            body = ErrorEnvelope),
    )
)]
pub async fn send_test(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    ApiJson(body): ApiJson<SendTestEmail>,
) -> Result<(StatusCode, Json<QueuedEmail>), ApiError> {
    let to = validate_email(&body.to)
        .map_err(|_| ApiError::invalid_field("to", "is not a valid email address"))?;
    current(&s).await?;
    check_email_on(&s)?;
    let now = now();
    let mut tx = s.db.begin().await?;
    let id = crate::mail::queue(&mut tx, s.keys.kek(), &compose::test(&to, &s.issuer), now).await?;
    Event::success(TEST_EMAIL_QUEUED)
        .actor(admin.actor())
        .meta(&meta)
        .detail(json!({"to": to, "email_id": id}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    s.audit.ring();
    s.mail.wake();
    Ok((StatusCode::ACCEPTED, Json(QueuedEmail { id })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(url: &str) -> SmtpConfig {
        SmtpConfig::new(url, "a@b.c", SmtpSource::Console).unwrap()
    }

    #[test]
    fn the_mask_keeps_the_password_for_the_same_server_only() {
        let old = stored("smtps://ann:p%40ss@mail.example.com:465");
        let kept = keep_password("smtps://ann:***@mail.example.com:465", Some(&old)).unwrap();
        assert_eq!(kept, "smtps://ann:p%40ss@mail.example.com:465");
        // Another host, port or user, or nothing stored: the password must be typed.
        for other in [
            "smtps://ann:***@evil.example:465",
            "smtps://ann:***@mail.example.com:2465",
            "smtps://bob:***@mail.example.com:465",
            "smtp://ann:***@mail.example.com:465",
        ] {
            let e = keep_password(other, Some(&old)).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("smtp_url"), "{other}");
        }
        assert!(keep_password("smtps://ann:***@mail.example.com:465", None).is_err());
        // A typed password, or none, is taken as it is.
        let typed = "smtps://ann:new@mail.example.com:465";
        assert_eq!(keep_password(typed, Some(&old)).unwrap(), typed);
        assert_eq!(keep_password("not a url", Some(&old)).unwrap(), "not a url");
    }

    #[test]
    fn errors_name_their_field() {
        let e = checked("http://x", "a@b.c").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("smtp_url"));
        let e = checked("smtp://h:25", "nobody").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("from"));
        assert!(checked("smtp://h:25", "Tessera <a@b.c>").is_ok());
    }
}
