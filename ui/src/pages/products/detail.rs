//! One product: its settings (name, audience, token lifetimes), redirect URIs, scopes,
//! server client (secret rotation), integration snippet, and delete.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Map, Value};

use super::form::{banner_for, message_for, FieldError};
use super::server::ServerClientCard;
use super::snippet::{Integration, Snippet};
use super::uris::{local_error, split_items, UriListEditor};
use super::{from_units, in_units, lifetime, Product};
use crate::api::{self, ApiError};
use crate::components::time::{local, relative};
use crate::components::{toast, DeleteCard, ErrorBanner, Loading, SaveDiscard, Shown};

/// The product being shown, shared by the cards of the page.
pub(crate) type Ctx = Shown<Product>;

#[component]
pub fn ProductPage(id: String) -> impl IntoView {
    let ctx = Ctx::new("/v1/products", id);
    let load_error = RwSignal::new(None::<String>);
    let issuer = RwSignal::new(String::new());
    spawn_local(async move {
        let result = api::get::<Product>(&ctx.path("")).await;
        match result {
            Ok(p) => {
                let _ = ctx.item.try_set(Some(p));
            }
            Err(e) => {
                let _ = load_error.try_set(Some(e.message));
            }
        }
        let i = super::issuer().await;
        let _ = issuer.try_set(i);
    });
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
            <ErrorBanner error=Signal::derive(move || load_error.get()) />
            <Show
                when=loaded
                fallback=move || {
                    view! { <Show when=move || load_error.get().is_none()><Loading /></Show> }
                }
            >
                <div class="product-grid">
                    <SettingsCard ctx=ctx />
                    <RedirectsCard ctx=ctx />
                    <ScopesCard ctx=ctx />
                    <ServerClientCard ctx=ctx />
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
                            })
                        }) />
                    </div>
                    <DeleteCard
                        noun="product"
                        explanation="Removes its sign-in client and server client and revokes every token they were issued. Apps using them stop working at once. This cannot be undone."
                        name=name
                        consequence=|n| format!("{n} will be deleted with its clients, and every token issued to them is revoked. People can no longer sign in to it and its services can no longer get tokens. This cannot be undone.")
                        api_path=Signal::derive(move || ctx.path(""))
                        back_to="/console/products"
                    />
                </div>
            </Show>
        </section>
    }
}

