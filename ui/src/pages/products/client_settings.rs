//! The product's sign-in client settings (PRODUCT.md "Kinds of apps"): how the web client
//! authenticates at the token endpoint, whether it is a native app, the browser origins
//! CORS allows, PAR and DPoP, and its public keys for `private_key_jwt`. Saved with one
//! `PATCH /v1/products/{id}` `{"web_client": {…what changed}}`; a secret minted by a move
//! to a secret method, or by "Rotate secret", shows once.

use leptos::prelude::*;
use serde_json::{json, Map, Value};

use super::app_kind::AppKind;
use super::detail::{patch_product, submit_patch, Ctx};
use super::form::{banner_for, message_for, FieldError};
use super::uris::local_error;
use super::wizard::SecretOnce;
use super::{NewSecret, Product};
use crate::api::{self, ApiError};
use crate::components::{on_done, toast, ConfirmDialog, ErrorBanner, SaveDiscard};

/// The methods the API takes, and what each means.
const METHODS: [(&str, &str); 4] = [
    ("none", "None: a public client (PKCE only)"),
    ("client_secret_basic", "Client secret, HTTP Basic"),
    ("client_secret_post", "Client secret, in the form body"),
    (
        "private_key_jwt",
        "Signed client assertion (private_key_jwt)",
    ),
];

const FIELDS: &[&str] = &[
    "web_client",
    "web_client.token_endpoint_auth_method",
    "web_client.application_type",
    "web_client.allowed_origins",
    "web_client.jwks",
    "web_client.jwks_uri",
];

/// The card's inputs; `reset` fills them from the saved product.
#[derive(Clone, Copy)]
struct ClientForm {
    ctx: Ctx,
    method: RwSignal<String>,
    native: RwSignal<bool>,
    /// One origin per line; empty = the redirect URIs' origins.
    origins: RwSignal<String>,
    par: RwSignal<bool>,
    dpop: RwSignal<bool>,
    jwks_uri: RwSignal<String>,
    jwks: RwSignal<String>,
}

impl ClientForm {
    fn new(ctx: Ctx) -> Self {
        let form = Self {
            ctx,
            method: RwSignal::new("none".into()),
            native: RwSignal::new(false),
            origins: RwSignal::new(String::new()),
            par: RwSignal::new(false),
            dpop: RwSignal::new(false),
            jwks_uri: RwSignal::new(String::new()),
            jwks: RwSignal::new(String::new()),
        };
        form.reset();
        form
    }

    fn reset(self) {
        let Some(w) = self.ctx.item.get_untracked().and_then(|p| p.web_client) else {
            return;
        };
        self.method.set(w.token_endpoint_auth_method.clone());
        self.native.set(w.application_type == "native");
        self.origins
            .set(w.allowed_origins.unwrap_or_default().join("\n"));
        self.par.set(w.require_pushed_authorization_requests);
        self.dpop.set(w.dpop_bound_access_tokens);
        self.jwks_uri.set(w.jwks_uri.unwrap_or_default());
        self.jwks.set(
            w.jwks
                .map(|j| serde_json::to_string_pretty(&j).unwrap_or_default())
                .unwrap_or_default(),
        );
    }

    /// The `web_client` changes: what differs from the saved client, or the input refused.
    fn changes(self) -> Result<Map<String, Value>, ApiError> {
        let mut body = Map::new();
        let Some(w) = self.ctx.item.get_untracked().and_then(|p| p.web_client) else {
            return Ok(body);
        };
        let method = self.method.get_untracked();
        if method != w.token_endpoint_auth_method {
            body.insert("token_endpoint_auth_method".into(), json!(method));
        }
        let app_type = if self.native.get_untracked() {
            "native"
        } else {
            "web"
        };
        if app_type != w.application_type {
            body.insert("application_type".into(), json!(app_type));
        }
        let origins: Vec<String> = self
            .origins
            .get_untracked()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let origins = (!origins.is_empty()).then_some(origins);
        if origins != w.allowed_origins {
            body.insert("allowed_origins".into(), json!(origins));
        }
        if self.par.get_untracked() != w.require_pushed_authorization_requests {
            body.insert(
                "require_pushed_authorization_requests".into(),
                json!(self.par.get_untracked()),
            );
        }
        if self.dpop.get_untracked() != w.dpop_bound_access_tokens {
            body.insert(
                "dpop_bound_access_tokens".into(),
                json!(self.dpop.get_untracked()),
            );
        }
        let uri = self.jwks_uri.get_untracked().trim().to_string();
        let uri = (!uri.is_empty()).then_some(uri);
        if uri != w.jwks_uri {
            body.insert("jwks_uri".into(), json!(uri));
        }
        let text = self.jwks.get_untracked();
        let jwks = match text.trim() {
            "" => None,
            t => Some(serde_json::from_str::<Value>(t).map_err(|_| {
                local_error(
                    "web_client.jwks",
                    "the keys are not valid JSON (a JWK Set: {\"keys\": […]})",
                )
            })?),
        };
        if jwks != w.jwks {
            body.insert("jwks".into(), json!(jwks));
        }
        Ok(body)
    }

