//! The Tessera mark (a 3×3 mosaic, same as the app icon) and name.

use leptos::prelude::*;

/// (column, row, colour class) of each tile of the mark.
const TILES: [(u8, u8, &str); 9] = [
    (0, 0, "t-teal"),
    (1, 0, "t-indigo"),
    (2, 0, "t-teal"),
    (0, 1, "t-indigo"),
    (1, 1, "t-amber"),
    (2, 1, "t-indigo"),
    (0, 2, "t-teal"),
    (1, 2, "t-indigo"),
    (2, 2, "t-teal"),
];

/// Just the mosaic.
#[component]
pub fn Mark() -> impl IntoView {
    let tiles = TILES
        .iter()
        .map(|&(col, row, class)| {
            let x = 5 + u32::from(col) * 9;
            let y = 5 + u32::from(row) * 9;
            view! { <rect class=class x=x y=y width="7" height="7" rx="1.5" /> }
        })
        .collect_view();
    view! {
        <svg class="mark" viewBox="0 0 35 35" aria-hidden="true">
            <rect class="t-ground" x="0" y="0" width="35" height="35" rx="7" />
            {tiles}
        </svg>
    }
}

/// Mark + name; `compact` (the sidebar) drops the tagline and uses no heading element.
#[component]
pub fn Brand(#[prop(optional)] compact: bool) -> impl IntoView {
    if compact {
        return view! {
            <div class="brand brand-compact">
                <Mark />
                <span class="brand-name">"Tessera"</span>
            </div>
        }
        .into_any();
    }
    view! {
        <div class="brand">
            <Mark />
            <div>
                <p class="brand-name">"Tessera"</p>
                <p class="tagline">"Identity provider console"</p>
            </div>
        </div>
    }
    .into_any()
}
