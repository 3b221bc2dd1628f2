//! The list of events: the table (newest first, live arrivals highlighted, a row opens
//! its details) or what to do when it is empty.

use std::collections::HashSet;

use leptos::prelude::*;

use super::feed::AuditFeed;
use super::filters::AuditFilters;
use super::model::{type_label, AuditEvent, EventExt, Filters};
use super::names::{EventNames, NameOf};
use crate::components::{time, Empty, EmptyAction};

/// The events of the feed, or an empty state (nothing when the first page failed: the
/// error banner says why).
#[component]
pub fn EventList(
    feed: AuditFeed,
    filters: AuditFilters,
    selected: RwSignal<Option<String>>,
    now: ReadSignal<i64>,
) -> impl IntoView {
    let fresh = feed.fresh;
    let fallback = move || {
        if feed.error().is_some() {
            ().into_any()
        } else if filters.applied.with(Filters::is_empty) {
            view! {
                <Empty
                    title="No events yet"
                    hint="Events appear here the moment they happen: sign in to a product, \
                          request a token or change something in the console and watch this list."
                        .to_owned()
                    action=EmptyAction::link("Try a product's sign-in", "/console/products")
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
                    <button type="button" class="btn" on:click=move |_| filters.clear()>
                        "Clear filters"
                    </button>
                </Empty>
            }
            .into_any()
        }
    };
    view! {
        <Show when=move || !feed.events().is_empty() fallback=fallback>
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
                            each=move || feed.events()
                            key=|e| e.id.clone()
                            children=move |e| {
                                view! { <EventRow event=e selected=selected fresh=fresh now=now /> }
                            }
                        />
                    </tbody>
                </table>
            </div>
        </Show>
    }
}

#[component]
fn EventRow(
    event: AuditEvent,
    selected: RwSignal<Option<String>>,
    fresh: RwSignal<HashSet<String>>,
    now: ReadSignal<i64>,
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
    // Whom it concerns, else who acted (e.g. a server client's own token).
    let subject = event.subject_name().or_else(|| event.actor_name());
    let client = event.client_name();
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
                <span>{time::local_near(ts)}</span>
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
            <td class="audit-id">{subject.map(|named| view! { <NameOf named=named /> })}</td>
            <td class="audit-id">{client.map(|named| view! { <NameOf named=named /> })}</td>
        </tr>
    }
}
