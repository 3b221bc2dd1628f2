//! The Memberships section of a business: who holds which role in which branch (or in
//! all branches); add one (user search, branch, role) or remove one.

use std::collections::HashMap;
use std::time::Duration;

use leptos::ev::{KeyboardEvent, SubmitEvent};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::json;

use super::model::{self, Membership, UserSummary};
use super::{count_badge, pager, when, Org, PAGE_SIZE};
use crate::api::{self, enc, ApiError};
use crate::components::{
    focus_field, on_done, toast, ConfirmDialog, Empty, EmptyAction, ErrorBanner,
};
use crate::pages::products::hooks::reloading;

#[component]
pub fn MembershipsSection(org: Org) -> impl IntoView {
    // E-mail and name of every member, loaded once per user id.
    let users = RwSignal::new(HashMap::<String, Option<UserSummary>>::new());
    Effect::new(move |_| {
        let Some(Ok(list)) = org.memberships.get() else {
            return;
        };
        let known = users.get_untracked();
        let mut missing: Vec<String> = Vec::new();
        for m in list {
            if !known.contains_key(&m.user_id) && !missing.contains(&m.user_id) {
                missing.push(m.user_id);
            }
        }
        if missing.is_empty() {
            return;
        }
        spawn_local(async move {
            let answers = futures::future::join_all(missing.iter().map(|id| model::user(id))).await;
            let _ = users.try_update(|map| {
                for (id, answer) in missing.into_iter().zip(answers) {
                    map.insert(id, answer.ok());
                }
            });
        });
    });

    let adding = RwSignal::new(false);
    let no_members =
        Memo::new(move |_| matches!(org.memberships.get(), Some(Ok(list)) if list.is_empty()));
    let form_open = Memo::new(move |_| adding.get() || no_members.get());
    let page = RwSignal::new(0usize);

    let list = move || {
        reloading(org.memberships, move |items| {
            if items.is_empty() && org.role_list().is_empty() {
                // A membership names a role: there is none to give yet.
                view! {
                    <Empty
                        compact=true
                        title="No members yet"
                        hint="A member holds a role: create the business's first role above, then give a user that role here."
                        action=EmptyAction::button("Create a role", || focus_field("org-role-name"))
                    />
                }
                .into_any()
            } else if items.is_empty() {
                // The add form is open right away; a short line says what it is for.
                view! {
                    <p class="hint org-first">
                        "No members yet. Give a user a role in one branch or in all branches; their next sign-in carries this business and branch."
                    </p>
                }
                .into_any()
            } else {
                view! { <MembershipTable org=org items=items users=users page=page /> }.into_any()
            }
        })
    };

    view! {
        <section class="card org-section" aria-labelledby="org-members-title">
            <div class="org-card-head">
                <h2 class="card-title" id="org-members-title">"Memberships"</h2>
                {count_badge(org.memberships)}
                <span class="spacer"></span>
                <Show when=move || !form_open.get()>
                    <button type="button" class="btn btn-primary" on:click=move |_| adding.set(true)>
                        "Add membership"
                    </button>
                </Show>
            </div>
            {move || no_members.get().then(list)}
            <Show when=move || form_open.get()>
                <MembershipForm
                    org=org
                    can_cancel=Signal::derive(move || !no_members.get())
                    on_close=Callback::new(move |()| adding.set(false))
                />
            </Show>
            {move || (!no_members.get()).then(list)}
        </section>
    }
}

/// A page of the memberships, and the pager.
#[component]
fn MembershipTable(
    org: Org,
    items: Vec<Membership>,
    users: RwSignal<HashMap<String, Option<UserSummary>>>,
    page: RwSignal<usize>,
) -> impl IntoView {
    let total = items.len();
    view! {
        <div class="table-wrap">
            <table class="table">
                <caption class="sr-only">"Memberships"</caption>
                <thead>
                    <tr>
                        <th scope="col">"User"</th>
                        <th scope="col">"Branch"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Added"</th>
                        <th scope="col" class="org-col-actions">
                            <span class="sr-only">"Actions"</span>
                        </th>
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=move || {
                            let start = page.get() * PAGE_SIZE;
                            items.iter().skip(start).take(PAGE_SIZE).cloned().collect::<Vec<_>>()
                        }
                        key=|m| m.id.clone()
                        children=move |m| view! { <MembershipRow org=org membership=m users=users /> }
                    />
                </tbody>
            </table>
        </div>
        {pager(page, total)}
    }
}

