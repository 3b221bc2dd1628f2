//! The product's server client (confidential, `client_credentials`): add, remove, the
//! scopes it is granted, and secret rotation. A new secret shows once, with a copy button.

use leptos::prelude::*;
use serde_json::json;

use super::detail::{patch_product, Ctx};
use super::wizard::SecretOnce;
use super::{NewSecret, ServerClient};
use crate::api::{self, ApiError};
use crate::components::{on_done, toast, ConfirmDialog, CopyButton, ErrorBanner};

/// What the card asks of the server client.
#[derive(Clone, Copy)]
enum Change {
    Add,
    Rotate,
    Remove,
}

/// What the API answered to a `Change`.
#[derive(Clone)]
enum Changed {
    Added(ServerClient),
    Rotated(NewSecret),
    Removed,
}

async fn change(ctx: Ctx, change: Change) -> Result<Changed, ApiError> {
    match change {
        Change::Add => api::post::<_, ServerClient>(&ctx.path("/server-client"), &json!({}))
            .await
            .map(Changed::Added),
        Change::Rotate => api::post::<_, NewSecret>(&ctx.path("/secret:rotate"), &json!({}))
            .await
            .map(Changed::Rotated),
        Change::Remove => api::delete(&ctx.path("/server-client"))
            .await
            .map(|()| Changed::Removed),
    }
}

#[component]
pub(crate) fn ServerClientCard(ctx: Ctx) -> impl IntoView {
    let error = RwSignal::new(None::<ApiError>);
    // The secret minted by the last add or rotation, shown until the page is left.
    let fresh_secret = RwSignal::new(None::<String>);
    let rotate_open = RwSignal::new(false);
    let remove_open = RwSignal::new(false);
    let server = Memo::new(move |_| ctx.get(|p| p.server_client.clone()).flatten());
    let has_server = move || server.with(Option::is_some);

    let act = Action::new_local(move |what: &Change| change(ctx, *what));
    let busy = act.pending();
    on_done(act, move |result| match result {
        Ok(Changed::Added(s)) => {
            fresh_secret.set(s.client_secret.clone());
            ctx.item.update(|p| {
                if let Some(p) = p {
                    p.server_client = Some(ServerClient {
                        client_secret: None,
                        ..s
                    });
                }
            });
            toast::show("Server client added");
        }
        Ok(Changed::Rotated(s)) => {
            fresh_secret.set(Some(s.client_secret));
            toast::show("Secret rotated: the old one no longer works");
        }
        Ok(Changed::Removed) => {
            fresh_secret.set(None);
            ctx.item.update(|p| {
                if let Some(p) = p {
                    p.server_client = None;
                }
            });
            toast::show("Server client removed");
        }
        Err(e) => error.set(Some(e)),
    });
    let run = move |what: Change| {
        if busy.get_untracked() {
            return;
        }
        error.set(None);
        act.dispatch(what);
    };

    view! {
        <div class="card server-card">
            <h2 class="card-title">"Server client"</h2>
            <p class="muted">
                "For service-to-service calls: the product's backend gets access tokens of its own with the "
                <span class="mono">"client_credentials"</span>
                " grant (no user), limited to the scopes granted here. It authenticates with a secret."
            </p>
            <ErrorBanner error=Signal::derive(move || error.get().map(|e| e.message)) />
            <Show
                when=has_server
                fallback=move || {
                    view! {
                        <div class="row">
                            <button
                                type="button"
                                class="btn"
                                disabled=move || busy.get()
                                on:click=move |_| run(Change::Add)
                            >
                                "Add server client"
                            </button>
                            <span class="muted">"Its secret is shown once, right after."</span>
                        </div>
                    }
                }
            >
                <dl class="kv">
                    <dt>"Client ID"</dt>
                    <dd class="copy-row">
                        <span class="mono" data-testid="server-client-id">
                            {move || server.get().map(|s| s.client_id).unwrap_or_default()}
                        </span>
                        <CopyButton
                            text=Signal::derive(move || server.get().map(|s| s.client_id).unwrap_or_default())
                            label="Copy server client ID"
                        />
                    </dd>
                    <dt>"Authentication"</dt>
                    <dd><span class="mono">"client_secret_basic"</span> " (or " <span class="mono">"client_secret_post"</span> ")"</dd>
                </dl>
                <GrantedScopes ctx=ctx server=server />
                {move || fresh_secret.get().map(|s| view! { <SecretOnce secret=s /> })}
                <div class="row card-actions">
                    <button
                        type="button"
                        class="btn"
                        disabled=move || busy.get()
                        on:click=move |_| rotate_open.set(true)
                    >
                        "Rotate secret"
                    </button>
                    <span class="spacer"></span>
                    <button
                        type="button"
                        class="btn btn-ghost btn-danger-text"
                        disabled=move || busy.get()
                        on:click=move |_| remove_open.set(true)
                    >
                        "Remove server client"
                    </button>
                </div>
            </Show>
            <ConfirmDialog
                open=rotate_open
                title="Rotate the client secret?"
                message="A new secret is created and shown once. The current secret stops working immediately: every service still using it fails to get tokens until it has the new one."
                confirm_label="Rotate secret"
                danger=true
                on_confirm=Callback::new(move |()| run(Change::Rotate))
            />
            <ConfirmDialog
                open=remove_open
                title="Remove the server client?"
                message="The server client is deleted and every token it was issued is revoked. Services using it stop working at once. You can add a new one later (with a new client ID)."
                confirm_label="Remove server client"
                danger=true
                on_confirm=Callback::new(move |()| run(Change::Remove))
            />
        </div>
    }
}