    fn dirty(self) -> bool {
        self.ctx.item.track();
        for s in [self.method, self.origins, self.jwks_uri, self.jwks] {
            s.track();
        }
        for b in [self.native, self.par, self.dpop] {
            b.track();
        }
        self.changes().map(|b| !b.is_empty()).unwrap_or(true)
    }
}

#[component]
pub(crate) fn ClientSettingsCard(ctx: Ctx) -> impl IntoView {
    let form = ClientForm::new(ctx);
    let error = RwSignal::new(None::<ApiError>);
    let fresh_secret = RwSignal::new(None::<String>);
    let save = Action::new_local(move |body: &Value| patch_product(ctx, body.clone()));
    let busy = save.pending();
    on_done(
        save,
        move |result: Result<Product, ApiError>| match result {
            Ok(mut p) => {
                let secret = p.web_client.as_mut().and_then(|w| w.client_secret.take());
                fresh_secret.set(secret);
                ctx.item.set(Some(p));
                form.reset();
                toast::show("Sign-in client saved");
            }
            Err(e) => error.set(Some(e)),
        },
    );
    let submit = move || submit_patch(save, error, form.changes(), |b| json!({ "web_client": b }));
    let kind = Memo::new(move |_| ctx.get(AppKind::of).unwrap_or(AppKind::Browser));
    view! {
        <form
            class="card client-settings-card"
            novalidate
            aria-labelledby="client-settings-title"
            on:submit=move |ev| {
                ev.prevent_default();
                submit();
            }
        >
            <h2 class="card-title" id="client-settings-title">"Sign-in client"</h2>
            <p class="muted">
                {move || kind.get().label()} ". " {move || kind.get().sentence()}
            </p>
            <ErrorBanner error=Signal::derive(move || banner_for(error.get().as_ref(), FIELDS)) />
            <MethodField form=form error=error />
            <KeysFields form=form error=error />
            <OriginsField form=form error=error />
            <Switch id="client-native" label="Desktop or mobile app (native)" checked=form.native
                hint="Allows redirect URIs with the app's own scheme (com.example.app:/callback) and http://127.0.0.1 on any port (RFC 8252)." />
            <Switch id="client-par" label="Require pushed authorization requests (PAR)" checked=form.par
                hint="Sign-ins must start with a POST to /oauth/par (RFC 9126); a plain /oauth/authorize link is refused." />
            <Switch id="client-dpop" label="Require DPoP-bound access tokens" checked=form.dpop
                hint="Every token request must carry a DPoP proof, and the tokens work only with that key (RFC 9449)." />
            {move || fresh_secret.get().map(|s| view! { <SecretOnce secret=s /> })}
            <SaveDiscard
                busy=busy
                dirty=Signal::derive(move || form.dirty())
                on_discard=move |()| {
                    form.reset();
                    error.set(None);
                }
            />
            <RotateWebSecret ctx=ctx fresh_secret=fresh_secret />
        </form>
    }
}

#[component]
fn MethodField(form: ClientForm, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let msg = Signal::derive(move || {
        message_for(
            error.get().as_ref(),
            &["web_client.token_endpoint_auth_method"],
        )
    });
    view! {
        <div class="field">
            <label for="client-auth-method">"Token endpoint authentication"</label>
            <select
                id="client-auth-method"
                class="input"
                aria-describedby="client-auth-method-hint client-auth-method-error"
                prop:value=move || form.method.get()
                on:change=move |ev| form.method.set(event_target_value(&ev))
            >
                {METHODS
                    .iter()
                    .map(|(v, label)| view! { <option value=*v>{*label}</option> })
                    .collect_view()}
            </select>
            <p class="hint" id="client-auth-method-hint">
                "Moving to a client secret creates one, shown once after saving; moving away deletes it."
            </p>
            <FieldError message=msg id="client-auth-method-error" />
        </div>
    }
}

