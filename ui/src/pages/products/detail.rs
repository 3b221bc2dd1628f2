//! One product: its settings (name, audience, token lifetimes, MFA policy), "Try sign-in", redirect
//! URIs, scopes, server client (secret rotation), integration snippet, and delete.

use super::ProductExt;
use leptos::prelude::*;
use serde_json::{json, Map, Value};

use super::form::{banner_for, message_for, FieldError};
use super::hooks::shown_cards;
use super::mfa::{policy_of, MfaPolicyField};
use super::server::ServerClientCard;
use super::snippet::{Integration, Snippet};
use super::try_card::TryCard;
use super::uris::{local_error, split_items, UriListEditor};
use super::{from_units, in_units, lifetime, Product};
use crate::api::{self, ApiError};
use crate::components::time::{local, relative};
use crate::components::{on_done, toast, DeleteCard, ErrorBanner, SaveDiscard, Shown};

/// The product being shown, shared by the cards of the page.
pub(crate) type Ctx = Shown<Product>;

/// The submit of a card that saves its changes with one `PATCH`: nothing while saving or
/// when nothing changed, the refusal of an input shown, else the changes `wrap`ped and sent.
pub(crate) fn submit_patch(
    save: Action<Value, Result<Product, ApiError>>,
    error: RwSignal<Option<ApiError>>,
    changes: Result<Map<String, Value>, ApiError>,
    wrap: impl FnOnce(Map<String, Value>) -> Value,
) {
    if save.pending().get_untracked() {
        return;
    }
    match changes {
        Ok(b) if b.is_empty() => {}
        Ok(b) => {
            error.set(None);
            save.dispatch(wrap(b));
        }
        Err(e) => error.set(Some(e)),
    }
}

/// `PATCH /v1/products/{id}` with `body`: the product as saved.
pub(crate) async fn patch_product(ctx: Ctx, body: Value) -> Result<Product, ApiError> {
    api::patch::<_, Product>(&ctx.path(""), &body).await
}

#[component]
pub fn ProductPage(id: String) -> impl IntoView {
    let ctx = Ctx::new("/v1/products", id);
    let issuer = LocalResource::new(super::issuer);
    let name = Memo::new(move |_| ctx.get(|p| p.name.clone()).unwrap_or_default());
    Effect::new(move |_| {
        let n = name.get();
        if !n.is_empty() {
            document().set_title(&format!("{n} · Products · Tessera"));
        }
    });
    let loaded = move || ctx.item.with(Option::is_some);

    view! {
        <section class="page product-page">
            <header class="page-header">
                <div class="page-heading">
                    <div class="breadcrumb">
                        <a href="/console/products">"← Products"</a>
                    </div>
                    <h1 tabindex="-1">
                        {move || if loaded() { name.get() } else { "Product".to_string() }}
                    </h1>
                    {move || {
                        ctx.get(|p| {
                            view! {
                                <p class="page-subtitle">
                                    "Registered " <span title=local(p.created_at)>{relative(p.created_at)}</span>
                                    " · client ID " <span class="mono">{p.web_client_id()}</span>
                                </p>
                            }
                        })
                    }}
                </div>
            </header>
            {shown_cards(ctx, move || view! { <ProductCards ctx=ctx issuer=issuer /> })}
        </section>
    }
}

