//! Settings: key rotation and audit retention (`/v1/settings`), the sign-in protection
//! policy (read-only), the server's listen address, port and issuer (changed in the
//! desktop window, read-only in a browser: see `server`), and an encrypted backup of the
//! data dir (see `backup`), in the desktop window whether Tessera starts at login
//! (see `desktop_app`), and the SMTP server emails go through with the outbox (`email`).

mod backup;
mod desktop_app;
pub(crate) mod email;
mod email_test;
mod protection;
mod server;

use leptos::ev;
use leptos::prelude::*;
use tessera_proto::settings::{Settings, SettingsPatch};

use crate::api::{self, ApiError};
use crate::components::{failure, on_done, toast, ErrorBanner, Loaded, PageHeader};
use backup::BackupCard;
use desktop_app::DesktopAppCard;
use email::EmailCard;
use protection::ProtectionCard;
use server::ServerCard;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let loaded = LocalResource::new(|| api::get::<Settings>("/v1/settings"));
    // From the first load only: a PATCH answer need not repeat the fixed policy.
    let throttle = Signal::derive(move || match loaded.get() {
        Some(Ok(s)) => Some(s.throttle),
        _ => None,
    });
    view! {
        <section class="page">
            <PageHeader
                title="Settings"
                subtitle="Signing-key rotation, audit retention, sign-in protection, email, where the server listens, and backups."
                    .to_owned()
            />
            <PolicyCard loaded=loaded />
            <ProtectionCard policy=throttle />
            <EmailCard />
            <ServerCard />
            <DesktopAppCard />
            <BackupCard />
        </section>
    }
}

/// The server keeps at least a month of audit events: enough to look back at an incident.
const MIN_RETENTION_DAYS: i64 = 30;

/// Parses a whole number of days within `min..=max`.
fn days(raw: &str, min: i64, max: i64) -> Result<i64, String> {
    match raw.trim().parse::<i64>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        Ok(_) => Err(format!("Enter a number of days between {min} and {max}.")),
        Err(_) => Err("Enter a whole number of days.".to_owned()),
    }
}

#[component]
fn PolicyCard(loaded: LocalResource<Result<Settings, ApiError>>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="policy-title">
            <h2 class="card-title" id="policy-title">"Keys and audit log"</h2>
            <Loaded resource=loaded let:settings>
                <PolicyForm saved=settings />
            </Loaded>
        </section>
    }
}

/// The two numbers of days, saved with one `PATCH /v1/settings` of what changed.
#[component]
fn PolicyForm(saved: Settings) -> impl IntoView {
    let rotation = RwSignal::new(saved.key_rotation_days.to_string());
    let retention = RwSignal::new(saved.audit_retention_days.to_string());
    let current = RwSignal::new(saved);
    let submitted = RwSignal::new(false);
    let save = Action::new_local(|patch: &SettingsPatch| {
        let patch = patch.clone();
        async move { api::patch::<_, Settings>("/v1/settings", &patch).await }
    });
    on_done(save, move |answer| {
        if let Ok(saved) = answer {
            rotation.set(saved.key_rotation_days.to_string());
            retention.set(saved.audit_retention_days.to_string());
            current.set(saved);
            submitted.set(false);
            toast::show("Settings saved");
        }
    });
    let busy = save.pending();
    let rotation_error = move || {
        submitted
            .get()
            .then(|| days(&rotation.get(), 0, 3650).err())
            .flatten()
    };
    let retention_error = move || {
        submitted
            .get()
            .then(|| days(&retention.get(), MIN_RETENTION_DAYS, 3650).err())
            .flatten()
    };
    let changed = move || {
        let c = current.get();
        rotation.get().trim() != c.key_rotation_days.to_string()
            || retention.get().trim() != c.audit_retention_days.to_string()
    };
    let on_submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        let (Ok(r), Ok(a)) = (
            days(&rotation.get_untracked(), 0, 3650),
            days(&retention.get_untracked(), MIN_RETENTION_DAYS, 3650),
        ) else {
            return;
        };
        let c = current.get_untracked();
        let patch = SettingsPatch {
            key_rotation_days: (r != c.key_rotation_days).then_some(r),
            audit_retention_days: (a != c.audit_retention_days).then_some(a),
            ..SettingsPatch::default()
        };
        if patch.key_rotation_days.is_some() || patch.audit_retention_days.is_some() {
            save.dispatch_local(patch);
        }
    };
    view! {
        <form class="stack" on:submit=on_submit novalidate=true>
            <ErrorBanner error=failure(save) />
            <div class="grid-2">
                <div class="field">
                    <label for="set-rotation">"Rotate the signing key every (days)"</label>
                    <input id="set-rotation" class="input input-narrow" type="number" min="0" max="3650"
                        inputmode="numeric"
                        aria-invalid=move || rotation_error().is_some().to_string()
                        aria-describedby="set-rotation-hint set-rotation-error"
                        prop:value=rotation
                        on:input=move |ev| rotation.set(event_target_value(&ev)) />
                    <span id="set-rotation-hint" class="hint">
                        "0 turns automatic rotation off. Old keys stay published until the tokens they signed expire."
                    </span>
                    <span id="set-rotation-error" class="field-error">{rotation_error}</span>
                </div>
                <div class="field">
                    <label for="set-retention">"Keep audit events for (days)"</label>
                    <input id="set-retention" class="input input-narrow" type="number" min="30" max="3650"
                        inputmode="numeric"
                        aria-invalid=move || retention_error().is_some().to_string()
                        aria-describedby="set-retention-hint set-retention-error"
                        prop:value=retention
                        on:input=move |ev| retention.set(event_target_value(&ev)) />
                    <span id="set-retention-hint" class="hint">
                        "Older events are deleted by the hourly maintenance job (30 to 3650 days)."
                    </span>
                    <span id="set-retention-error" class="field-error">{retention_error}</span>
                </div>
            </div>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || busy.get() || !changed()>
                    {move || if busy.get() { "Saving…" } else { "Save settings" }}
                </button>
            </div>
        </form>
    }
}
