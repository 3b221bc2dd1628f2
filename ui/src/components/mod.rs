//! Small reusable view pieces shared by the console pages.

pub mod brand;
pub mod insecure_http;
pub mod loaded;
pub mod time;
pub mod toast;

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

pub use loaded::{failure, on_done, Loaded};

/// A spinner with "Loading…".
#[component]
pub fn Loading() -> impl IntoView {
    view! {
        <div class="loading" role="status">
            <span class="spinner" aria-hidden="true"></span>
            <span>"Loading…"</span>
        </div>
    }
}

/// The API's message in a red banner (role="alert"); nothing when `error` is `None`.
#[component]
pub fn ErrorBanner(#[prop(into)] error: Signal<Option<String>>) -> impl IntoView {
    move || {
        error.get().map(|message| {
            view! {
                <div class="error-banner" role="alert">
                    <svg class="error-icon" viewBox="0 0 20 20" aria-hidden="true">
                        <circle cx="10" cy="10" r="9" fill="none" stroke="currentColor" stroke-width="2" />
                        <path d="M10 5.5v5.5M10 13.5v1" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
                    </svg>
                    <span>{message}</span>
                </div>
            }
        })
    }
}

/// The button of an [`Empty`] state: what to do next.
pub enum EmptyAction {
    /// A link styled as the primary button (another page, or a page with a form open).
    Link { label: &'static str, href: String },
    /// A primary button that runs `on_click` (opens a form, clears a filter).
    Button {
        label: &'static str,
        on_click: Callback<()>,
    },
}

impl EmptyAction {
    pub fn link(label: &'static str, href: impl Into<String>) -> Self {
        Self::Link {
            label,
            href: href.into(),
        }
    }

    pub fn button(label: &'static str, on_click: impl Fn() + Send + Sync + 'static) -> Self {
        Self::Button {
            label,
            on_click: Callback::new(move |()| on_click()),
        }
    }
}

/// Moves the focus to the form field `id` (it scrolls into view): an empty state's
/// button for a form further down the page.
pub fn focus_field(id: &str) {
    let field = document()
        .get_element_by_id(id)
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(el) = field {
        let _ = el.focus();
    }
}

/// An empty state: what is missing, what to do next, and the button that does it (an
/// [`EmptyAction`], and/or `children`: a form, a second button). `compact`: one quiet line
/// inside a page that has more to show (e.g. "nothing is paused: nothing to do").
#[component]
pub fn Empty(
    title: &'static str,
    #[prop(into)] hint: String,
    #[prop(optional)] action: Option<EmptyAction>,
    #[prop(optional)] compact: bool,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let action = action.map(|a| match a {
        EmptyAction::Link { label, href } => {
            view! { <a class="btn btn-primary" href=href>{label}</a> }.into_any()
        }
        EmptyAction::Button { label, on_click } => view! {
            <button type="button" class="btn btn-primary" on:click=move |_| on_click.run(())>
                {label}
            </button>
        }
        .into_any(),
    });
    let actions = (action.is_some() || children.is_some()).then(|| {
        view! { <div class="empty-actions">{action} {children.map(|c| c())}</div> }
    });
    view! {
        <div class=if compact { "empty empty-compact" } else { "empty" }>
            <p class="empty-title">{title}</p>
            <p class="empty-hint">{hint}</p>
            {actions}
        </div>
    }
}

/// The page's heading (the `h1` focus moves to on navigation) with an optional subtitle
/// and action buttons; also sets `document.title`.
#[component]
pub fn PageHeader(
    title: &'static str,
    #[prop(optional, into)] subtitle: Option<String>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    document().set_title(&format!("{title} · Tessera"));
    view! {
        <header class="page-header">
            <div class="page-heading">
                <h1 tabindex="-1">{title}</h1>
                {subtitle.map(|s| view! { <p class="page-subtitle">{s}</p> })}
            </div>
            {children.map(|c| view! { <div class="page-actions">{c()}</div> })}
        </header>
    }
}

