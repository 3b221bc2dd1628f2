//! The users list: search (debounced, the API's `q`), a status filter, 50 per page with
//! the API's cursor, the "Create user" and "Invite user" forms, and above them the
//! throttled accounts.

use std::sync::Arc;
use std::time::Duration;

use leptos::prelude::*;
use serde::Serialize;

use super::factors::has_factor;
use super::invitation::{InviteButton, InviteUserDialog};
use super::throttles::ThrottlePanel;
use super::{email_error, form_banner, sync_dialog, StatusBadge, User, UserList};
use crate::api::{self, ApiError};
use crate::app::query_param;
use crate::components::time::{local, relative};
use crate::components::{
    on_done, toast, Empty, EmptyAction, ErrorBanner, Loading, PageHeader, Pager,
};
use crate::pages::products::form::{message_for, FieldError};
use crate::pages::products::hooks::load_failed;

const LIMIT: usize = 50;
const DEBOUNCE: Duration = Duration::from_millis(300);

/// What the list shows: the search (as typed, and as searched), the status filter, the
/// page (the API's cursor, and those of the pages before it).
#[derive(Clone, Copy)]
struct Listing {
    typed: RwSignal<String>,
    query: RwSignal<String>,
    status: RwSignal<String>,
    cursor: RwSignal<Option<String>>,
    previous: RwSignal<Vec<Option<String>>>,
    /// The user created last: shown first on the list's first page (new users sort last,
    /// maybe pages away) until the search, filter or page changes.
    just_created: RwSignal<Option<User>>,
}

impl Listing {
    /// As the page's URL says (`?q=&status=`).
    fn from_url() -> Self {
        let initial_q = query_param("q").unwrap_or_default();
        Self {
            query: RwSignal::new(initial_q.trim().to_string()),
            typed: RwSignal::new(initial_q),
            status: RwSignal::new(query_param("status").unwrap_or_default()),
            cursor: RwSignal::new(None),
            previous: RwSignal::new(Vec::new()),
            just_created: RwSignal::new(None),
        }
    }

    /// The API path of what is shown (tracked: the list reloads when it changes).
    fn path(self) -> String {
        let mut path = format!("/v1/users?limit={LIMIT}");
        let q = self.query.get();
        if !q.is_empty() {
            path.push_str(&format!("&q={}", api::enc(&q)));
        }
        let st = self.status.get();
        if !st.is_empty() {
            path.push_str(&format!("&status={}", api::enc(&st)));
        }
        if let Some(c) = self.cursor.get() {
            path.push_str(&format!("&cursor={}", api::enc(&c)));
        }
        path
    }

    fn filtered(self) -> bool {
        !self.query.get().is_empty() || !self.status.get().is_empty()
    }

    /// Back to the first page.
    fn restart(self) {
        self.just_created.set(None);
        self.previous.set(Vec::new());
        self.cursor.set(None);
    }

    /// No search, every status, the first page.
    fn clear(self) {
        self.typed.set(String::new());
        self.query.set(String::new());
        self.status.set(String::new());
        self.restart();
    }

    /// Searches for what was typed once typing pauses.
    fn search(self, v: String) {
        self.typed.set(v.clone());
        set_timeout(
            move || {
                // Skip when typing went on: only the last keystroke's value is searched.
                if self.typed.try_get_untracked().as_deref() == Some(v.as_str()) {
                    let q = v.trim().to_string();
                    if q != self.query.get_untracked() {
                        self.restart();
                        self.query.set(q);
                    }
                }
            },
            DEBOUNCE,
        );
    }

    /// Shows `u` on the unfiltered first page: reloaded with `reload` when already there.
    fn show_created(self, u: User, reload: impl FnOnce()) {
        let unfiltered = untrack(|| !self.filtered());
        if unfiltered && self.cursor.get_untracked().is_none() {
            reload();
        } else {
            self.clear();
        }
        self.just_created.set(Some(u));
    }

