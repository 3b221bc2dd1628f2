//! The "Backup" card: an age-encrypted archive of the data dir under a passphrase typed
//! twice here. In a browser `POST /v1/backup` answers with the file, handed over as a
//! download; in the desktop window `save_backup` writes it where the user says. The server
//! wants a super-admin who signed in within 10 minutes (403 `insufficient_authentication`
//! otherwise): the card then offers to sign in again.

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::api::{self, ApiError};
use crate::components::{on_done, toast, ErrorBanner};
use crate::desktop::{self, Host};

/// The server's bounds on the passphrase, in characters.
const MIN_PASSPHRASE: usize = 12;
const MAX_PASSPHRASE: usize = 1024;
const STALE_SIGN_IN: &str = "insufficient_authentication";

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

/// What is wrong with the first passphrase, if anything.
fn passphrase_problem(p: &str) -> Option<String> {
    let n = p.chars().count();
    if n < MIN_PASSPHRASE {
        Some(format!(
            "Use at least {MIN_PASSPHRASE} characters (this one has {n})."
        ))
    } else if n > MAX_PASSPHRASE {
        Some(format!("Use at most {MAX_PASSPHRASE} characters."))
    } else {
        None
    }
}

/// How a failed backup ended: a stale sign-in gets its own notice and button.
#[derive(Clone)]
enum Failure {
    StaleSignIn,
    Other(String),
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        if e.code == STALE_SIGN_IN {
            Failure::StaleSignIn
        } else {
            Failure::Other(e.message)
        }
    }
}

#[component]
pub fn BackupCard() -> impl IntoView {
    let host = desktop::host();
    let path = RwSignal::new(format!("~/tessera-backup-{}.tar.gz.age", today_stamp()));
    let passphrase = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let submitted = RwSignal::new(false);
    // A problem found before anything is sent.
    let form_error = RwSignal::new(None::<String>);
    let backup = Action::new_local(move |(target, secret): &(String, String)| {
        make_backup(host, target.clone(), secret.clone())
    });
    on_done(backup, move |answer| {
        if let Ok(done) = answer {
            passphrase.set(String::new());
            repeat.set(String::new());
            submitted.set(false);
            toast::show(done);
        }
    });
    let busy = backup.pending();
    let failed = move || {
        if busy.get() {
            return None;
        }
        backup.value().with(|answer| match answer {
            Some(Err(failure)) => Some(failure.clone()),
            _ => None,
        })
    };
    let error = Signal::derive(move || {
        form_error.get().or_else(|| match failed() {
            Some(Failure::Other(message)) => Some(message),
            _ => None,
        })
    });
    let stale = move || matches!(failed(), Some(Failure::StaleSignIn));

    let first_error = move || {
        submitted
            .get()
            .then(|| passphrase_problem(&passphrase.get()))
            .flatten()
    };
    let repeat_error = move || {
        (submitted.get() && first_error().is_none() && passphrase.get() != repeat.get())
            .then_some("The two passphrases differ: type the same one twice.")
    };

    let on_submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        if first_error().is_some() || repeat_error().is_some() {
            return;
        }
        let target = path.get_untracked().trim().to_owned();
        if host == Host::Desktop && target.is_empty() {
            form_error.set(Some("Choose where to save the backup.".to_owned()));
            return;
        }
        form_error.set(None);
        backup.dispatch_local((target, passphrase.get_untracked()));
    };

    let (button, busy_label) = match host {
        Host::Browser => ("Download backup", "Preparing…"),
        Host::Desktop => ("Save backup", "Saving…"),
    };
    let path_field = (host == Host::Desktop).then(|| {
        view! {
            <div class="field">
                <label for="backup-path">"Save the backup to"</label>
                <input id="backup-path" class="input mono" type="text" spellcheck="false"
                    aria-describedby="backup-path-hint"
                    prop:value=path on:input=move |ev| path.set(event_target_value(&ev)) />
                <span id="backup-path-hint" class="hint">
                    "A full file path (or a folder). An existing file is never overwritten."
                </span>
            </div>
        }
    });
    view! {
        <section class="card stack" aria-labelledby="backup-title">
            <h2 class="card-title" id="backup-title">"Backup"</h2>
            <p class="notice">
                <strong>"The backup holds the signing keys. "</strong>
                "It carries the master key that unlocks them and every user's password hash, encrypted with the passphrase you choose here. "
                "Without that passphrase the backup cannot be restored: nobody can recover a lost one, so keep it somewhere safe, apart from the file."
            </p>
            <ErrorBanner error=error />
            <Show when=stale>
                <div class="notice stack-tight" role="alert">
                    <p>
                        <strong>"Sign in again to make a backup. "</strong>
                        "Backups hand out the signing keys, so the server asks for a sign-in from the last 10 minutes, and yours is older. "
                        "Sign in again with your password, then come back here."
                    </p>
                    <div class="row">
                        <button type="button" class="btn btn-primary btn-small"
                            on:click=move |_| crate::auth::sign_in(true)>
                            "Sign in again"
                        </button>
                    </div>
                </div>
            </Show>
            <form class="stack" on:submit=on_submit novalidate=true>
                <div class="grid-2">
                    <div class="field">
                        <label for="backup-passphrase">"Backup passphrase"</label>
                        <input id="backup-passphrase" class="input" type="password"
                            autocomplete="new-password" spellcheck="false"
                            aria-invalid=move || first_error().is_some().to_string()
                            aria-describedby="backup-passphrase-hint backup-passphrase-error"
                            prop:value=passphrase
                            on:input=move |ev| passphrase.set(event_target_value(&ev)) />
                        <span id="backup-passphrase-hint" class="hint">
                            {format!("At least {MIN_PASSPHRASE} characters. A few unrelated words are easy to type and hard to guess.")}
                        </span>
                        <span id="backup-passphrase-error" class="field-error">{first_error}</span>
                    </div>
                    <div class="field">
                        <label for="backup-repeat">"Repeat the passphrase"</label>
                        <input id="backup-repeat" class="input" type="password"
                            autocomplete="new-password" spellcheck="false"
                            aria-invalid=move || repeat_error().is_some().to_string()
                            aria-describedby="backup-repeat-error"
                            prop:value=repeat
                            on:input=move |ev| repeat.set(event_target_value(&ev)) />
                        <span id="backup-repeat-error" class="field-error">{repeat_error}</span>
                    </div>
                </div>
                {path_field}
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" disabled=move || busy.get()>
                        {move || if busy.get() { busy_label } else { button }}
                    </button>
                    {move || busy.get().then(|| view! {
                        <span class="progress-line" role="status">
                            <span class="spinner" aria-hidden="true"></span>
                            "Making a consistent, encrypted snapshot of the data folder…"
                        </span>
                    })}
                </div>
                <p class="hint">
                    "The file is a .tar.gz.age archive (the age format) of the database, master.key and settings. "
                    "To restore it, stop the server and run "<code>"tessera restore FILE"</code>
                    ": it asks for the passphrase, and refuses to overwrite a data folder that is not empty unless given --force."
                </p>
            </form>
        </section>
    }
}

