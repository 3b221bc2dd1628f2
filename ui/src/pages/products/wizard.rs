//! Register a product: 1 Name and kind of app → 2 Redirect URIs (skipped for a backend
//! service) → 3 Server client? → 4 Done. Nothing is saved until "Create product" on step 3
//! (one `POST /v1/products`, with the kind's `web_client` settings); an API error sends
//! the wizard back to the step of the field it names. Step 4 shows the client ids and the
//! secrets once, with an integration snippet.

use super::app_kind::{AppKind, AppKindField};
use super::ProductExt;
use leptos::prelude::*;
use serde::Serialize;
use serde_json::Value;

use super::form::{field_of, under, FieldError};
use super::snippet::{focus_id, focus_step, Integration, Snippet};
use super::try_card;
use super::uris::{add_items, local_error, UriListEditor};
use super::Product;
use crate::api::{self, ApiError};
use crate::app::navigate;
use crate::components::{on_done, toast, CopyButton, ErrorBanner, PageHeader};
use crate::try_signin;

#[derive(Clone, Serialize)]
struct CreateBody {
    name: String,
    redirect_uris: Vec<String>,
    post_logout_redirect_uris: Vec<String>,
    scopes: Vec<String>,
    server_client: bool,
    web_client: Value,
}

const STEPS: [&str; 4] = ["Name and kind", "Redirect URIs", "Server client?", "Done"];

/// Which step shows an error about `field` under its input.
fn step_of(field: &str) -> Option<u8> {
    match field {
        "name" => Some(1),
        "redirect_uris" | "post_logout_redirect_uris" => Some(2),
        "scopes" => Some(3),
        _ => None,
    }
}

/// The step on screen and everything typed so far (nothing is saved before step 3).
#[derive(Clone, Copy)]
struct Draft {
    step: RwSignal<u8>,
    name: RwSignal<String>,
    kind: RwSignal<AppKind>,
    uris: RwSignal<Vec<String>>,
    uri_input: RwSignal<String>,
    logout_uris: RwSignal<Vec<String>>,
    logout_input: RwSignal<String>,
    scopes: RwSignal<Vec<String>>,
    scope_input: RwSignal<String>,
    server: RwSignal<bool>,
    error: RwSignal<Option<ApiError>>,
}

impl Draft {
    fn new() -> Self {
        Self {
            step: RwSignal::new(1),
            name: RwSignal::new(String::new()),
            kind: RwSignal::new(AppKind::Browser),
            uris: RwSignal::new(Vec::new()),
            uri_input: RwSignal::new(String::new()),
            logout_uris: RwSignal::new(Vec::new()),
            logout_input: RwSignal::new(String::new()),
            scopes: RwSignal::new(Vec::new()),
            scope_input: RwSignal::new(String::new()),
            server: RwSignal::new(false),
            error: RwSignal::new(None),
        }
    }

    fn go(self, step: u8) {
        self.error.set(None);
        self.step.set(step);
    }

    fn next_from_name(self) {
        if self.name.get_untracked().trim().is_empty() {
            self.error
                .set(Some(local_error("name", "enter a name for the product")));
            focus_id("wizard-name");
            return;
        }
        if self.kind.get_untracked().signs_in() {
            self.go(2);
        } else {
            // A backend service signs no one in: no redirect URIs, a server client.
            self.server.set(true);
            self.go(3);
        }
    }

    /// Back from step 3: to the redirect URIs, or to step 1 for a backend service.
    fn back_from_server(self) {
        self.go(if self.kind.get_untracked().signs_in() {
            2
        } else {
            1
        });
    }

    fn next_from_uris(self) {
        // Whatever is still typed in the inputs counts as added.
        if !add_items(
            self.uri_input,
            self.uris,
            self.error,
            "redirect_uris",
            false,
        ) || !add_items(
            self.logout_input,
            self.logout_uris,
            self.error,
            "post_logout_redirect_uris",
            false,
        ) {
            return;
        }
        self.go(3);
    }

    /// The `POST /v1/products` body, once what is still typed as a scope is added; `None`
    /// (with the error shown) when it is refused.
    fn body(self) -> Option<CreateBody> {
        if !add_items(self.scope_input, self.scopes, self.error, "scopes", true) {
            return None;
        }
        let kind = self.kind.get_untracked();
        let signs_in = kind.signs_in();
        Some(CreateBody {
            name: self.name.get_untracked().trim().to_string(),
            redirect_uris: if signs_in {
                self.uris.get_untracked()
            } else {
                Vec::new()
            },
            post_logout_redirect_uris: if signs_in {
                self.logout_uris.get_untracked()
            } else {
                Vec::new()
            },
            scopes: self.scopes.get_untracked(),
            server_client: self.server.get_untracked() || !signs_in,
            web_client: kind.web_client(),
        })
    }
}

