//! The console shell: the client-side router (`navigate`, `query_param`), the sign-in
//! gate, the sidebar + top bar layout, and the desktop window's boot page.

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use crate::auth::{self, AuthState};
use crate::components::brand::{Brand, Mark};
use crate::components::toast::ToastRegion;
use crate::desktop::{self, Host};
use crate::pages;

thread_local! {
    /// `pathname + search` of the current route; the router re-renders when it changes.
    static ROUTE: ArcRwSignal<String> = ArcRwSignal::new(current_location());
}

fn route() -> ArcRwSignal<String> {
    ROUTE.with(Clone::clone)
}

fn current_location() -> String {
    let location = window().location();
    format!(
        "{}{}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    )
}

/// Goes to `path` (e.g. "/console/products/abc?tab=uris"): pushes a history entry and
/// renders the matching page, then moves focus to its heading.
pub fn navigate(path: &str) {
    let _ = window()
        .history()
        .and_then(|h| h.push_state_with_url(&JsValue::NULL, "", Some(path)));
    route_changed();
}

/// Like [`navigate`] without a new history entry.
pub fn replace(path: &str) {
    let _ = window()
        .history()
        .and_then(|h| h.replace_state_with_url(&JsValue::NULL, "", Some(path)));
    route_changed();
}

fn route_changed() {
    route().set(current_location());
    focus_heading_soon();
}

/// A query-string value of the current URL.
pub fn query_param(name: &str) -> Option<String> {
    let search = window().location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
}

/// After the new page has rendered: focus its `h1` (or `main`) and scroll to the top.
fn focus_heading_soon() {
    request_animation_frame(|| {
        let doc = document();
        let target = doc
            .query_selector("main h1")
            .ok()
            .flatten()
            .or_else(|| doc.get_element_by_id("main"));
        if let Some(el) = target.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = el.focus();
        }
        if let Some(main) = doc.get_element_by_id("main") {
            main.set_scroll_top(0);
        }
    });
}

fn path_only(location: &str) -> &str {
    location.split(['?', '#']).next().unwrap_or(location)
}

/// Path segments after `/console`, percent-decoded.
fn segments(path: &str) -> Vec<String> {
    path.strip_prefix("/console")
        .unwrap_or(path)
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            js_sys::decode_uri_component(s)
                .map(String::from)
                .unwrap_or_else(|_| s.to_owned())
        })
        .collect()
}

/// Plain `<a href="/console/...">` clicks become client-side navigations.
fn intercept_links() {
    let handle = window_event_listener(ev::click, |event: web_sys::MouseEvent| {
        if event.default_prevented()
            || event.button() != 0
            || event.meta_key()
            || event.ctrl_key()
            || event.shift_key()
            || event.alt_key()
        {
            return;
        }
        let Some(anchor) = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("a[href]").ok().flatten())
        else {
            return;
        };
        let href = anchor.get_attribute("href").unwrap_or_default();
        let target = anchor.get_attribute("target").unwrap_or_default();
        if !href.starts_with("/console")
            || anchor.has_attribute("download")
            || !(target.is_empty() || target == "_self")
            || href.starts_with("/console/callback")
        {
            return;
        }
        event.prevent_default();
        navigate(&href);
    });
    // The listener lives as long as the page.
    std::mem::forget(handle);
    let handle = window_event_listener(ev::popstate, |_| route_changed());
    std::mem::forget(handle);
}

#[component]
pub fn App() -> impl IntoView {
    if desktop::is_bundled_page() {
        return view! { <DesktopBoot /> <ToastRegion /> }.into_any();
    }
    intercept_links();
    let route = route();
    let path = Memo::new(move |_| path_only(&route.get()).to_owned());
    let on_callback = path_only(&current_location()).starts_with("/console/callback");
    if on_callback {
        auth::handle_callback();
    } else {
        auth::start();
    }
    let state = auth::state();
    view! {
        {move || {
            let path = path.get();
            if path.starts_with("/console/setup") && desktop::host() == Host::Desktop {
                return view! { <pages::setup::SetupPage /> }.into_any();
            }
            match state.get() {
                AuthState::SignedIn(_) => view! { <Shell /> }.into_any(),
                AuthState::Working(note) => view! { <Working note=note /> }.into_any(),
                AuthState::SignedOut(problem) => {
                    view! { <pages::signin::SignInPage problem=problem /> }.into_any()
                }
            }
        }}
        <ToastRegion />
    }
    .into_any()
}

/// A calm full-window note while the browser goes to / comes back from the login page.
#[component]
fn Working(note: &'static str) -> impl IntoView {
    document().set_title("Signing in · Tessera");
    view! {
        <div class="center-screen">
            <div class="working" role="status">
                <Mark />
                <span class="spinner" aria-hidden="true"></span>
                <p>{note}</p>
            </div>
        </div>
    }
}

struct NavItem {
    href: &'static str,
    label: &'static str,
    /// SVG path data (24×24, stroked).
    icon: &'static str,
}

