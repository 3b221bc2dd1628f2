//! The open-registration setting (`open_registration`, `open_registration_scopes` of
//! `/v1/settings`): whether apps may register without a token — what MCP clients
//! expect — and which scopes such an app may ask for.

use leptos::prelude::*;
use serde_json::json;
use tessera_proto::products::ProductList;
use tessera_proto::settings::Settings;

use crate::api::{self, ApiError};
use crate::components::{on_done, toast, ErrorBanner, Loaded};

/// The OpenID Connect scopes every app may ask for.
const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// The settings and every scope an app could ask for (OIDC, then the products').
async fn load() -> Result<(Settings, Vec<String>), ApiError> {
    let settings = api::get::<Settings>("/v1/settings").await?;
    let products = api::get::<ProductList>("/v1/products").await?;
    let mut scopes: Vec<String> = OIDC_SCOPES.iter().map(|s| (*s).to_owned()).collect();
    for p in products.products {
        scopes.extend(p.scopes);
    }
    Ok((settings, scopes))
}

#[component]
pub fn OpenRegistrationCard() -> impl IntoView {
    let loaded = LocalResource::new(load);
    view! {
        <section class="card" aria-labelledby="open-reg-title">
            <h2 class="card-title" id="open-reg-title">"Open registration"</h2>
            <p class="muted">
                "With open registration on, any app may register without a token, as MCP clients and other AI agents expect. Only public apps are admitted (code + PKCE, no secret), with https or loopback redirect URIs, and only the scopes ticked here. Their users still approve each app on the consent page."
            </p>
            <Loaded resource=loaded let:data>
                <OpenForm settings=data.0 scopes=data.1 />
            </Loaded>
        </section>
    }
}

#[component]
fn OpenForm(settings: Settings, scopes: Vec<String>) -> impl IntoView {
    let on = RwSignal::new(settings.open_registration);
    let chosen = RwSignal::new(settings.open_registration_scopes.clone());
    let error = RwSignal::new(None::<String>);
    let save = Action::new_local(move |(): &()| {
        let body = json!({
            "open_registration": on.get_untracked(),
            "open_registration_scopes": chosen.get_untracked(),
        });
        async move { api::patch::<_, Settings>("/v1/settings", &body).await }
    });
    on_done(save, move |answer| match answer {
        Ok(s) => {
            on.set(s.open_registration);
            chosen.set(s.open_registration_scopes);
            toast::show("Open registration saved");
        }
        Err(e) => error.set(Some(e.message)),
    });
    let boxes = scopes
        .into_iter()
        .map(|scope| {
            let (s1, s2) = (scope.clone(), scope.clone());
            view! {
                <label class="check">
                    <input
                        type="checkbox"
                        prop:checked=move || chosen.with(|l| l.contains(&s1))
                        on:change=move |ev| {
                            let tick = event_target_checked(&ev);
                            let s = s2.clone();
                            chosen.update(|l| {
                                l.retain(|x| *x != s);
                                if tick {
                                    l.push(s);
                                }
                            });
                        }
                    />
                    <span class="mono">{scope}</span>
                </label>
            }
        })
        .collect_view();
    view! {
        <label class="check apps-open-switch">
            <input type="checkbox" prop:checked=move || on.get() on:change=move |ev| on.set(event_target_checked(&ev)) />
            <span>"Let apps register without a token"</span>
        </label>
        <fieldset class="scope-picker">
            <legend>"Scopes an openly registered app may ask for"</legend>
            <div class="check-list">{boxes}</div>
        </fieldset>
        <ErrorBanner error=error />
        <div class="row">
            <button type="button" class="btn btn-primary" disabled=move || save.pending().get()
                on:click=move |_| { error.set(None); save.dispatch_local(()); }>
                "Save"
            </button>
        </div>
    }
}
