//! The audit log: a live feed (newest first) that grows as events are committed,
//! filters that re-query the list and restart the stream with the same filters,
//! Pause/Resume (events buffer while paused), "Load older" paging, and an event detail
//! panel that links token events to the inspector.

pub mod detail;
pub mod model;
pub mod stream;

use std::collections::HashSet;
use std::time::Duration;

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::api;
use crate::app::navigate;
use crate::components::time;
use crate::components::{Empty, ErrorBanner, Loading, PageHeader};
use detail::EventDetail;
pub use model::{recall, remember, type_label, AuditEvent, EventPage, Filters, KNOWN_TYPES};
use stream::LiveState;

const PAGE: u32 = 50;

#[component]
pub fn AuditPage() -> impl IntoView {
    let draft = RwSignal::new(Filters::default());
    let applied = RwSignal::new(Filters::default());
    let events = RwSignal::new(Vec::<AuditEvent>::new());
    let next_cursor = RwSignal::new(None::<String>);
    let loading = RwSignal::new(true);
    let loading_older = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let older_error = RwSignal::new(None::<String>);
    let paused = RwSignal::new(false);
    let buffered = RwSignal::new(Vec::<AuditEvent>::new());
    let live = RwSignal::new(LiveState::Connecting);
    let selected = RwSignal::new(None::<String>);
    let fresh = RwSignal::new(HashSet::<String>::new());
    let now = RwSignal::new(time::now());
    let stream_handle = StoredValue::new(0u64);
    let generation = StoredValue::new(0u64);

    // Relative times ("3 min ago") move on by themselves.
    if let Ok(tick) = set_interval_with_handle(
        move || {
            let _ = now.try_set(time::now());
        },
        Duration::from_secs(10),
    ) {
        on_cleanup(move || tick.clear());
    }
    on_cleanup(move || {
        if let Some(h) = stream_handle.try_get_value() {
            stream::stop(h);
        }
    });

    // A live event: dropped when already listed, buffered while paused.
    let on_event = move |event: AuditEvent| {
        let known = events
            .try_with_untracked(|list| list.iter().any(|e| e.id == event.id))
            .unwrap_or(true)
            || buffered
                .try_with_untracked(|list| list.iter().any(|e| e.id == event.id))
                .unwrap_or(true);
        if known {
            return;
        }
        fresh.try_update(|f| {
            f.insert(event.id.clone());
        });
        if paused.try_get_untracked().unwrap_or(false) {
            buffered.try_update(|b| b.insert(0, event));
        } else {
            events.try_update(|list| list.insert(0, event));
        }
    };

    // (Re)loads the first page for the applied filters, then follows the stream from
    // the newest listed event, so nothing committed in between is missed.
    let reload = move || {
        let g = generation.get_value() + 1;
        generation.set_value(g);
        stream::stop(stream_handle.get_value());
        let filters = applied.get_untracked();
        loading.set(true);
        error.set(None);
        older_error.set(None);
        buffered.set(Vec::new());
        live.set(LiveState::Connecting);
        leptos::task::spawn_local(async move {
            let query = filters.query();
            let result =
                api::get::<EventPage>(&format!("/v1/audit-events?limit={PAGE}{query}")).await;
            if generation.try_get_value() != Some(g) {
                return;
            }
            match result {
                Ok(page) => {
                    // With nothing listed, every matching event is new: replay from 0.
                    let after = page
                        .events
                        .iter()
                        .map(AuditEvent::num)
                        .max()
                        .unwrap_or(0)
                        .to_string();
                    events.set(page.events);
                    next_cursor.set(page.next_cursor);
                    loading.set(false);
                    let handle = stream::start(query, Some(after), on_event, move |state| {
                        let _ = live.try_set(state);
                    });
                    stream_handle.set_value(handle);
                }
                Err(e) => {
                    events.set(Vec::new());
                    next_cursor.set(None);
                    error.set(Some(e.message));
                    live.set(LiveState::Stopped("The feed is not running".into()));
                    loading.set(false);
                }
            }
        });
    };
    reload();

    let apply = move || {
        let d = draft.get_untracked();
        if d != applied.get_untracked() {
            applied.set(d);
            selected.set(None);
            reload();
        }
    };
    let on_submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        apply();
    };
    let clear_filters = move |_| {
        draft.set(Filters::default());
        apply();
    };

    let load_older = move |_| {
        let Some(cursor) = next_cursor.get_untracked() else {
            return;
        };
        let g = generation.get_value();
        let query = applied.get_untracked().query();
        loading_older.set(true);
        older_error.set(None);
        leptos::task::spawn_local(async move {
            let result = api::get::<EventPage>(&format!(
                "/v1/audit-events?limit={PAGE}&cursor={}{query}",
                api::enc(&cursor)
            ))
            .await;
            if generation.try_get_value() != Some(g) {
                return;
            }
            match result {
                Ok(page) => {
                    events.update(|list| {
                        for e in page.events {
                            if !list.iter().any(|x| x.id == e.id) {
                                list.push(e);
                            }
                        }
                    });
                    next_cursor.set(page.next_cursor);
                }
                Err(e) => older_error.set(Some(e.message)),
            }
            loading_older.set(false);
        });
    };

    let toggle_pause = move |_| {
        if paused.get_untracked() {
            let waiting = buffered.try_update(std::mem::take).unwrap_or_default();
            events.update(|list| {
                for e in waiting.into_iter().rev() {
                    if !list.iter().any(|x| x.id == e.id) {
                        list.insert(0, e);
                    }
                }
            });
            paused.set(false);
        } else {
            paused.set(true);
        }
    };

    // Closing the panel returns focus to the row it was opened from.
    let close_detail = move || {
        let opener = document()
            .query_selector("tr.audit-selected .audit-open")
            .ok()
            .flatten();
        selected.set(None);
        if let Some(el) = opener.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = el.focus();
        }
    };

    let selected_event = Memo::new(move |_| {
        let id = selected.get()?;
        events.with(|list| list.iter().find(|e| e.id == id).cloned())
    });

    let live_view = move || {
        let (class, text) = match live.get() {
            _ if paused.get() => ("live live-paused", "Paused".to_owned()),
            LiveState::Connecting => ("live live-wait", "Connecting…".to_owned()),
            LiveState::Live => ("live live-on", "Live".to_owned()),
            LiveState::Retrying { secs, reason } => (
                "live live-wait",
                format!("Reconnecting in {secs} s — {reason}"),
            ),
            LiveState::Stopped(why) => ("live live-off", why),
        };
        view! {
            <span class=class>
                <span class="live-dot" aria-hidden="true"></span>
                {text}
            </span>
        }
    };

    let new_count = move || {
        let n = buffered.with(Vec::len);
        (paused.get() && n > 0).then(|| {
            let text = if n == 1 {
                "1 new event".to_owned()
            } else {
                format!("{n} new events")
            };
            view! { <span class="badge badge-warn audit-new-count">{text}</span> }
        })
    };

    let subtitle = "Every token issued, refreshed, refused or revoked, every sign-in and \
                    every admin change, as it happens.";

    view! {
        <section class="page audit-page">
            <PageHeader title="Audit log" subtitle=subtitle.to_owned()>
                <div class="audit-live" role="status" aria-live="polite">
                    {live_view}
                    {new_count}
                </div>
                <button
                    type="button"
                    class="btn"
                    aria-pressed=move || if paused.get() { "true" } else { "false" }
                    on:click=toggle_pause
                >
                    {move || if paused.get() { "Resume" } else { "Pause" }}
                </button>
            </PageHeader>

            <form class="toolbar audit-filters" on:submit=on_submit aria-label="Filter events">
                <div class="field">
                    <label for="audit-type">"Type"</label>
                    <select
                        id="audit-type"
                        class="select"
                        prop:value=move || draft.with(|d| d.kind.clone())
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            draft.update(|d| d.kind = v);
                            apply();
                        }
                    >
                        <option value="">"All types"</option>
                        {KNOWN_TYPES
                            .iter()
                            .map(|(value, label)| {
                                view! { <option value=*value>{*label}</option> }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="audit-outcome">"Outcome"</label>
                    <select
                        id="audit-outcome"
                        class="select"
                        prop:value=move || draft.with(|d| d.outcome.clone())
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            draft.update(|d| d.outcome = v);
                            apply();
                        }
                    >
                        <option value="">"Any outcome"</option>
                        <option value="success">"Success"</option>
                        <option value="failure">"Failure"</option>
                    </select>
                </div>
                <TextFilter id="audit-subject" label="Subject" placeholder="user or client id"
                    draft=draft get=|f| f.subject.clone() set=|f, v| f.subject = v />
                <TextFilter id="audit-client" label="Client" placeholder="client_id"
                    draft=draft get=|f| f.client.clone() set=|f, v| f.client = v />
                <TextFilter id="audit-branch" label="Branch" placeholder="branch id"
                    draft=draft get=|f| f.branch.clone() set=|f, v| f.branch = v />
                <div class="field">
                    <label for="audit-since">"From"</label>
                    <input
                        id="audit-since"
                        class="input"
                        type="datetime-local"
                        prop:value=move || draft.with(|d| d.since.clone())
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            draft.update(|d| d.since = v);
                            apply();
                        }
                    />
                </div>
                <div class="field">
                    <label for="audit-until">"To"</label>
                    <input
                        id="audit-until"
                        class="input"
                        type="datetime-local"
                        prop:value=move || draft.with(|d| d.until.clone())
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            draft.update(|d| d.until = v);
                            apply();
                        }
                    />
                </div>
                <div class="audit-filter-actions">
                    <button type="submit" class="btn btn-primary">"Apply"</button>
                    <Show when=move || !draft.with(Filters::is_empty) || !applied.with(Filters::is_empty)>
                        <button type="button" class="btn btn-ghost" on:click=clear_filters>
                            "Clear filters"
                        </button>
                    </Show>
                </div>
            </form>

            <ErrorBanner error=error />

            <Show when=move || !loading.get() fallback=|| view! { <Loading /> }>
                <Show
                    when=move || !events.with(Vec::is_empty)
                    fallback=move || {
                        if error.get().is_some() {
                            ().into_any()
                        } else if applied.with(Filters::is_empty) {
                            view! {
                                <Empty
                                    title="No events yet"
                                    hint="Events appear here the moment they happen: sign in to a product, \
                                          request a token or change something in the console and watch this list."
                                        .to_owned()
                                />
                            }
                                .into_any()
                        } else {
                            view! {
                                <Empty
                                    title="No events match these filters"
                                    hint="Widen the time range or clear a filter; new matching events still appear here live."
                                        .to_owned()
                                >
                                    <button type="button" class="btn" on:click=clear_filters>
                                        "Clear filters"
                                    </button>
                                </Empty>
                            }
                                .into_any()
                        }
                    }
                >
                    <div class="table-wrap">
                        <table class="table audit-table">
                            <caption class="sr-only">"Audit events, newest first"</caption>
                            <thead>
                                <tr>
                                    <th scope="col">"Time"</th>
                                    <th scope="col">"Event"</th>
                                    <th scope="col">"Outcome"</th>
                                    <th scope="col">"Subject"</th>
                                    <th scope="col">"Client"</th>
                                </tr>
                            </thead>
                            <tbody>
                                <For
                                    each=move || events.get()
                                    key=|e| e.id.clone()
                                    children=move |e| {
                                        view! {
                                            <EventRow event=e selected=selected fresh=fresh now=now />
                                        }
                                    }
                                />
                            </tbody>
                        </table>
                    </div>
                </Show>
                <ErrorBanner error=older_error />
                <Show when=move || next_cursor.with(Option::is_some)>
                    <div class="audit-more">
                        <button
                            type="button"
                            class="btn"
                            disabled=move || loading_older.get()
                            on:click=load_older
                        >
                            {move || if loading_older.get() { "Loading…" } else { "Load older" }}
                        </button>
                    </div>
                </Show>
            </Show>

            {move || {
                selected_event
                    .get()
                    .map(|event| {
                        view! {
                            <EventDetail
                                event=event
                                on_close=Callback::new(move |_| close_detail())
                            />
                        }
                    })
            }}
        </section>
    }
}

