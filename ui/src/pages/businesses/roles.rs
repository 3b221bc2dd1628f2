//! The Roles section of a business: each role is a name and a set of scopes picked from
//! the scopes the products declare (plus a free-text "other scope").

use leptos::ev::{KeyboardEvent, SubmitEvent};
use leptos::prelude::*;
use serde_json::json;

use super::model::{self, DeclaredScope, Role};
use super::{count_badge, Org};
use crate::api::{self, enc, ApiError};
use crate::components::{on_done, toast, ConfirmDialog, ErrorBanner, Loading};
use crate::pages::products::hooks::{load_failed, reloading};

/// The scopes the products declare, as the role form offers them.
type Declared = LocalResource<Result<Vec<DeclaredScope>, ApiError>>;

/// Which role form is open.
#[derive(Clone, Debug, PartialEq)]
enum Mode {
    Create,
    Edit(Role),
}

#[component]
pub fn RolesSection(org: Org) -> impl IntoView {
    let declared = LocalResource::new(model::declared_scopes);
    let chosen_mode = RwSignal::new(None::<Mode>);
    // With no roles yet the create form is open right away.
    let mode = Memo::new(move |_| {
        chosen_mode.get().or_else(|| match org.roles.get() {
            Some(Ok(list)) if list.is_empty() => Some(Mode::Create),
            _ => None,
        })
    });
    let no_roles = Memo::new(move |_| matches!(org.roles.get(), Some(Ok(list)) if list.is_empty()));
    let close = Callback::new(move |()| chosen_mode.set(None));
    let on_edit = Callback::new(move |r| chosen_mode.set(Some(Mode::Edit(r))));

    let form = move || {
        mode.get().map(|m| {
            let role = match m {
                Mode::Create => None,
                Mode::Edit(r) => Some(r),
            };
            view! {
                <RoleForm
                    org=org
                    role=role
                    declared=declared
                    can_cancel=!no_roles.get_untracked()
                    on_close=close
                />
            }
        })
    };
    let list = move || {
        reloading(org.roles, move |items| {
            if items.is_empty() {
                // The create form is open right away; a short line says what it is for.
                view! {
                    <p class="hint org-first">
                        "No roles yet. A role is a named set of scopes, like “clerk” with orders:read: name one, pick its scopes and create it, then give members that role."
                    </p>
                }
                .into_any()
            } else {
                view! { <RoleTable org=org items=items on_edit=on_edit /> }.into_any()
            }
        })
    };

    view! {
        <section class="card org-section" aria-labelledby="org-roles-title">
            <div class="org-card-head">
                <h2 class="card-title" id="org-roles-title">"Roles"</h2>
                {count_badge(org.roles)}
                <span class="spacer"></span>
                <Show when=move || mode.get().is_none()>
                    <button
                        type="button"
                        class="btn btn-primary"
                        on:click=move |_| chosen_mode.set(Some(Mode::Create))
                    >
                        "Create role"
                    </button>
                </Show>
            </div>
            {move || no_roles.get().then(list)}
            {form}
            {move || (!no_roles.get()).then(list)}
        </section>
    }
}