    /// The rows for `list`: the user created last first on the first page.
    fn rows(self, list: &[User]) -> Vec<User> {
        let mut rows = list.to_vec();
        if let Some(u) = self.just_created.get() {
            if self.previous.with(Vec::is_empty) && !rows.iter().any(|x| x.id == u.id) {
                rows.insert(0, u);
            }
        }
        rows
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let listing = Listing::from_url();
    let users = LocalResource::new(move || {
        let path = listing.path();
        async move { api::get::<UserList>(&path).await }
    });
    // True while a new search, filter or page loads (the table on screen stays till then).
    let updating = RwSignal::new(false);
    // `?new=1` (the dashboard's checklist) opens the "Create user" form at once.
    let creating = RwSignal::new(query_param("new").as_deref() == Some("1"));
    let on_created = Callback::new(move |u: User| {
        toast::show(format!("Created {}", u.email));
        listing.show_created(u, move || users.refetch());
    });
    let inviting = RwSignal::new(false);
    let on_invited = Callback::new(move |u: User| {
        toast::show(format!("Invitation sent to {}", u.email));
        listing.show_created(u, move || users.refetch());
    });

    view! {
        <section class="page users-page">
            <PageHeader title="Users" subtitle="People who sign in to your products.".to_string()>
                <InviteButton open=inviting />
                <button type="button" class="btn btn-primary" on:click=move |_| creating.set(true)>
                    "Create user"
                </button>
            </PageHeader>
            <CreateUserDialog open=creating on_created=on_created />
            <InviteUserDialog open=inviting on_invited=on_invited />
            <ThrottlePanel />
            <SearchBar
                listing=listing
                updating=Signal::derive(move || {
                    updating.get() && users.get().is_some_and(|r| r.is_ok())
                })
            />
            // Read as it stands, not awaited: see `hooks::reloading` (this one also says
            // when a new list is on its way).
            <Transition fallback=|| view! { <Loading /> } set_pending=updating.write_only()>
                {move || {
                    users.get().map(|answer| match answer {
                        Ok(page) => view! { <UsersTable listing=listing page=page updating=updating creating=creating /> }.into_any(),
                        Err(e) => load_failed(e),
                    })
                }}
            </Transition>
        </section>
    }
}

/// The search box, the status filter and "Updating…" while a new list loads.
#[component]
fn SearchBar(listing: Listing, updating: Signal<bool>) -> impl IntoView {
    view! {
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
                    prop:value=move || listing.typed.get()
                    on:input=move |ev| listing.search(event_target_value(&ev))
                />
            </div>
            <div class="field field-inline">
                <label for="users-status">"Status"</label>
                <select
                    id="users-status"
                    class="select"
                    prop:value=move || listing.status.get()
                    on:change=move |ev| {
                        listing.restart();
                        listing.status.set(event_target_value(&ev));
                    }
                >
                    <option value="">"All"</option>
                    <option value="active">"Active"</option>
                    <option value="suspended">"Suspended"</option>
                    <option value="invited">"Invited"</option>
                </select>
            </div>
            <span class="spacer"></span>
            <Show when=move || updating.get()>
                <span class="muted" role="status">"Updating…"</span>
            </Show>
        </div>
    }
}

/// One page of users (or why there are none) and the pager.
#[component]
fn UsersTable(
    listing: Listing,
    page: UserList,
    updating: RwSignal<bool>,
    creating: RwSignal<bool>,
) -> impl IntoView {
    let UserList { users, next_cursor } = page;
    let users = Arc::new(users);
    let rows = move || listing.rows(&users);
    let has_prev = move || !listing.previous.with(Vec::is_empty);
    let has_next = next_cursor.is_some();
    view! {
        {move || {
            let rows = rows.clone();
            if rows().is_empty() {
                let (title, hint, action) = if listing.filtered() {
                    (
                        "No user matches",
                        "Try another part of the email or name, or clear the search and status filter.",
                        EmptyAction::button("Clear search and filter", move || listing.clear()),
                    )
                } else {
                    (
                        "No users yet",
                        "Create the first user: they can then sign in to your products.",
                        EmptyAction::button("Create user", move || creating.set(true)),
                    )
                };
                return view! { <Empty title=title hint=hint action=action /> }.into_any();
            }
            view! {
                <div class="table-wrap">
                    <table class="table users-table" aria-busy=move || updating.get().to_string()>
                        <thead>
                            <tr>
                                <th scope="col">"User"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col">"Email verified"</th>
                                <th scope="col">"Created"</th>
                            </tr>
                        </thead>
                        <tbody>
                            <For each=rows key=|u| (u.id.clone(), u.updated_at, u.status.clone()) let:u>
                                <UserRow u=u />
                            </For>
                        </tbody>
                    </table>
                </div>
            }
                .into_any()
        }}
        <Show when=move || has_prev() || has_next>
            <Pager
                has_prev=Signal::derive(has_prev)
                has_next=Signal::derive(move || has_next)
                on_prev=Callback::new(move |()| {
                    let mut stack = listing.previous.get_untracked();
                    if let Some(c) = stack.pop() {
                        listing.previous.set(stack);
                        listing.cursor.set(c);
                        to_top();
                    }
                })
                on_next=Callback::new({
                    let next_cursor = next_cursor.clone();
                    move |()| {
                        if let Some(next) = next_cursor.clone() {
                            listing.previous.update(|s| s.push(listing.cursor.get_untracked()));
                            listing.cursor.set(Some(next));
                            to_top();
                        }
                    }
                })
            />
        </Show>
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
                    {has_factor(&u.mfa)
                        .then(|| {
                            view! {
                                <span class="badge badge-muted" title="A second factor is enrolled">
                                    "MFA"
                                </span>
                            }
                        })}
                </span>
            </td>
            <td>{if u.email_verified { "Yes" } else { "No" }}</td>
            <td title=local(u.created_at)>{relative(u.created_at)}</td>
        </tr>
    }
}

#[derive(Clone, Serialize)]
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
    let create = Action::new_local(|body: &CreateBody| {
        let body = body.clone();
        async move { api::post::<_, User>("/v1/users", &body).await }
    });
    let busy = create.pending();
    on_done(create, move |result| match result {
        Ok(u) => {
            open.set(false);
            on_created.run(u);
        }
        Err(e) => error.set(Some(e)),
    });
    sync_dialog(dialog, open, move || {
        email.set(String::new());
        name.set(String::new());
        password.set(String::new());
        error.set(None);
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
        error.set(None);
        create.dispatch(CreateBody {
            email: e,
            password: pw,
            name: (!n.is_empty()).then_some(n),
        });
    };

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
            <ErrorBanner error=form_banner(error, FIELDS) />
            <NewUserFields email=email name=name password=password error=error />
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

/// The new user's email, name and password inputs, each with its error line.
#[component]
fn NewUserFields(
    email: RwSignal<String>,
    name: RwSignal<String>,
    password: RwSignal<String>,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let email_msg = email_error(error);
    let msg =
        move |f: &'static str| Signal::derive(move || message_for(error.get().as_ref(), &[f]));
    let password_msg = msg("password");
    view! {
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
                    aria-invalid=move || password_msg.get().is_some().to_string()
                    prop:value=move || password.get()
                    on:input=move |ev| password.set(event_target_value(&ev))
                />
                <p class="hint" id="new-user-password-hint">"At least 8 characters."</p>
                <FieldError message=password_msg id="new-user-password-error" />
            </div>
        </div>
    }
}
