//! Businesses: the list (with a create form), and one business's page with its branches,
//! roles (named sets of product scopes) and memberships (a user's role in one branch or
//! in every branch).

mod branches;
mod memberships;
pub(crate) mod model;
mod roles;

use std::collections::HashMap;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::json;

use crate::api::{self, enc, ApiError};
use crate::app::navigate;
use crate::components::{
    time, toast, ConfirmDialog, Empty, ErrorBanner, Loading, PageHeader, Pager,
};
use model::{Branch, Business, Membership, Role};

/// Rows per page in the client-side paged tables.
pub(crate) const PAGE_SIZE: usize = 50;

/// A time as "3 min ago" with the local date and time beside it.
pub(crate) fn when(ts: i64) -> impl IntoView {
    view! {
        <span class="org-when">
            <span>{time::relative(ts)}</span>
            <span class="muted">{time::local(ts)}</span>
        </span>
    }
}

/// The business page's data, shared by its sections (all `Copy`).
#[derive(Clone, Copy)]
pub(crate) struct Org {
    pub id: StoredValue<String>,
    pub branches: LocalResource<Result<Vec<Branch>, ApiError>>,
    pub roles: LocalResource<Result<Vec<Role>, ApiError>>,
    pub memberships: LocalResource<Result<Vec<Membership>, ApiError>>,
}

impl Org {
    pub fn branch_list(&self) -> Vec<Branch> {
        self.branches.get().and_then(Result::ok).unwrap_or_default()
    }

    pub fn role_list(&self) -> Vec<Role> {
        self.roles.get().and_then(Result::ok).unwrap_or_default()
    }
}

