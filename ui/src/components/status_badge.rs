//! Green/red pill saying whether the server answers; grey while the first check runs.

use leptos::prelude::*;

#[component]
pub fn StatusBadge(#[prop(into)] up: Signal<Option<bool>>) -> impl IntoView {
    let class = move || match up.get() {
        Some(true) => "badge badge-up",
        Some(false) => "badge badge-down",
        None => "badge badge-pending",
    };
    let text = move || match up.get() {
        Some(true) => "Server is up",
        Some(false) => "Server is down",
        None => "Checking…",
    };
    view! {
        <span class=class role="status" aria-live="polite">
            <span class="dot" aria-hidden="true"></span>
            {text}
        </span>
    }
}
