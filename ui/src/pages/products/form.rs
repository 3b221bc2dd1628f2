//! Form helpers shared by the product and user pages: which field an API error names,
//! the `.field-error` line under an input, and small list editors.

use leptos::prelude::*;

use crate::api::ApiError;

/// The field a `validation_failed` error names (its message reads `field: what is wrong`;
/// a nested one `object.field`)
/// and the message without that prefix; `None` for other errors.
pub(crate) fn field_of(e: &ApiError) -> Option<(String, String)> {
    if e.code != "validation_failed" {
        return None;
    }
    let (field, rest) = e.message.split_once(": ")?;
    let ident = !field.is_empty()
        && field
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
    ident.then(|| (field.to_string(), rest.to_string()))
}

/// The message to show under the input for `field`, if the error names it.
pub(crate) fn message_for(err: Option<&ApiError>, fields: &[&str]) -> Option<String> {
    let (f, msg) = field_of(err?)?;
    fields.contains(&f.as_str()).then(|| capitalize(&msg))
}

/// "must be …" → "Must be …": the message stands alone under its input.
fn capitalize(msg: &str) -> String {
    let mut chars = msg.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The message for the page's banner: any error not shown under one of `fields`.
pub(crate) fn banner_for(err: Option<&ApiError>, fields: &[&str]) -> Option<String> {
    let e = err?;
    match field_of(e) {
        Some((f, _)) if fields.contains(&f.as_str()) => None,
        _ => Some(e.message.clone()),
    }
}

/// A signal with the error message for the input of `fields`.
pub(crate) fn under(
    err: RwSignal<Option<ApiError>>,
    fields: &'static [&'static str],
) -> Signal<Option<String>> {
    Signal::derive(move || message_for(err.get().as_ref(), fields))
}

/// The red line under an input; `id` is what the input's `aria-describedby` points at.
#[component]
pub(crate) fn FieldError(
    #[prop(into)] message: Signal<Option<String>>,
    id: &'static str,
) -> impl IntoView {
    move || {
        message
            .get()
            .map(|m| view! { <p class="field-error" id=id>{m}</p> })
    }
}

/// Removable chips for a list of strings (redirect URIs, scopes). The remove buttons are
/// named "Remove https://…" (not after `what`, which only goes in their tooltip, so that
/// `getByLabel("Redirect URI")` finds the input and nothing else).
#[component]
pub(crate) fn Chips(
    #[prop(into)] items: Signal<Vec<String>>,
    what: &'static str,
    #[prop(into)] on_remove: Callback<String>,
    #[prop(optional, into)] disabled: Signal<bool>,
    #[prop(optional)] mono: bool,
) -> impl IntoView {
    view! {
        <ul class="chip-list">
            <For each=move || items.get() key=|s| s.clone() let:item>
                {
                    let label = format!("Remove {item}");
                    let value = item.clone();
                    view! {
                        <li class="chip" class:mono=mono>
                            <span class="chip-text">{item}</span>
                            <button
                                type="button"
                                class="chip-x"
                                aria-label=label
                                title=format!("Remove this {what}")
                                disabled=move || disabled.get()
                                on:click=move |_| on_remove.run(value.clone())
                            >
                                "×"
                            </button>
                        </li>
                    }
                }
            </For>
        </ul>
    }
}
