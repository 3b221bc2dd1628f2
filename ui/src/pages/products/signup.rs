//! "Allow sign-up" in the product's settings card: whether people may create their own
//! account (`POST /v1/auth/register`, the hosted sign-up page), saved with the card's
//! `PATCH /v1/products/{id}` as `"self_registration"`.

use leptos::prelude::*;

#[component]
pub(crate) fn SignUpField(allowed: RwSignal<bool>) -> impl IntoView {
    view! {
        <div class="field">
            <label class="check">
                <input
                    type="checkbox"
                    role="switch"
                    id="product-self-registration"
                    aria-describedby="product-self-registration-hint"
                    prop:checked=move || allowed.get()
                    on:change=move |ev| allowed.set(event_target_checked(&ev))
                />
                <span>"Allow sign-up"</span>
            </label>
            <p class="hint" id="product-self-registration-hint">
                "When on, people can create their own account for this product through "
                <span class="mono">"POST /v1/auth/register"</span>
                " and the hosted sign-up page. When off, only an administrator creates accounts."
            </p>
        </div>
    }
}