#[component]
fn MembershipRow(
    org: Org,
    membership: Membership,
    users: RwSignal<HashMap<String, Option<UserSummary>>>,
) -> impl IntoView {
    let confirm = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let m = StoredValue::new(membership.clone());
    let user = move || users.with(|map| map.get(&m.with_value(|m| m.user_id.clone())).cloned());
    let email = move || match user() {
        Some(Some(u)) => u.email,
        Some(None) => "(unknown user)".to_owned(),
        None => "…".to_owned(),
    };
    let branch_name = move || {
        m.with_value(|m| m.branch_id.clone()).map(|id| {
            org.branch_list()
                .into_iter()
                .find(|b| b.id == id)
                .map_or(id, |b| b.name)
        })
    };
    let role_name = move || {
        let id = m.with_value(|m| m.role_id.clone());
        org.role_list()
            .into_iter()
            .find(|r| r.id == id)
            .map_or(id, |r| r.name)
    };
    let remove = Action::new_local(move |_: &()| {
        let path = format!("/v1/memberships/{}", enc(&m.with_value(|m| m.id.clone())));
        async move { api::delete(&path).await }
    });
    on_done(remove, move |result| match result {
        Ok(()) => {
            toast::show("Membership removed");
            org.memberships.refetch();
        }
        Err(e) => error.set(Some(e.message)),
    });
    // Built when opened, so its text names the user, role and branch as loaded by then.
    let dialog = move || {
        confirm.get().then(|| {
            let message = untrack(move || {
                let place = branch_name()
                    .map_or_else(|| "all branches".to_owned(), |b| format!("the branch {b}"));
                format!(
                    "{} no longer holds the role {} in {}. Tokens already issued keep working until they expire.",
                    email(),
                    role_name(),
                    place
                )
            });
            view! {
                <ConfirmDialog
                    open=confirm
                    title="Remove this membership?".to_owned()
                    message=message
                    confirm_label="Remove"
                    danger=true
                    on_confirm=Callback::new(move |()| {
                        remove.dispatch(());
                    })
                />
            }
        })
    };
    let user_id = membership.user_id.clone();
    view! {
        <tr>
            <td>
                <a class="org-strong-link" href=format!("/console/users/{}", enc(&user_id))>
                    {email}
                </a>
                {move || {
                    user()
                        .flatten()
                        .and_then(|u| u.name.filter(|n| !n.is_empty()))
                        .map(|n| view! { <span class="muted org-sub">{n}</span> })
                }}
                <ErrorBanner error=error />
            </td>
            <td>
                {move || match branch_name() {
                    Some(b) => view! { <span>{b}</span> }.into_any(),
                    None => view! { <span class="badge badge-muted">"All branches"</span> }.into_any(),
                }}
            </td>
            <td>
                <span class="chip">{role_name}</span>
            </td>
            <td>{when(membership.created_at)}</td>
            <td class="org-col-actions">
                <div class="org-row-actions">
                    <button
                        type="button"
                        class="btn btn-small btn-ghost org-danger-text"
                        aria-label=move || format!("Remove membership of {}", email())
                        on:click=move |_| confirm.set(true)
                    >
                        "Remove"
                    </button>
                </div>
                {dialog}
            </td>
        </tr>
    }
}

