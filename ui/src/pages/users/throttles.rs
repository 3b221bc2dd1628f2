//! The users page's "Throttled accounts" panel (`GET /v1/throttles`): accounts whose
//! sign-in is paused after too many wrong passwords, and in a compact second list the IP
//! addresses and clients paused the same way, each with its release time and a "Clear"
//! button (`DELETE /v1/throttles/{scope}/{key}`). While nothing is paused, one quiet line
//! says so (nothing to do).

use std::time::Duration;

use leptos::prelude::*;

use crate::api;
use crate::components::time::{self, local, local_near, relative};
use crate::components::{on_done, toast, Empty, ErrorBanner};

/// New pauses appear within this long without a reload; times tick every few seconds.
const REFETCH_EVERY: Duration = Duration::from_secs(30);
const TICK_EVERY: Duration = Duration::from_secs(5);

use tessera_proto::throttles::{Throttle, ThrottleList};

/// What the console reads off a throttled key.
trait ThrottleExt {
    fn label(&self) -> String;
    fn id(&self) -> (String, String);
}

impl ThrottleExt for Throttle {
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

#[component]
pub fn ThrottlePanel() -> impl IntoView {
    let now = RwSignal::new(time::now());
    // Why the last "Clear" failed, until the next answer of the list.
    let error = RwSignal::new(None::<String>);
    let throttles = LocalResource::new(move || async move {
        let result = api::get::<ThrottleList>("/v1/throttles").await;
        // The page may have been left meanwhile.
        if result.is_ok() {
            let _ = error.try_set(None);
        }
        let _ = now.try_set(time::now());
        result.map(|l| l.throttles)
    });
    if let Ok(handle) = set_interval_with_handle(move || throttles.refetch(), REFETCH_EVERY) {
        on_cleanup(move || handle.clear());
    }
    if let Ok(handle) = set_interval_with_handle(move || now.set(time::now()), TICK_EVERY) {
        on_cleanup(move || handle.clear());
    }
    let clear = Action::new_local(move |t: &Throttle| {
        let t = t.clone();
        let path = format!("/v1/throttles/{}/{}", api::enc(&t.scope), api::enc(&t.key));
        async move { (t.clone(), api::delete(&path).await) }
    });
    on_done(clear, move |(t, result)| match result {
        Ok(()) => {
            toast::show(format!("Cleared the pause on {}", t.label()));
            // Gone at once; the reload confirms it.
            throttles.update(|list| {
                if let Some(Ok(list)) = list {
                    list.retain(|x| x.id() != t.id());
                }
            });
            throttles.refetch();
        }
        Err(e) => error.set(Some(format!("Could not clear it: {}", e.message))),
    });
    let clearing = clear.input();
    let clearing = Signal::derive(move || clearing.with(|t| t.as_ref().map(Throttle::id)));
    let on_clear = Callback::new(move |t: Throttle| {
        clear.dispatch(t);
    });

    view! {
        <ErrorBanner error=error />
        // Nothing shows until the first answer (no fallback). Read as it stands, not
        // awaited: see `hooks::reloading`.
        <Transition>
            {move || {
                throttles.get().map(|answer| match answer {
                    Ok(list) => {
                        view! { <ThrottleCard list=list now=now clearing=clearing clear=on_clear /> }
                            .into_any()
                    }
                    Err(e) => {
                        let message = format!("Could not read the throttled sign-ins: {}", e.message);
                        view! { <ErrorBanner error=Signal::derive(move || Some(message.clone())) /> }
                            .into_any()
                    }
                })
            }}
        </Transition>
    }
}

/// The paused accounts, then the paused addresses and clients; a quiet line when none is.
#[component]
fn ThrottleCard(
    list: Vec<Throttle>,
    now: RwSignal<i64>,
    clearing: Signal<Option<(String, String)>>,
    clear: Callback<Throttle>,
) -> impl IntoView {
    // A pause that has run out is over, whatever the last answer said.
    let live = move |scope_is_account: bool| {
        let now = now.get();
        list.iter()
            .filter(|t| t.until > now && (t.scope == "account") == scope_is_account)
            .cloned()
            .collect::<Vec<_>>()
    };
    let accounts = Signal::derive({
        let live = live.clone();
        move || live(true)
    });
    let others = Signal::derive(move || live(false));

    let nothing_paused = || {
        view! {
            <Empty
                compact=true
                title="No sign-in is paused"
                hint="Nothing to do: after repeated wrong passwords an account, address or client is paused here, and the pause ends by itself."
            />
        }
    };
    view! {
        <Show
            when=move || !accounts.get().is_empty() || !others.get().is_empty()
            fallback=nothing_paused
        >
            <section class="card throttle-card" aria-labelledby="throttle-title">
                <h2 class="card-title" id="throttle-title">
                    {move || if accounts.get().is_empty() { "Throttled sign-ins" } else { "Throttled accounts" }}
                </h2>
                <p class="muted throttle-lede">
                    "Too many wrong passwords: sign-in is paused until the time shown, even with the right password. "
                    "A pause ends by itself; clear one when you know the person and they should try again now."
                </p>
                <Show when=move || !accounts.get().is_empty()>
                    <ThrottleTable
                        labelled_by="throttle-title"
                        who="Account"
                        failures="Wrong passwords"
                        rows=accounts
                        now=now
                        clearing=clearing
                        clear=clear
                    />
                </Show>
                <Show when=move || !others.get().is_empty()>
                    <h3 class="throttle-subtitle" id="throttle-others">"Addresses and clients"</h3>
                    <ThrottleTable
                        labelled_by="throttle-others"
                        who="IP address or client"
                        failures="Failures"
                        rows=others
                        now=now
                        clearing=clearing
                        clear=clear
                    />
                </Show>
            </section>
        </Show>
    }
}

#[component]
fn ThrottleTable(
    labelled_by: &'static str,
    who: &'static str,
    failures: &'static str,
    rows: Signal<Vec<Throttle>>,
    now: RwSignal<i64>,
    clearing: Signal<Option<(String, String)>>,
    clear: Callback<Throttle>,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table throttle-table" aria-labelledby=labelled_by>
                <thead>
                    <tr>
                        <th scope="col">{who}</th>
                        <th scope="col">{failures}</th>
                        <th scope="col">"Paused until"</th>
                        <th scope="col"><span class="sr-only">"Action"</span></th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || rows.get() key=|t| (t.id(), t.until, t.failures) let:t>
                        <ThrottleRow t=t now=now clearing=clearing clear=clear />
                    </For>
                </tbody>
            </table>
        </div>
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

/// An account (its email), or an IP address or a client (what kind, the key), with the
/// failures in words, the release time and "Clear".
#[component]
fn ThrottleRow(
    t: Throttle,
    now: RwSignal<i64>,
    clearing: Signal<Option<(String, String)>>,
    clear: Callback<Throttle>,
) -> impl IntoView {
    let (who, failures) = match t.scope.as_str() {
        "account" => (view! { {t.label()} }.into_any(), t.failures.to_string()),
        scope => {
            let (kind, what) = match scope {
                "ip" => ("IP address", "failed sign-ins"),
                "client" => ("Client", "wrong client secrets"),
                _ => ("Other", "failures"),
            };
            let who = view! {
                <span class="badge badge-muted">{kind}</span>
                " "
                <span class="mono">{t.label()}</span>
            };
            (who.into_any(), format!("{} {what}", t.failures))
        }
    };
    let label = format!("Clear the pause on {}", t.label());
    let (id, key, until) = (t.id(), t.key.clone(), t.until);
    view! {
        <tr data-throttle-key=key>
            <td class="throttle-who">{who}</td>
            <td>{failures}</td>
            <td class="throttle-when"><Until until=until now=now /></td>
            <td class="throttle-action">
                <button
                    type="button"
                    class="btn btn-small"
                    aria-label=label
                    disabled=move || clearing.with(|c| c.as_ref() == Some(&id))
                    on:click=move |_| clear.run(t.clone())
                >
                    "Clear"
                </button>
            </td>
        </tr>
    }
}
