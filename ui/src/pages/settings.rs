//! Settings: key rotation and audit retention (`/v1/settings`), the server's listen
//! address, port and issuer (changed in the desktop window with `apply_server_settings`,
//! which restarts the embedded server in place; read-only in a browser, where the command
//! line sets them), and a backup of the data dir (a download in a browser, a file the
//! user names in the window).

use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::api::{self, ApiError};
use crate::components::{toast, ConfirmDialog, ErrorBanner, Loading, PageHeader};
use crate::desktop::{self, Host};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Settings {
    key_rotation_days: i64,
    audit_retention_days: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
struct SettingsPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    key_rotation_days: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    audit_retention_days: Option<i64>,
}

/// Where the server is, from `GET /v1/stats`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
struct StatsServer {
    server: ServerFacts,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
struct ServerFacts {
    issuer: String,
    listen: String,
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <section class="page">
            <PageHeader
                title="Settings"
                subtitle="Signing-key rotation, audit retention, where the server listens, and backups."
                    .to_owned()
            />
            <PolicyCard />
            <ServerCard />
            <BackupCard />
        </section>
    }
}

/// Parses a whole number of days within `min..=max`.
fn days(raw: &str, min: i64, max: i64) -> Result<i64, String> {
    match raw.trim().parse::<i64>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        Ok(_) => Err(format!("Enter a number of days between {min} and {max}.")),
        Err(_) => Err("Enter a whole number of days.".to_owned()),
    }
}

