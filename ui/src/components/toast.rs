//! Brief success messages in the corner of the window (aria-live, gone after 4 s, at most three at a time).

use std::time::Duration;

use leptos::prelude::*;

thread_local! {
    static TOASTS: ArcRwSignal<Vec<(u32, String)>> = ArcRwSignal::new(Vec::new());
    static NEXT_ID: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

const SHOWN_FOR: Duration = Duration::from_secs(4);
/// A burst of actions shows only the newest few, so toasts never cover the page.
const AT_MOST: usize = 3;

/// Shows `msg` for a few seconds.
pub fn show(msg: impl Into<String>) {
    let id = NEXT_ID.with(|n| {
        n.set(n.get().wrapping_add(1));
        n.get()
    });
    let toasts = TOASTS.with(Clone::clone);
    toasts.update(|list| {
        list.push((id, msg.into()));
        let extra = list.len().saturating_sub(AT_MOST);
        list.drain(..extra);
    });
    set_timeout(
        move || toasts.update(|list| list.retain(|(i, _)| *i != id)),
        SHOWN_FOR,
    );
}

/// The live region the toasts appear in; the shell renders it once.
#[component]
pub fn ToastRegion() -> impl IntoView {
    let toasts = TOASTS.with(Clone::clone);
    view! {
        <div class="toasts" role="status" aria-live="polite">
            <For each=move || toasts.get() key=|(id, _)| *id let:item>
                <div class="toast">{item.1}</div>
            </For>
        </div>
    }
}
