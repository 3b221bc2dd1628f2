//! The users list: search (debounced, the API's `q`), a status filter, 50 per page with
//! the API's cursor, the "Create user" form, and above them the throttled accounts.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Serialize;

use super::throttles::ThrottlePanel;
use super::{StatusBadge, User, UserList};
use crate::api::{self, ApiError};
use crate::app::query_param;
use crate::components::time::{local, relative};
use crate::components::{toast, Empty, ErrorBanner, Loading, PageHeader, Pager};
use crate::pages::products::form::{banner_for, message_for, FieldError};

const LIMIT: usize = 50;
const DEBOUNCE: Duration = Duration::from_millis(300);

#[component]
pub fn UsersPage() -> impl IntoView {
    let initial_q = query_param("q").unwrap_or_default();
    let typed = RwSignal::new(initial_q.clone());
    let query = RwSignal::new(initial_q.trim().to_string());
    let status = RwSignal::new(query_param("status").unwrap_or_default());
    let cursor = RwSignal::new(None::<String>);
    let previous = RwSignal::new(Vec::<Option<String>>::new());
    let data = RwSignal::new(None::<UserList>);
    let error = RwSignal::new(None::<String>);
    let loading = RwSignal::new(true);
    let generation = StoredValue::new(0u32);
    let creating = RwSignal::new(false);
    // The user created last: shown first on the list's first page (new users sort last,
    // maybe pages away) until the search, filter or page changes.
    let just_created = RwSignal::new(None::<User>);

    let load = move || {
        let g = generation.get_value().wrapping_add(1);
        generation.set_value(g);
        let mut path = format!("/v1/users?limit={LIMIT}");
        let q = query.get_untracked();
        if !q.is_empty() {
            path.push_str(&format!("&q={}", api::enc(&q)));
        }
        let st = status.get_untracked();
        if !st.is_empty() {
            path.push_str(&format!("&status={}", api::enc(&st)));
        }
        if let Some(c) = cursor.get_untracked() {
            path.push_str(&format!("&cursor={}", api::enc(&c)));
        }
        loading.set(true);
        spawn_local(async move {
            let result = api::get::<UserList>(&path).await;
            // Only the newest request counts (typing fires several).
            if generation.try_get_value() != Some(g) {
                return;
            }
            loading.set(false);
            match result {
                Ok(list) => {
                    error.set(None);
                    data.set(Some(list));
                }
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    Effect::new(move |_| {
        query.track();
        status.track();
        cursor.track();
        load();
    });
    let restart = move || {
        just_created.set(None);
        previous.set(Vec::new());
        cursor.set(None);
    };
    let on_search = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev);
        typed.set(v.clone());
        set_timeout(
            move || {
                // Skip when typing went on: only the last keystroke's value is searched.
                if typed.try_get_untracked().as_deref() == Some(v.as_str()) {
                    let q = v.trim().to_string();
                    if q != query.get_untracked() {
                        restart();
                        query.set(q);
                    }
                }
            },
            DEBOUNCE,
        );
    };

    let users = move || {
        let mut list = data.get().map(|d| d.users).unwrap_or_default();
        if let Some(u) = just_created.get() {
            if previous.with(Vec::is_empty) && !list.iter().any(|x| x.id == u.id) {
                list.insert(0, u);
            }
        }
        list
    };
    let filtered = move || !query.get().is_empty() || !status.get().is_empty();

    view! {
        <section class="page users-page">
            <PageHeader title="Users" subtitle="People who sign in to your products.".to_string()>
                <button type="button" class="btn btn-primary" on:click=move |_| creating.set(true)>
                    "Create user"
                </button>
            </PageHeader>
            <CreateUserDialog
                open=creating
                on_created=Callback::new(move |u: User| {
                    toast::show(format!("Created {}", u.email));
                    // Show the new user on the unfiltered first page.
                    if query.get_untracked().is_empty() && status.get_untracked().is_empty()
                        && cursor.get_untracked().is_none()
                    {
                        load();
                    } else {
                        typed.set(String::new());
                        query.set(String::new());
                        status.set(String::new());
                        restart();
                    }
                    just_created.set(Some(u));
                })
            />
            <ThrottlePanel />
            <div class="toolbar" role="search">
                <div class="field field-inline">
                    <label for="users-search">"Search users"</label>
                    <input
                        id="users-search"
                        class="input"
                        type="search"
                        placeholder="Email or name"
                        autocomplete="off"
                        maxlength="200"
                        prop:value=move || typed.get()
                        on:input=on_search
                    />
                </div>
                <div class="field field-inline">
                    <label for="users-status">"Status"</label>
                    <select
                        id="users-status"
                        class="select"
                        prop:value=move || status.get()
                        on:change=move |ev| {
                            restart();
                            status.set(event_target_value(&ev));
                        }
                    >
                        <option value="">"All"</option>
                        <option value="active">"Active"</option>
                        <option value="suspended">"Suspended"</option>
                    </select>
                </div>
                <span class="spacer"></span>
                <Show when=move || loading.get() && data.with(Option::is_some)>
                    <span class="muted" role="status">"Updating…"</span>
                </Show>
            </div>
            <ErrorBanner error=Signal::derive(move || error.get()) />
            {move || {
                if data.with(Option::is_none) {
                    return if error.get().is_none() { view! { <Loading /> }.into_any() } else { ().into_any() };
                }
                if users().is_empty() {
                    let (title, hint) = if filtered() {
                        (
                            "No user matches",
                            "Try another part of the email or name, or clear the search and status filter.".to_string(),
                        )
                    } else {
                        (
                            "No users yet",
                            "Create the first user: they can then sign in to your products.".to_string(),
                        )
                    };
                    return view! {

                            <Empty title=title hint=hint />
                    }
                        .into_any();
                }
                view! {
                    <div class="table-wrap">
                        <table class="table users-table" aria-busy=move || loading.get().to_string()>
                            <thead>
                                <tr>
                                    <th scope="col">"User"</th>
                                    <th scope="col">"Status"</th>
                                    <th scope="col">"Email verified"</th>
                                    <th scope="col">"Created"</th>
                                </tr>
                            </thead>
                            <tbody>
                                <For each=users key=|u| (u.id.clone(), u.updated_at, u.status.clone()) let:u>
                                    <UserRow u=u />
                                </For>
                            </tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }}
            <Show when=move || { !previous.get().is_empty() || data.get().is_some_and(|d| d.next_cursor.is_some()) }>
                <Pager
                    has_prev=Signal::derive(move || !previous.get().is_empty())
                    has_next=Signal::derive(move || data.get().is_some_and(|d| d.next_cursor.is_some()))
                    on_prev=Callback::new(move |()| {
                        let mut stack = previous.get_untracked();
                        if let Some(c) = stack.pop() {
                            previous.set(stack);
                            cursor.set(c);
                            to_top();
                        }
                    })
                    on_next=Callback::new(move |()| {
                        if let Some(next) = data.get_untracked().and_then(|d| d.next_cursor) {
                            previous.update(|s| s.push(cursor.get_untracked()));
                            cursor.set(Some(next));
                            to_top();
                        }
                    })
                />
            </Show>
        </section>
    }
}

/// A new page of the table starts at its top.
fn to_top() {
    if let Some(main) = document().get_element_by_id("main") {
        main.set_scroll_top(0);
    }
    window().scroll_to_with_x_and_y(0.0, 0.0);
}

#[component]
fn UserRow(u: User) -> impl IntoView {
    let href = format!("/console/users/{}", api::enc(&u.id));
    let name = u.name.clone().filter(|n| !n.trim().is_empty());
    view! {
        <tr>
            <td>
                <a href=href class="row-link">{u.email.clone()}</a>
                {name.map(|n| view! { <div class="muted small">{n}</div> })}
            </td>
            <td>
                <span class="badges">
                    <StatusBadge status=u.status.clone() />
                    {u.is_superadmin.then(|| view! { <span class="badge badge-muted">"Super-admin"</span> })}
                </span>
            </td>
            <td>{if u.email_verified { "Yes" } else { "No" }}</td>
            <td title=local(u.created_at)>{relative(u.created_at)}</td>
        </tr>
    }
}

#[derive(Serialize)]
struct CreateBody {
    email: String,
    password: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

const FIELDS: &[&str] = &["email", "name", "password"];

/// "Create user" in a modal dialog: email, name, password (the API's rules: a valid
/// address, at least 8 characters). Esc or Cancel closes it.
#[component]
fn CreateUserDialog(open: RwSignal<bool>, on_created: Callback<User>) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    Effect::new(move |_| {
        let want = open.get();
        let Some(el) = dialog.get() else { return };
        if want && !el.open() {
            email.set(String::new());
            name.set(String::new());
            password.set(String::new());
            error.set(None);
            let _ = el.show_modal();
        } else if !want && el.open() {
            el.close();
        }
    });

    let submit = move || {
        if busy.get_untracked() {
            return;
        }
        let local = |field: &str, msg: &str| {
            Some(ApiError::new(
                0,
                "validation_failed",
                format!("{field}: {msg}"),
            ))
        };
        let e = email.get_untracked().trim().to_string();
        let pw = password.get_untracked();
        if e.is_empty() {
            error.set(local("email", "enter the user's email address"));
            return;
        }
        if pw.chars().count() < 8 {
            error.set(local("password", "must be at least 8 characters"));
            return;
        }
        let n = name.get_untracked().trim().to_string();
        let body = CreateBody {
            email: e,
            password: pw,
            name: (!n.is_empty()).then_some(n),
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = api::post::<_, User>("/v1/users", &body).await;
            if busy.try_set(false).is_some() {
                return;
            }
            match result {
                Ok(u) => {
                    open.set(false);
                    on_created.run(u);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    // A taken email (409) belongs under the email input.
    let email_msg = Signal::derive(move || {
        let e = error.get()?;
        if e.code == "conflict" {
            return Some(e.message);
        }
        message_for(Some(&e), &["email"])
    });
    let banner = Signal::derive(move || {
        error
            .get()
            .filter(|e| e.code != "conflict")
            .and_then(|e| banner_for(Some(&e), FIELDS))
    });
    let msg =
        move |f: &'static str| Signal::derive(move || message_for(error.get().as_ref(), &[f]));

    view! {
        <dialog
            class="dialog create-user-dialog"
            node_ref=dialog
            aria-labelledby="create-user-title"
            on:close=move |_| open.set(false)
        >
        <form
            class="stack"
            novalidate
            on:submit=move |ev| {
                ev.prevent_default();
                submit();
            }
        >
            <h2 class="dialog-title" id="create-user-title">"Create user"</h2>
            <ErrorBanner error=banner />
            <div class="stack">
                <div class="field">
                    <label for="new-user-email">"Email"</label>
                    <input
                        id="new-user-email"
                        class="input"
                        type="email"
                        autocomplete="off"
                        required
                        aria-describedby="new-user-email-error"
                        aria-invalid=move || email_msg.get().is_some().to_string()
                        prop:value=move || email.get()
                        on:input=move |ev| email.set(event_target_value(&ev))
                    />
                    <FieldError message=email_msg id="new-user-email-error" />
                </div>
                <div class="field">
                    <label for="new-user-name">"Name"</label>
                    <input
                        id="new-user-name"
                        class="input"
                        type="text"
                        autocomplete="off"
                        placeholder="Optional"
                        aria-describedby="new-user-name-error"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                    <FieldError message=msg("name") id="new-user-name-error" />
                </div>
                <div class="field">
                    <label for="new-user-password">"Password"</label>
                    <input
                        id="new-user-password"
                        class="input"
                        type="password"
                        autocomplete="new-password"
                        required
                        minlength="8"
                        aria-describedby="new-user-password-hint new-user-password-error"
                        aria-invalid=move || msg("password").get().is_some().to_string()
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))
                    />
                    <p class="hint" id="new-user-password-hint">"At least 8 characters."</p>
                    <FieldError message=msg("password") id="new-user-password-error" />
                </div>
            </div>
            <div class="dialog-actions">
                <button type="button" class="btn btn-ghost" on:click=move |_| open.set(false)>
                    "Cancel"
                </button>
                <button type="submit" class="btn btn-primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Creating…" } else { "Create user" }}
                </button>
            </div>
        </form>
        </dialog>
    }
}