/// Copies `text` to the clipboard; the label turns into "Copied" for a moment.
#[component]
pub fn CopyButton(
    #[prop(into)] text: Signal<String>,
    #[prop(optional)] label: Option<&'static str>,
) -> impl IntoView {
    let label = label.unwrap_or("Copy");
    let copied = RwSignal::new(false);
    let on_click = move |_: ev::MouseEvent| {
        let value = text.get_untracked();
        leptos::task::spawn_local(async move {
            if copy_text(&value).await {
                copied.set(true);
                set_timeout(
                    move || {
                        // The button may be gone by now.
                        let _ = copied.try_set(false);
                    },
                    std::time::Duration::from_millis(1600),
                );
            } else {
                toast::show("Could not copy: select the text and copy it by hand");
            }
        });
    };
    view! {
        <button type="button" class="btn btn-small btn-copy" on:click=on_click>
            {move || if copied.get() { "Copied" } else { label }}
        </button>
    }
}

/// Writes `text` to the clipboard (Clipboard API, falling back to `execCommand`).
pub async fn copy_text(text: &str) -> bool {
    let window = window();
    let clipboard = window.navigator().clipboard();
    if !clipboard.is_undefined() {
        let promise = clipboard.write_text(text);
        if wasm_bindgen_futures::JsFuture::from(promise).await.is_ok() {
            return true;
        }
    }
    // Fallback: a hidden textarea and the legacy copy command.
    let doc = document();
    let Ok(area) = doc.create_element("textarea") else {
        return false;
    };
    let Ok(area) = area.dyn_into::<web_sys::HtmlTextAreaElement>() else {
        return false;
    };
    area.set_value(text);
    // A class, not a style attribute: the console's CSP allows no inline styles.
    area.set_class_name("copy-buffer");
    let Some(body) = doc.body() else {
        return false;
    };
    let _ = body.append_child(&area);
    area.select();
    let ok = js_sys::Reflect::get(&doc, &"execCommand".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .and_then(|f| f.call1(&doc, &"copy".into()).ok())
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    area.remove();
    ok
}

/// A modal confirmation (`<dialog>`): Esc or Cancel closes it, focus stays inside while
/// it is open, and `on_confirm` runs on the confirm button.
#[component]
pub fn ConfirmDialog(
    open: RwSignal<bool>,
    #[prop(into)] title: String,
    #[prop(into)] message: String,
    #[prop(into)] confirm_label: String,
    danger: bool,
    #[prop(into)] on_confirm: Callback<()>,
) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    let cancel_button = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        let want_open = open.get();
        if let Some(el) = dialog.get() {
            if want_open && !el.open() {
                let _ = el.show_modal();
                // Safer default for destructive actions: focus Cancel.
                if let Some(button) = cancel_button.get() {
                    let _ = button.focus();
                }
            } else if !want_open && el.open() {
                el.close();
            }
        }
    });
    let confirm_class = if danger {
        "btn btn-danger"
    } else {
        "btn btn-primary"
    };
    let title_id = format!("dlg-{}", js_sys::Math::random().to_bits());
    let labelled_by = title_id.clone();
    view! {
        <dialog
            class="dialog"
            node_ref=dialog
            aria-labelledby=labelled_by
            on:close=move |_| open.set(false)
        >
            <h2 class="dialog-title" id=title_id>{title}</h2>
            <p class="dialog-message">{message}</p>
            <div class="dialog-actions">
                <button
                    type="button"
                    class="btn btn-ghost"
                    node_ref=cancel_button
                    on:click=move |_| open.set(false)
                >
                    "Cancel"
                </button>
                <button
                    type="button"
                    class=confirm_class
                    on:click=move |_| {
                        open.set(false);
                        on_confirm.run(());
                    }
                >
                    {confirm_label}
                </button>
            </div>
        </dialog>
    }
}

/// Previous / Next buttons under a table (a group, not a `<nav>`: the sidebar is the
/// page's only navigation landmark).
#[component]
pub fn Pager(
    #[prop(into)] has_prev: Signal<bool>,
    #[prop(into)] has_next: Signal<bool>,
    #[prop(into)] on_prev: Callback<()>,
    #[prop(into)] on_next: Callback<()>,
) -> impl IntoView {
    view! {
        <div class="pager" role="group" aria-label="Pages">
            <button
                type="button"
                class="btn btn-small"
                disabled=move || !has_prev.get()
                on:click=move |_| on_prev.run(())
            >
                "← Previous"
            </button>
            <button
                type="button"
                class="btn btn-small"
                disabled=move || !has_next.get()
                on:click=move |_| on_next.run(())
            >
                "Next →"
            </button>
        </div>
    }
}

