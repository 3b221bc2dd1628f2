//! The event detail panel: every field of one audit event as readable key/value rows,
//! its `detail` as tables (recorded token header and claims get their own), and for token
//! events with recorded claims the way into the inspector.

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use serde_json::{Map, Value};

use super::model::{type_label, AuditEvent, EventExt};
use super::names::{EventNames, Named};
use crate::components::time;

/// Claims and detail fields that hold Unix-second times.
const TIME_KEYS: &[&str] = &["exp", "iat", "nbf", "auth_time", "expires_at", "issued_at"];

#[component]
pub fn EventDetail(event: AuditEvent, #[prop(into)] on_close: Callback<()>) -> impl IntoView {
    let close_button = NodeRef::<html::Button>::new();
    // Focus moves into the panel when it opens (and when another row is picked).
    Effect::new(move |_| {
        if let Some(button) = close_button.get() {
            let _ = button.focus();
        }
    });
    let on_keydown = move |ev: ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            on_close.run(());
        }
    };

    let ts = event.at_secs();
    let mut rows: Vec<(&'static str, AnyView)> = vec![
        (
            "Type",
            view! {
                <span>{type_label(&event.kind)}</span>
                " "
                <span class="mono muted">{event.kind.clone()}</span>
            }
            .into_any(),
        ),
        (
            "Outcome",
            if event.ok() {
                view! { <span class="badge badge-ok">"success"</span> }.into_any()
            } else {
                view! { <span class="badge badge-bad">"failure"</span> }.into_any()
            },
        ),
        (
            "Time",
            view! {
                <span>{time::local(ts)}</span>
                " "
                <span class="muted">"(" {time::relative(ts)} ")"</span>
            }
            .into_any(),
        ),
        ("Event id", mono(&event.id)),
    ];
    let names = [
        ("Actor", event.actor_name()),
        ("Subject", event.subject_name()),
        ("Client", event.client_name()),
        ("Business", event.org_name()),
        ("Branch", event.branch_name()),
    ];
    for (label, named) in names {
        if let Some(named) = named {
            rows.push((label, name_and_id(named)));
        }
    }
    let optional: [(&'static str, &Option<String>); 3] = [
        ("Token id (jti)", &event.jti),
        ("IP address", &event.ip),
        ("User agent", &event.user_agent),
    ];
    for (label, value) in optional {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            rows.push((label, mono(v)));
        }
    }
    let facts = rows
        .into_iter()
        .map(|(label, value)| {
            view! {
                <dt>{label}</dt>
                <dd>{value}</dd>
            }
        })
        .collect_view();

    let has_claims = event.recorded_claims().is_some();
    let inspect = {
        let event = event.clone();
        move |_| super::open_in_inspector(&event)
    };
    let detail = detail_tables(event.detail.as_ref());

    view! {
        <aside
            class="audit-drawer"
            role="dialog"
            aria-modal="false"
            aria-labelledby="audit-drawer-title"
            on:keydown=on_keydown
        >
            <header class="audit-drawer-head">
                <h2 id="audit-drawer-title">"Event details"</h2>
                <button
                    type="button"
                    class="btn btn-ghost btn-small"
                    node_ref=close_button
                    aria-label="Close event details"
                    on:click=move |_| on_close.run(())
                >
                    "Close"
                </button>
            </header>
            <div class="audit-drawer-body">
                {has_claims
                    .then(|| {
                        view! {
                            <div class="audit-drawer-actions">
                                <button type="button" class="btn btn-primary" on:click=inspect>
                                    "Open in inspector"
                                </button>
                                <span class="muted">
                                    "See the recorded claims explained and checked."
                                </span>
                            </div>
                        }
                    })}
                <dl class="kv audit-kv">{facts}</dl>
                {detail}
            </div>
        </aside>
    }
}

/// The name, and the full id under it (only the id when no name is known).
fn name_and_id(named: Named) -> AnyView {
    if !named.known {
        return mono(&named.id);
    }
    view! {
        <span class="audit-name">{named.text}</span>
        <span class="mono muted small audit-break audit-detail-id">{named.id}</span>
    }
    .into_any()
}

