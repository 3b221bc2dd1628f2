//! The Branches section of a business: list, add (always-visible form), rename in
//! place, delete with a confirmation.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::json;

use super::model::Branch;
use super::{when, Org};
use crate::api::{self, enc, ApiError};
use crate::components::{toast, ConfirmDialog, Empty, ErrorBanner, Loading};

#[component]
pub fn BranchesSection(org: Org) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);

    let add = move |ev: SubmitEvent| {
        ev.prevent_default();
        let value = name.get_untracked().trim().to_owned();
        if value.is_empty() {
            error.set(Some("Type a name for the branch.".to_owned()));
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let path = format!("/v1/businesses/{}/branches", enc(&org.id.get_value()));
            let result: Result<Branch, ApiError> =
                api::post(&path, &json!({ "name": value })).await;
            let _ = busy.try_set(false);
            match result {
                Ok(b) => {
                    toast::show(format!("Branch “{}” added", b.name));
                    let _ = name.try_set(String::new());
                    org.branches.refetch();
                }
                Err(e) => {
                    let _ = error.try_set(Some(e.message));
                }
            }
        });
    };

    let count = move || match org.branches.get() {
        Some(Ok(list)) => Some(list.len()),
        _ => None,
    };
    let list = move || {
        match org.branches.get() {
        None => view! { <Loading /> }.into_any(),
        Some(Err(e)) => view! { <ErrorBanner error=Signal::derive(move || Some(e.message.clone())) /> }
            .into_any(),
        Some(Ok(items)) if items.is_empty() => view! {
            <Empty
                title="No branches yet"
                hint="Add the business's first branch below (a shop, an office, a site). Members get a role in one branch or in all of them."
            />
        }
        .into_any(),
        Some(Ok(_)) => view! {
            <div class="table-wrap">
                <table class="table">
                    <caption class="sr-only">"Branches"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Created"</th>
                            <th scope="col" class="org-col-actions">
                                <span class="sr-only">"Actions"</span>
                            </th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || org.branch_list()
                            key=|b| (b.id.clone(), b.updated_at, b.name.clone())
                            children=move |b| view! { <BranchRow org=org branch=b /> }
                        />
                    </tbody>
                </table>
            </div>
        }
        .into_any(),
    }
    };

    view! {
        <section class="card org-section" aria-labelledby="org-branches-title">
            <div class="org-card-head">
                <h2 class="card-title" id="org-branches-title">"Branches"</h2>
                {move || count().map(|n| view! { <span class="badge badge-muted">{n}</span> })}
            </div>
            {list}
            <form class="org-inline-form org-add" on:submit=add>
                <div class="field">
                    <label for="org-branch-name">"Branch name"</label>
                    <input
                        id="org-branch-name"
                        class="input"
                        type="text"
                        required
                        maxlength="200"
                        autocomplete="off"
                        placeholder="e.g. North"
                        bind:value=name
                    />
                </div>
                <button type="submit" class="btn btn-primary" disabled=busy>"Add branch"</button>
            </form>
            <ErrorBanner error=error />
        </section>
    }
}

#[component]
fn BranchRow(org: Org, branch: Branch) -> impl IntoView {
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(branch.name.clone());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let confirm = RwSignal::new(false);
    let id = StoredValue::new(branch.id.clone());
    let original = StoredValue::new(branch.name.clone());
    let input = NodeRef::<leptos::html::Input>::new();
    let start_edit = move |_| {
        draft.set(original.get_value());
        error.set(None);
        editing.set(true);
        request_animation_frame(move || {
            if let Some(el) = input.get_untracked() {
                let _ = el.focus();
                el.select();
            }
        });
    };

    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        let value = draft.get_untracked().trim().to_owned();
        if value.is_empty() {
            error.set(Some("Type a name for the branch.".to_owned()));
            return;
        }
        if value == original.get_value() {
            editing.set(false);
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let path = format!(
                "/v1/businesses/{}/branches/{}",
                enc(&org.id.get_value()),
                enc(&id.get_value())
            );
            let result: Result<Branch, ApiError> =
                api::patch(&path, &json!({ "name": value })).await;
            let _ = busy.try_set(false);
            match result {
                Ok(b) => {
                    toast::show(format!("Branch renamed to “{}”", b.name));
                    org.branches.refetch();
                }
                Err(e) => {
                    let _ = error.try_set(Some(e.message));
                }
            }
        });
    };
    let delete = Callback::new(move |()| {
        spawn_local(async move {
            let path = format!(
                "/v1/businesses/{}/branches/{}",
                enc(&org.id.get_value()),
                enc(&id.get_value())
            );
            match api::delete(&path).await {
                Ok(()) => {
                    toast::show(format!("Branch “{}” deleted", original.get_value()));
                    org.branches.refetch();
                    org.memberships.refetch();
                }
                Err(e) => {
                    let _ = error.try_set(Some(e.message));
                }
            }
        });
    });

    let name = branch.name.clone();
    let rename_label = format!("New name for {}", branch.name);
    view! {
        <tr>
            <td>
                <Show
                    when=move || editing.get()
                    fallback=move || view! { <span class="org-strong">{original.get_value()}</span> }
                >
                    <form class="org-row-form" on:submit=save>
                        <input
                            class="input"
                            type="text"
                            required
                            maxlength="200"
                            aria-label=rename_label.clone()
                            bind:value=draft
                            node_ref=input
                        />
                        <button type="submit" class="btn btn-small btn-primary" disabled=busy>
                            "Save"
                        </button>
                        <button
                            type="button"
                            class="btn btn-small btn-ghost"
                            on:click=move |_| {
                                draft.set(original.get_value());
                                error.set(None);
                                editing.set(false);
                            }
                        >
                            "Cancel"
                        </button>
                    </form>
                </Show>
                <ErrorBanner error=error />
            </td>
            <td>{when(branch.created_at)}</td>
            <td class="org-col-actions">
                <div class="org-row-actions">
                    <button
                        type="button"
                        class="btn btn-small btn-ghost"
                        aria-label=format!("Rename branch {name}")
                        disabled=editing
                        on:click=start_edit
                    >
                        "Rename"
                    </button>
                    <button
                        type="button"
                        class="btn btn-small btn-ghost org-danger-text"
                        aria-label=format!("Delete branch {name}")
                        on:click=move |_| confirm.set(true)
                    >
                        "Delete"
                    </button>
                </div>
                <ConfirmDialog
                    open=confirm
                    title=format!("Delete the branch “{}”?", branch.name)
                    message="Memberships in this branch are removed with it. Tokens already issued for it keep working until they expire."
                        .to_owned()
                    confirm_label="Delete"
                    danger=true
                    on_confirm=delete
                />
            </td>
        </tr>
    }
}