#[component]
fn OriginsField(form: ClientForm, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let msg =
        Signal::derive(move || message_for(error.get().as_ref(), &["web_client.allowed_origins"]));
    view! {
        <div class="field">
            <label for="client-origins">"Allowed browser origins (CORS)"</label>
            <textarea
                id="client-origins"
                class="input mono"
                rows="2"
                placeholder="https://app.example"
                aria-describedby="client-origins-hint client-origins-error"
                prop:value=move || form.origins.get()
                on:input=move |ev| form.origins.set(event_target_value(&ev))
            ></textarea>
            <p class="hint" id="client-origins-hint">
                "One per line. Browser apps on these origins may call the token, userinfo and revocation endpoints. Empty: the origins of the redirect URIs."
            </p>
            <FieldError message=msg id="client-origins-error" />
        </div>
    }
}

/// The client's public keys, shown for `private_key_jwt` (or when some are stored).
#[component]
fn KeysFields(form: ClientForm, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let shown = move || {
        form.method.get() == "private_key_jwt"
            || !form.jwks_uri.get().is_empty()
            || !form.jwks.get().is_empty()
    };
    let msg = Signal::derive(move || {
        message_for(
            error.get().as_ref(),
            &["web_client.jwks", "web_client.jwks_uri"],
        )
    });
    view! {
        <Show when=shown>
            <div class="field">
                <label for="client-jwks-uri">"JWK Set URL"</label>
                <input
                    id="client-jwks-uri"
                    class="input mono"
                    type="url"
                    placeholder="https://app.example/.well-known/jwks.json"
                    prop:value=move || form.jwks_uri.get()
                    on:input=move |ev| form.jwks_uri.set(event_target_value(&ev))
                />
            </div>
            <div class="field">
                <label for="client-jwks">"Or the public keys (JWK Set)"</label>
                <textarea
                    id="client-jwks"
                    class="input mono"
                    rows="4"
                    placeholder="{\"keys\": [{\"kty\": \"EC\", \"crv\": \"P-256\", \"kid\": \"…\", \"x\": \"…\", \"y\": \"…\"}]}"
                    aria-describedby="client-jwks-hint client-jwks-error"
                    prop:value=move || form.jwks.get()
                    on:input=move |ev| form.jwks.set(event_target_value(&ev))
                ></textarea>
                <p class="hint" id="client-jwks-hint">
                    "The keys that sign the app's client assertions: one of the URL or the keys, public keys only."
                </p>
                <FieldError message=msg id="client-jwks-error" />
            </div>
        </Show>
    }
}

#[component]
fn Switch(
    id: &'static str,
    label: &'static str,
    hint: &'static str,
    checked: RwSignal<bool>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    view! {
        <div class="field">
            <label class="check">
                <input
                    type="checkbox"
                    role="switch"
                    id=id
                    aria-describedby=hint_id.clone()
                    prop:checked=move || checked.get()
                    on:change=move |ev| checked.set(event_target_checked(&ev))
                />
                <span>{label}</span>
            </label>
            <p class="hint" id=hint_id>{hint}</p>
        </div>
    }
}

/// "Rotate secret" for a web client that uses one.
#[component]
fn RotateWebSecret(ctx: Ctx, fresh_secret: RwSignal<Option<String>>) -> impl IntoView {
    let open = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let rotate = Action::new_local(move |()| async move {
        api::post::<_, NewSecret>(&ctx.path("/web-client/secret:rotate"), &json!({})).await
    });
    on_done(rotate, move |result| match result {
        Ok(s) => {
            fresh_secret.set(Some(s.client_secret));
            toast::show("Secret rotated: the old one no longer works");
        }
        Err(e) => error.set(Some(e)),
    });
    let uses_secret = move || {
        ctx.get(|p| {
            p.web_client
                .as_ref()
                .is_some_and(|w| w.token_endpoint_auth_method.starts_with("client_secret"))
        })
        .unwrap_or(false)
    };
    view! {
        <Show when=uses_secret>
            <ErrorBanner error=Signal::derive(move || error.get().map(|e| e.message)) />
            <div class="row card-actions">
                <button type="button" class="btn" disabled=move || rotate.pending().get()
                    on:click=move |_| open.set(true)>
                    "Rotate secret"
                </button>
            </div>
            <ConfirmDialog
                open=open
                title="Rotate the sign-in client's secret?"
                message="A new secret is created and shown once. The current one stops working immediately: the app cannot finish sign-ins until it has the new one."
                confirm_label="Rotate secret"
                danger=true
                on_confirm=Callback::new(move |()| { error.set(None); rotate.dispatch(()); })
            />
        </Show>
    }
}
