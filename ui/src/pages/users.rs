//! Users: the searchable, paged list with a create form, and one user's page (profile,
//! password, suspension, SSO sessions, memberships, delete), and the accounts whose
//! sign-in is throttled.

mod detail;
mod list;
mod memberships;
mod sessions;
mod throttles;

pub use detail::UserPage;
pub use list::UsersPage;

use leptos::prelude::*;
use serde::Deserialize;

use crate::api::ApiError;
use crate::pages::products::form::{banner_for, message_for};

/// `GET /v1/users/{id}` (and the writes that answer with the user).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub(crate) struct User {
    pub id: String,
    pub email: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(default)]
    pub email_verified: bool,
    pub status: String,
    #[serde(default)]
    pub is_superadmin: bool,
    pub created_at: i64,
    #[serde(default)]
    pub updated_at: i64,
}

impl User {
    pub fn suspended(&self) -> bool {
        self.status == "suspended"
    }
    /// The name when there is one, else the email.
    pub fn display(&self) -> String {
        self.name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| self.email.clone())
    }
}

/// `GET /v1/users?q=&status=&limit=&cursor=`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub(crate) struct UserList {
    pub users: Vec<User>,
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// The status as a badge: Active (green) or Suspended (amber).
#[component]
pub(crate) fn StatusBadge(#[prop(into)] status: Signal<String>) -> impl IntoView {
    move || match status.get().as_str() {
        "active" => view! { <span class="badge badge-ok">"Active"</span> }.into_any(),
        "suspended" => view! { <span class="badge badge-warn">"Suspended"</span> }.into_any(),
        other => view! { <span class="badge badge-muted">{other.to_string()}</span> }.into_any(),
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