#[component]
pub fn NewProductPage() -> impl IntoView {
    let draft = Draft::new();
    let step = draft.step;
    let created = RwSignal::new(None::<Product>);
    let issuer = LocalResource::new(super::issuer);
    let create = Action::new_local(|body: &CreateBody| {
        let body = body.clone();
        async move { api::post::<_, Product>("/v1/products", &body).await }
    });
    let busy = create.pending();
    on_done(create, move |result| match result {
        Ok(p) => {
            toast::show(format!("{} is registered", p.name));
            created.set(Some(p));
            step.set(4);
        }
        Err(e) => {
            if let Some(s) = field_of(&e).and_then(|(f, _)| step_of(&f)) {
                step.set(s);
            }
            draft.error.set(Some(e));
        }
    });
    let on_create = Callback::new(move |()| {
        if busy.get_untracked() {
            return;
        }
        if let Some(body) = draft.body() {
            draft.error.set(None);
            create.dispatch(body);
        }
    });

    // Move focus to the new step's heading so keyboard and screen-reader users follow.
    Effect::new(move |prev: Option<u8>| {
        let s = step.get();
        if prev.is_some_and(|p| p != s) {
            // After the new step has rendered.
            request_animation_frame(|| focus_step("wizard-step-title"));
        }
        s
    });

    let banner = Signal::derive(move || {
        let e = draft.error.get()?;
        // Field errors of the step on screen show under their input.
        match field_of(&e) {
            Some((f, _)) if step_of(&f) == Some(step.get()) => None,
            _ => Some(e.message),
        }
    });

    view! {
        <section class="page wizard-page">
            <PageHeader
                title="Register a product"
                subtitle="An app that signs users in with Tessera. Nothing is saved until you create it on step 3.".to_string()
            />
            <ol class="steps" aria-label="Progress"><Progress step=step /></ol>
            <ErrorBanner error=banner />
            <div class="card wizard-card">
                {move || match step.get() {
                    1 => view! { <StepName name=draft.name kind=draft.kind error=draft.error on_next=Callback::new(move |()| draft.next_from_name()) /> }.into_any(),
                    2 => view! { <StepUris draft=draft /> }.into_any(),
                    3 => view! { <StepServer draft=draft busy=busy on_create=on_create /> }.into_any(),
                    _ => {
                        view! { <StepDone created=created issuer=Signal::derive(move || issuer.get().unwrap_or_default()) /> }
                            .into_any()
                    }
                }}
            </div>
        </section>
    }
}

/// The steps, the current one marked.
#[component]
fn Progress(step: RwSignal<u8>) -> impl IntoView {
    STEPS
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let n = i as u8 + 1;
            view! {
                <li
                    class:done=move || { step.get() > n }
                    class:current=move || step.get() == n
                    aria-current=move || (step.get() == n).then_some("step")
                >
                    <span class="step-label">{*label}</span>
                </li>
            }
        })
        .collect_view()
}

#[component]
fn StepUris(draft: Draft) -> impl IntoView {
    let Draft {
        uris,
        uri_input,
        logout_uris,
        logout_input,
        error,
        ..
    } = draft;
    view! {
        <h2 class="card-title" id="wizard-step-title" tabindex="-1">"Redirect URIs"</h2>
        <p class="muted">
            "Where Tessera may send the browser back after sign-in. Each must match exactly what your app sends: "
            <span class="mono">"https://"</span>
            " URLs, or "
            <span class="mono">"http://localhost"</span>
            " / "
            <span class="mono">"http://127.0.0.1"</span>
            " while developing. You can change them later."
        </p>
        <UriListEditor
            items=uris
            input=uri_input
            error=error
            field="redirect_uris"
            label="Redirect URI"
            input_id="wizard-redirect-uri"
            what="redirect URI"
            add_label="Add redirect URI"
            placeholder="https://app.example/callback"
            hint="Press Enter or “Add redirect URI” to add it to the list."
            on_add=Callback::new(move |()| { add_items(uri_input, uris, error, "redirect_uris", false); })
            on_remove=Callback::new(move |u: String| uris.update(|l| l.retain(|x| *x != u)))
        />
        <TestCallbackOffer uris=uris />
        <h3 class="subhead">"Post-logout redirect URIs " <span class="muted">"(optional)"</span></h3>
        <p class="muted">"Where the browser may land after signing out of Tessera."</p>
        <UriListEditor
            items=logout_uris
            input=logout_input
            error=error
            field="post_logout_redirect_uris"
            label="Post-logout URI"
            input_id="wizard-logout-uri"
            what="post-logout URI"
            add_label="Add post-logout URI"
            placeholder="https://app.example/"
            hint=""
            on_add=Callback::new(move |()| { add_items(logout_input, logout_uris, error, "post_logout_redirect_uris", false); })
            on_remove=Callback::new(move |u: String| logout_uris.update(|l| l.retain(|x| *x != u)))
        />
        <div class="wizard-actions">
            <button type="button" class="btn" on:click=move |_| draft.go(1)>"Back"</button>
            <span class="spacer"></span>
            <button type="button" class="btn btn-primary" on:click=move |_| draft.next_from_uris()>"Next"</button>
        </div>
    }
}

