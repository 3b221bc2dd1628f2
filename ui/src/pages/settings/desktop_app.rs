//! The "This computer" card, in the desktop window only: "Start Tessera when I log in"
//! (`autostart_status`, `set_autostart`; off until turned on) and what closing the window
//! does. A browser shows nothing: it has no app to start.

use leptos::prelude::*;

use crate::api;
use crate::components::{failure, on_done, toast, ErrorBanner, Loaded};
use crate::desktop::{self, Host};

#[component]
pub fn DesktopAppCard() -> impl IntoView {
    (desktop::host() == Host::Desktop).then(|| {
        let status = LocalResource::new(desktop::autostart_status);
        view! {
            <section class="card" aria-labelledby="desktop-title">
                <h2 class="card-title" id="desktop-title">"This computer"</h2>
                <Loaded resource=status let:autostart>
                    <AutostartToggle initial=autostart.enabled />
                </Loaded>
            </section>
        }
    })
}

#[component]
fn AutostartToggle(initial: bool) -> impl IntoView {
    // What the box shows: the last answer, or the change under way.
    let enabled = RwSignal::new(initial);
    let save = Action::new_local(|on: &bool| {
        let on = *on;
        async move {
            let token = api::access_token().await.map_err(|e| e.message)?;
            desktop::set_autostart(&token, on).await
        }
    });
    on_done(save, move |answer| match answer {
        Ok(now) => {
            enabled.set(now.enabled);
            toast::show(if now.enabled {
                "Tessera will start when you log in"
            } else {
                "Tessera will no longer start when you log in"
            });
        }
        // Back to what it was: the change was refused.
        Err(_) => enabled.update(|on| *on = !*on),
    });
    view! {
        <div class="stack">
            <ErrorBanner error=failure(save) />
            <label class="check">
                <input id="autostart" type="checkbox"
                    aria-describedby="autostart-hint"
                    disabled=move || save.pending().get()
                    prop:checked=enabled
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        enabled.set(on);
                        save.dispatch_local(on);
                    } />
                "Start Tessera when I log in"
            </label>
            <p id="autostart-hint" class="hint">
                "Tessera then starts with your desktop session, so your apps can sign people in "
                "from the start. Closing this window keeps the server running; choose Quit in "
                "the Tessera tray menu to stop it."
            </p>
        </div>
    }
}