/// The "Delete this …" card at the foot of a resource page: a danger button, a confirmation
/// naming what goes, then `DELETE {api_path}`; on success a toast and a move to `back_to`,
/// on failure the API's message in the card.
#[component]
pub fn DeleteCard(
    /// "product", "user": the button reads "Delete product".
    noun: &'static str,
    /// What deleting takes with it, under the card's title.
    #[prop(into)]
    explanation: String,
    /// The name shown in the confirmation and the toast (e.g. the product's name).
    #[prop(into)]
    name: Signal<String>,
    /// The confirmation's message, given the name.
    consequence: fn(&str) -> String,
    /// The resource's `/v1/...` path.
    #[prop(into)]
    api_path: Signal<String>,
    /// The console page to go to afterwards.
    back_to: &'static str,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let delete = Action::new_local(move |gone: &String| {
        let gone = gone.clone();
        let path = api_path.get_untracked();
        async move { crate::api::delete(&path).await.map(|()| gone) }
    });
    on_done(delete, move |answer| {
        if let Ok(gone) = answer {
            toast::show(format!("Deleted {gone}"));
            crate::app::navigate(back_to);
        }
    });
    let busy = delete.pending();
    let label = format!("Delete {noun}");
    let busy_label = move || {
        if busy.get() {
            "Deleting…".to_owned()
        } else {
            format!("Delete {noun}")
        }
    };
    view! {
        <div class="card danger-card">
            <h2 class="card-title">{format!("Delete this {noun}")}</h2>
            <p class="muted">{explanation}</p>
            <ErrorBanner error=failure(delete) />
            <div class="row">
                <button
                    type="button"
                    class="btn btn-danger"
                    disabled=move || busy.get()
                    on:click=move |_| open.set(true)
                >
                    {busy_label}
                </button>
            </div>
            {move || {
                let n = name.get();
                view! {
                    <ConfirmDialog
                        open=open
                        title=format!("Delete {n}?")
                        message=consequence(&n)
                        confirm_label=label.clone()
                        danger=true
                        on_confirm=move |()| {
                            delete.dispatch_local(name.get_untracked());
                        }
                    />
                }
            }}
        </div>
    }
}

/// The resource a detail page shows (a product, a user), shared by the page's cards: its
/// id, the `/v1` collection it lives in, and the item once loaded.
pub struct Shown<T: Send + Sync + 'static> {
    pub id: StoredValue<String>,
    /// e.g. "/v1/products"
    pub collection: &'static str,
    pub item: RwSignal<Option<T>>,
}

impl<T: Send + Sync + 'static> Clone for Shown<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Shown<T> {}

impl<T: Send + Sync + 'static> Shown<T> {
    pub fn new(collection: &'static str, id: String) -> Self {
        Self {
            id: StoredValue::new(id),
            collection,
            item: RwSignal::new(None),
        }
    }

    /// The API path of the item, plus `rest` (e.g. "/suspend").
    pub fn path(&self, rest: &str) -> String {
        format!(
            "{}/{}{rest}",
            self.collection,
            crate::api::enc(&self.id.get_value())
        )
    }

    /// `f` of the loaded item (tracked), or `None` while loading.
    pub fn get<R>(&self, f: impl FnOnce(&T) -> R) -> Option<R> {
        self.item.with(|item| item.as_ref().map(f))
    }
}

/// The foot of an edit form: "Discard changes" (runs `on_discard`) and the submit button
/// "Save changes", both enabled only while the form differs from what is saved.
#[component]
pub fn SaveDiscard(
    /// True while the save runs (an `Action`'s `pending()`).
    #[prop(into)]
    busy: Signal<bool>,
    #[prop(into)] dirty: Signal<bool>,
    #[prop(into)] on_discard: Callback<()>,
) -> impl IntoView {
    let idle_and_dirty = move || !busy.get() && dirty.get();
    view! {
        <div class="row card-actions">
            <span class="spacer"></span>
            <button
                type="button"
                class="btn btn-ghost"
                disabled=move || !idle_and_dirty()
                on:click=move |_| on_discard.run(())
            >
                "Discard changes"
            </button>
            <button type="submit" class="btn btn-primary" disabled=move || !idle_and_dirty()>
                {move || if busy.get() { "Saving…" } else { "Save changes" }}
            </button>
        </div>
    }
}
