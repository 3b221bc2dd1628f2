//! Users: the searchable, paged list with a create form and an invite form
//! (`invitation`), and one user's page (profile, a pending invitation,
//! password, sign-in factors and MFA, suspension, SSO sessions, memberships, delete), and
//! the accounts whose sign-in is throttled.

mod consents;
mod detail;
mod factors;
mod invitation;
mod list;
mod memberships;
mod sessions;
mod throttles;

pub use detail::UserPage;
pub use list::UsersPage;

use leptos::prelude::*;

use crate::api::ApiError;
use crate::pages::products::form::{banner_for, message_for};

/// `GET /v1/users/{id}` (and the writes that answer with the user), and
/// `GET /v1/users?q=&status=&limit=&cursor=`.
pub(crate) use tessera_proto::users::{User, UserPage as UserList};

/// What the console reads off a user.
pub(crate) trait UserExt {
    fn suspended(&self) -> bool;
    /// The name when there is one, else the email.
    fn display(&self) -> String;
}

impl UserExt for User {
    fn suspended(&self) -> bool {
        self.status == "suspended"
    }
    fn display(&self) -> String {
        self.name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| self.email.clone())
    }
}

/// The status as a badge: Active (green), Suspended (amber) or Invited.
#[component]
pub(crate) fn StatusBadge(#[prop(into)] status: Signal<String>) -> impl IntoView {
    move || {
        match status.get().as_str() {
        "active" => view! { <span class="badge badge-ok">"Active"</span> }.into_any(),
        "suspended" => view! { <span class="badge badge-warn">"Suspended"</span> }.into_any(),
        "invited" => view! {
            <span class="badge badge-muted" title="Invited by email; no password chosen yet">"Invited"</span>
        }
        .into_any(),
        other => view! { <span class="badge badge-muted">{other.to_string()}</span> }.into_any(),
    }
    }
}

/// The message under an email input: a taken address (409) belongs there too.
pub(crate) fn email_error(error: RwSignal<Option<ApiError>>) -> Signal<Option<String>> {
    Signal::derive(move || {
        let e = error.get()?;
        if e.code == "conflict" {
            return Some(e.message);
        }
        message_for(Some(&e), &["email"])
    })
}

/// The form's banner: any error not shown under one of `fields` (nor under the email).
pub(crate) fn form_banner(
    error: RwSignal<Option<ApiError>>,
    fields: &'static [&'static str],
) -> Signal<Option<String>> {
    Signal::derive(move || {
        error
            .get()
            .filter(|e| e.code != "conflict")
            .and_then(|e| banner_for(Some(&e), fields))
    })
}

/// Opens the modal `dialog` (after `reset`) when `open` turns true, closes it when false.
pub(crate) fn sync_dialog(
    dialog: NodeRef<leptos::html::Dialog>,
    open: RwSignal<bool>,
    reset: impl Fn() + 'static,
) {
    Effect::new(move |_| {
        let want = open.get();
        let Some(el) = dialog.get() else { return };
        if want && !el.open() {
            reset();
            let _ = el.show_modal();
        } else if !want && el.open() {
            el.close();
        }
    });
}