/// The cards of the loaded product.
#[component]
fn ProductCards(ctx: Ctx, issuer: LocalResource<String>) -> impl IntoView {
    let issuer = Signal::derive(move || issuer.get().unwrap_or_default());
    view! {
        <div class="product-grid">
            <TryCard ctx=ctx />
            <SettingsCard ctx=ctx />
            <super::client_settings::ClientSettingsCard ctx=ctx />
            <RedirectsCard ctx=ctx />
            <ScopesCard ctx=ctx />
            <ServerClientCard ctx=ctx />
            <super::agents::AgentsCard ctx=ctx />
            <div class="card">
                <h2 class="card-title">"Integration"</h2>
                <p class="muted">
                    "Discovery URL: "
                    <span class="mono">{move || format!("{}/.well-known/openid-configuration", issuer.get())}</span>
                </p>
                <Snippet integration=Signal::derive(move || {
                    ctx.item.get().map(|product| Integration {
                        issuer: issuer.get(),
                        product,
                        secret: None,
                        web_secret: None,
                    })
                }) />
            </div>
            <crate::pages::audit::recent::RecentActivity filter="product" value=ctx.id.get_value() />
            <DeleteCard
                noun="product"
                explanation="Removes its sign-in client and server client and revokes every token they were issued. Apps using them stop working at once. This cannot be undone."
                name=Signal::derive(move || ctx.get(|p| p.name.clone()).unwrap_or_default())
                consequence=|n| format!("{n} will be deleted with its clients, and every token issued to them is revoked. People can no longer sign in to it and its services can no longer get tokens. This cannot be undone.")
                api_path=Signal::derive(move || ctx.path(""))
                back_to="/console/products"
            />
        </div>
    }
}

/// A token lifetime as the settings card edits it: typed in minutes or days, sent in
/// seconds.
struct Ttl {
    /// The API field.
    field: &'static str,
    input_id: &'static str,
    hint_id: &'static str,
    error_id: &'static str,
    label: &'static str,
    /// Seconds per unit typed.
    unit: i64,
    min: &'static str,
    max: &'static str,
    step: &'static str,
    inputmode: &'static str,
    /// The seconds the API takes, and the message when the input is outside them.
    range: (i64, i64),
    refused: &'static str,
    /// The hint after "Now {lifetime}. ".
    hint: &'static str,
}

impl Ttl {
    /// The product's lifetime this input edits.
    fn of(&self, p: &Product) -> i64 {
        match self.field {
            "access_token_ttl" => p.access_token_ttl,
            "refresh_token_ttl" => p.refresh_token_ttl,
            _ => p.refresh_family_ttl,
        }
    }
}

static TTLS: [Ttl; 3] = [
    Ttl {
        field: "access_token_ttl",
        input_id: "product-access-ttl",
        hint_id: "product-access-ttl-hint",
        error_id: "product-access-ttl-error",
        label: "Access token lifetime (minutes)",
        unit: 60,
        min: "1",
        max: "1440",
        step: "1",
        inputmode: "numeric",
        range: (60, 86_400),
        refused: "must be between 1 and 1440 minutes (24 h)",
        hint: "1 to 1440 minutes; short is safer.",
    },
    Ttl {
        field: "refresh_token_ttl",
        input_id: "product-refresh-ttl",
        hint_id: "product-refresh-ttl-hint",
        error_id: "product-refresh-ttl-error",
        label: "Refresh token lifetime (days)",
        unit: 86_400,
        min: "0.0035",
        max: "365",
        step: "any",
        inputmode: "decimal",
        range: (300, 365 * 86_400),
        refused: "must be between 0.0035 days (5 minutes) and 365 days",
        hint: "How long a sign-in may go unused before the user signs in again.",
    },
    Ttl {
        field: "refresh_family_ttl",
        input_id: "product-family-ttl",
        hint_id: "product-family-ttl-hint",
        error_id: "product-family-ttl-error",
        label: "Longest sign-in (days)",
        unit: 86_400,
        min: "0.042",
        max: "730",
        step: "any",
        inputmode: "decimal",
        range: (3600, 730 * 86_400),
        refused: "must be between 0.042 days (1 hour) and 730 days",
        hint: "However often it is refreshed, a sign-in ends then.",
    },
];

/// What the settings card's inputs hold (the lifetimes in the order of `TTLS`).
#[derive(Clone, Copy)]
struct SettingsForm {
    ctx: Ctx,
    name: RwSignal<String>,
    audience: RwSignal<String>,
    ttls: [RwSignal<String>; 3],
    /// `optional` or `required`.
    mfa: RwSignal<String>,
    self_registration: RwSignal<bool>,
}

impl SettingsForm {
    fn new(ctx: Ctx) -> Self {
        let form = Self {
            ctx,
            name: RwSignal::new(String::new()),
            audience: RwSignal::new(String::new()),
            ttls: std::array::from_fn(|_| RwSignal::new(String::new())),
            mfa: RwSignal::new(String::new()),
            self_registration: RwSignal::new(false),
        };
        form.reset();
        form
    }