/// `/console/businesses`: every business with its branch count, and a create form.
#[component]
pub fn BusinessesPage() -> impl IntoView {
    let list = LocalResource::new(model::businesses);
    // Branch counts load after the list, one request per business, all at once.
    let counts = RwSignal::new(HashMap::<String, usize>::new());
    Effect::new(move |_| {
        if let Some(Ok(items)) = list.get() {
            spawn_local(async move {
                let ids: Vec<String> = items.into_iter().map(|b| b.id).collect();
                let answers =
                    futures::future::join_all(ids.iter().map(|id| model::branches(id))).await;
                let mut map = HashMap::new();
                for (id, answer) in ids.into_iter().zip(answers) {
                    if let Ok(branches) = answer {
                        map.insert(id, branches.len());
                    }
                }
                let _ = counts.try_set(map);
            });
        }
    });
    let page = RwSignal::new(0usize);

    let table = move || {
        match list.get() {
        None => view! { <Loading /> }.into_any(),
        Some(Err(e)) => view! { <ErrorBanner error=Signal::derive(move || Some(e.message.clone())) /> }
            .into_any(),
        Some(Ok(items)) if items.is_empty() => view! {
            <Empty
                title="No businesses yet"
                hint="A business groups branches (shops, offices, sites). Name your first business to add its branches, roles and members."
            >
                <CreateBusinessForm />
            </Empty>
        }
        .into_any(),
        Some(Ok(items)) => {
            let total = items.len();
            let start = (page.get() * PAGE_SIZE).min(total.saturating_sub(1) / PAGE_SIZE * PAGE_SIZE);
            let rows: Vec<Business> = items.into_iter().skip(start).take(PAGE_SIZE).collect();
            view! {
                <div class="card org-new">
                    <h2 class="card-title">"New business"</h2>
                    <CreateBusinessForm />
                </div>
                <div class="table-wrap">
                    <table class="table">
                        <caption class="sr-only">"Businesses"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Name"</th>
                                <th scope="col" class="num">"Branches"</th>
                                <th scope="col">"Created"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {rows
                                .into_iter()
                                .map(|b| {
                                    let id = b.id.clone();
                                    let count = move || {
                                        counts
                                            .get()
                                            .get(&id)
                                            .map_or_else(|| "…".to_owned(), |n| n.to_string())
                                    };
                                    view! {
                                        <tr>
                                            <td>
                                                <a
                                                    class="org-strong-link"
                                                    href=format!("/console/businesses/{}", enc(&b.id))
                                                >
                                                    {b.name.clone()}
                                                </a>
                                            </td>
                                            <td class="num">{count}</td>
                                            <td>{when(b.created_at)}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
                {(total > PAGE_SIZE)
                    .then(|| {
                        view! {
                            <Pager
                                has_prev=Signal::derive(move || page.get() > 0)
                                has_next=Signal::derive(move || (page.get() + 1) * PAGE_SIZE < total)
                                on_prev=Callback::new(move |()| page.update(|p| *p = p.saturating_sub(1)))
                                on_next=Callback::new(move |()| page.update(|p| *p += 1))
                            />
                        }
                    })}
            }
            .into_any()
        }
    }
    };

    view! {
        <div class="page">
            <PageHeader
                title="Businesses"
                subtitle="Businesses and their branches; roles give members the scopes of your products in one branch or in all of them."
                    .to_owned()
            />
            {table}
        </div>
    }
}

/// "Business name" + "Create business"; opens the new business's page on success.
#[component]
fn CreateBusinessForm() -> impl IntoView {
    let name = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let value = name.get_untracked().trim().to_owned();
        if value.is_empty() {
            error.set(Some("Type a name for the business.".to_owned()));
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result: Result<Business, ApiError> =
                api::post("/v1/businesses", &json!({ "name": value })).await;
            let _ = busy.try_set(false);
            match result {
                Ok(b) => {
                    toast::show(format!("Business “{}” created", b.name));
                    navigate(&format!("/console/businesses/{}", enc(&b.id)));
                }
                Err(e) => {
                    let _ = error.try_set(Some(e.message));
                }
            }
        });
    };
    view! {
        <form class="org-inline-form" on:submit=submit>
            <div class="field">
                <label for="business-name">"Business name"</label>
                <input
                    id="business-name"
                    class="input"
                    type="text"
                    required
                    maxlength="200"
                    autocomplete="off"
                    placeholder="e.g. Bakery Miller"
                    bind:value=name
                />
            </div>
            <button type="submit" class="btn btn-primary" disabled=busy>
                "Create business"
            </button>
        </form>
        <ErrorBanner error=error />
    }
}

/// `/console/businesses/{id}`: rename or delete the business; its branches, roles and
/// memberships.
#[component]
pub fn BusinessPage(id: String) -> impl IntoView {
    let business_id = StoredValue::new(id);
    let business =
        LocalResource::new(move || async move { model::business(&business_id.get_value()).await });
    let org = Org {
        id: business_id,
        branches: LocalResource::new(move || async move {
            model::branches(&business_id.get_value()).await
        }),
        roles: LocalResource::new(
            move || async move { model::roles(&business_id.get_value()).await },
        ),
        memberships: LocalResource::new(move || async move {
            model::memberships(&business_id.get_value()).await
        }),
    };
    let name = move || business.get().and_then(Result::ok).map(|b| b.name);
    Effect::new(move |_| {
        if let Some(n) = name() {
            document().set_title(&format!("{n} · Businesses · Tessera"));
        }
    });

    let renaming = RwSignal::new(false);
    let new_name = RwSignal::new(String::new());
    let rename_busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let confirm_delete = RwSignal::new(false);

    let start_rename = move |_| {
        new_name.set(name().unwrap_or_default());
        error.set(None);
        renaming.set(true);
    };
    let save_rename = move |ev: SubmitEvent| {
        ev.prevent_default();
        let value = new_name.get_untracked().trim().to_owned();
        if value.is_empty() {
            error.set(Some("Type a name for the business.".to_owned()));
            return;
        }
        rename_busy.set(true);
        spawn_local(async move {
            let path = format!("/v1/businesses/{}", enc(&business_id.get_value()));
            let result: Result<Business, ApiError> =
                api::patch(&path, &json!({ "name": value })).await;
            let _ = rename_busy.try_set(false);
            match result {
                Ok(b) => {
                    toast::show(format!("Renamed to “{}”", b.name));
                    let _ = renaming.try_set(false);
                    let _ = error.try_set(None);
                    business.refetch();
                }
                Err(e) => {
                    let _ = error.try_set(Some(e.message));
                }
            }
        });
    };
    let delete = Callback::new(move |()| {
        spawn_local(async move {
            let path = format!("/v1/businesses/{}", enc(&business_id.get_value()));
            match api::delete(&path).await {
                Ok(()) => {
                    toast::show("Business deleted");
                    navigate("/console/businesses");
                }
                Err(e) => {
                    let _ = error.try_set(Some(e.message));
                }
            }
        });
    });

    let body = move || match business.get() {
        None => view! { <Loading /> }.into_any(),
        Some(Err(e)) => {
            let message = if e.status == 404 {
                "This business does not exist (any more). Go back to the list of businesses."
                    .to_owned()
            } else {
                e.message
            };
            view! { <ErrorBanner error=Signal::derive(move || Some(message.clone())) /> }.into_any()
        }
        Some(Ok(b)) => {
            let delete_message = format!(
                "“{}” is deleted with all its branches, roles and memberships. Its members keep their user accounts. Tokens already issued for it keep working until they expire.",
                b.name
            );
            view! {
                <div class="org-actions-row">
                    <button type="button" class="btn" on:click=start_rename disabled=renaming>
                        "Rename"
                    </button>
                    <button type="button" class="btn btn-danger" on:click=move |_| confirm_delete.set(true)>
                        "Delete business"
                    </button>
                    <span class="muted org-id">"ID "<span class="mono">{b.id.clone()}</span></span>
                </div>
                <ConfirmDialog
                    open=confirm_delete
                    title=format!("Delete the business “{}”?", b.name)
                    message=delete_message
                    confirm_label="Delete"
                    danger=true
                    on_confirm=delete
                />
                <Show when=move || renaming.get()>
                    <form class="card org-inline-form" on:submit=save_rename>
                        <div class="field">
                            <label for="business-rename">"Business name"</label>
                            <input
                                id="business-rename"
                                class="input"
                                type="text"
                                required
                                maxlength="200"
                                autocomplete="off"
                                bind:value=new_name
                            />
                        </div>
                        <button type="submit" class="btn btn-primary" disabled=rename_busy>
                            "Save"
                        </button>
                        <button type="button" class="btn btn-ghost" on:click=move |_| renaming.set(false)>
                            "Cancel"
                        </button>
                    </form>
                </Show>
                <ErrorBanner error=error />
                <branches::BranchesSection org=org />
                <roles::RolesSection org=org />
                <memberships::MembershipsSection org=org />
            }
            .into_any()
        }
    };

    view! {
        <div class="page">
            <header class="page-header">
                <div class="page-heading">
                    <div class="breadcrumb">
                        <a href="/console/businesses">"← Businesses"</a>
                    </div>
                    <h1 tabindex="-1">{move || name().unwrap_or_else(|| "Business".to_owned())}</h1>
                    <p class="page-subtitle">
                        "Branches, the roles members can hold, and who holds which role where."
                    </p>
                </div>
            </header>
            {body}
        </div>
    }
}
