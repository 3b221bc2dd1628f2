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
use serde_json::json;

use crate::api::{self, enc, ApiError};
use crate::app::navigate;
use crate::components::{
    on_done, time, toast, ConfirmDialog, Empty, ErrorBanner, Loading, PageHeader, Pager,
};
use crate::pages::products::hooks::load_failed;
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

/// Previous / Next under a table of `total` rows paged in the browser (`page` is the
/// page shown); nothing when one page holds them all.
pub(crate) fn pager(page: RwSignal<usize>, total: usize) -> impl IntoView {
    (total > PAGE_SIZE).then(|| {
        view! {
            <Pager
                has_prev=Signal::derive(move || page.get() > 0)
                has_next=Signal::derive(move || (page.get() + 1) * PAGE_SIZE < total)
                on_prev=Callback::new(move |()| page.update(|p| *p = p.saturating_sub(1)))
                on_next=Callback::new(move |()| page.update(|p| *p += 1))
            />
        }
    })
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
    fn new(id: StoredValue<String>) -> Self {
        Self {
            id,
            branches: LocalResource::new(
                move || async move { model::branches(&id.get_value()).await },
            ),
            roles: LocalResource::new(move || async move { model::roles(&id.get_value()).await }),
            memberships: LocalResource::new(move || async move {
                model::memberships(&id.get_value()).await
            }),
        }
    }

    /// `/v1/businesses/{id}` plus `rest` (e.g. "/branches").
    pub fn path(&self, rest: &str) -> String {
        format!("/v1/businesses/{}{rest}", enc(&self.id.get_value()))
    }

    pub fn branch_list(&self) -> Vec<Branch> {
        self.branches.get().and_then(Result::ok).unwrap_or_default()
    }

    pub fn role_list(&self) -> Vec<Role> {
        self.roles.get().and_then(Result::ok).unwrap_or_default()
    }
}

/// The number of items a list resource holds once loaded (the badge by a section's title).
pub(crate) fn count_badge<T: Clone + 'static>(
    list: LocalResource<Result<Vec<T>, ApiError>>,
) -> impl IntoView {
    move || {
        list.get()
            .and_then(Result::ok)
            .map(|items| view! { <span class="badge badge-muted">{items.len()}</span> })
    }
}

/// `/console/businesses`: every business with its branch count, and a create form.
#[component]
pub fn BusinessesPage() -> impl IntoView {
    let list = LocalResource::new(model::businesses);
    // Branch counts load after the list, one request per business, all at once.
    let counts = LocalResource::new(move || async move {
        let ids: Vec<String> = match list.await {
            Ok(items) => items.into_iter().map(|b| b.id).collect(),
            Err(_) => Vec::new(),
        };
        let answers = futures::future::join_all(ids.iter().map(|id| model::branches(id))).await;
        let mut map = HashMap::new();
        for (id, answer) in ids.into_iter().zip(answers) {
            if let Ok(branches) = answer {
                map.insert(id, branches.len());
            }
        }
        map
    });
    // Read outside the list's <Transition>: the table shows "…" until they are in.
    let counts = Memo::new(move |_| counts.get().unwrap_or_default());

    view! {
        <div class="page">
            <PageHeader
                title="Businesses"
                subtitle="Businesses and their branches; roles give members the scopes of your products in one branch or in all of them."
                    .to_owned()
            />
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(items) if items.is_empty() => view! {
                            <Empty
                                title="No businesses yet"
                                hint="A business groups branches (shops, offices, sites). Name your first business to add its branches, roles and members."
                            >
                                <CreateBusinessForm />
                            </Empty>
                        }
                        .into_any(),
                        Ok(items) => view! { <BusinessTable items=items counts=counts /> }.into_any(),
                        Err(e) => load_failed(e),
                    }
                })}
            </Transition>
        </div>
    }
}