/// Name, audience and token lifetimes, saved together with one PATCH of what changed.
#[component]
fn SettingsCard(ctx: Ctx) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let audience = RwSignal::new(String::new());
    let access = RwSignal::new(String::new());
    let refresh = RwSignal::new(String::new());
    let family = RwSignal::new(String::new());
    let reset = move || {
        if let Some(p) = ctx.item.get_untracked() {
            name.set(p.name.clone());
            audience.set(p.audience.clone().unwrap_or_default());
            access.set(in_units(p.access_token_ttl, 60));
            refresh.set(in_units(p.refresh_token_ttl, 86_400));
            family.set(in_units(p.refresh_family_ttl, 86_400));
        }
    };
    reset();
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);

    let changes = move || -> Result<Map<String, Value>, ApiError> {
        let mut body = Map::new();
        let Some(p) = ctx.item.get_untracked() else {
            return Ok(body);
        };
        let n = name.get_untracked().trim().to_string();
        if n.is_empty() {
            return Err(local_error("name", "enter a name"));
        }
        if n != p.name {
            body.insert("name".into(), json!(n));
        }
        let a = audience.get_untracked().trim().to_string();
        if a != p.audience.clone().unwrap_or_default() {
            body.insert(
                "audience".into(),
                if a.is_empty() { Value::Null } else { json!(a) },
            );
        }
        let acc = from_units(&access.get_untracked(), 60)
            .filter(|v| (60..=86_400).contains(v))
            .ok_or_else(|| {
                local_error(
                    "access_token_ttl",
                    "must be between 1 and 1440 minutes (24 h)",
                )
            })?;
        // An input left as shown is no change, even when the display rounded it.
        let shown = |secs: i64, unit: i64| from_units(&in_units(secs, unit), unit);
        if acc != p.access_token_ttl && Some(acc) != shown(p.access_token_ttl, 60) {
            body.insert("access_token_ttl".into(), json!(acc));
        }
        let re = from_units(&refresh.get_untracked(), 86_400)
            .filter(|v| (300..=365 * 86_400).contains(v))
            .ok_or_else(|| {
                local_error(
                    "refresh_token_ttl",
                    "must be between 0.0035 days (5 minutes) and 365 days",
                )
            })?;
        if re != p.refresh_token_ttl && Some(re) != shown(p.refresh_token_ttl, 86_400) {
            body.insert("refresh_token_ttl".into(), json!(re));
        }
        let fam = from_units(&family.get_untracked(), 86_400)
            .filter(|v| (3600..=730 * 86_400).contains(v))
            .ok_or_else(|| {
                local_error(
                    "refresh_family_ttl",
                    "must be between 0.042 days (1 hour) and 730 days",
                )
            })?;
        if fam != p.refresh_family_ttl && Some(fam) != shown(p.refresh_family_ttl, 86_400) {
            body.insert("refresh_family_ttl".into(), json!(fam));
        }
        Ok(body)
    };
    let dirty = move || {
        ctx.item.track();
        name.track();
        audience.track();
        access.track();
        refresh.track();
        family.track();
        changes().map(|b| !b.is_empty()).unwrap_or(true)
    };
    let save = move || {
        if busy.get_untracked() {
            return;
        }
        let body = match changes() {
            Ok(b) if b.is_empty() => return,
            Ok(b) => Value::Object(b),
            Err(e) => {
                error.set(Some(e));
                return;
            }
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = api::patch::<_, Product>(&ctx.path(""), &body).await;
            if busy.try_set(false).is_some() {
                return;
            }
            match result {
                Ok(p) => {
                    ctx.item.set(Some(p));
                    reset();
                    toast::show("Settings saved");
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    const FIELDS: &[&str] = &[
        "name",
        "audience",
        "access_token_ttl",
        "refresh_token_ttl",
        "refresh_family_ttl",
    ];
    let msg =
        move |f: &'static str| Signal::derive(move || message_for(error.get().as_ref(), &[f]));
    let invalid = move |f: &'static str| {
        move || {
            message_for(error.get().as_ref(), &[f])
                .is_some()
                .to_string()
        }
    };

    view! {
        <form
            class="card settings-card"
            novalidate
            aria-labelledby="settings-title"
            on:submit=move |ev| {
                ev.prevent_default();
                save();
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
                        aria-invalid=invalid("name")
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                    <FieldError message=msg("name") id="product-name-error" />
                </div>
                <div class="field">
                    <label for="product-audience">"API audience"</label>
                    <input
                        id="product-audience"
                        class="input mono"
                        type="text"
                        placeholder="orders-api"
                        aria-describedby="product-audience-hint product-audience-error"
                        aria-invalid=invalid("audience")
                        prop:value=move || audience.get()
                        on:input=move |ev| audience.set(event_target_value(&ev))
                    />
                    <p class="hint" id="product-audience-hint">
                        "The " <span class="mono">"aud"</span>
                        " of access tokens for this product's API. Optional; empty uses the client ID."
                    </p>
                    <FieldError message=msg("audience") id="product-audience-error" />
                </div>
                <div class="field">
                    <label for="product-access-ttl">"Access token lifetime (minutes)"</label>
                    <input
                        id="product-access-ttl"
                        class="input"
                        type="number"
                        min="1"
                        max="1440"
                        step="1"
                        inputmode="numeric"
                        aria-describedby="product-access-ttl-hint product-access-ttl-error"
                        aria-invalid=invalid("access_token_ttl")
                        prop:value=move || access.get()
                        on:input=move |ev| access.set(event_target_value(&ev))
                    />
                    <p class="hint" id="product-access-ttl-hint">
                        {move || {
                            ctx.get(|p| format!("Now {}. 1 to 1440 minutes; short is safer.", lifetime(p.access_token_ttl)))
                        }}
                    </p>
                    <FieldError message=msg("access_token_ttl") id="product-access-ttl-error" />
                </div>
                <div class="field">
                    <label for="product-refresh-ttl">"Refresh token lifetime (days)"</label>
                    <input
                        id="product-refresh-ttl"
                        class="input"
                        type="number"
                        min="0.0035"
                        max="365"
                        step="any"
                        inputmode="decimal"
                        aria-describedby="product-refresh-ttl-hint product-refresh-ttl-error"
                        aria-invalid=invalid("refresh_token_ttl")
                        prop:value=move || refresh.get()
                        on:input=move |ev| refresh.set(event_target_value(&ev))
                    />
                    <p class="hint" id="product-refresh-ttl-hint">
                        {move || {
                            ctx.get(|p| format!("Now {}. How long a sign-in may go unused before the user signs in again.", lifetime(p.refresh_token_ttl)))
                        }}
                    </p>
                    <FieldError message=msg("refresh_token_ttl") id="product-refresh-ttl-error" />
                </div>
                <div class="field">
                    <label for="product-family-ttl">"Longest sign-in (days)"</label>
                    <input
                        id="product-family-ttl"
                        class="input"
                        type="number"
                        min="0.042"
                        max="730"
                        step="any"
                        inputmode="decimal"
                        aria-describedby="product-family-ttl-hint product-family-ttl-error"
                        aria-invalid=invalid("refresh_family_ttl")
                        prop:value=move || family.get()
                        on:input=move |ev| family.set(event_target_value(&ev))
                    />
                    <p class="hint" id="product-family-ttl-hint">
                        {move || {
                            ctx.get(|p| format!("Now {}. However often it is refreshed, a sign-in ends then.", lifetime(p.refresh_family_ttl)))
                        }}
                    </p>
                    <FieldError message=msg("refresh_family_ttl") id="product-family-ttl-error" />
                </div>
            </div>
            <SaveDiscard
                busy=busy
                dirty=Signal::derive(dirty)
                on_discard=move |()| {
                    reset();
                    error.set(None);
                }
            />
        </form>
    }
}

/// Which list of the web client a card edits.
#[derive(Clone, Copy, PartialEq)]
enum UriKind {
    Login,
    Logout,
}

impl UriKind {
    fn api(self) -> &'static str {
        match self {
            UriKind::Login => "/redirect-uris",
            UriKind::Logout => "/post-logout-redirect-uris",
        }
    }
}

/// Adds the typed URIs one by one (`POST .../redirect-uris` each), stopping at the first
/// the API refuses (its message shows under the input).
fn add_uris(
    ctx: Ctx,
    kind: UriKind,
    input: RwSignal<String>,
    error: RwSignal<Option<ApiError>>,
    busy: RwSignal<bool>,
) {
    if busy.get_untracked() {
        return;
    }
    let items = match split_items(&input.get_untracked(), false) {
        Ok(items) if items.is_empty() => {
            error.set(Some(local_error("uri", "type a URI first")));
            return;
        }
        Ok(items) => items,
        Err(msg) => {
            error.set(Some(local_error("uri", &msg)));
            return;
        }
    };
    busy.set(true);
    error.set(None);
    spawn_local(async move {
        let mut added = 0;
        let mut failed = None;
        for uri in &items {
            let existing = ctx
                .get(|p| match kind {
                    UriKind::Login => p.redirect_uris(),
                    UriKind::Logout => p.post_logout_uris(),
                })
                .unwrap_or_default();
            if existing.contains(uri) {
                continue;
            }
            match api::post::<_, Product>(&ctx.path(kind.api()), &json!({ "uri": uri })).await {
                Ok(p) => {
                    let _ = ctx.item.try_set(Some(p));
                    added += 1;
                }
                Err(e) => {
                    failed = Some((uri.clone(), e));
                    break;
                }
            }
        }
        if busy.try_set(false).is_some() {
            return;
        }
        match failed {
            Some((uri, e)) => {
                // Keep what was refused (and anything after it) in the input to fix.
                let rest: Vec<String> = items.iter().skip_while(|u| **u != uri).cloned().collect();
                input.set(rest.join(" "));
                error.set(Some(e));
            }
            None => {
                input.set(String::new());
                if added > 0 {
                    toast::show(if added == 1 {
                        "URI added".to_string()
                    } else {
                        format!("{added} URIs added")
                    });
                }
            }
        }
    });
}

fn remove_uri(
    ctx: Ctx,
    kind: UriKind,
    uri: String,
    error: RwSignal<Option<ApiError>>,
    busy: RwSignal<bool>,
) {
    if busy.get_untracked() {
        return;
    }
    busy.set(true);
    error.set(None);
    spawn_local(async move {
        let path = format!("{}?uri={}", ctx.path(kind.api()), api::enc(&uri));
        let result = api::delete(&path).await;
        if busy.try_set(false).is_some() {
            return;
        }
        match result {
            Ok(()) => {
                ctx.item.update(|p| {
                    if let Some(w) = p.as_mut().and_then(|p| p.web_client.as_mut()) {
                        match kind {
                            UriKind::Login => w.redirect_uris.retain(|u| *u != uri),
                            UriKind::Logout => w.post_logout_redirect_uris.retain(|u| *u != uri),
                        }
                    }
                });
                toast::show(format!("Removed {uri}"));
            }
            Err(e) => error.set(Some(e)),
        }
    });
}

#[component]
fn RedirectsCard(ctx: Ctx) -> impl IntoView {
    let login_input = RwSignal::new(String::new());
    let login_error = RwSignal::new(None::<ApiError>);
    let logout_input = RwSignal::new(String::new());
    let logout_error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let login = Signal::derive(move || ctx.get(Product::redirect_uris).unwrap_or_default());
    let logout = Signal::derive(move || ctx.get(Product::post_logout_uris).unwrap_or_default());
    view! {
        <div class="card">
            <h2 class="card-title">"Redirect URIs"</h2>
            <p class="muted">
                "Where Tessera may send the browser back after sign-in; matched exactly. Removing one stops sign-in from that address at once."
            </p>
            <ErrorBanner error=Signal::derive(move || banner_for(login_error.get().as_ref(), &["uri"])) />
            <UriListEditor
                items=login
                input=login_input
                error=login_error
                field="uri"
                label="New redirect URI"
                input_id="product-redirect-uri"
                what="redirect URI"
                add_label="Add redirect URI"
                placeholder="https://app.example/callback"
                hint="https:// URLs, or http://localhost / http://127.0.0.1 while developing."
                busy=busy
                on_add=Callback::new(move |()| add_uris(ctx, UriKind::Login, login_input, login_error, busy))
                on_remove=Callback::new(move |u| remove_uri(ctx, UriKind::Login, u, login_error, busy))
            />
            <h3 class="subhead">"Post-logout redirect URIs"</h3>
            <p class="muted">"Where the browser may land after signing out of Tessera."</p>
            <ErrorBanner error=Signal::derive(move || banner_for(logout_error.get().as_ref(), &["uri"])) />
            <UriListEditor
                items=logout
                input=logout_input
                error=logout_error
                field="uri"
                label="New post-logout URI"
                input_id="product-logout-uri"
                what="post-logout URI"
                add_label="Add post-logout URI"
                placeholder="https://app.example/"
                hint=""
                busy=busy
                on_add=Callback::new(move |()| add_uris(ctx, UriKind::Logout, logout_input, logout_error, busy))
                on_remove=Callback::new(move |u| remove_uri(ctx, UriKind::Logout, u, logout_error, busy))
            />
        </div>
    }
}

/// The product's scopes: each add or remove is one PATCH of the whole list.
#[component]
fn ScopesCard(ctx: Ctx) -> impl IntoView {
    let input = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let scopes = Signal::derive(move || ctx.get(|p| p.scopes.clone()).unwrap_or_default());
    let save = move |list: Vec<String>, done: &'static str| {
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = api::patch::<_, Product>(&ctx.path(""), &json!({ "scopes": list })).await;
            if busy.try_set(false).is_some() {
                return;
            }
            match result {
                Ok(p) => {
                    ctx.item.set(Some(p));
                    if done == "added" {
                        input.set(String::new());
                    }
                    toast::show(format!("Scopes {done}"));
                }
                Err(e) => error.set(Some(e)),
            }
        });
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
                save(list, "added");
            }
            Err(msg) => error.set(Some(local_error("scopes", &msg))),
        }
    };
    let remove = move |s: String| {
        if busy.get_untracked() {
            return;
        }
        let list: Vec<String> = scopes
            .get_untracked()
            .into_iter()
            .filter(|x| *x != s)
            .collect();
        save(list, "removed");
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