const NAV: [NavItem; 8] = [
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

fn is_current(href: &str, path: &str) -> bool {
    if href == "/console/" {
        segments(path).is_empty()
    } else {
        path == href || path.starts_with(&format!("{href}/"))
    }
}

/// Sidebar, top bar and the routed page.
#[component]
fn Shell() -> impl IntoView {
    let route = route();
    let location = Memo::new(move |_| route.get());
    let path = Memo::new(move |_| path_only(&location.get()).to_owned());
    let host = desktop::host();
    let who = move || match auth::state().get() {
        AuthState::SignedIn(profile) => profile.display(),
        _ => String::new(),
    };
    let email = move || match auth::state().get() {
        AuthState::SignedIn(profile) => profile.email.unwrap_or_default(),
        _ => String::new(),
    };
    let nav = NAV
        .iter()
        .map(|item| {
            let href = item.href;
            let current = move || is_current(href, &path.get()).then_some("page");
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
        <a class="skip-link" href="#main">"Skip to content"</a>
        <div class="app">
            <aside class="sidebar">
                <a class="sidebar-brand" href="/console/" aria-label="Tessera home">
                    <Brand compact=true />
                </a>
                <nav class="nav" aria-label="Main">{nav}</nav>
                <div class="sidebar-foot">
                    <span class="host-tag" title="Where this console is running">
                        {host.label()}
                    </span>
                </div>
            </aside>
            <div class="main-col">
                <header class="topbar">
                    <div class="spacer"></div>
                    <div class="whoami" title=email>
                        <span class="avatar" aria-hidden="true">
                            {move || who().chars().next().map(|c| c.to_uppercase().to_string()).unwrap_or_default()}
                        </span>
                        <span class="whoami-text">
                            <span class="whoami-name">{who}</span>
                            <span class="whoami-role">"Super-admin"</span>
                        </span>
                    </div>
                    <button type="button" class="btn btn-ghost btn-small" on:click=move |_| auth::sign_out()>
                        "Sign out"
                    </button>
                </header>
                <main id="main" tabindex="-1">
                    {move || routed(&path.get(), &location.get())}
                </main>
            </div>
        </div>
    }
}

/// The page for `path` (`location` = path + query, so a new query re-renders too).
fn routed(path: &str, _location: &str) -> AnyView {
    use pages::*;
    let segs = segments(path);
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    match segs.as_slice() {
        [] => view! { <dashboard::DashboardPage /> }.into_any(),
        ["products"] => view! { <products::ProductsPage /> }.into_any(),
        ["products", "new"] => view! { <products::NewProductPage /> }.into_any(),
        ["products", id] => view! { <products::ProductPage id=id.to_string() /> }.into_any(),
        ["users"] => view! { <users::UsersPage /> }.into_any(),
        ["users", id] => view! { <users::UserPage id=id.to_string() /> }.into_any(),
        ["businesses"] => view! { <businesses::BusinessesPage /> }.into_any(),
        ["businesses", id] => view! { <businesses::BusinessPage id=id.to_string() /> }.into_any(),
        ["keys"] => view! { <keys::KeysPage /> }.into_any(),
        ["audit"] => view! { <audit::AuditPage /> }.into_any(),
        ["inspector"] => view! { <inspector::InspectorPage /> }.into_any(),
        ["settings"] => view! { <settings::SettingsPage /> }.into_any(),
        _ => view! { <NotFound /> }.into_any(),
    }
}

#[component]
fn NotFound() -> impl IntoView {
    use crate::components::{Empty, PageHeader};
    view! {
        <section class="page">
            <PageHeader title="Page not found" />
            <Empty title="There is no console page at this address." hint="Pick a page in the sidebar, or go back to the dashboard.".to_owned()>
                <a class="btn btn-primary" href="/console/">"Go to the dashboard"</a>
            </Empty>
        </section>
    }
}

/// The bundled page in the desktop window: asks the shell where the server is, then
/// either moves the window to the server's console, shows first-run setup, or shows why
/// the server did not start.
#[component]
fn DesktopBoot() -> impl IntoView {
    let context = LocalResource::new(desktop::console_context);
    view! {
        {move || match context.get() {
            None => view! { <Working note="Starting Tessera…" /> }.into_any(),
            Some(Ok(ctx)) if ctx.stage == "ready" => {
                if let Some(url) = ctx.console_url.clone() {
                    let _ = window().location().replace(&url);
                }
                view! { <Working note="Opening the console…" /> }.into_any()
            }
            Some(Ok(ctx)) if ctx.stage == "setup" => {
                view! { <pages::setup::SetupPage context=ctx /> }.into_any()
            }
            Some(Ok(ctx)) => {
                view! { <pages::signin::ServerProblem context=Some(ctx) error=None /> }.into_any()
            }
            Some(Err(error)) => {
                view! { <pages::signin::ServerProblem context=None error=Some(error) /> }.into_any()
            }
        }}
    }
}