/// A text filter: typing edits the draft; Enter (or Apply) applies it.
#[component]
fn TextFilter(
    id: &'static str,
    label: &'static str,
    placeholder: &'static str,
    draft: RwSignal<Filters>,
    get: fn(&Filters) -> String,
    set: fn(&mut Filters, String),
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                class="input"
                type="search"
                placeholder=placeholder
                autocomplete="off"
                spellcheck="false"
                prop:value=move || draft.with(get)
                on:input=move |ev| {
                    let v = event_target_value(&ev);
                    draft.update(|d| set(d, v));
                }
            />
        </div>
    }
}

/// A short time for the table: the clock time today, date and time otherwise.
fn short_time(ts: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ts as f64 * 1000.0));
    let today = js_sys::Date::new_0();
    let same_day = date.get_full_year() == today.get_full_year()
        && date.get_month() == today.get_month()
        && date.get_date() == today.get_date();
    if same_day {
        String::from(date.to_locale_time_string("default"))
    } else {
        time::local(ts)
    }
}

#[component]
fn EventRow(
    event: AuditEvent,
    selected: RwSignal<Option<String>>,
    fresh: RwSignal<HashSet<String>>,
    now: RwSignal<i64>,
) -> impl IntoView {
    let id = event.id.clone();
    let ts = event.at_secs();
    let is_fresh = fresh.with_untracked(|f| f.contains(&id));
    let row_id = id.clone();
    let is_selected = move || selected.with(|s| s.as_deref() == Some(row_id.as_str()));
    let open_id = id.clone();
    let open = move || {
        selected.set(Some(open_id.clone()));
    };
    let open_row = open.clone();
    let outcome = if event.ok() {
        view! { <span class="badge badge-ok">"success"</span> }
    } else {
        view! { <span class="badge badge-bad">"failure"</span> }
    };
    let label = type_label(&event.kind);
    let kind = event.kind.clone();
    let kind_attr = kind.clone();
    let subject = event.subject.clone().unwrap_or_default();
    let client = event.client_id.clone().unwrap_or_default();
    let full_time = time::local(ts);
    let class = move || {
        let mut c = String::from("audit-row");
        if is_fresh {
            c.push_str(" audit-fresh");
        }
        if is_selected() {
            c.push_str(" audit-selected");
        }
        c
    };
    view! {
        <tr class=class data-event-type=kind_attr on:click=move |_| open_row()>
            <td class="audit-time" title=full_time>
                <span>{short_time(ts)}</span>
                <span class="muted audit-rel">
                    {move || {
                        now.track();
                        time::relative(ts)
                    }}
                </span>
            </td>
            <td>
                <button
                    type="button"
                    class="audit-open"
                    on:click=move |ev| {
                        ev.stop_propagation();
                        open();
                    }
                >
                    <span class="audit-label">{label}</span>
                    <span class="mono audit-kind">{kind}</span>
                </button>
            </td>
            <td>{outcome}</td>
            <td class="mono audit-id" title=subject.clone()>{subject.clone()}</td>
            <td class="mono audit-id" title=client.clone()>{client.clone()}</td>
        </tr>
    }
}

/// Opens the inspector on the claims `event` recorded.
pub fn open_in_inspector(event: &AuditEvent) {
    remember(event);
    navigate(&format!("/console/inspector?event={}", api::enc(&event.id)));
}
