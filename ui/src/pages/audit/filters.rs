//! The feed's filters: what is typed (the draft) and what the list and the stream use
//! (applied); selects and times apply at once, text fields on Enter or "Apply". A user is
//! found by email, a product or a business by name, each with suggestions.

use leptos::ev;
use leptos::prelude::*;

use super::model::{Filters, KNOWN_TYPES};
use crate::pages::businesses::model::{businesses, search_users};
use tessera_proto::products::ProductList;

/// Suggestions shown for the user filter.
const USER_SUGGESTIONS: u32 = 8;

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

/// The filters, starting from those the page's URL carries.
pub fn use_audit_filters() -> AuditFilters {
    let start = Filters::from_url();
    AuditFilters {
        draft: RwSignal::new(start.clone()),
        applied: RwSignal::new(start),
    }
}

/// `(value, label)` options of a datalist.
type Options = Vec<(String, String)>;

/// Emails of the users matching what is typed in the user filter.
fn user_options(filters: AuditFilters) -> Signal<Options> {
    let found = LocalResource::new(move || {
        let typed = filters.draft.with(|f| f.user.trim().to_owned());
        async move {
            if typed.is_empty() {
                return Vec::new();
            }
            let users = search_users(&typed, USER_SUGGESTIONS)
                .await
                .unwrap_or_default();
            users
                .into_iter()
                .map(|u| {
                    let label = u.name.clone().unwrap_or_default();
                    (u.email, label)
                })
                .collect()
        }
    });
    Signal::derive(move || found.get().unwrap_or_default())
}

/// Every product's name, and every business's.
fn name_options() -> (Signal<Options>, Signal<Options>) {
    let products = LocalResource::new(|| async {
        crate::api::get::<ProductList>("/v1/products")
            .await
            .map(|l| {
                l.products
                    .into_iter()
                    .map(|p| (p.name, String::new()))
                    .collect()
            })
            .unwrap_or_default()
    });
    let businesses = LocalResource::new(|| async {
        businesses()
            .await
            .map(|l| l.into_iter().map(|b| (b.name, String::new())).collect())
            .unwrap_or_default()
    });
    (
        Signal::derive(move || products.get().unwrap_or_default()),
        Signal::derive(move || businesses.get().unwrap_or_default()),
    )
}

/// The filter form above the table.
#[component]
pub fn FilterBar(filters: AuditFilters) -> impl IntoView {
    let on_submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        filters.apply();
    };
    let users = user_options(filters);
    let (products, businesses) = name_options();
    let types = KNOWN_TYPES
        .iter()
        .map(|(value, label)| view! { <option value=*value>{*label}</option> })
        .collect_view();
    view! {
        <form class="toolbar audit-filters" on:submit=on_submit aria-label="Filter events">
            <SelectFilter id="audit-type" label="Type"
                bind=Bind(filters, |f| f.kind.clone(), |f, v| f.kind = v)>
                <option value="">"All types"</option>
                {types}
            </SelectFilter>
            <SelectFilter id="audit-outcome" label="Outcome"
                bind=Bind(filters, |f| f.outcome.clone(), |f, v| f.outcome = v)>
                <option value="">"Any outcome"</option>
                <option value="success">"Success"</option>
                <option value="failure">"Failure"</option>
            </SelectFilter>
            <TextFilter id="audit-user" label="User" placeholder="email or user id"
                options=users
                bind=Bind(filters, |f| f.user.clone(), |f, v| f.user = v) />
            <TextFilter id="audit-product" label="Product" placeholder="product name"
                options=products
                bind=Bind(filters, |f| f.product.clone(), |f, v| f.product = v) />
            <TextFilter id="audit-business" label="Business" placeholder="business name"
                options=businesses
                bind=Bind(filters, |f| f.business.clone(), |f, v| f.business = v) />
            <TimeFilter id="audit-since" label="From"
                bind=Bind(filters, |f| f.since.clone(), |f, v| f.since = v) />
            <TimeFilter id="audit-until" label="To"
                bind=Bind(filters, |f| f.until.clone(), |f, v| f.until = v) />
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

/// One filter of the draft: the filters, how to read it, how to set it.
#[derive(Clone, Copy)]
struct Bind(
    AuditFilters,
    fn(&Filters) -> String,
    fn(&mut Filters, String),
);

impl Bind {
    fn get(self) -> String {
        self.0.draft.with(self.1)
    }

    /// Typed: into the draft.
    fn edit(self, ev: ev::Event) {
        let value = event_target_value(&ev);
        self.0.draft.update(|d| (self.2)(d, value));
    }

    /// Picked (a select, a time): into the draft, and applied at once.
    fn apply(self, ev: ev::Event) {
        self.edit(ev);
        self.0.apply();
    }
}

/// A select (type, outcome), applied when it changes.
#[component]
fn SelectFilter(
    id: &'static str,
    label: &'static str,
    bind: Bind,
    children: Children,
) -> impl IntoView {
    view! {
        <Field id=id label=label>
            <select
                id=id
                class="select"
                prop:value=move || bind.get()
                on:change=move |ev| bind.apply(ev)
            >
                {children()}
            </select>
        </Field>
    }
}

/// A text filter with suggestions: typing edits the draft; Enter (or Apply) applies it.
#[component]
fn TextFilter(
    id: &'static str,
    label: &'static str,
    placeholder: &'static str,
    options: Signal<Options>,
    bind: Bind,
) -> impl IntoView {
    let list = format!("{id}-options");
    let items = move || {
        options
            .get()
            .into_iter()
            .map(|(value, label)| view! { <option value=value>{label}</option> })
            .collect_view()
    };
    view! {
        <Field id=id label=label>
            <input
                id=id
                class="input"
                type="search"
                placeholder=placeholder
                autocomplete="off"
                spellcheck="false"
                list=list.clone()
                prop:value=move || bind.get()
                on:input=move |ev| bind.edit(ev)
            />
            <datalist id=list>{items}</datalist>
        </Field>
    }
}

/// A `datetime-local` bound of the time range, applied when it changes.
#[component]
fn TimeFilter(id: &'static str, label: &'static str, bind: Bind) -> impl IntoView {
    view! {
        <Field id=id label=label>
            <input
                id=id
                class="input"
                type="datetime-local"
                prop:value=move || bind.get()
                on:change=move |ev| bind.apply(ev)
            />
        </Field>
    }
}

/// A labelled field of the form.
#[component]
fn Field(id: &'static str, label: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {children()}
        </div>
    }
}
