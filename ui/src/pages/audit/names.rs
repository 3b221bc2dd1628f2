//! What a person reads for an event's ids: the label the server sent (a user's email, a
//! product, business or branch name), else the id itself (a long one shortened); the full
//! id is always on hover.

use leptos::prelude::*;

use super::model::AuditEvent;

/// One id of an event as shown.
#[derive(Clone, Debug, PartialEq)]
pub struct Named {
    /// The label, or the (shortened) id when there is none.
    pub text: String,
    pub id: String,
    /// Whether `text` is a name (else it is the id: shown in a monospace font).
    pub known: bool,
}

/// `label` for `id`, or the id when the server knew no name (e.g. a deleted user).
pub fn named(label: Option<&String>, id: Option<&String>) -> Option<Named> {
    let id = id.filter(|v| !v.is_empty())?;
    Some(match label.filter(|v| !v.is_empty()) {
        Some(l) => Named {
            text: l.clone(),
            id: id.clone(),
            known: true,
        },
        None => Named {
            text: short_id(id),
            id: id.clone(),
            known: false,
        },
    })
}

/// The names of an event's ids.
pub trait EventNames {
    fn actor_name(&self) -> Option<Named>;
    fn subject_name(&self) -> Option<Named>;
    fn client_name(&self) -> Option<Named>;
    fn org_name(&self) -> Option<Named>;
    fn branch_name(&self) -> Option<Named>;
    /// "who → whom · via client" in names, and the same in ids for the hover title.
    fn who(&self) -> (String, String);
}

impl EventNames for AuditEvent {
    fn actor_name(&self) -> Option<Named> {
        named(self.actor_label.as_ref(), self.actor.as_ref())
    }

    fn subject_name(&self) -> Option<Named> {
        named(self.subject_label.as_ref(), self.subject.as_ref())
    }

    fn client_name(&self) -> Option<Named> {
        named(self.client_label.as_ref(), self.client_id.as_ref())
    }

    fn org_name(&self) -> Option<Named> {
        named(self.org_label.as_ref(), self.org.as_ref())
    }

    fn branch_name(&self) -> Option<Named> {
        named(self.branch_label.as_ref(), self.branch.as_ref())
    }

    fn who(&self) -> (String, String) {
        let (actor, subject) = (self.actor_name(), self.subject_name());
        let pair = |f: fn(&Named) -> &String| match (&actor, &subject) {
            (Some(a), Some(s)) if a.id != s.id => format!("{} → {}", f(a), f(s)),
            (Some(a), _) => f(a).clone(),
            (None, Some(s)) => f(s).clone(),
            (None, None) => String::new(),
        };
        let (mut text, mut ids) = (pair(|n| &n.text), pair(|n| &n.id));
        // Which client it went through, unless the actor or the subject already says so.
        if let Some(c) = self.client_name() {
            let said =
                |n: &Option<Named>| n.as_ref().is_some_and(|n| n.id == c.id || n.text == c.text);
            if !said(&actor) && !said(&subject) {
                let sep = if text.is_empty() { "" } else { " · " };
                text = format!("{text}{sep}via {}", c.text);
                ids = format!("{ids}{sep}via {}", c.id);
            }
        }
        (text, ids)
    }
}

/// A name with its id on hover (the id itself, in monospace, when no name is known).
#[component]
pub fn NameOf(named: Named) -> impl IntoView {
    let class = if named.known {
        "audit-name"
    } else {
        "audit-name mono"
    };
    view! { <span class=class title=named.id>{named.text}</span> }
}

/// A UUID-like id shortened to its first 8 characters ("01a211a8…"); other text as is.
pub fn short_id(id: &str) -> String {
    let looks_like_uuid = id.len() == 36 && id.chars().filter(|&c| c == '-').count() == 4;
    if looks_like_uuid {
        format!("{}…", &id[..8])
    } else {
        id.to_owned()
    }
}