    /// Back to the product as saved.
    fn reset(self) {
        if let Some(p) = self.ctx.item.get_untracked() {
            self.name.set(p.name.clone());
            self.audience.set(p.audience.clone().unwrap_or_default());
            for (t, input) in TTLS.iter().zip(self.ttls) {
                input.set(in_units(t.of(&p), t.unit));
            }
            self.mfa.set(policy_of(&p.mfa).to_owned());
            self.self_registration.set(p.self_registration);
        }
    }

    /// The PATCH body: what differs from the product, or the first input refused.
    fn changes(self) -> Result<Map<String, Value>, ApiError> {
        let mut body = Map::new();
        let Some(p) = self.ctx.item.get_untracked() else {
            return Ok(body);
        };
        let n = self.name.get_untracked().trim().to_string();
        if n.is_empty() {
            return Err(local_error("name", "enter a name"));
        }
        if n != p.name {
            body.insert("name".into(), json!(n));
        }
        let a = self.audience.get_untracked().trim().to_string();
        if a != p.audience.clone().unwrap_or_default() {
            body.insert(
                "audience".into(),
                if a.is_empty() { Value::Null } else { json!(a) },
            );
        }
        for (t, input) in TTLS.iter().zip(self.ttls) {
            let secs = from_units(&input.get_untracked(), t.unit)
                .filter(|v| (t.range.0..=t.range.1).contains(v))
                .ok_or_else(|| local_error(t.field, t.refused))?;
            let now = t.of(&p);
            // An input left as shown is no change, even when the display rounded it.
            if secs != now && Some(secs) != from_units(&in_units(now, t.unit), t.unit) {
                body.insert(t.field.into(), json!(secs));
            }
        }
        let mfa = self.mfa.get_untracked();
        if mfa != policy_of(&p.mfa) {
            body.insert("mfa".into(), json!(mfa));
        }
        let sign_up = self.self_registration.get_untracked();
        if sign_up != p.self_registration {
            body.insert("self_registration".into(), json!(sign_up));
        }
        Ok(body)
    }

    /// Whether there is something to save (an input the check refuses counts).
    fn dirty(self) -> bool {
        self.ctx.item.track();
        self.name.track();
        self.audience.track();
        for input in self.ttls {
            input.track();
        }
        self.mfa.track();
        self.self_registration.track();
        self.changes().map(|b| !b.is_empty()).unwrap_or(true)
    }
}

const FIELDS: &[&str] = &[
    "name",
    "audience",
    "access_token_ttl",
    "refresh_token_ttl",
    "refresh_family_ttl",
    "mfa",
    "self_registration",
];

