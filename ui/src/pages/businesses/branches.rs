//! The Branches section of a business: list, add (always-visible form), rename in
//! place, delete with a confirmation.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use serde_json::json;

use super::model::Branch;
use super::{count_badge, when, Org};
use crate::api::{self, enc, ApiError};
use crate::components::{
    focus_field, on_done, toast, ConfirmDialog, Empty, EmptyAction, ErrorBanner,
};
use crate::pages::products::hooks::reloading;

#[component]
pub fn BranchesSection(org: Org) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let create = Action::new_local(move |name: &String| {
        let (path, body) = (org.path("/branches"), json!({ "name": name }));
        async move { api::post::<_, Branch>(&path, &body).await }
    });
    let busy = create.pending();
    on_done(create, move |result| match result {
        Ok(b) => {
            toast::show(format!("Branch “{}” added", b.name));
            name.set(String::new());
            org.branches.refetch();
        }
        Err(e) => error.set(Some(e.message)),
    });
    let add = move |ev: SubmitEvent| {
        ev.prevent_default();
        let value = name.get_untracked().trim().to_owned();
        if value.is_empty() {
            error.set(Some("Type a name for the branch.".to_owned()));
            return;
        }
        error.set(None);
        create.dispatch(value);
    };

    view! {
        <section class="card org-section" aria-labelledby="org-branches-title">
            <div class="org-card-head">
                <h2 class="card-title" id="org-branches-title">"Branches"</h2>
                {count_badge(org.branches)}
            </div>
            {reloading(org.branches, move |items| {
                if items.is_empty() {
                    view! {
                        <Empty
                            title="No branches yet"
                            hint="Add the business's first branch below (a shop, an office, a site). Members get a role in one branch or in all of them."
                            action=EmptyAction::button("Add a branch", || focus_field("org-branch-name"))
                        />
                    }
                        .into_any()
                } else {
                    view! { <BranchTable org=org items=items /> }.into_any()
                }
            })}
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
fn BranchTable(org: Org, items: Vec<Branch>) -> impl IntoView {
    view! {
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
                        each=move || items.clone()
                        key=|b| (b.id.clone(), b.updated_at, b.name.clone())
                        children=move |b| view! { <BranchRow org=org branch=b /> }
                    />
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn BranchRow(org: Org, branch: Branch) -> impl IntoView {
    let editing = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let confirm = RwSignal::new(false);
    let path = StoredValue::new(org.path(&format!("/branches/{}", enc(&branch.id))));
    let original = StoredValue::new(branch.name.clone());
    let rename = Action::new_local(move |name: &String| {
        let body = json!({ "name": name });
        async move { api::patch::<_, Branch>(&path.get_value(), &body).await }
    });
    on_done(rename, move |result| match result {
        Ok(b) => {
            toast::show(format!("Branch renamed to “{}”", b.name));
            org.branches.refetch();
        }
        Err(e) => error.set(Some(e.message)),
    });
    let delete = Action::new_local(move |_: &()| {
        let path = path.get_value();
        async move { api::delete(&path).await }
    });
    on_done(delete, move |result| match result {
        Ok(()) => {
            toast::show(format!("Branch “{}” deleted", original.get_value()));
            org.branches.refetch();
            org.memberships.refetch();
        }
        Err(e) => error.set(Some(e.message)),
    });

    let name = branch.name.clone();
    view! {
        <tr>
            <td>
                <Show
                    when=move || editing.get()
                    fallback=move || view! { <span class="org-strong">{original.get_value()}</span> }
                >
                    <RenameBranch
                        name=original.get_value()
                        editing=editing
                        error=error
                        rename=rename
                    />
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
                        on:click=move |_| {
                            error.set(None);
                            editing.set(true);
                        }
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
                    on_confirm=Callback::new(move |()| {
                        delete.dispatch(());
                    })
                />
            </td>
        </tr>
    }
}

/// The branch's name in an input (focused, selected), "Save" and "Cancel".
#[component]
fn RenameBranch(
    name: String,
    editing: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    rename: Action<String, Result<Branch, ApiError>>,
) -> impl IntoView {
    let label = format!("New name for {name}");
    let draft = RwSignal::new(name.clone());
    let busy = rename.pending();
    let input = NodeRef::<leptos::html::Input>::new();
    request_animation_frame(move || {
        if let Some(el) = input.get_untracked() {
            let _ = el.focus();
            el.select();
        }
    });
    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        let value = draft.get_untracked().trim().to_owned();
        if value.is_empty() {
            error.set(Some("Type a name for the branch.".to_owned()));
            return;
        }
        if value == name {
            editing.set(false);
            return;
        }
        rename.dispatch(value);
    };
    view! {
        <form class="org-row-form" on:submit=save>
            <input
                class="input"
                type="text"
                required
                maxlength="200"
                aria-label=label
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
                    error.set(None);
                    editing.set(false);
                }
            >
                "Cancel"
            </button>
        </form>
    }
}
