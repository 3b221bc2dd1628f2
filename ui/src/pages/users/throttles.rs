//! The users page's "Throttled accounts" panel (`GET /v1/throttles`): accounts whose
//! sign-in is paused after too many wrong passwords, and in a compact second list the IP
//! addresses and clients paused the same way, each with its release time and a "Clear"
//! button (`DELETE /v1/throttles/{scope}/{key}`). Nothing is shown while nothing is paused.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;

use crate::api;
use crate::components::time::{self, local, local_near, relative};
use crate::components::{toast, ErrorBanner};

/// New pauses appear within this long without a reload; times tick every few seconds.
const REFETCH_EVERY: Duration = Duration::from_secs(30);
const TICK_EVERY: Duration = Duration::from_secs(5);

#[derive(Clone, Debug, PartialEq, Deserialize)]
struct Throttle {
    /// "account", "ip" or "client".
    scope: String,
    key: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    failures: u32,
    /// Unix seconds.
    until: i64,
}

impl Throttle {
    /// What a person recognises: the email, the client id, the address.
    fn label(&self) -> String {
        match self.scope.as_str() {
            "account" => self.email.clone(),
            "client" => self.client_id.clone(),
            _ => None,
        }
        .unwrap_or_else(|| self.key.clone())
    }

    fn id(&self) -> (String, String) {
        (self.scope.clone(), self.key.clone())
    }
}

#[derive(Deserialize)]
struct ThrottleList {
    throttles: Vec<Throttle>,
}

#[component]
pub fn ThrottlePanel() -> impl IntoView {
    let list = RwSignal::new(Vec::<Throttle>::new());
    let error = RwSignal::new(None::<String>);
    let now = RwSignal::new(time::now());
    let load = move || {
        spawn_local(async move {
            let result = api::get::<ThrottleList>("/v1/throttles").await;
            // The page may have been left meanwhile.
            match result {
                Ok(l) => {
                    let _ = list.try_set(l.throttles);
                    let _ = error.try_set(None);
                }
                Err(e) => {
                    let _ = error.try_set(Some(format!(
                        "Could not read the throttled sign-ins: {}",
                        e.message
                    )));
                }
            }
            let _ = now.try_set(time::now());
        });
    };
    load();
    if let Ok(handle) = set_interval_with_handle(load, REFETCH_EVERY) {
        on_cleanup(move || handle.clear());
    }
    if let Ok(handle) = set_interval_with_handle(move || now.set(time::now()), TICK_EVERY) {
        on_cleanup(move || handle.clear());
    }
    let clear = Callback::new(move |t: Throttle| {
        let path = format!("/v1/throttles/{}/{}", api::enc(&t.scope), api::enc(&t.key));
        spawn_local(async move {
            match api::delete(&path).await {
                Ok(()) => {
                    toast::show(format!("Cleared the pause on {}", t.label()));
                    let _ = list.try_update(|l| l.retain(|x| x.id() != t.id()));
                    load();
                }
                Err(e) => {
                    let _ = error.try_set(Some(format!("Could not clear it: {}", e.message)));
                }
            }
        });
    });
    // A pause that has run out is over, whatever the last answer said.
    let live = move |scope_is_account: bool| {
        let now = now.get();
        list.get()
            .into_iter()
            .filter(|t| t.until > now && (t.scope == "account") == scope_is_account)
            .collect::<Vec<_>>()
    };
    let accounts = move || live(true);
    let others = move || live(false);

    view! {
        <ErrorBanner error=error />
        <Show when=move || !accounts().is_empty() || !others().is_empty()>
            <section class="card throttle-card" aria-labelledby="throttle-title">
                <h2 class="card-title" id="throttle-title">
                    {move || if accounts().is_empty() { "Throttled sign-ins" } else { "Throttled accounts" }}
                </h2>
                <p class="muted throttle-lede">
                    "Too many wrong passwords: sign-in is paused until the time shown, even with the right password. "
                    "A pause ends by itself; clear one when you know the person and they should try again now."
                </p>
                <Show when=move || !accounts().is_empty()>
                    <div class="table-wrap">
                        <table class="table throttle-table" aria-labelledby="throttle-title">
                            <thead>
                                <tr>
                                    <th scope="col">"Account"</th>
                                    <th scope="col">"Wrong passwords"</th>
                                    <th scope="col">"Paused until"</th>
                                    <th scope="col"><span class="sr-only">"Action"</span></th>
                                </tr>
                            </thead>
                            <tbody>
                                <For each=accounts key=|t| (t.id(), t.until, t.failures) let:t>
                                    <ThrottleRow t=t now=now clear=clear />
                                </For>
                            </tbody>
                        </table>
                    </div>
                </Show>
                <Show when=move || !others().is_empty()>
                    <h3 class="throttle-subtitle" id="throttle-others">"Addresses and clients"</h3>
                    <div class="table-wrap">
                        <table class="table throttle-table" aria-labelledby="throttle-others">
                            <thead>
                                <tr>
                                    <th scope="col">"IP address or client"</th>
                                    <th scope="col">"Failures"</th>
                                    <th scope="col">"Paused until"</th>
                                    <th scope="col"><span class="sr-only">"Action"</span></th>
                                </tr>
                            </thead>
                            <tbody>
                                <For each=others key=|t| (t.id(), t.until, t.failures) let:t>
                                    <OtherRow t=t now=now clear=clear />
                                </For>
                            </tbody>
                        </table>
                    </div>
                </Show>
            </section>
        </Show>
    }
}

/// The release time in local time and how long is left ("in 4 min").
#[component]
fn Until(until: i64, now: RwSignal<i64>) -> impl IntoView {
    view! {
        <span class="throttle-until" title=local(until)>
            <span>{local_near(until)}</span>
            " "
            <span class="muted">{move || { now.track(); format!("({})", relative(until)) }}</span>
        </span>
    }
}

#[component]
fn ClearButton(t: Throttle, clear: Callback<Throttle>) -> impl IntoView {
    let busy = RwSignal::new(false);
    let label = format!("Clear the pause on {}", t.label());
    view! {
        <button
            type="button"
            class="btn btn-small"
            aria-label=label
            disabled=move || busy.get()
            on:click=move |_| {
                busy.set(true);
                clear.run(t.clone());
            }
        >
            "Clear"
        </button>
    }
}

#[component]
fn ThrottleRow(t: Throttle, now: RwSignal<i64>, clear: Callback<Throttle>) -> impl IntoView {
    view! {
        <tr data-throttle-key=t.key.clone()>
            <td class="throttle-who">{t.label()}</td>
            <td>{t.failures}</td>
            <td class="throttle-when"><Until until=t.until now=now /></td>
            <td class="throttle-action"><ClearButton t=t.clone() clear=clear /></td>
        </tr>
    }
}

/// An IP address or a client: what kind, the key, the failures in words.
#[component]
fn OtherRow(t: Throttle, now: RwSignal<i64>, clear: Callback<Throttle>) -> impl IntoView {
    let (kind, what) = match t.scope.as_str() {
        "ip" => ("IP address", "failed sign-ins"),
        "client" => ("Client", "wrong client secrets"),
        _ => ("Other", "failures"),
    };
    view! {
        <tr data-throttle-key=t.key.clone()>
            <td class="throttle-who">
                <span class="badge badge-muted">{kind}</span>
                " "
                <span class="mono">{t.label()}</span>
            </td>
            <td>{format!("{} {what}", t.failures)}</td>
            <td class="throttle-when"><Until until=t.until now=now /></td>
            <td class="throttle-action"><ClearButton t=t.clone() clear=clear /></td>
        </tr>
    }
}
