//! The console shell: `leptos_router` under `/console` (the routes; `navigate`, `replace`
//! and `query_param` for the pages), the sign-in gate, and the desktop window's boot page.
//! The layout (sidebar, top bar) is in `shell`.

mod shell;

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::{use_location, use_navigate, use_params_map, use_url};
use leptos_router::{path, NavigateOptions};
use wasm_bindgen::{JsCast, JsValue};

use crate::auth::{self, AuthState};
use crate::components::brand::Mark;
use crate::components::toast::ToastRegion;
use crate::desktop::{self, Host};
use crate::pages;
use shell::Shell;

type NavigateFn = Rc<dyn Fn(&str, NavigateOptions)>;

thread_local! {
    /// The router's `navigate`, for code that runs outside a component (after an await).
    static NAVIGATE: RefCell<Option<NavigateFn>> = const { RefCell::new(None) };
    /// The router's query string (without `?`).
    static SEARCH: RefCell<Option<Memo<String>>> = const { RefCell::new(None) };
}

/// Goes to `path` (e.g. "/console/products/abc?tab=uris"): a new history entry, the
/// matching page, then focus on its heading.
pub fn navigate(path: &str) {
    go(path, false);
}

/// Like [`navigate`] without a new history entry.
pub fn replace(path: &str) {
    go(path, true);
}

fn go(path: &str, replace: bool) {
    match NAVIGATE.with(|n| n.borrow().clone()) {
        Some(navigate) => navigate(
            path,
            NavigateOptions {
                // `path` is absolute: not below the router's base again.
                resolve: false,
                replace,
                ..NavigateOptions::default()
            },
        ),
        // Before the router exists (nothing to render yet): only the address bar.
        None => {
            let _ = window().history().and_then(|h| {
                if replace {
                    h.replace_state_with_url(&JsValue::NULL, "", Some(path))
                } else {
                    h.push_state_with_url(&JsValue::NULL, "", Some(path))
                }
            });
        }
    }
    focus_heading_soon();
}

/// A query-string value of the current URL.
pub fn query_param(name: &str) -> Option<String> {
    let search = SEARCH
        .with(|s| *s.borrow())
        .and_then(|search| search.try_get_untracked())
        .map(|search| format!("?{search}"))
        .or_else(|| window().location().search().ok())?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
}

