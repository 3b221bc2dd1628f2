//! "Try sign-in" on a product's page (`#try-signin`): sign in to the product through its
//! web client and see the tokens in the inspector (`crate::try_signin`). The console's
//! test callback must be one of the product's redirect URIs: the card says so and adds it
//! with one click, through the same API as any redirect URI.

use leptos::prelude::*;
use serde_json::json;

use super::detail::Ctx;
use super::{Product, ProductExt};
use crate::api::{self, ApiError};
use crate::components::{on_done, toast, ErrorBanner};
use crate::try_signin;

/// `POST .../redirect-uris` with the console's test callback: the product as saved.
pub(crate) async fn add_test_callback(product_id: String) -> Result<Product, ApiError> {
    let path = format!("/v1/products/{}/redirect-uris", api::enc(&product_id));
    api::post::<_, Product>(&path, &json!({ "uri": try_signin::callback_uri() })).await
}

/// Whether `product` can be tried from here (its web client has the test callback).
pub(crate) fn has_test_callback(product: &Product) -> bool {
    product
        .redirect_uris()
        .contains(&try_signin::callback_uri())
}

/// Starts the try for `product` (`prompt_login`: as someone else, with a password);
/// an error comes back into `error`.
pub(crate) fn start(product: &Product, prompt_login: bool, error: RwSignal<Option<ApiError>>) {
    let target = try_signin::Product {
        id: product.id.clone(),
        name: product.name.clone(),
        client_id: product.web_client_id(),
    };
    error.set(None);
    leptos::task::spawn_local(async move {
        if let Err(e) = try_signin::start(target, prompt_login).await {
            let _ = error.try_set(Some(e));
        }
    });
}

#[component]
pub fn TryCard(ctx: Ctx) -> impl IntoView {
    let error = RwSignal::new(None::<ApiError>);
    let add = Action::new_local(move |id: &String| add_test_callback(id.clone()));
    on_done(add, move |answer| match answer {
        Ok(product) => {
            ctx.item.set(Some(product));
            toast::show("Test callback added to the redirect URIs");
        }
        Err(e) => error.set(Some(e)),
    });
    let ready = Memo::new(move |_| ctx.get(has_test_callback).unwrap_or(false));
    let callback = try_signin::callback_uri();
    scroll_here_when_asked();
    view! {
        <div class="card try-card" id="try-signin">
            <h2 class="card-title">"Try sign-in"</h2>
            <p class="muted">
                "Sign in to this product as its users will: Tessera's sign-in page, then the tokens it issues, opened in the token inspector. The events show in the audit feed."
            </p>
            <ErrorBanner error=Signal::derive(move || error.get().map(|e| e.message)) />
            <Show
                when=move || ready.get()
                fallback=move || {
                    let callback = callback.clone();
                    view! {
                        <p>
                            "The console comes back to "
                            <span class="mono">{callback}</span>
                            ", which is not one of this product's redirect URIs yet. Added, it is listed with the others and you can remove it at any time."
                        </p>
                        <div class="card-actions">
                            <button
                                type="button"
                                class="btn btn-primary"
                                disabled=move || add.pending().get()
                                on:click=move |_| {
                                    error.set(None);
                                    add.dispatch(ctx.id.get_value());
                                }
                            >
                                {move || if add.pending().get() { "Adding…" } else { "Add the console's test callback" }}
                            </button>
                        </div>
                    }
                }
            >
                <div class="card-actions">
                    <button
                        type="button"
                        class="btn btn-primary"
                        on:click=move |_| { ctx.item.with_untracked(|p| if let Some(p) = p { start(p, false, error) }); }
                    >
                        "Try sign-in"
                    </button>
                    <button
                        type="button"
                        class="btn"
                        title="Asks for a password, so you can sign in as a test user. Signing in as someone else ends your console session in this browser: you sign in to the console again afterwards."
                        on:click=move |_| { ctx.item.with_untracked(|p| if let Some(p) = p { start(p, true, error) }); }
                    >
                        "Sign in as someone else"
                    </button>
                </div>
                <p class="muted small">
                    "“Try sign-in” uses your current session. “Sign in as someone else” asks for a password; a different account ends your console session in this browser."
                </p>
            </Show>
        </div>
    }
}

/// `…#try-signin` (the dashboard's checklist links here): bring the card into view once
/// the page has drawn it.
fn scroll_here_when_asked() {
    if window().location().hash().ok().as_deref() != Some("#try-signin") {
        return;
    }
    request_animation_frame(|| {
        if let Some(card) = document().get_element_by_id("try-signin") {
            card.scroll_into_view();
        }
    });
}