#[component]
fn StepServer(draft: Draft, busy: Memo<bool>, on_create: Callback<()>) -> impl IntoView {
    let Draft {
        server,
        scopes,
        scope_input,
        error,
        kind,
        ..
    } = draft;
    let backend = move || !kind.get().signs_in();
    view! {
        <h2 class="card-title" id="wizard-step-title" tabindex="-1">"Server client?"</h2>
        <div class="server-choice">
            <label class="check">
                <input
                    type="checkbox"
                    aria-describedby="wizard-server-hint"
                    disabled=backend
                    prop:checked=move || server.get() || backend()
                    on:change=move |ev| server.set(event_target_checked(&ev))
                />
                <span>"Create a server client"</span>
            </label>
            <p class="hint" id="wizard-server-hint">
                "For service-to-service calls: your backend gets access tokens of its own with the "
                <span class="mono">"client_credentials"</span>
                " grant, without a user. It is a confidential client with a secret (shown once, on the next step). Skip it if only people sign in."
            </p>
        </div>
        <h3 class="subhead">"Scopes"</h3>
        <p class="muted">
            "What your product's API understands, for example "
            <span class="mono">"orders:read"</span>
            ". Roles in businesses grant them to people"
            {move || if server.get() || backend() { "; the server client is granted all of them." } else { "." }}
        </p>
        <UriListEditor
            items=scopes
            input=scope_input
            error=error
            field="scopes"
            label=Signal::derive(move || if server.get() || backend() { "Server client scopes" } else { "Product scopes" })
            input_id="wizard-scope"
            what="scope"
            add_label="Add scope"
            placeholder="orders:read"
            hint="Optional. Separate several with spaces; you can change them later."
            on_add=Callback::new(move |()| { add_items(scope_input, scopes, error, "scopes", true); })
            on_remove=Callback::new(move |s: String| scopes.update(|l| l.retain(|x| *x != s)))
        />
        <div class="wizard-actions">
            <button type="button" class="btn" disabled=move || busy.get() on:click=move |_| draft.back_from_server()>"Back"</button>
            <span class="spacer"></span>
            <button type="button" class="btn btn-primary" disabled=move || busy.get() on:click=move |_| on_create.run(())>
                {move || if busy.get() { "Creating…" } else { "Create product" }}
            </button>
        </div>
    }
}

#[component]
fn StepName(
    name: RwSignal<String>,
    kind: RwSignal<AppKind>,
    error: RwSignal<Option<ApiError>>,
    on_next: Callback<()>,
) -> impl IntoView {
    let msg = under(error, &["name"]);
    view! {
        <h2 class="card-title" id="wizard-step-title" tabindex="-1">"Name and kind of app"</h2>
        <form
            class="stack"
            novalidate
            on:submit=move |ev| {
                ev.prevent_default();
                on_next.run(());
            }
        >
            <div class="field">
                <label for="wizard-name">"Product name"</label>
                <input
                    id="wizard-name"
                    class="input"
                    type="text"
                    autocomplete="off"
                    placeholder="Shop"
                    maxlength="200"
                    autofocus
                    aria-describedby="wizard-name-hint wizard-name-error"
                    aria-invalid=move || msg.get().is_some().to_string()
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
                <p class="hint" id="wizard-name-hint">
                    "Shown to people on the sign-in page and in the audit log."
                </p>
                <FieldError message=msg id="wizard-name-error" />
            </div>
            <AppKindField kind=kind />
            <div class="wizard-actions">
                <button type="button" class="btn" on:click=move |_| navigate("/console/products")>
                    "Cancel"
                </button>
                <span class="spacer"></span>
                <button type="submit" class="btn btn-primary">"Next"</button>
            </div>
        </form>
    }
}