/// Name, audience, token lifetimes, MFA policy and sign-up, saved together with one PATCH of what
/// changed.
#[component]
fn SettingsCard(ctx: Ctx) -> impl IntoView {
    let form = SettingsForm::new(ctx);
    let error = RwSignal::new(None::<ApiError>);
    let save = Action::new_local(move |body: &Value| patch_product(ctx, body.clone()));
    let busy = save.pending();
    on_done(save, move |result| match result {
        Ok(p) => {
            ctx.item.set(Some(p));
            form.reset();
            toast::show("Settings saved");
        }
        Err(e) => error.set(Some(e)),
    });
    let submit = move || submit_patch(save, error, form.changes(), Value::Object);
    let msg =
        move |f: &'static str| Signal::derive(move || message_for(error.get().as_ref(), &[f]));
    let (name_msg, audience_msg, mfa_msg) = (msg("name"), msg("audience"), msg("mfa"));

    view! {
        <form
            class="card settings-card"
            novalidate
            aria-labelledby="settings-title"
            on:submit=move |ev| {
                ev.prevent_default();
                submit();
            }
        >
            <h2 class="card-title" id="settings-title">"Settings"</h2>
            <ErrorBanner error=Signal::derive(move || banner_for(error.get().as_ref(), FIELDS)) />
            <div class="grid-2">
                <div class="field">
                    <label for="product-name">"Name"</label>
                    <input
                        id="product-name"
                        class="input"
                        type="text"
                        maxlength="200"
                        aria-describedby="product-name-error"
                        aria-invalid=move || name_msg.get().is_some().to_string()
                        prop:value=move || form.name.get()
                        on:input=move |ev| form.name.set(event_target_value(&ev))
                    />
                    <FieldError message=name_msg id="product-name-error" />
                </div>
                <div class="field">
                    <label for="product-audience">"API audience"</label>
                    <input
                        id="product-audience"
                        class="input mono"
                        type="text"
                        placeholder="orders-api"
                        aria-describedby="product-audience-hint product-audience-error"
                        aria-invalid=move || audience_msg.get().is_some().to_string()
                        prop:value=move || form.audience.get()
                        on:input=move |ev| form.audience.set(event_target_value(&ev))
                    />
                    <p class="hint" id="product-audience-hint">
                        "The " <span class="mono">"aud"</span>
                        " of access tokens for this product's API. Optional; empty uses the client ID."
                    </p>
                    <FieldError message=audience_msg id="product-audience-error" />
                </div>
                {TTLS
                    .iter()
                    .zip(form.ttls)
                    .map(|(ttl, input)| view! { <LifetimeField ctx=ctx ttl=ttl input=input error=error /> })
                    .collect_view()}
            </div>
            <MfaPolicyField policy=form.mfa message=mfa_msg />
            <super::signup::SignUpField allowed=form.self_registration />
            <SaveDiscard
                busy=busy
                dirty=Signal::derive(move || form.dirty())
                on_discard=move |()| {
                    form.reset();
                    error.set(None);
                }
            />
        </form>
    }
}

/// One token lifetime: its number input, "Now …" with the saved value, its error line.
#[component]
fn LifetimeField(
    ctx: Ctx,
    ttl: &'static Ttl,
    input: RwSignal<String>,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let msg = Signal::derive(move || message_for(error.get().as_ref(), &[ttl.field]));
    view! {
        <div class="field">
            <label for=ttl.input_id>{ttl.label}</label>
            <input
                id=ttl.input_id
                class="input"
                type="number"
                min=ttl.min
                max=ttl.max
                step=ttl.step
                inputmode=ttl.inputmode
                aria-describedby=format!("{} {}", ttl.hint_id, ttl.error_id)
                aria-invalid=move || msg.get().is_some().to_string()
                prop:value=move || input.get()
                on:input=move |ev| input.set(event_target_value(&ev))
            />
            <p class="hint" id=ttl.hint_id>
                {move || ctx.get(|p| format!("Now {}. {}", lifetime(ttl.of(p)), ttl.hint))}
            </p>
            <FieldError message=msg id=ttl.error_id />
        </div>
    }
}

/// Which list of the web client a card edits.
#[derive(Clone, Copy, PartialEq)]
enum UriKind {
    Login,
    Logout,
}

/// What the editor of one URI list says.
struct UriTexts {
    label: &'static str,
    input_id: &'static str,
    what: &'static str,
    add_label: &'static str,
    placeholder: &'static str,
    hint: &'static str,
}

impl UriKind {
    fn api(self) -> &'static str {
        match self {
            UriKind::Login => "/redirect-uris",
            UriKind::Logout => "/post-logout-redirect-uris",
        }
    }

    fn of(self, p: &Product) -> Vec<String> {
        match self {
            UriKind::Login => p.redirect_uris(),
            UriKind::Logout => p.post_logout_uris(),
        }
    }

    fn remove(self, p: &mut Product, uri: &str) {
        if let Some(w) = p.web_client.as_mut() {
            match self {
                UriKind::Login => w.redirect_uris.retain(|u| u != uri),
                UriKind::Logout => w.post_logout_redirect_uris.retain(|u| u != uri),
            }
        }
    }

    fn texts(self) -> UriTexts {
        match self {
            UriKind::Login => UriTexts {
                label: "New redirect URI",
                input_id: "product-redirect-uri",
                what: "redirect URI",
                add_label: "Add redirect URI",
                placeholder: "https://app.example/callback",
                hint: "https:// URLs, or http://localhost / http://127.0.0.1 while developing.",
            },
            UriKind::Logout => UriTexts {
                label: "New post-logout URI",
                input_id: "product-logout-uri",
                what: "post-logout URI",
                add_label: "Add post-logout URI",
                placeholder: "https://app.example/",
                hint: "",
            },
        }
    }
}