/// "User" (search), "Branch" (or all), "Role" → `POST /v1/memberships`.
#[component]
fn MembershipForm(org: Org, can_cancel: Signal<bool>, on_close: Callback<()>) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let selected = RwSignal::new(None::<UserSummary>);
    let branch = RwSignal::new(String::new());
    let role = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let add = Action::new_local(move |new: &NewMembership| add_membership(org, new.clone()));
    let busy = add.pending();
    on_done(add, move |result| match result {
        Ok(user) => {
            toast::show(format!("{} added", user.email));
            query.set(String::new());
            selected.set(None);
            on_close.run(());
            org.memberships.refetch();
        }
        Err(e) => error.set(Some(e.message)),
    });

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let roles = org.role_list();
        let role_id = match role.get_untracked() {
            r if !r.is_empty() => r,
            _ => match roles.first() {
                Some(r) => r.id.clone(),
                None => {
                    error.set(Some(
                        "This business has no roles yet: create a role first.".to_owned(),
                    ));
                    return;
                }
            },
        };
        let branch_id = Some(branch.get_untracked()).filter(|b| !b.is_empty());
        let typed = query.get_untracked().trim().to_owned();
        let picked = selected.get_untracked().filter(|u| u.email == typed);
        if picked.is_none() && typed.is_empty() {
            error.set(Some(
                "Pick the user: type part of their e-mail or name.".to_owned(),
            ));
            return;
        }
        error.set(None);
        add.dispatch(NewMembership {
            picked,
            typed,
            branch_id,
            role_id,
        });
    };

    view! {
        <form class="org-member-form" on:submit=submit aria-label="New membership">
            <div class="org-member-fields">
                <UserPicker query=query selected=selected />
                <div class="field">
                    <label for="org-m-branch">"Branch"</label>
                    <select
                        id="org-m-branch"
                        class="select"
                        on:change=move |ev| branch.set(event_target_value(&ev))
                    >
                        <option value="" selected=move || branch.get().is_empty()>
                            "All branches"
                        </option>
                        {move || {
                            org.branch_list()
                                .into_iter()
                                .map(|b| {
                                    let id = b.id.clone();
                                    view! {
                                        <option value=b.id.clone() selected=move || branch.get() == id>
                                            {b.name}
                                        </option>
                                    }
                                })
                                .collect_view()
                        }}
                    </select>
                </div>
                <div class="field">
                    <label for="org-m-role">"Role"</label>
                    <select
                        id="org-m-role"
                        class="select"
                        on:change=move |ev| role.set(event_target_value(&ev))
                    >
                        {move || {
                            let roles = org.role_list();
                            if roles.is_empty() {
                                view! {
                                    <option value="" disabled selected>
                                        "No roles yet"
                                    </option>
                                }
                                    .into_any()
                            } else {
                                roles
                                    .into_iter()
                                    .map(|r| {
                                        let id = r.id.clone();
                                        view! {
                                            <option value=r.id.clone() selected=move || role.get() == id>
                                                {r.name}
                                            </option>
                                        }
                                    })
                                    .collect_view()
                                    .into_any()
                            }
                        }}
                    </select>
                </div>
            </div>
            <ErrorBanner error=error />
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=busy>
                    "Add membership"
                </button>
                <Show when=move || can_cancel.get()>
                    <button type="button" class="btn btn-ghost" on:click=move |_| on_close.run(())>
                        "Cancel"
                    </button>
                </Show>
            </div>
        </form>
    }
}

/// What the membership form sends: the user picked from the list (else the one the typed
/// text names), the branch (none: every branch) and the role.
#[derive(Clone)]
struct NewMembership {
    picked: Option<UserSummary>,
    typed: String,
    branch_id: Option<String>,
    role_id: String,
}

/// `POST /v1/memberships` for the user `new` names; the user, once added.
async fn add_membership(org: Org, new: NewMembership) -> Result<UserSummary, ApiError> {
    let business_id = org.id.get_value();
    let user = match new.picked {
        Some(u) => u,
        None => resolve_user(&new.typed).await?,
    };
    let body = json!({
        "user_id": user.id,
        "business_id": business_id,
        "branch_id": new.branch_id,
        "role_id": new.role_id,
    });
    api::post::<_, Membership>("/v1/memberships", &body).await?;
    Ok(user)
}

/// The user the typed text names: an exact e-mail match, else the only match.
async fn resolve_user(typed: &str) -> Result<UserSummary, ApiError> {
    let found = model::search_users(typed, 10).await?;
    if let Some(u) = found.iter().find(|u| u.email.eq_ignore_ascii_case(typed)) {
        return Ok(u.clone());
    }
    match found.len() {
        0 => Err(ApiError::new(
            0,
            "client",
            format!("No user matches “{typed}”."),
        )),
        1 => Ok(found[0].clone()),
        _ => Err(ApiError::new(
            0,
            "client",
            format!("Several users match “{typed}”: pick one from the list."),
        )),
    }
}

