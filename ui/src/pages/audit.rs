//! The audit log: a live feed (newest first) that grows as events are committed,
//! filters that re-query the list and restart the stream with the same filters,
//! Pause/Resume (events buffer while paused), "Load older" paging, and an event detail
//! panel that links token events to the inspector.

pub mod detail;
mod feed;
mod filters;
pub mod model;
pub mod names;
pub mod recent;
pub mod stream;
mod table;

use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::api;
use crate::app::navigate;
use crate::components::time;
use crate::components::{ErrorBanner, Loading, PageHeader};
use detail::EventDetail;
use feed::{use_audit_feed, AuditFeed};
use filters::{use_audit_filters, FilterBar};
pub use model::{recall, remember, type_label, AuditEvent, EventExt, Filters};
use stream::LiveState;
use table::EventList;

#[component]
pub fn AuditPage() -> impl IntoView {
    let filters = use_audit_filters();
    let feed = use_audit_feed(filters.applied);
    let selected = RwSignal::new(None::<String>);
    // Relative times ("3 min ago") move on by themselves.
    let now = time::use_now(Duration::from_secs(10));
    // Other filters, another list: the open event may not be in it.
    Effect::watch(
        move || filters.applied.track(),
        move |_, _, _| selected.set(None),
        false,
    );
    let subtitle = "Every token issued, refreshed, refused or revoked, every sign-in and \
                    every admin change, as it happens.";
    view! {
        <section class="page audit-page">
            <PageHeader title="Audit log" subtitle=subtitle.to_owned()>
                <LiveStatus feed=feed />
                <button
                    type="button"
                    class="btn"
                    aria-pressed=move || if feed.paused.get() { "true" } else { "false" }
                    on:click=move |_| feed.toggle_pause()
                >
                    {move || if feed.paused.get() { "Resume" } else { "Pause" }}
                </button>
            </PageHeader>
            <FilterBar filters=filters />
            <Suspense fallback=Loading>
                <ErrorBanner error=Signal::derive(move || feed.error()) />
                <EventList feed=feed filters=filters selected=selected now=now />
                <ErrorBanner error=feed.older_error() />
                <LoadOlder feed=feed filters=filters.applied />
            </Suspense>
            <Details feed=feed selected=selected />
        </section>
    }
}

/// "Live", "Connecting…", "Paused" (and how many events wait), "Reconnecting in …".
#[component]
fn LiveStatus(feed: AuditFeed) -> impl IntoView {
    let state = move || {
        let (class, text) = match feed.state.get() {
            _ if feed.paused.get() => ("live live-paused", "Paused".to_owned()),
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
    let waiting = move || {
        let n = feed.buffered.with(Vec::len);
        (feed.paused.get() && n > 0).then(|| {
            let text = if n == 1 {
                "1 new event".to_owned()
            } else {
                format!("{n} new events")
            };
            view! { <span class="badge badge-warn audit-new-count">{text}</span> }
        })
    };
    view! {
        <div class="audit-live" role="status" aria-live="polite">
            {state}
            {waiting}
        </div>
    }
}

/// "Load older", while older events remain.
#[component]
fn LoadOlder(feed: AuditFeed, filters: RwSignal<Filters>) -> impl IntoView {
    let loading = feed.load_older.pending();
    view! {
        <Show when=move || feed.next_cursor.with(Option::is_some)>
            <div class="audit-more">
                <button
                    type="button"
                    class="btn"
                    disabled=move || loading.get()
                    on:click=move |_| feed.older(filters)
                >
                    {move || if loading.get() { "Loading…" } else { "Load older" }}
                </button>
            </div>
        </Show>
    }
}

/// The detail panel of the selected event; closing it returns focus to its row.
#[component]
fn Details(feed: AuditFeed, selected: RwSignal<Option<String>>) -> impl IntoView {
    // Events never change once written: the same id is the same event, so new events
    // arriving in the feed leave the open panel alone.
    let event = Memo::new_with_compare(
        move |_| {
            let id = selected.get()?;
            feed.events().into_iter().find(|e| e.id == id)
        },
        |old, new| id_of(old) != id_of(new),
    );
    let close = Callback::new(move |()| {
        let opener = document()
            .query_selector("tr.audit-selected .audit-open")
            .ok()
            .flatten();
        selected.set(None);
        if let Some(el) = opener.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = el.focus();
        }
    });
    move || {
        event
            .get()
            .map(|event| view! { <EventDetail event=event on_close=close /> })
    }
}

/// The id of a selected event, if any.
fn id_of(event: Option<&Option<AuditEvent>>) -> Option<&str> {
    event?.as_ref().map(|e| e.id.as_str())
}

/// Opens the inspector on the claims `event` recorded.
pub fn open_in_inspector(event: &AuditEvent) {
    remember(event);
    navigate(&format!("/console/inspector?event={}", api::enc(&event.id)));
}
