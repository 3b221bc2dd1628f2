//! Third-party apps: the clients registered through `/oauth/register` (RFC 7591), listed
//! apart from the products (who admitted them, when, last use, how many users approved
//! them); disable, enable, delete. `registration` is the page of initial access tokens
//! and the open-registration setting.

pub mod open;
pub mod registration;

use std::time::Duration;

use leptos::prelude::*;
use serde_json::json;
use tessera_proto::registration::{DynamicClient, DynamicClientList};

use crate::api::{self, enc, ApiError};
use crate::components::time::{local, relative, use_now};
use crate::components::{
    on_done, toast, ConfirmDialog, Empty, EmptyAction, ErrorBanner, Loaded, PageHeader,
};

async fn load() -> Result<Vec<DynamicClient>, ApiError> {
    Ok(api::get::<DynamicClientList>("/v1/dynamic-clients")
        .await?
        .dynamic_clients)
}

/// What a row's buttons ask for.
#[derive(Clone)]
enum Change {
    Disable(String),
    Enable(String),
    Delete(String),
}

async fn apply(change: Change) -> Result<&'static str, ApiError> {
    let path = |id: &str, action: &str| format!("/v1/dynamic-clients/{}{action}", enc(id));
    match change {
        Change::Disable(id) => {
            api::post::<_, serde_json::Value>(&path(&id, ":disable"), &json!({}))
                .await
                .map(|_| "App disabled: it can no longer sign anyone in")
        }
        Change::Enable(id) => api::post::<_, serde_json::Value>(&path(&id, ":enable"), &json!({}))
            .await
            .map(|_| "App enabled"),
        Change::Delete(id) => api::delete(&path(&id, ""))
            .await
            .map(|()| "App deleted and its tokens revoked"),
    }
}

/// The name an app gave itself, or its client id: never trusted, always shown as text.
pub(crate) fn app_name(c: &DynamicClient) -> String {
    c.client_name.clone().unwrap_or_else(|| c.client_id.clone())
}

/// `/console/apps`.
#[component]
pub fn AppsPage() -> impl IntoView {
    let clients = LocalResource::new(load);
    let now = use_now(Duration::from_secs(30));
    let error = RwSignal::new(None::<String>);
    let act = Action::new_local(|c: &Change| apply(c.clone()));
    on_done(act, move |result| match result {
        Ok(done) => {
            toast::show(done);
            clients.refetch();
        }
        Err(e) => error.set(Some(e.message)),
    });
    let run = Callback::new(move |c: Change| {
        error.set(None);
        act.dispatch_local(c);
    });
    view! {
        <div class="page apps-page">
            <PageHeader
                title="Third-party apps"
                subtitle="Apps that registered themselves (RFC 7591 dynamic client registration): AI agents, MCP clients, tools set up with tessera init. Their users approve what they ask for on a consent page.".to_owned()
            >
                <a class="btn" href="/console/apps/registration">"Registration tokens"</a>
            </PageHeader>
            <ErrorBanner error=error />
            <Loaded resource=clients let:list>
                <AppsTable list=list now=now busy=act.pending() run=run />
            </Loaded>
        </div>
    }
}

#[component]
fn AppsTable(
    list: Vec<DynamicClient>,
    now: ReadSignal<i64>,
    busy: Memo<bool>,
    run: Callback<Change>,
) -> impl IntoView {
    if list.is_empty() {
        return view! {
            <Empty
                title="No third-party apps yet"
                hint="An app registers itself at /oauth/register with a registration token you create, or without one when open registration is on.".to_owned()
                action=EmptyAction::link("Create a registration token", "/console/apps/registration")
            />
        }
        .into_any();
    }
    let rows = list
        .into_iter()
        .map(|c| view! { <AppRow client=c now=now busy=busy run=run /> })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table apps-table">
                <caption class="sr-only">"Third-party apps"</caption>
                <thead>
                    <tr>
                        <th scope="col">"App"</th>
                        <th scope="col">"Registered"</th>
                        <th scope="col">"Last used"</th>
                        <th scope="col">"Users"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col" class="apps-col-actions">
                            <span class="sr-only">"Actions"</span>
                        </th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn AppRow(
    client: DynamicClient,
    now: ReadSignal<i64>,
    busy: Memo<bool>,
    run: Callback<Change>,
) -> impl IntoView {
    let delete_open = RwSignal::new(false);
    let name = app_name(&client);
    let id = client.client_id.clone();
    let via = match &client.registration_token_name {
        Some(token) => format!("with the token “{token}”"),
        None if client.registration_token_id.is_some() => "with a deleted token".to_owned(),
        None => "by open registration".to_owned(),
    };
    let software = client.software_id.as_ref().map(|s| {
        format!(
            "{s} {}",
            client.software_version.clone().unwrap_or_default()
        )
    });
    let created = client.created_at;
    let last_used = client.last_used_at;
    let disabled = client.disabled_at.is_some();
    let toggle = {
        let id = id.clone();
        move |_| {
            run.run(if disabled {
                Change::Enable(id.clone())
            } else {
                Change::Disable(id.clone())
            })
        }
    };
    let delete_id = id.clone();
    view! {
        <tr>
            <td class="apps-who">
                <span class="apps-name">{name}</span>
                <span class="badge badge-muted" title="The app chose this name itself: Tessera has not verified it.">"unverified"</span>
                <div class="mono small muted">{id}</div>
                {software.map(|s| view! { <div class="small muted">{s}</div> })}
            </td>
            <td class="apps-when">
                <span title=local(created)>{move || { now.track(); relative(created) }}</span>
                <div class="small muted">{via}</div>
            </td>
            <td>
                {match last_used {
                    Some(t) => view! { <span title=local(t)>{move || { now.track(); relative(t) }}</span> }.into_any(),
                    None => view! { <span class="muted">"Never"</span> }.into_any(),
                }}
            </td>
            <td>{client.consents}</td>
            <td>
                {if disabled {
                    view! { <span class="badge badge-bad">"Disabled"</span> }.into_any()
                } else {
                    view! { <span class="badge badge-ok">"Enabled"</span> }.into_any()
                }}
            </td>
            <td class="apps-col-actions">
                <div class="row">
                    <button type="button" class="btn btn-small" disabled=move || busy.get() on:click=toggle>
                        {if disabled { "Enable" } else { "Disable" }}
                    </button>
                    <button
                        type="button"
                        class="btn btn-small btn-ghost btn-danger-text"
                        disabled=move || busy.get()
                        on:click=move |_| delete_open.set(true)
                    >
                        "Delete"
                    </button>
                </div>
                <ConfirmDialog
                    open=delete_open
                    title="Delete this app?"
                    message="The app's registration is deleted: every token it holds is revoked and the consents its users gave are forgotten. It can register again only as a new app."
                    confirm_label="Delete app"
                    danger=true
                    on_confirm=Callback::new(move |()| run.run(Change::Delete(delete_id.clone())))
                />
            </td>
        </tr>
    }
}