/// Keeps the router's `navigate` and query string for [`navigate`], [`replace`] and
/// [`query_param`], and moves focus after every navigation (links, back/forward).
fn keep_router() {
    let navigate = use_navigate();
    NAVIGATE.with(|n| *n.borrow_mut() = Some(Rc::new(navigate)));
    SEARCH.with(|s| *s.borrow_mut() = Some(use_location().search));
    on_cleanup(|| {
        NAVIGATE.with(|n| n.borrow_mut().take());
        SEARCH.with(|s| s.borrow_mut().take());
    });
    let url = use_url();
    Effect::watch(move || url.track(), |_, _, _| focus_heading_soon(), false);
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

#[component]
pub fn App() -> impl IntoView {
    if desktop::is_bundled_page() {
        return view! { <DesktopBoot /> <ToastRegion /> }.into_any();
    }
    view! {
        <Router base="/console">
            <Gate />
        </Router>
        <ToastRegion />
    }
    .into_any()
}

/// The sign-in gate: first-run setup in the desktop window, else the console once
/// signed in, the sign-in page or a "signing in" note. `/console/callback` is handled by
/// `auth` before any page renders, `/console/try-callback` by `try_signin`.
#[component]
fn Gate() -> impl IntoView {
    keep_router();
    let path = use_location().pathname;
    if path.with_untracked(|p| p.starts_with("/console/callback")) {
        auth::handle_callback();
    } else if path.with_untracked(|p| p.starts_with(crate::try_signin::CALLBACK_PATH)) {
        auth::working("Finishing the product's sign-in…");
        crate::try_signin::handle_callback(auth::start);
    } else {
        auth::start();
    }
    let on_setup = Memo::new(move |_| {
        path.with(|p| p.starts_with("/console/setup")) && desktop::host() == Host::Desktop
    });
    let state = auth::state();
    move || {
        if on_setup.get() {
            return view! { <pages::setup::SetupPage /> }.into_any();
        }
        match state.get() {
            AuthState::SignedIn(_) => view! { <Shell /> }.into_any(),
            AuthState::Working(note) => view! { <Working note=note /> }.into_any(),
            AuthState::SignedOut(problem) => {
                view! { <pages::signin::SignInPage problem=problem /> }.into_any()
            }
        }
    }
}

/// The pages of the signed-in console, below `/console`.
#[component]
fn ConsoleRoutes() -> impl IntoView {
    use pages::*;
    view! {
        <Routes fallback=|| view! { <NotFound /> }>
            <Route path=path!("/") view=|| routed(|_| view! { <dashboard::DashboardPage /> }) />
            <Route path=path!("/products") view=|| routed(|_| view! { <products::ProductsPage /> }) />
            <Route path=path!("/products/new") view=|| routed(|_| view! { <products::NewProductPage /> }) />
            <Route path=path!("/products/:id") view=|| routed(|id| view! { <products::ProductPage id=id /> }) />
            <Route path=path!("/users") view=|| routed(|_| view! { <users::UsersPage /> }) />
            <Route path=path!("/users/:id") view=|| routed(|id| view! { <users::UserPage id=id /> }) />
            <Route path=path!("/businesses") view=|| routed(|_| view! { <businesses::BusinessesPage /> }) />
            <Route path=path!("/businesses/:id") view=|| routed(|id| view! { <businesses::BusinessPage id=id /> }) />
            <Route path=path!("/apps") view=|| routed(|_| view! { <apps::AppsPage /> }) />
            <Route path=path!("/apps/registration") view=|| routed(|_| view! { <apps::registration::RegistrationPage /> }) />
            <Route path=path!("/keys") view=|| routed(|_| view! { <keys::KeysPage /> }) />
            // Opening the audit page is step 3 of the dashboard's first-run checklist.
            <Route path=path!("/audit") view=|| routed(|_| { dashboard::note_audit_opened(); view! { <audit::AuditPage /> } }) />
            <Route path=path!("/inspector") view=|| routed(|_| view! { <inspector::InspectorPage /> }) />
            <Route path=path!("/settings") view=|| routed(|_| view! { <settings::SettingsPage /> }) />
        </Routes>
    }
}

/// A routed page, given its `:id` (empty when the route has none). A new URL on the same
/// route (another id, another query string) builds the page anew, as a visit from
/// elsewhere would.
fn routed<V: IntoView + 'static>(
    page: impl Fn(String) -> V + Send + Sync + 'static,
) -> impl IntoView {
    let url = use_url();
    let params = use_params_map();
    let visit = Memo::new(move |_| url.with(|u| (u.path().to_owned(), u.search().to_owned())));
    move || {
        visit.track();
        page(params.with_untracked(|p| p.get("id").unwrap_or_default()))
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

/// The bundled page in the desktop window: asks the shell where the server is, then
/// either moves the window to the server's console, shows first-run setup, or shows why
/// the server did not start.
#[component]
fn DesktopBoot() -> impl IntoView {
    let context = LocalResource::new(desktop::console_context);
    view! {
        <Transition fallback=|| view! { <Working note="Starting Tessera…" /> }>
            {move || context.get().map(|answer| match answer {
                Ok(ctx) if ctx.stage == "ready" => {
                    if let Some(url) = ctx.console_url.clone() {
                        let _ = window().location().replace(&url);
                    }
                    view! { <Working note="Opening the console…" /> }.into_any()
                }
                Ok(ctx) if ctx.stage == "setup" => {
                    view! { <pages::setup::SetupPage context=ctx /> }.into_any()
                }
                Ok(ctx) => {
                    view! { <pages::signin::ServerProblem context=Some(ctx) error=None /> }.into_any()
                }
                Err(error) => {
                    view! { <pages::signin::ServerProblem context=None error=Some(error) /> }.into_any()
                }
            })}
        </Transition>
    }
}
