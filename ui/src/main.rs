//! Tessera console: a Leptos (client-side rendered) app that runs in a browser at
//! `/console/` and inside the desktop window. `app` holds the shell and router, `auth`
//! the OIDC sign-in, `try_signin` a product's sign-in tried from the console (both on
//! the client pieces in `oidc`), `api` the admin API client, `desktop` the window's
//! commands, `pages/` one module per screen, `components/` the small reusable pieces.

mod api;
mod app;
mod auth;
mod components;
mod desktop;
mod oidc;
mod pages;
mod try_signin;

fn main() {
    console_error_panic_hook::set_once();
    // index.html shows a "loading" note until the wasm has started; the app replaces it.
    if let Some(boot) = leptos::prelude::document().get_element_by_id("boot") {
        boot.remove();
    }
    leptos::mount::mount_to_body(app::App);
}