/// What adding the typed URIs came to: how many were added, the first one refused.
#[derive(Clone)]
struct Added {
    items: Vec<String>,
    added: usize,
    refused: Option<(String, ApiError)>,
}

/// Adds `items` one by one (`POST .../redirect-uris` each; the page shows each at once),
/// stopping at the first the API refuses.
async fn add_uris(ctx: Ctx, kind: UriKind, items: Vec<String>) -> Added {
    let path = ctx.path(kind.api());
    let mut added = 0;
    let mut refused = None;
    for uri in &items {
        let Some(existing) = ctx.item.try_with(|p| p.as_ref().map(|p| kind.of(p))) else {
            break; // the page is gone
        };
        if existing.unwrap_or_default().contains(uri) {
            continue;
        }
        match api::post::<_, Product>(&path, &json!({ "uri": uri })).await {
            Ok(p) => {
                let _ = ctx.item.try_set(Some(p));
                added += 1;
            }
            Err(e) => {
                refused = Some((uri.clone(), e));
                break;
            }
        }
    }
    Added {
        items,
        added,
        refused,
    }
}

/// One of the web client's URI lists as its card edits it: what is typed, the error, and
/// the actions that add and remove.
#[derive(Clone, Copy)]
struct UriList {
    kind: UriKind,
    input: RwSignal<String>,
    error: RwSignal<Option<ApiError>>,
    add: Action<Vec<String>, Added>,
    remove: Action<String, (String, Result<(), ApiError>)>,
    busy: Memo<bool>,
}

impl UriList {
    fn new(ctx: Ctx, kind: UriKind) -> Self {
        let input = RwSignal::new(String::new());
        let error = RwSignal::new(None::<ApiError>);
        let add = Action::new_local(move |items: &Vec<String>| add_uris(ctx, kind, items.clone()));
        let remove = Action::new_local(move |uri: &String| {
            let uri = uri.clone();
            let path = format!("{}?uri={}", ctx.path(kind.api()), api::enc(&uri));
            async move { (uri, api::delete(&path).await) }
        });
        on_done(add, move |done: Added| match done.refused {
            Some((uri, e)) => {
                // Keep what was refused (and anything after it) in the input to fix.
                let rest: Vec<String> = done
                    .items
                    .iter()
                    .skip_while(|u| **u != uri)
                    .cloned()
                    .collect();
                input.set(rest.join(" "));
                error.set(Some(e));
            }
            None => {
                input.set(String::new());
                if done.added > 0 {
                    toast::show(if done.added == 1 {
                        "URI added".to_string()
                    } else {
                        format!("{} URIs added", done.added)
                    });
                }
            }
        });
        on_done(remove, move |(uri, result)| match result {
            Ok(()) => {
                ctx.item.update(|p| {
                    if let Some(p) = p {
                        kind.remove(p, &uri);
                    }
                });
                toast::show(format!("Removed {uri}"));
            }
            Err(e) => error.set(Some(e)),
        });
        let (adding, removing) = (add.pending(), remove.pending());
        Self {
            kind,
            input,
            error,
            add,
            remove,
            busy: Memo::new(move |_| adding.get() || removing.get()),
        }
    }

    /// Adds the typed URIs, after a first local check.
    fn add_typed(self) {
        match split_items(&self.input.get_untracked(), false) {
            Ok(items) if items.is_empty() => {
                self.error.set(Some(local_error("uri", "type a URI first")));
            }
            Ok(items) => {
                self.error.set(None);
                self.add.dispatch(items);
            }
            Err(msg) => self.error.set(Some(local_error("uri", &msg))),
        }
    }
}