/// Checkboxes for the product's scopes the server client holds; saved with one PATCH.
#[component]
fn GrantedScopes(ctx: Ctx, server: Memo<Option<ServerClient>>) -> impl IntoView {
    let chosen = RwSignal::new(Vec::<String>::new());
    let reset = move || chosen.set(server.get_untracked().map(|s| s.scopes).unwrap_or_default());
    reset();
    let error = RwSignal::new(None::<String>);
    let product_scopes = Memo::new(move |_| ctx.get(|p| p.scopes.clone()).unwrap_or_default());
    // When the product's scopes change (a scope removed), the grant follows the server.
    Effect::new(move |_| {
        server.track();
        reset();
    });
    let dirty = move || {
        let mut a = chosen.get();
        let mut b = server.get().map(|s| s.scopes).unwrap_or_default();
        a.sort();
        b.sort();
        a != b
    };
    let save = Action::new_local(move |list: &Vec<String>| {
        patch_product(ctx, json!({ "server_client_scopes": list }))
    });
    let busy = save.pending();
    on_done(save, move |result| match result {
        Ok(p) => {
            ctx.item.set(Some(p));
            toast::show("Server client scopes saved");
        }
        Err(e) => error.set(Some(e.message)),
    });
    let save = move |_| {
        error.set(None);
        save.dispatch(chosen.get_untracked());
    };
    view! {
        <fieldset class="scope-picker">
            <legend>"Granted scopes"</legend>
            <Show
                when=move || !product_scopes.get().is_empty()
                fallback=|| {
                    view! {
                        <p class="muted">
                            "The product declares no scopes yet: add some under Scopes, then grant them here."
                        </p>
                    }
                }
            >
                <div class="check-list">
                    <For each=move || product_scopes.get() key=|s| s.clone() let:scope>
                        {
                            let s1 = scope.clone();
                            let s2 = scope.clone();
                            view! {
                                <label class="check">
                                    <input
                                        type="checkbox"
                                        prop:checked=move || chosen.get().contains(&s1)
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            let s = s2.clone();
                                            chosen.update(|l| {
                                                l.retain(|x| *x != s);
                                                if on {
                                                    l.push(s);
                                                }
                                            });
                                        }
                                    />
                                    <span class="mono">{scope}</span>
                                </label>
                            }
                        }
                    </For>
                </div>
                <ErrorBanner error=Signal::derive(move || error.get()) />
                <div class="row">
                    <button
                        type="button"
                        class="btn btn-small"
                        disabled=move || busy.get() || !dirty()
                        on:click=save
                    >
                        "Save granted scopes"
                    </button>
                </div>
            </Show>
        </fieldset>
    }
}