#[component]
fn PolicyCard() -> impl IntoView {
    let loaded = LocalResource::new(|| api::get::<Settings>("/v1/settings"));
    let current = RwSignal::new(None::<Settings>);
    let rotation = RwSignal::new(String::new());
    let retention = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let submitted = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(s)) = loaded.get() {
            rotation.set(s.key_rotation_days.to_string());
            retention.set(s.audit_retention_days.to_string());
            current.set(Some(s));
        }
    });
    let rotation_error = move || {
        submitted
            .get()
            .then(|| days(&rotation.get(), 0, 3650).err())
            .flatten()
    };
    let retention_error = move || {
        submitted
            .get()
            .then(|| days(&retention.get(), 30, 3650).err())
            .flatten()
    };
    let changed = move || {
        let Some(c) = current.get() else {
            return false;
        };
        rotation.get().trim() != c.key_rotation_days.to_string()
            || retention.get().trim() != c.audit_retention_days.to_string()
    };
    let on_submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        let (Ok(r), Ok(a)) = (
            days(&rotation.get_untracked(), 0, 3650),
            days(&retention.get_untracked(), 30, 3650),
        ) else {
            return;
        };
        let Some(c) = current.get_untracked() else {
            return;
        };
        let patch = SettingsPatch {
            key_rotation_days: (r != c.key_rotation_days).then_some(r),
            audit_retention_days: (a != c.audit_retention_days).then_some(a),
        };
        if patch == SettingsPatch::default() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api::patch::<_, Settings>("/v1/settings", &patch).await {
                Ok(saved) => {
                    rotation.set(saved.key_rotation_days.to_string());
                    retention.set(saved.audit_retention_days.to_string());
                    current.set(Some(saved));
                    submitted.set(false);
                    toast::show("Settings saved");
                }
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="card" aria-labelledby="policy-title">
            <h2 class="card-title" id="policy-title">"Keys and audit log"</h2>
            {move || match loaded.get() {
                None => view! { <Loading /> }.into_any(),
                Some(Err(e)) => view! { <ErrorBanner error=Signal::derive(move || Some(e.message.clone())) /> }.into_any(),
                Some(Ok(_)) => view! {
                    <form class="stack" on:submit=on_submit novalidate=true>
                        <ErrorBanner error=error />
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
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn ServerCard() -> impl IntoView {
    let facts = LocalResource::new(|| api::get::<StatsServer>("/v1/stats"));
    view! {
        <section class="card" aria-labelledby="server-title">
            <h2 class="card-title" id="server-title">"Server address"</h2>
            {move || match facts.get() {
                None => view! { <Loading /> }.into_any(),
                Some(Err(e)) => view! { <ErrorBanner error=Signal::derive(move || Some(e.message.clone())) /> }.into_any(),
                Some(Ok(s)) => match desktop::host() {
                    Host::Desktop => view! { <ServerForm facts=s.server /> }.into_any(),
                    Host::Browser => view! { <ServerReadOnly facts=s.server /> }.into_any(),
                },
            }}
        </section>
    }
}

fn split_listen(listen: &str) -> (String, String) {
    match listen.rsplit_once(':') {
        Some((host, port)) => (
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port.to_owned(),
        ),
        None => (listen.to_owned(), String::new()),
    }
}

#[component]
fn ServerReadOnly(facts: ServerFacts) -> impl IntoView {
    let (address, port) = split_listen(&facts.listen);
    view! {
        <div class="stack">
            <dl class="kv">
                <dt>"Listen address"</dt>
                <dd class="mono">{address}</dd>
                <dt>"Port"</dt>
                <dd class="mono">{port}</dd>
                <dt>"Issuer URL"</dt>
                <dd class="mono">{facts.issuer}</dd>
            </dl>
            <p class="hint">
                "This console runs in a browser, so these are set where the server starts: "
                <code>"tessera serve --listen ADDRESS:PORT --issuer URL"</code>
                ", then restart it. In the desktop app you can change them here."
            </p>
        </div>
    }
}

#[component]
fn ServerForm(facts: ServerFacts) -> impl IntoView {
    let (address0, port0) = split_listen(&facts.listen);
    let address = RwSignal::new(address0.clone());
    let port = RwSignal::new(port0.clone());
    let issuer = RwSignal::new(facts.issuer.clone());
    let original = (address0, port0, facts.issuer.clone());
    let submitted = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let confirm = RwSignal::new(false);

    let port_error = move || {
        submitted
            .get()
            .then(|| match port.get().trim().parse::<u16>() {
                Ok(0) | Err(_) => Some("Enter a port between 1 and 65535."),
                Ok(_) => None,
            })
            .flatten()
    };
    let address_error = move || {
        submitted
            .get()
            .then(|| {
                address
                    .get()
                    .trim()
                    .is_empty()
                    .then_some("Enter an IP address, like 127.0.0.1 or 0.0.0.0.")
            })
            .flatten()
    };
    let issuer_error = move || {
        submitted
            .get()
            .then(|| {
                let i = issuer.get();
                let i = i.trim();
                if !(i.starts_with("http://") || i.starts_with("https://")) {
                    Some("Start with https:// (or http:// for this computer only).")
                } else if i.contains('?') || i.contains('#') {
                    Some("The issuer URL cannot have a query or fragment.")
                } else {
                    None
                }
            })
            .flatten()
    };
    let changed = move || {
        (
            address.get().trim().to_owned(),
            port.get().trim().to_owned(),
            issuer.get().trim().trim_end_matches('/').to_owned(),
        ) != original
    };
    let on_submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        if port_error().is_some() || address_error().is_some() || issuer_error().is_some() {
            return;
        }
        confirm.set(true);
    };
    let apply = Callback::new(move |()| {
        busy.set(true);
        error.set(None);
        let address = address.get_untracked().trim().to_owned();
        let port: u16 = port.get_untracked().trim().parse().unwrap_or(0);
        let issuer = issuer
            .get_untracked()
            .trim()
            .trim_end_matches('/')
            .to_owned();
        spawn_local(async move {
            let result = async {
                let token = api::access_token().await.map_err(|e| e.message)?;
                desktop::apply_server_settings(&token, &address, port, &issuer).await
            }
            .await;
            match result {
                Ok(ctx) => {
                    if let Some(problem) = ctx.error {
                        busy.set(false);
                        error.set(Some(problem));
                    } else if let Some(url) = ctx.console_url {
                        // The window follows the server; sign-in there is silent (SSO cookie).
                        let url = format!("{}settings?signin=1", ensure_slash(&url));
                        let _ = window().location().replace(&url);
                    } else {
                        busy.set(false);
                        let _ = window().location().reload();
                    }
                }
                Err(message) => {
                    busy.set(false);
                    error.set(Some(message));
                }
            }
        });
    });
    view! {
        <form class="stack" on:submit=on_submit novalidate=true>
            <ErrorBanner error=error />
            <div class="server-grid">
                <div class="field">
                    <label for="srv-address">"Listen address"</label>
                    <input id="srv-address" class="input mono" type="text" spellcheck="false"
                        aria-invalid=move || address_error().is_some().to_string()
                        aria-describedby="srv-address-hint srv-address-error"
                        prop:value=address on:input=move |ev| address.set(event_target_value(&ev)) />
                    <span id="srv-address-hint" class="hint">"127.0.0.1 for this computer only; 0.0.0.0 for every network."</span>
                    <span id="srv-address-error" class="field-error">{address_error}</span>
                </div>
                <div class="field">
                    <label for="srv-port">"Port"</label>
                    <input id="srv-port" class="input" type="number" min="1" max="65535" inputmode="numeric"
                        aria-invalid=move || port_error().is_some().to_string()
                        aria-describedby="srv-port-error"
                        prop:value=port on:input=move |ev| port.set(event_target_value(&ev)) />
                    <span id="srv-port-error" class="field-error">{port_error}</span>
                </div>
            </div>
            <div class="field">
                <label for="srv-issuer">"Issuer URL"</label>
                <input id="srv-issuer" class="input mono" type="url" spellcheck="false"
                    aria-invalid=move || issuer_error().is_some().to_string()
                    aria-describedby="srv-issuer-hint srv-issuer-error"
                    prop:value=issuer on:input=move |ev| issuer.set(event_target_value(&ev)) />
                <span id="srv-issuer-hint" class="hint">
                    "Every token names this URL as its issuer. Apps configured with the old URL refuse new tokens until they are updated."
                </span>
                <span id="srv-issuer-error" class="field-error">{issuer_error}</span>
            </div>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || busy.get() || !changed()>
                    "Apply and restart"
                </button>
                {move || busy.get().then(|| view! {
                    <span class="progress-line" role="status">
                        <span class="spinner" aria-hidden="true"></span>
                        "Restarting the server…"
                    </span>
                })}
            </div>
            <ConfirmDialog
                open=confirm
                title="Restart the server?"
                message="The server restarts in place on the new address. Requests in flight are finished first; this window follows to the new address.".to_owned()
                confirm_label="Restart the server"
                danger=false
                on_confirm=apply
            />
        </form>
    }
}

fn ensure_slash(url: &str) -> String {
    if url.ends_with('/') {
        url.to_owned()
    } else {
        format!("{url}/")
    }
}

fn human_size(bytes: f64) -> String {
    if bytes >= 1024.0 * 1024.0 {
        format!("{:.1} MB", bytes / 1024.0 / 1024.0)
    } else if bytes >= 1024.0 {
        format!("{:.0} KB", bytes / 1024.0)
    } else {
        format!("{bytes} bytes")
    }
}

fn today_stamp() -> String {
    let d = js_sys::Date::new_0();
    format!(
        "{:04}{:02}{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date()
    )
}

#[component]
fn BackupCard() -> impl IntoView {
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let host = desktop::host();
    let path = RwSignal::new(format!("~/tessera-backup-{}.tar.gz", today_stamp()));

    let download = move |_| {
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match download_backup().await {
                Ok((name, size)) => {
                    toast::show(format!("Backup downloaded: {name} ({})", human_size(size)))
                }
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };
    let save = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        let target = path.get_untracked().trim().to_owned();
        if target.is_empty() {
            error.set(Some("Choose where to save the backup.".to_owned()));
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = async {
                let token = api::access_token().await.map_err(|e| e.message)?;
                desktop::save_backup(&token, &target).await
            }
            .await;
            match result {
                Ok(saved) => toast::show(format!(
                    "Backup saved to {} ({})",
                    saved.path,
                    human_size(saved.bytes as f64)
                )),
                Err(message) => error.set(Some(if target.starts_with('~') && message.contains("absolute") {
                    format!("{message}. Type the full path, starting with / (your home folder instead of ~).")
                } else {
                    message
                })),
            }
            busy.set(false);
        });
    };
    let action = match host {
        Host::Browser => view! {
            <div class="form-actions">
                <button type="button" class="btn btn-primary" disabled=move || busy.get() on:click=download>
                    {move || if busy.get() { "Preparing…" } else { "Download backup" }}
                </button>
                <span class="hint">"A .tar.gz of the database, master.key and settings."</span>
            </div>
        }
        .into_any(),
        Host::Desktop => view! {
            <form class="stack" on:submit=save novalidate=true>
                <div class="field">
                    <label for="backup-path">"Save the backup to"</label>
                    <input id="backup-path" class="input mono" type="text" spellcheck="false"
                        aria-describedby="backup-path-hint"
                        prop:value=path on:input=move |ev| path.set(event_target_value(&ev)) />
                    <span id="backup-path-hint" class="hint">
                        "A full file path (or a folder). An existing file is never overwritten."
                    </span>
                </div>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" disabled=move || busy.get()>
                        {move || if busy.get() { "Saving…" } else { "Save backup" }}
                    </button>
                </div>
            </form>
        }
        .into_any(),
    };
    view! {
        <section class="card stack" aria-labelledby="backup-title">
            <h2 class="card-title" id="backup-title">"Backup"</h2>
            <p class="notice">
                <strong>"Keep backups secret. "</strong>
                "A backup holds the master key that unlocks the signing keys, and every user's password hash. "
                "Anyone with the file can issue tokens as this server."
            </p>
            <ErrorBanner error=error />
            {action}
            {move || busy.get().then(|| view! {
                <span class="progress-line" role="status">
                    <span class="spinner" aria-hidden="true"></span>
                    "Making a consistent snapshot of the data folder…"
                </span>
            })}
        </section>
    }
}

/// POST /v1/backup, then hands the archive to the browser as a download named like the
/// server says. Returns (file name, size).
async fn download_backup() -> Result<(String, f64), ApiError> {
    let response = api::send("POST", "/v1/backup", Some("{}")).await?;
    let response = if response.status() == 401 {
        crate::auth::refresh().await?;
        api::send("POST", "/v1/backup", Some("{}")).await?
    } else {
        response
    };
    if !response.ok() {
        let status = response.status();
        let text = api::response_text(&response).await?;
        return Err(api::error_from(status, &text));
    }
    let name = response
        .headers()
        .get("Content-Disposition")
        .ok()
        .flatten()
        .and_then(|d| {
            d.split("filename=").nth(1).map(|n| {
                n.trim_matches(|c| c == '"' || c == ';' || c == ' ')
                    .to_owned()
            })
        })
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| format!("tessera-backup-{}.tar.gz", today_stamp()));
    let blob = JsFuture::from(response.blob().map_err(|e| ApiError::network(&e))?)
        .await
        .map_err(|e| ApiError::network(&e))?
        .unchecked_into::<web_sys::Blob>();
    let size = blob.size();
    let url =
        web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| ApiError::network(&e))?;
    let doc = document();
    let anchor = doc
        .create_element("a")
        .map_err(|e| ApiError::network(&e))?
        .unchecked_into::<web_sys::HtmlAnchorElement>();
    anchor.set_href(&url);
    anchor.set_download(&name);
    anchor.set_attribute("hidden", "").ok();
    if let Some(body) = doc.body() {
        let _ = body.append_child(&anchor);
    }
    anchor.click();
    anchor.remove();
    // Give the download a moment to start before the URL goes away.
    set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(30),
    );
    Ok((name, size))
}