#[component]
fn RedirectsCard(ctx: Ctx) -> impl IntoView {
    let login = UriList::new(ctx, UriKind::Login);
    let logout = UriList::new(ctx, UriKind::Logout);
    // One change at a time across both lists.
    let busy = Signal::derive(move || login.busy.get() || logout.busy.get());
    view! {
        <div class="card">
            <h2 class="card-title">"Redirect URIs"</h2>
            <p class="muted">
                "Where Tessera may send the browser back after sign-in; matched exactly. Removing one stops sign-in from that address at once."
            </p>
            <WebClientUris ctx=ctx list=login busy=busy />
            <h3 class="subhead">"Post-logout redirect URIs"</h3>
            <p class="muted">"Where the browser may land after signing out of Tessera."</p>
            <WebClientUris ctx=ctx list=logout busy=busy />
        </div>
    }
}

/// The banner and the editor of one of the web client's URI lists.
#[component]
fn WebClientUris(ctx: Ctx, list: UriList, busy: Signal<bool>) -> impl IntoView {
    let texts = list.kind.texts();
    view! {
        <ErrorBanner error=Signal::derive(move || banner_for(list.error.get().as_ref(), &["uri"])) />
        <UriListEditor
            items=Signal::derive(move || ctx.get(|p| list.kind.of(p)).unwrap_or_default())
            input=list.input
            error=list.error
            field="uri"
            label=texts.label
            input_id=texts.input_id
            what=texts.what
            add_label=texts.add_label
            placeholder=texts.placeholder
            hint=texts.hint
            busy=busy
            on_add=Callback::new(move |()| {
                if !busy.get_untracked() {
                    list.add_typed();
                }
            })
            on_remove=Callback::new(move |uri| {
                if !busy.get_untracked() {
                    list.error.set(None);
                    list.remove.dispatch(uri);
                }
            })
        />
    }
}

/// The product's scopes: each add or remove is one PATCH of the whole list.
#[component]
fn ScopesCard(ctx: Ctx) -> impl IntoView {
    let input = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let scopes = Signal::derive(move || ctx.get(|p| p.scopes.clone()).unwrap_or_default());
    // What the change did ("added", "removed") comes back with the answer, for the toast.
    let save = Action::new_local(move |(list, done): &(Vec<String>, &'static str)| {
        let (body, done) = (json!({ "scopes": list }), *done);
        async move { (done, patch_product(ctx, body).await) }
    });
    let busy = save.pending();
    on_done(save, move |(done, result)| match result {
        Ok(p) => {
            ctx.item.set(Some(p));
            if done == "added" {
                input.set(String::new());
            }
            toast::show(format!("Scopes {done}"));
        }
        Err(e) => error.set(Some(e)),
    });
    let change = move |list: Vec<String>, done: &'static str| {
        error.set(None);
        save.dispatch((list, done));
    };
    let add = move |()| {
        if busy.get_untracked() {
            return;
        }
        match split_items(&input.get_untracked(), true) {
            Ok(items) if items.is_empty() => {
                error.set(Some(local_error("scopes", "type a scope first")))
            }
            Ok(items) => {
                let mut list = scopes.get_untracked();
                for s in items {
                    if !list.contains(&s) {
                        list.push(s);
                    }
                }
                change(list, "added");
            }
            Err(msg) => error.set(Some(local_error("scopes", &msg))),
        }
    };
    let remove = move |s: String| {
        if busy.get_untracked() {
            return;
        }
        let list = scopes
            .get_untracked()
            .into_iter()
            .filter(|x| *x != s)
            .collect();
        change(list, "removed");
    };
    view! {
        <div class="card">
            <h2 class="card-title">"Scopes"</h2>
            <p class="muted">
                "What this product's API understands, e.g. " <span class="mono">"orders:read"</span>
                ". Roles grant them to people; removing one also takes it from the server client."
            </p>
            <ErrorBanner error=Signal::derive(move || banner_for(error.get().as_ref(), &["scopes"])) />
            <UriListEditor
                items=scopes
                input=input
                error=error
                field="scopes"
                label="New scope"
                input_id="product-scope"
                what="scope"
                add_label="Add scope"
                placeholder="orders:read"
                hint="Separate several with spaces."
                busy=busy
                on_add=Callback::new(add)
                on_remove=Callback::new(remove)
            />
        </div>
    }
}
