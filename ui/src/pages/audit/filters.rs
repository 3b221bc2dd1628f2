//! The feed's filters: what is typed (the draft) and what the list and the stream use
//! (applied); selects and times apply at once, text fields on Enter or "Apply".

use leptos::ev;
use leptos::prelude::*;

use super::model::{Filters, KNOWN_TYPES};

/// The draft and the applied filters of the feed.
#[derive(Clone, Copy)]
pub struct AuditFilters {
    pub draft: RwSignal<Filters>,
    pub applied: RwSignal<Filters>,
}

impl AuditFilters {
    /// Applies the draft (nothing happens when it is what is applied already).
    pub fn apply(self) {
        let draft = self.draft.get_untracked();
        if draft != self.applied.get_untracked() {
            self.applied.set(draft);
        }
    }

    /// Empties every filter and applies that.
    pub fn clear(self) {
        self.draft.set(Filters::default());
        self.apply();
    }

    /// Whether anything is typed or applied (the "Clear filters" button shows then).
    pub fn any(self) -> bool {
        !self.draft.with(Filters::is_empty) || !self.applied.with(Filters::is_empty)
    }
}

pub fn use_audit_filters() -> AuditFilters {
    AuditFilters {
        draft: RwSignal::new(Filters::default()),
        applied: RwSignal::new(Filters::default()),
    }
}

/// The filter form above the table.
#[component]
pub fn FilterBar(filters: AuditFilters) -> impl IntoView {
    let draft = filters.draft;
    let on_submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        filters.apply();
    };
    let types = KNOWN_TYPES
        .iter()
        .map(|(value, label)| view! { <option value=*value>{*label}</option> })
        .collect_view();
    view! {
        <form class="toolbar audit-filters" on:submit=on_submit aria-label="Filter events">
            <div class="field">
                <label for="audit-type">"Type"</label>
                <select
                    id="audit-type"
                    class="select"
                    prop:value=move || draft.with(|d| d.kind.clone())
                    on:change=move |ev| changed(filters, ev, |d, v| d.kind = v)
                >
                    <option value="">"All types"</option>
                    {types}
                </select>
            </div>
            <div class="field">
                <label for="audit-outcome">"Outcome"</label>
                <select
                    id="audit-outcome"
                    class="select"
                    prop:value=move || draft.with(|d| d.outcome.clone())
                    on:change=move |ev| changed(filters, ev, |d, v| d.outcome = v)
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
            <TimeFilter id="audit-since" label="From" filters=filters
                get=|f| f.since.clone() set=|f, v| f.since = v />
            <TimeFilter id="audit-until" label="To" filters=filters
                get=|f| f.until.clone() set=|f, v| f.until = v />
            <div class="audit-filter-actions">
                <button type="submit" class="btn btn-primary">"Apply"</button>
                <Show when=move || filters.any()>
                    <button type="button" class="btn btn-ghost" on:click=move |_| filters.clear()>
                        "Clear filters"
                    </button>
                </Show>
            </div>
        </form>
    }
}

/// A select or time field changed: into the draft, and applied at once.
fn changed(filters: AuditFilters, ev: ev::Event, set: fn(&mut Filters, String)) {
    let value = event_target_value(&ev);
    filters.draft.update(|d| set(d, value));
    filters.apply();
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

/// A `datetime-local` bound of the time range, applied when it changes.
#[component]
fn TimeFilter(
    id: &'static str,
    label: &'static str,
    filters: AuditFilters,
    get: fn(&Filters) -> String,
    set: fn(&mut Filters, String),
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                class="input"
                type="datetime-local"
                prop:value=move || filters.draft.with(get)
                on:change=move |ev| changed(filters, ev, set)
            />
        </div>
    }
}
