//! One labelled fact in a definition list (`<dt>` + `<dd>`).

use leptos::prelude::*;

#[component]
pub fn Fact(label: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="fact">
            <dt>{label}</dt>
            <dd>{children()}</dd>
        </div>
    }
}
