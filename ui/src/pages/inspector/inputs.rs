//! The inspector's fields: the JWT, an optional JWKS, what the API needs, and "Verify".

use leptos::prelude::*;

use super::state::Inspection;

#[component]
pub fn Inputs(i: Inspection) -> impl IntoView {
    let decode_error = move || match i.decoded.get() {
        Some(Err(e)) => Some(e),
        _ => None,
    };
    let jwks_error = move || match i.pasted.get() {
        Some(Err(e)) => Some(e),
        _ => None,
    };
    let jwks_hint = move || match i.keys.get() {
        Some(k) => match (k.issuer, k.jwks) {
            (Ok(issuer), Ok(_)) => {
                format!("Empty: this issuer's keys ({}) are used.", issuer.jwks_uri)
            }
            (_, Err(e)) => format!("This issuer's keys could not be loaded: {e}"),
            (Err(_), Ok(_)) => "Loading this issuer's keys…".to_owned(),
        },
        None => "Loading this issuer's keys…".to_owned(),
    };
    view! {
        <div class="card insp-inputs">
            <div class="field insp-jwt">
                <label for="insp-jwt">"JWT"</label>
                <textarea
                    id="insp-jwt"
                    class="textarea mono"
                    rows="5"
                    placeholder="eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6Ii4uLiJ9.eyJpc3MiOi…"
                    spellcheck="false"
                    autocomplete="off"
                    autocapitalize="off"
                    aria-describedby="insp-jwt-hint"
                    aria-invalid=move || if decode_error().is_some() { "true" } else { "false" }
                    prop:value=move || i.token.get()
                    on:input=move |ev| i.token.set(event_target_value(&ev))
                ></textarea>
                <p class="hint" id="insp-jwt-hint">
                    "An access token or ID token: three base64url parts separated by dots."
                </p>
                {move || decode_error().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            </div>
            <div class="field insp-jwks-field">
                <label for="insp-jwks">"JWKS (optional)"</label>
                <textarea
                    id="insp-jwks"
                    class="textarea mono insp-jwks"
                    rows="4"
                    placeholder="{\"keys\": [{\"kty\": \"RSA\", \"kid\": \"…\", \"n\": \"…\", \"e\": \"AQAB\"}]}"
                    spellcheck="false"
                    autocomplete="off"
                    aria-invalid=move || if jwks_error().is_some() { "true" } else { "false" }
                    prop:value=move || i.jwks_text.get()
                    on:input=move |ev| i.jwks_text.set(event_target_value(&ev))
                ></textarea>
                <p class="hint">{jwks_hint}</p>
                {move || jwks_error().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            </div>
            <div class="insp-needs">
                <div class="field">
                    <label for="insp-scope">"Required scope"</label>
                    <input
                        id="insp-scope"
                        class="input mono"
                        placeholder="orders:read"
                        spellcheck="false"
                        autocomplete="off"
                        aria-describedby="insp-needs-hint"
                        prop:value=move || i.scope.get()
                        on:input=move |ev| i.scope.set(event_target_value(&ev))
                    />
                </div>
                <div class="field">
                    <label for="insp-aud">"Expected audience"</label>
                    <input
                        id="insp-aud"
                        class="input mono"
                        placeholder="https://api.example.com"
                        spellcheck="false"
                        autocomplete="off"
                        aria-describedby="insp-needs-hint"
                        prop:value=move || i.audience.get()
                        on:input=move |ev| i.audience.set(event_target_value(&ev))
                    />
                </div>
                <div class="insp-actions">
                    <button
                        type="button"
                        class="btn btn-primary"
                        title="Reload the keys and check again"
                        on:click=move |_| i.verify()
                    >
                        "Verify"
                    </button>
                    <Show when=move || !i.token.with(String::is_empty)>
                        <button
                            type="button"
                            class="btn btn-ghost"
                            on:click=move |_| i.token.set(String::new())
                        >
                            "Clear token"
                        </button>
                    </Show>
                </div>
                <p class="hint insp-needs-hint" id="insp-needs-hint">
                    "Optional: what your API needs (several scopes separated by spaces). \
                     Verify reloads this issuer's keys and checks again."
                </p>
            </div>
        </div>
    }
}