fn mono(v: &str) -> AnyView {
    view! { <span class="mono audit-break">{v.to_owned()}</span> }.into_any()
}

/// `detail` as tables: top-level scalar fields in "Details", each nested object in its
/// own table. A detail that is plain text is shown as such.
fn detail_tables(detail: Option<&Value>) -> AnyView {
    let Some(detail) = detail.filter(|d| !d.is_null()) else {
        return ().into_any();
    };
    let Some(obj) = detail.as_object() else {
        return view! {
            <h3 class="audit-section">"Details"</h3>
            <p class="audit-break">{plain(detail)}</p>
        }
        .into_any();
    };
    let mut scalars: Vec<(String, String)> = Vec::new();
    let mut sections: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for (key, value) in ordered(obj) {
        match value {
            Value::Object(inner) => {
                let mut rows = Vec::new();
                flatten("", inner, &mut rows);
                sections.push((section_title(key), rows));
            }
            _ => scalars.push((humanize(key), field_value(key, value))),
        }
    }
    let scalar_table = (!scalars.is_empty()).then(|| {
        view! {
            <h3 class="audit-section">"Details"</h3>
            {table("Field", scalars, false)}
        }
    });
    let nested = sections
        .into_iter()
        .map(|(title, rows)| {
            view! {
                <h3 class="audit-section">{title}</h3>
                {table("Name", rows, true)}
            }
        })
        .collect_view();
    view! {
        {scalar_table}
        {nested}
    }
    .into_any()
}

fn table(first: &'static str, rows: Vec<(String, String)>, raw_names: bool) -> impl IntoView {
    let name_class = if raw_names { "mono" } else { "" };
    view! {
        <div class="table-wrap">
            <table class="table audit-detail-table">
                <thead>
                    <tr>
                        <th scope="col">{first}</th>
                        <th scope="col">"Value"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|(k, v)| {
                            view! {
                                <tr>
                                    <th scope="row" class=name_class>{k}</th>
                                    <td class="audit-break">{v}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// Standard claims first, in the order people read them; the rest alphabetically.
fn ordered(obj: &Map<String, Value>) -> Vec<(&String, &Value)> {
    const FIRST: &[&str] = &[
        "grant_type",
        "header",
        "claims",
        "alg",
        "typ",
        "kid",
        "iss",
        "sub",
        "aud",
        "client_id",
        "azp",
        "scope",
        "org",
        "branch",
        "exp",
        "iat",
        "nbf",
        "auth_time",
        "jti",
        "sid",
    ];
    let mut items: Vec<(&String, &Value)> = obj.iter().collect();
    items.sort_by_key(|(k, _)| {
        (
            FIRST.iter().position(|f| f == k).unwrap_or(FIRST.len()),
            (*k).clone(),
        )
    });
    items
}

fn flatten(prefix: &str, obj: &Map<String, Value>, out: &mut Vec<(String, String)>) {
    for (key, value) in ordered(obj) {
        let name = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Object(inner) if !inner.is_empty() => flatten(&name, inner, out),
            _ => out.push((name, field_value(key, value))),
        }
    }
}

fn section_title(key: &str) -> String {
    match key {
        "claims" => "Recorded token claims".to_owned(),
        "header" => "Recorded token header".to_owned(),
        other => humanize(other),
    }
}

/// "grant_type" → "Grant type".
fn humanize(key: &str) -> String {
    let words = key.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn field_value(key: &str, value: &Value) -> String {
    if let (true, Some(ts)) = (TIME_KEYS.contains(&key), value.as_i64()) {
        return format!("{} ({})", time::local(ts), time::relative(ts));
    }
    plain(value)
}

/// A JSON value as text a person reads (no quotes, lists comma-separated).
pub fn plain(value: &Value) -> String {
    match value {
        Value::Null => "—".to_owned(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) if items.is_empty() => "(none)".to_owned(),
        Value::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join(", "),
        Value::Object(obj) => obj
            .iter()
            .map(|(k, v)| format!("{k}: {}", plain(v)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}