#[component]
fn StepDone(created: RwSignal<Option<Product>>, issuer: Signal<String>) -> impl IntoView {
    let Some(p) = created.get_untracked() else {
        return ().into_any();
    };
    let secret = p
        .server_client
        .as_ref()
        .and_then(|s| s.client_secret.clone());
    let web_secret = p.web_client.as_ref().and_then(|w| w.client_secret.clone());
    let kind = AppKind::of(&p);
    let integration = Signal::derive({
        let p = p.clone();
        let secret = secret.clone();
        let web_secret = web_secret.clone();
        move || {
            Some(Integration {
                issuer: issuer.get(),
                product: p.clone(),
                secret: secret.clone(),
                web_secret: web_secret.clone(),
            })
        }
    });
    let client_id = p.web_client_id();
    let id = p.id.clone();
    let server = p.server_client.clone();
    let can_try = try_card::has_test_callback(&p);
    let try_error = RwSignal::new(None::<ApiError>);
    view! {
        <ErrorBanner error=Signal::derive(move || try_error.get().map(|e| e.message)) />
        <h2 class="card-title" id="wizard-step-title" tabindex="-1">
            {format!("{} is registered", p.name)}
        </h2>
        <dl class="kv">
            <dt>"Client ID"</dt>
            <dd class="copy-row">
                <span class="mono" data-testid="client-id">{client_id.clone()}</span>
                <CopyButton text=Signal::derive(move || client_id.clone()) label="Copy client ID" />
            </dd>
            <dt>"Kind of app"</dt>
            <dd>{kind.label()}</dd>
            <dt>"Sign-in"</dt>
            <dd>{sign_in_sentence(kind)}</dd>
            <dt>"Discovery URL"</dt>
            <dd class="mono">
                {move || format!("{}/.well-known/openid-configuration", issuer.get())}
            </dd>
        </dl>
        {web_secret.clone().map(|sec| view! { <SecretOnce secret=sec /> })}
        {server.map(|s| {
            let sid = s.client_id.clone();
            view! {
                <h3 class="subhead">"Server client"</h3>
                <dl class="kv">
                    <dt>"Client ID"</dt>
                    <dd class="copy-row">
                        <span class="mono" data-testid="server-client-id">{s.client_id.clone()}</span>
                        <CopyButton text=Signal::derive(move || sid.clone()) label="Copy server client ID" />
                    </dd>
                </dl>
                {secret.clone().map(|sec| view! { <SecretOnce secret=sec /> })}
            }
        })}
        <h3 class="subhead">"Integration"</h3>
        <p class="muted">
            "Point any OpenID Connect library at the discovery URL, or paste this into your app."
        </p>
        <Snippet integration=integration />
        <div class="wizard-actions">
            <button type="button" class="btn" on:click=move |_| navigate("/console/products")>
                "Back to products"
            </button>
            <span class="spacer"></span>
            <button
                type="button"
                class=if can_try { "btn" } else { "btn btn-primary" }
                on:click=move |_| navigate(&format!("/console/products/{}", api::enc(&id)))
            >
                "Open the product"
            </button>
            {can_try.then(|| view! {
                <button type="button" class="btn btn-primary" on:click=move |_| try_card::start(&p, false, try_error)>
                    "Try sign-in"
                </button>
            })}
        </div>
    }
    .into_any()
}

/// How a product of `kind` signs people in, in one sentence.
fn sign_in_sentence(kind: AppKind) -> &'static str {
    match kind {
        AppKind::Browser => "Public client: authorization code with PKCE, no secret; its redirect URIs' origins may call the token endpoint from the browser.",
        AppKind::ServerWeb => "Confidential client: authorization code with PKCE, and the client secret below at the token endpoint (client_secret_basic).",
        AppKind::Native => "Public native client: authorization code with PKCE; its own URI scheme or http://127.0.0.1 on any port.",
        AppKind::Backend => "No one signs in: the server client below gets tokens of its own (client_credentials).",
    }
}

/// In step 2: one click puts the console's test callback in the list, so the product can
/// be tried from the console right after it is created.
#[component]
fn TestCallbackOffer(uris: RwSignal<Vec<String>>) -> impl IntoView {
    let callback = try_signin::callback_uri();
    let listed = {
        let callback = callback.clone();
        Memo::new(move |_| uris.with(|l| l.contains(&callback)))
    };
    view! {
        <p class="muted test-callback-offer">
            "To try the product's sign-in from this console, add its test callback "
            <span class="mono">{callback.clone()}</span>
            " (removable later, like any redirect URI). "
            <button
                type="button"
                class="btn btn-small"
                disabled=move || listed.get()
                on:click=move |_| uris.update(|l| {
                    if !l.contains(&callback) {
                        l.push(callback.clone());
                    }
                })
            >
                {move || if listed.get() { "Test callback added" } else { "Add the test callback" }}
            </button>
        </p>
    }
}

/// A freshly minted secret with its copy button and the "shown once" warning.
#[component]
pub(crate) fn SecretOnce(secret: String) -> impl IntoView {
    let text = secret.clone();
    view! {
        <div class="secret-once" role="note" aria-label="Client secret, shown once">
            <p class="notice">
                <strong>"Copy the client secret now."</strong>
                " It is shown only this once: Tessera keeps only a hash of it. If it is lost, rotate the secret on the product's page."
            </p>
            <div class="copy-row">
                <code class="secret" data-testid="client-secret">{secret}</code>
                <CopyButton text=Signal::derive(move || text.clone()) label="Copy client secret" />
            </div>
        </div>
    }
}
