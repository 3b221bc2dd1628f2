//! Editing a list of strings (redirect URIs, post-logout URIs, scopes): removable chips,
//! an input with its label, an add button, and the error for that list underneath.

use leptos::prelude::*;

use super::form::{message_for, Chips};
use crate::api::ApiError;

/// Moves what is typed in `input` into `list` (see `split_items`). Returns false, with
/// the message in `error`, when an item is refused.
pub(crate) fn add_items(
    input: RwSignal<String>,
    list: RwSignal<Vec<String>>,
    error: RwSignal<Option<ApiError>>,
    field: &'static str,
    scopes: bool,
) -> bool {
    let items = match split_items(&input.get_untracked(), scopes) {
        Ok(items) => items,
        Err(msg) => {
            error.set(Some(local_error(field, &msg)));
            return false;
        }
    };
    if items.is_empty() {
        return true;
    }
    list.update(|l| {
        for item in items {
            if !l.contains(&item) {
                l.push(item);
            }
        }
    });
    input.set(String::new());
    if message_for(error.get_untracked().as_ref(), &[field]).is_some() {
        error.set(None);
    }
    true
}

/// The items typed in an input (several at once when separated by spaces, newlines or,
/// for scopes, commas), or why one of them is refused. URIs get a first local check
/// (absolute URL); the API has the last word.
pub(crate) fn split_items(raw: &str, scopes: bool) -> Result<Vec<String>, String> {
    let items: Vec<String> = raw
        .split(|c: char| c.is_whitespace() || (scopes && c == ','))
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    for item in &items {
        if !scopes && web_sys::Url::new(item).is_err() {
            return Err(format!(
                "{item:?} is not an absolute URL (it must start with https:// or http://)"
            ));
        }
        if scopes && item.chars().any(|c| c == '"' || c == '\\') {
            return Err(format!("{item:?} is not a valid scope (no quotes)"));
        }
    }
    Ok(items)
}

/// An error made in the browser, shaped like the API's (`field: message`).
pub(crate) fn local_error(field: &str, msg: &str) -> ApiError {
    ApiError::new(0, "validation_failed", format!("{field}: {msg}"))
}

/// Chips of `items`, then a labelled input with an add button. Enter in the input adds
/// too. `field` is the API field whose errors show under the input.
#[component]
pub(crate) fn UriListEditor(
    #[prop(into)] items: Signal<Vec<String>>,
    input: RwSignal<String>,
    error: RwSignal<Option<ApiError>>,
    field: &'static str,
    #[prop(into)] label: Signal<&'static str>,
    input_id: &'static str,
    what: &'static str,
    add_label: &'static str,
    placeholder: &'static str,
    hint: &'static str,
    on_add: Callback<()>,
    on_remove: Callback<String>,
    #[prop(optional, into)] busy: Signal<bool>,
) -> impl IntoView {
    let msg = Signal::derive(move || message_for(error.get().as_ref(), &[field]));
    let error_id = format!("{input_id}-error");
    let hint_id = format!("{input_id}-hint");
    let mono = what != "scope";
    view! {
        <div class="list-editor">
            <Show
                when=move || !items.get().is_empty()
                fallback=move || view! { <p class="muted list-empty">{format!("No {what}s yet.")}</p> }
            >
                <Chips items=items what=what on_remove=on_remove disabled=busy mono=mono />
            </Show>
            <div class="field">
                <label for=input_id>{label}</label>
                <div class="input-row">
                    <input
                        id=input_id
                        class="input"
                        class:mono=mono
                        type="text"
                        autocomplete="off"
                        spellcheck="false"
                        placeholder=placeholder
                        aria-describedby=format!("{hint_id} {error_id}")
                        aria-invalid=move || msg.get().is_some().to_string()
                        prop:value=move || input.get()
                        on:input=move |ev| input.set(event_target_value(&ev))
                        on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                            if ev.key() == "Enter" {
                                ev.prevent_default();
                                on_add.run(());
                            }
                        }
                    />
                    <button
                        type="button"
                        class="btn"
                        disabled=move || busy.get()
                        on:click=move |_| on_add.run(())
                    >
                        {add_label}
                    </button>
                </div>
                {(!hint.is_empty()).then(|| view! { <p class="hint" id=hint_id.clone()>{hint}</p> })}
                {move || {
                    msg.get().map(|m| view! { <p class="field-error" id=error_id.clone()>{m}</p> })
                }}
            </div>
        </div>
    }
}