/// Makes the backup: a download in a browser, a file the window writes on the desktop.
/// Answers the toast to show.
async fn make_backup(host: Host, target: String, secret: String) -> Result<String, Failure> {
    match host {
        Host::Browser => download_backup(&secret)
            .await
            .map(|(name, size)| format!("Backup downloaded: {name} ({})", human_size(size))),
        Host::Desktop => save_in_window(&target, &secret).await.map(|saved| {
            format!(
                "Backup saved to {} ({})",
                saved.path,
                human_size(saved.bytes as f64)
            )
        }),
    }
}

/// The desktop window's `save_backup`; its refusals arrive as the message alone, so a
/// stale sign-in is told by its words ("… signed in within the last 10 minutes …").
async fn save_in_window(target: &str, secret: &str) -> Result<desktop::SavedBackup, Failure> {
    let token = api::access_token()
        .await
        .map_err(|e| Failure::Other(e.message))?;
    desktop::save_backup(&token, target, secret)
        .await
        .map_err(|message| {
            if message.contains(STALE_SIGN_IN) || message.contains("within the last 10 minutes") {
                Failure::StaleSignIn
            } else if target.starts_with('~') && message.contains("absolute") {
                Failure::Other(format!(
                    "{message}. Type the full path, starting with / (your home folder instead of ~)."
                ))
            } else {
                Failure::Other(message)
            }
        })
}

/// POST /v1/backup with the passphrase, then hands the encrypted archive to the browser as
/// a download named like the server says. Returns (file name, size).
async fn download_backup(secret: &str) -> Result<(String, f64), Failure> {
    let body = serde_json::json!({ "passphrase": secret }).to_string();
    let response = api::send("POST", "/v1/backup", Some(&body)).await?;
    let response = if response.status() == 401 {
        crate::auth::refresh().await?;
        api::send("POST", "/v1/backup", Some(&body)).await?
    } else {
        response
    };
    if !response.ok() {
        let status = response.status();
        let text = api::response_text(&response).await?;
        return Err(api::error_from(status, &text).into());
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
        .unwrap_or_else(|| format!("tessera-backup-{}.tar.gz.age", today_stamp()));
    let network = |e: wasm_bindgen::JsValue| Failure::from(ApiError::network(&e));
    let blob = JsFuture::from(response.blob().map_err(network)?)
        .await
        .map_err(network)?
        .unchecked_into::<web_sys::Blob>();
    let size = blob.size();
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(network)?;
    let doc = document();
    let anchor = doc
        .create_element("a")
        .map_err(network)?
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
