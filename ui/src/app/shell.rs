//! The signed-in layout: the skip link, the sidebar (its current item marked with
//! `aria-current="page"`), the top bar, and the routed page in `<main>`.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::auth::{self, AuthState};
use crate::components::brand::Brand;
use crate::desktop;

struct NavItem {
    href: &'static str,
    label: &'static str,
    /// SVG path data (24×24, stroked).
    icon: &'static str,
}

const NAV: [NavItem; 9] = [
    NavItem {
        href: "/console/",
        label: "Dashboard",
        icon: "M4 13h6V4H4zM14 20h6v-9h-6zM14 4v4h6V4zM4 20h6v-3H4z",
    },
    NavItem {
        href: "/console/products",
        label: "Products",
        icon: "M12 3l8 4.5v9L12 21l-8-4.5v-9zM12 12l8-4.5M12 12v9M12 12L4 7.5",
    },
    NavItem {
        href: "/console/users",
        label: "Users",
        icon: "M16 20v-1.5a4 4 0 0 0-4-4H7a4 4 0 0 0-4 4V20M9.5 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zM21 20v-1.5a4 4 0 0 0-3-3.9M15.5 4.2a3.5 3.5 0 0 1 0 6.6",
    },
    NavItem {
        href: "/console/businesses",
        label: "Businesses",
        icon: "M4 21V5a1 1 0 0 1 1-1h9a1 1 0 0 1 1 1v16M15 9h4a1 1 0 0 1 1 1v11M3 21h18M8 8h3M8 12h3M8 16h3",
    },
    NavItem {
        href: "/console/apps",
        label: "Third-party apps",
        icon: "M4 4h7v7H4zM13 4h7v7h-7zM4 13h7v7H4zM16.5 13v7M13 16.5h7",
    },
    NavItem {
        href: "/console/keys",
        label: "Signing keys",
        icon: "M14.5 9.5a4.5 4.5 0 1 1-9 0 4.5 4.5 0 0 1 9 0zM13.2 12.7L21 20.5M18 17.5l2-2M16 15.5l2-2",
    },
    NavItem {
        href: "/console/audit",
        label: "Audit",
        icon: "M8 6h12M8 12h12M8 18h12M4 6h.01M4 12h.01M4 18h.01",
    },
    NavItem {
        href: "/console/inspector",
        label: "Token inspector",
        icon: "M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14zM21 21l-5-5M8.5 11l1.8 1.8L14 9",
    },
    NavItem {
        href: "/console/settings",
        label: "Settings",
        icon: "M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z",
    },
];

/// Whether the sidebar item `href` is the page at `path` (or one below it).
fn is_current(href: &str, path: &str) -> bool {
    if href == "/console/" {
        path.strip_prefix("/console")
            .unwrap_or(path)
            .split('/')
            .all(str::is_empty)
    } else {
        path == href || path.starts_with(&format!("{href}/"))
    }
}

/// Sidebar, top bar and the routed page.
#[component]
pub fn Shell() -> impl IntoView {
    view! {
        // The browser moves focus to #main itself; the router must not take the click
        // for a navigation.
        <a class="skip-link" href="#main" on:click=|ev| ev.stop_propagation()>
            "Skip to content"
        </a>
        <div class="app">
            <Sidebar />
            <div class="main-col">
                <TopBar />
                <main id="main" tabindex="-1">
                    <super::ConsoleRoutes />
                </main>
            </div>
        </div>
    }
}

#[component]
fn Sidebar() -> impl IntoView {
    let path = use_location().pathname;
    let nav = NAV
        .iter()
        .map(|item| {
            let href = item.href;
            let current = move || path.with(|p| is_current(href, p)).then_some("page");
            view! {
                <a class="nav-link" href=href aria-current=current>
                    <svg class="nav-icon" viewBox="0 0 24 24" aria-hidden="true">
                        <path d=item.icon />
                    </svg>
                    <span>{item.label}</span>
                </a>
            }
        })
        .collect_view();
    view! {
        <aside class="sidebar">
            <a class="sidebar-brand" href="/console/" aria-label="Tessera home">
                <Brand compact=true />
            </a>
            <nav class="nav" aria-label="Main">{nav}</nav>
            <div class="sidebar-foot">
                <span class="host-tag" title="Where this console is running">
                    {desktop::host().label()}
                </span>
            </div>
        </aside>
    }
}

/// Who is signed in, and "Sign out".
#[component]
fn TopBar() -> impl IntoView {
    let who = move || match auth::state().get() {
        AuthState::SignedIn(profile) => profile.display(),
        _ => String::new(),
    };
    let email = move || match auth::state().get() {
        AuthState::SignedIn(profile) => profile.email.unwrap_or_default(),
        _ => String::new(),
    };
    let initial = move || {
        who()
            .chars()
            .next()
            .map(|c| c.to_uppercase().to_string())
            .unwrap_or_default()
    };
    view! {
        <header class="topbar">
            <div class="spacer"></div>
            <div class="whoami" title=email>
                <span class="avatar" aria-hidden="true">{initial}</span>
                <span class="whoami-text">
                    <span class="whoami-name">{who}</span>
                    <span class="whoami-role">"Super-admin"</span>
                </span>
            </div>
            <button type="button" class="btn btn-ghost btn-small" on:click=move |_| auth::sign_out()>
                "Sign out"
            </button>
        </header>
    }
}
