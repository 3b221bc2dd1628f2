//! The "Server address" card: listen address, port and issuer. In the desktop window
//! they change with `apply_server_settings` (the embedded server restarts in place); in a
//! browser they are read-only (the command line sets them). An `http://` issuer on a host
//! other than this computer needs an explicit "use it anyway": sign-in traffic and session
//! cookies would cross the network in clear.

use leptos::ev;
use leptos::prelude::*;
use serde::Deserialize;

use crate::api;
use crate::components::insecure_http::{insecure_http, InsecureHttpWarning, NOT_ACCEPTED};
use crate::components::{failure, ConfirmDialog, ErrorBanner, Loaded};
use crate::desktop::{self, Host};

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
pub fn ServerCard() -> impl IntoView {
    let facts = LocalResource::new(|| api::get::<StatsServer>("/v1/stats"));
    view! {
        <section class="card" aria-labelledby="server-title">
            <h2 class="card-title" id="server-title">"Server address"</h2>
            <Loaded resource=facts let:s>
                {match desktop::host() {
                    Host::Desktop => view! { <ServerForm facts=s.server /> }.into_any(),
                    Host::Browser => view! { <ServerReadOnly facts=s.server /> }.into_any(),
                }}
            </Loaded>
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
    let confirm = RwSignal::new(false);
    // Ticked by hand to accept an http:// issuer on the network.
    let insecure_ok = RwSignal::new(false);
    let insecure = move || insecure_http(&issuer.get());
    let insecure_error =
        move || (submitted.get() && insecure() && !insecure_ok.get()).then_some(NOT_ACCEPTED);

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
        if port_error().is_some()
            || address_error().is_some()
            || issuer_error().is_some()
            || insecure_error().is_some()
        {
            return;
        }
        confirm.set(true);
    };
    let restart = Action::new_local(|to: &Restart| restart_server(to.clone()));
    let busy = restart.pending();
    let apply = move |()| {
        let issuer = issuer
            .get_untracked()
            .trim()
            .trim_end_matches('/')
            .to_owned();
        restart.dispatch_local(Restart {
            address: address.get_untracked().trim().to_owned(),
            port: port.get_untracked().trim().parse().unwrap_or(0),
            allow_insecure_http: insecure_http(&issuer) && insecure_ok.get_untracked(),
            issuer,
        });
    };
    view! {
        <form class="stack" on:submit=on_submit novalidate=true>
            <ErrorBanner error=failure(restart) />
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
            <InsecureHttpWarning issuer=issuer accepted=insecure_ok missing=Signal::derive(insecure_error) id="srv-insecure" />
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

/// Where the server is to listen next.
#[derive(Clone)]
struct Restart {
    address: String,
    port: u16,
    issuer: String,
    allow_insecure_http: bool,
}

/// `apply_server_settings`, then the window follows the server to its new address.
async fn restart_server(to: Restart) -> Result<(), String> {
    let token = api::access_token().await.map_err(|e| e.message)?;
    let ctx = desktop::apply_server_settings(
        &token,
        &to.address,
        to.port,
        &to.issuer,
        to.allow_insecure_http,
    )
    .await?;
    if let Some(problem) = ctx.error {
        return Err(problem);
    }
    match ctx.console_url {
        Some(url) => {
            // The window follows the server; sign-in there is silent (SSO cookie).
            let url = format!("{}settings?signin=1", ensure_slash(&url));
            let _ = window().location().replace(&url);
            // Busy until the window has left for the new address.
            std::future::pending::<()>().await;
        }
        None => {
            let _ = window().location().reload();
        }
    }
    Ok(())
}

fn ensure_slash(url: &str) -> String {
    if url.ends_with('/') {
        url.to_owned()
    } else {
        format!("{url}/")
    }
}