/// A search box over `/v1/users?q=` with a listbox of matches (arrow keys + Enter, or
/// click). Typing an exact e-mail selects that user.
#[component]
fn UserPicker(query: RwSignal<String>, selected: RwSignal<Option<UserSummary>>) -> impl IntoView {
    let results = RwSignal::new(Vec::<UserSummary>::new());
    let open = RwSignal::new(false);
    let active = RwSignal::new(0usize);
    let search_error = RwSignal::new(None::<String>);
    // The text searched for: what was typed, once typing pauses.
    let term = RwSignal::new(String::new());
    let found = LocalResource::new(move || {
        let text = term.get();
        async move {
            if text.trim().is_empty() {
                return None;
            }
            let answer = model::search_users(&text, 8).await;
            Some((text, answer))
        }
    });
    let searching = move || {
        let t = term.get();
        !t.trim().is_empty()
            && found.with(|f| f.as_ref().and_then(Option::as_ref).map(|(text, _)| text) != Some(&t))
    };
    // An answer counts while its text is still what is typed.
    Effect::new(move |_| {
        let Some(Some((text, answer))) = found.get() else {
            return;
        };
        untrack(|| {
            if query.get_untracked() != text {
                return;
            }
            match answer {
                Ok(list) => {
                    let exact = list
                        .iter()
                        .find(|u| u.email.eq_ignore_ascii_case(text.trim()))
                        .cloned();
                    search_error.set(None);
                    active.set(0);
                    results.set(list);
                    open.set(true);
                    if let Some(u) = exact {
                        selected.set(Some(u));
                    }
                }
                Err(e) => search_error.set(Some(e.message)),
            }
        });
    });
    let search = move |text: String| {
        if text.trim().is_empty() {
            term.set(String::new());
            results.set(Vec::new());
            open.set(false);
            return;
        }
        set_timeout(
            move || {
                // Skip when typing went on: only the last keystroke's text is searched.
                if query.try_get_untracked().as_deref() == Some(text.as_str()) {
                    term.set(text);
                }
            },
            Duration::from_millis(220),
        );
    };
    let pick = move |u: UserSummary| {
        query.set(u.email.clone());
        selected.set(Some(u));
        open.set(false);
    };
    let keydown = move |ev: KeyboardEvent| {
        let n = results.with_untracked(Vec::len);
        match ev.key().as_str() {
            "ArrowDown" if n > 0 => {
                ev.prevent_default();
                open.set(true);
                active.update(|a| *a = (*a + 1) % n);
            }
            "ArrowUp" if n > 0 => {
                ev.prevent_default();
                open.set(true);
                active.update(|a| *a = (*a + n - 1) % n);
            }
            "Enter" if open.get_untracked() && n > 0 => {
                ev.prevent_default();
                if let Some(u) = results.with_untracked(|r| r.get(active.get_untracked()).cloned())
                {
                    pick(u);
                }
            }
            "Escape" if open.get_untracked() => {
                ev.prevent_default();
                open.set(false);
            }
            _ => {}
        }
    };

    view! {
        <div class="field org-user-field">
            <label for="org-m-user">"User"</label>
            <input
                id="org-m-user"
                class="input"
                type="search"
                autocomplete="off"
                placeholder="Search by e-mail or name"
                role="combobox"
                aria-autocomplete="list"
                aria-controls="org-m-user-list"
                aria-expanded=move || open.get().to_string()
                aria-activedescendant=move || {
                    (open.get() && !results.with(Vec::is_empty)).then(|| format!("org-m-user-opt-{}", active.get()))
                }
                prop:value=move || query.get()
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    query.set(text.clone());
                    if selected.with_untracked(|s| s.as_ref().is_some_and(|u| u.email != text)) {
                        selected.set(None);
                    }
                    search(text);
                }
                on:keydown=keydown
                on:blur=move |_| open.set(false)
                on:focus=move |_| {
                    if !results.with_untracked(Vec::is_empty) && selected.with_untracked(Option::is_none) {
                        open.set(true);
                    }
                }
            />
            {move || {
                open.get()
                    .then(|| view! { <Matches results=results active=active pick=Callback::new(pick) /> })
            }}
            <p class="hint">
                {move || match selected.get() {
                    Some(u) => format!("Selected: {}", u.email),
                    None if searching() => "Searching…".to_owned(),
                    None => "Type part of an e-mail or name, then pick the user.".to_owned(),
                }}
            </p>
            <ErrorBanner error=search_error />
        </div>
    }
}

/// The listbox of matching users (or a line saying there is none).
#[component]
fn Matches(
    results: RwSignal<Vec<UserSummary>>,
    active: RwSignal<usize>,
    pick: Callback<UserSummary>,
) -> impl IntoView {
    move || {
        let list = results.get();
        if list.is_empty() {
            return view! { <p class="org-picker-empty muted">"No user matches. Create the user on the Users page first."</p> }
                .into_any();
        }
        view! {
            <ul class="org-picker" id="org-m-user-list" role="listbox" aria-label="Matching users">
                {list
                    .into_iter()
                    .enumerate()
                    .map(|(i, u)| {
                        let for_pick = u.clone();
                        let suspended = u.status == "suspended";
                        view! {
                            <li
                                role="option"
                                id=format!("org-m-user-opt-{i}")
                                class="org-picker-option"
                                class:active=move || active.get() == i
                                aria-selected=move || (active.get() == i).to_string()
                                on:mousedown=move |ev| {
                                    ev.prevent_default();
                                    pick.run(for_pick.clone());
                                }
                            >
                                <span>{u.email.clone()}</span>
                                {u.name.clone().filter(|n| !n.is_empty()).map(|n| view! { <span class="muted">{n}</span> })}
                                {suspended.then(|| view! { <span class="badge badge-warn">"suspended"</span> })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    }
}