#[component]
fn RoleTable(org: Org, items: Vec<Role>, on_edit: Callback<Role>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table">
                <caption class="sr-only">"Roles"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Scopes"</th>
                        <th scope="col" class="num">"Members"</th>
                        <th scope="col" class="org-col-actions">
                            <span class="sr-only">"Actions"</span>
                        </th>
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=move || items.clone()
                        key=|r| (r.id.clone(), r.updated_at, r.name.clone(), r.scopes.clone())
                        children=move |r| view! { <RoleRow org=org role=r on_edit=on_edit /> }
                    />
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn RoleRow(org: Org, role: Role, on_edit: Callback<Role>) -> impl IntoView {
    let confirm = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let id = StoredValue::new(role.id.clone());
    let name = role.name.clone();
    let members = move || {
        org.memberships
            .get()
            .and_then(Result::ok)
            .map(|list| list.iter().filter(|m| m.role_id == id.get_value()).count())
    };
    let delete = Action::new_local(move |_: &()| {
        let path = org.path(&format!("/roles/{}", enc(&id.get_value())));
        async move { api::delete(&path).await }
    });
    on_done(delete, {
        let name = name.clone();
        move |result| match result {
            Ok(()) => {
                toast::show(format!("Role “{name}” deleted"));
                org.roles.refetch();
                org.memberships.refetch();
            }
            Err(e) => error.set(Some(e.message)),
        }
    });
    let delete_message = {
        let n = members().unwrap_or(0);
        match n {
            0 => "No member holds this role.".to_owned(),
            1 => "1 membership uses this role and is removed with it.".to_owned(),
            n => format!("{n} memberships use this role and are removed with it."),
        }
    } + " Tokens already issued keep working until they expire.";
    let scopes = role.scopes.clone();
    let for_edit = role.clone();
    view! {
        <tr>
            <td class="org-strong">{role.name.clone()} <ErrorBanner error=error /></td>
            <td>
                {if scopes.is_empty() {
                    view! { <span class="muted">"No scopes"</span> }.into_any()
                } else {
                    view! {
                        <ul class="org-chips" aria-label=format!("Scopes of {name}")>
                            {scopes
                                .into_iter()
                                .map(|s| view! { <li class="chip mono">{s}</li> })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }}
            </td>
            <td class="num">{move || members().map_or_else(|| "…".to_owned(), |n| n.to_string())}</td>
            <td class="org-col-actions">
                <div class="org-row-actions">
                    <button
                        type="button"
                        class="btn btn-small btn-ghost"
                        aria-label=format!("Edit role {name}")
                        on:click=move |_| on_edit.run(for_edit.clone())
                    >
                        "Edit"
                    </button>
                    <button
                        type="button"
                        class="btn btn-small btn-ghost org-danger-text"
                        aria-label=format!("Delete role {name}")
                        on:click=move |_| confirm.set(true)
                    >
                        "Delete"
                    </button>
                </div>
                <ConfirmDialog
                    open=confirm
                    title=format!("Delete the role “{}”?", role.name)
                    message=delete_message
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

/// Splits free text into scope tokens (spaces or commas between them).
fn scope_tokens(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Adds `scope` to `chosen` (`on`) or takes it out.
fn toggle(chosen: RwSignal<Vec<String>>, scope: String, on: bool) {
    chosen.update(|list| {
        if on {
            if !list.contains(&scope) {
                list.push(scope);
            }
        } else {
            list.retain(|s| *s != scope);
        }
    });
}

/// Create (role = None) or edit a role: name, scope checkboxes, other scopes.
#[component]
fn RoleForm(
    org: Org,
    role: Option<Role>,
    declared: Declared,
    can_cancel: bool,
    on_close: Callback<()>,
) -> impl IntoView {
    let is_edit = role.is_some();
    let name = RwSignal::new(role.as_ref().map(|r| r.name.clone()).unwrap_or_default());
    let chosen = RwSignal::new(role.as_ref().map(|r| r.scopes.clone()).unwrap_or_default());
    let other = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let name_input = NodeRef::<leptos::html::Input>::new();
    // Opened by a click (not shown by itself because there are no roles yet): focus it.
    if can_cancel || is_edit {
        request_animation_frame(move || {
            if let Some(el) = name_input.get_untracked() {
                let _ = el.focus();
            }
        });
    }

    let role_id = StoredValue::new(role.as_ref().map(|r| r.id.clone()));
    let save = Action::new_local(move |(name, scopes): &(String, Vec<String>)| {
        let base = org.path("/roles");
        let body = json!({ "name": name, "scopes": scopes });
        let id = role_id.get_value();
        async move {
            match id {
                None => api::post::<_, Role>(&base, &body).await,
                Some(id) => api::patch::<_, Role>(&format!("{base}/{}", enc(&id)), &body).await,
            }
        }
    });
    let busy = save.pending();
    on_done(save, move |result| match result {
        Ok(r) => {
            toast::show(if is_edit {
                format!("Role “{}” saved", r.name)
            } else {
                format!("Role “{}” created", r.name)
            });
            other.set(String::new());
            on_close.run(());
            org.roles.refetch();
        }
        Err(e) => error.set(Some(e.message)),
    });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let value = name.get_untracked().trim().to_owned();
        if value.is_empty() {
            error.set(Some("Type a name for the role.".to_owned()));
            return;
        }
        let mut scopes = chosen.get_untracked();
        for t in scope_tokens(&other.get_untracked()) {
            if !scopes.contains(&t) {
                scopes.push(t);
            }
        }
        error.set(None);
        save.dispatch((value, scopes));
    };

    let title = match &role {
        Some(r) => format!("Edit role “{}”", r.name),
        None => "New role".to_owned(),
    };
    let form_label = title.clone();
    view! {
        <form class="org-role-form" on:submit=submit aria-label=form_label>
            <h3 class="org-form-title">{title}</h3>
            <div class="field">
                <label for="org-role-name">"Role name"</label>
                <input
                    id="org-role-name"
                    class="input"
                    type="text"
                    required
                    maxlength="200"
                    autocomplete="off"
                    placeholder="e.g. clerk"
                    node_ref=name_input
                    bind:value=name
                />
            </div>
            <fieldset class="org-fieldset">
                <legend>"Scopes"</legend>
                <p class="hint">
                    "What members with this role may get. A token carries the scopes its app asks for that the member's role grants."
                </p>
                <ScopePicker declared=declared chosen=chosen />
                <OtherScopes declared=declared chosen=chosen other=other />
            </fieldset>
            <ErrorBanner error=error />
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=busy>
                    {if is_edit { "Save role" } else { "Create role" }}
                </button>
                {can_cancel
                    .then(|| {
                        view! {
                            <button type="button" class="btn btn-ghost" on:click=move |_| on_close.run(())>
                                "Cancel"
                            </button>
                        }
                    })}
            </div>
        </form>
    }
}

/// A checkbox for each scope some product declares, with the products declaring it.
#[component]
fn ScopePicker(declared: Declared, chosen: RwSignal<Vec<String>>) -> impl IntoView {
    view! {
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match declared.await {
                    Ok(list) if list.is_empty() => view! {
                        <p class="muted org-note">
                            "No product declares scopes yet. Add scopes to a product first (Products → a product → Scopes); "
                            "a role can also be created without scopes and edited later."
                        </p>
                    }
                    .into_any(),
                    Ok(list) => view! {
                        <ul class="org-scope-grid">
                            {list
                                .into_iter()
                                .map(|d| {
                                    let scope = d.scope.clone();
                                    let checked_scope = d.scope.clone();
                                    let source = format!("Declared by {}", d.products.join(", "));
                                    view! {
                                        <li>
                                            <label class="check" title=source.clone()>
                                                <input
                                                    type="checkbox"
                                                    prop:checked=move || chosen.with(|c| c.contains(&checked_scope))
                                                    on:change=move |ev| toggle(chosen, scope.clone(), event_target_checked(&ev))
                                                />
                                                <span class="mono">{d.scope.clone()}</span>
                                            </label>
                                            <span class="org-scope-src muted">{d.products.join(", ")}</span>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                    .into_any(),
                    Err(e) => load_failed(e),
                }
            })}
        </Transition>
    }
}

/// The chosen scopes no checkbox shows (typed in, or no longer declared) as removable
/// chips, and the "Other scope" input.
#[component]
fn OtherScopes(
    declared: Declared,
    chosen: RwSignal<Vec<String>>,
    other: RwSignal<String>,
) -> impl IntoView {
    let extra = move || {
        let known: Vec<String> = declared
            .get()
            .and_then(Result::ok)
            .map(|list| list.into_iter().map(|d| d.scope).collect())
            .unwrap_or_default();
        chosen
            .get()
            .into_iter()
            .filter(|s| !known.contains(s))
            .collect::<Vec<_>>()
    };
    let add_other = move || {
        let tokens = scope_tokens(&other.get_untracked());
        if tokens.is_empty() {
            return;
        }
        chosen.update(|list| {
            for t in tokens {
                if !list.contains(&t) {
                    list.push(t);
                }
            }
        });
        other.set(String::new());
    };
    let other_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Enter" {
            ev.prevent_default();
            add_other();
        }
    };
    view! {
        {move || {
            let extra = extra();
            (!extra.is_empty())
                .then(|| {
                    view! {
                        <ul class="org-chips" aria-label="Other chosen scopes">
                            {extra
                                .into_iter()
                                .map(|s| {
                                    let remove = s.clone();
                                    view! {
                                        <li class="chip">
                                            <span class="mono">{s.clone()}</span>
                                            <button
                                                type="button"
                                                class="chip-x"
                                                aria-label=format!("Remove scope {s}")
                                                on:click=move |_| toggle(chosen, remove.clone(), false)
                                            >
                                                "×"
                                            </button>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                })
        }}
        <div class="field org-other">
            <label for="org-role-other">"Other scope"</label>
            <div class="row">
                <input
                    id="org-role-other"
                    class="input mono"
                    type="text"
                    autocomplete="off"
                    placeholder="e.g. reports:export"
                    aria-describedby="org-role-other-hint"
                    bind:value=other
                    on:keydown=other_keydown
                />
                <button type="button" class="btn" on:click=move |_| add_other()>
                    "Add scope"
                </button>
            </div>
            <p class="hint" id="org-role-other-hint">
                "A scope not in the list; some product must declare it."
            </p>
        </div>
    }
}