/// "New business", then the businesses (a page of them) with their branch counts.
#[component]
fn BusinessTable(items: Vec<Business>, counts: Memo<HashMap<String, usize>>) -> impl IntoView {
    let page = RwSignal::new(0usize);
    let total = items.len();
    let items = StoredValue::new(items);
    let rows = move || {
        let start = (page.get() * PAGE_SIZE).min(total.saturating_sub(1) / PAGE_SIZE * PAGE_SIZE);
        items.with_value(|items| {
            items
                .iter()
                .skip(start)
                .take(PAGE_SIZE)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
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
                    {move || {
                        rows()
                            .into_iter()
                            .map(|b| {
                                let id = b.id.clone();
                                let count = move || {
                                    counts.with(|map| {
                                        map.get(&id).map_or_else(|| "…".to_owned(), |n| n.to_string())
                                    })
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
                            .collect_view()
                    }}
                </tbody>
            </table>
        </div>
        {pager(page, total)}
    }
}

/// "Business name" + "Create business"; opens the new business's page on success.
#[component]
fn CreateBusinessForm() -> impl IntoView {
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let create = Action::new_local(|name: &String| {
        let body = json!({ "name": name });
        async move { api::post::<_, Business>("/v1/businesses", &body).await }
    });
    let busy = create.pending();
    on_done(create, move |result| match result {
        Ok(b) => {
            toast::show(format!("Business “{}” created", b.name));
            navigate(&format!("/console/businesses/{}", enc(&b.id)));
        }
        Err(e) => error.set(Some(e.message)),
    });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let value = name.get_untracked().trim().to_owned();
        if value.is_empty() {
            error.set(Some("Type a name for the business.".to_owned()));
            return;
        }
        error.set(None);
        create.dispatch(value);
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
    let id = StoredValue::new(id);
    let business =
        LocalResource::new(move || async move { model::business(&id.get_value()).await });
    let org = Org::new(id);
    let name = move || business.get().and_then(Result::ok).map(|b| b.name);
    Effect::new(move |_| {
        if let Some(n) = name() {
            document().set_title(&format!("{n} · Businesses · Tessera"));
        }
    });

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
            // Read as it stands, not awaited: a rename reloads it (see `hooks::reloading`).
            <Transition fallback=|| view! { <Loading /> }>
                {move || {
                    business.get().map(|answer| match answer {
                        Ok(b) => view! { <BusinessBody business=b org=org reload=business /> }.into_any(),
                        Err(e) if e.status == 404 => load_failed(ApiError {
                            message: "This business does not exist (any more). Go back to the list of businesses."
                                .to_owned(),
                            ..e
                        }),
                        Err(e) => load_failed(e),
                    })
                }}
            </Transition>
        </div>
    }
}

/// Rename and delete, then the sections of the loaded business.
#[component]
fn BusinessBody(
    business: Business,
    org: Org,
    reload: LocalResource<Result<Business, ApiError>>,
) -> impl IntoView {
    let renaming = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let confirm_delete = RwSignal::new(false);
    let delete = Action::new_local(move |_: &()| {
        let path = org.path("");
        async move { api::delete(&path).await }
    });
    on_done(delete, move |result| match result {
        Ok(()) => {
            toast::show("Business deleted");
            navigate("/console/businesses");
        }
        Err(e) => error.set(Some(e.message)),
    });
    let delete_message = format!(
        "“{}” is deleted with all its branches, roles and memberships. Its members keep their user accounts. Tokens already issued for it keep working until they expire.",
        business.name
    );
    let rename = Action::new_local(move |name: &String| {
        let (path, body) = (org.path(""), json!({ "name": name }));
        async move { api::patch::<_, Business>(&path, &body).await }
    });
    on_done(rename, move |result| match result {
        Ok(b) => {
            toast::show(format!("Renamed to “{}”", b.name));
            renaming.set(false);
            error.set(None);
            reload.refetch();
        }
        Err(e) => error.set(Some(e.message)),
    });
    let current = business.name.clone();
    view! {
        <div class="org-actions-row">
            <button
                type="button"
                class="btn"
                on:click=move |_| {
                    error.set(None);
                    renaming.set(true);
                }
                disabled=renaming
            >
                "Rename"
            </button>
            <button type="button" class="btn btn-danger" on:click=move |_| confirm_delete.set(true)>
                "Delete business"
            </button>
            <span class="muted org-id">"ID "<span class="mono">{business.id.clone()}</span></span>
        </div>
        <ConfirmDialog
            open=confirm_delete
            title=format!("Delete the business “{}”?", business.name)
            message=delete_message
            confirm_label="Delete"
            danger=true
            on_confirm=Callback::new(move |()| {
                delete.dispatch(());
            })
        />
        <Show when=move || renaming.get()>
            <RenameForm current=current.clone() renaming=renaming error=error rename=rename />
        </Show>
        <ErrorBanner error=error />
        <branches::BranchesSection org=org />
        <roles::RolesSection org=org />
        <memberships::MembershipsSection org=org />
    }
}

/// "Business name" filled with the current one, "Save" and "Cancel".
#[component]
fn RenameForm(
    current: String,
    renaming: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    rename: Action<String, Result<Business, ApiError>>,
) -> impl IntoView {
    let new_name = RwSignal::new(current);
    let busy = rename.pending();
    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        let value = new_name.get_untracked().trim().to_owned();
        if value.is_empty() {
            error.set(Some("Type a name for the business.".to_owned()));
            return;
        }
        rename.dispatch(value);
    };
    view! {
        <form class="card org-inline-form" on:submit=save>
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
            <button type="submit" class="btn btn-primary" disabled=busy>
                "Save"
            </button>
            <button type="button" class="btn btn-ghost" on:click=move |_| renaming.set(false)>
                "Cancel"
            </button>
        </form>
    }
}
