//! The console shell: header and main area. One page for now; a router goes here when
//! the other console pages land.

use leptos::prelude::*;

use crate::api::{self, Host};
use crate::components::brand::Brand;
use crate::pages::status::StatusPage;

#[component]
pub fn App() -> impl IntoView {
    let host = api::host();
    let host_label = match host {
        Host::Desktop => "Desktop",
        Host::Browser => "Browser",
    };
    view! {
        <div class="shell">
            <header class="topbar">
                <Brand />
                <span class="host-tag" title="Where this console is running">{host_label}</span>
            </header>
            <main>
                <StatusPage host=host />
            </main>
            <footer class="footnote">
                "Tessera · self-hosted OpenID Connect / OAuth 2.1 identity provider"
            </footer>
        </div>
    }
}
