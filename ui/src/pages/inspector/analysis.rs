//! The verdict, the header and the claims of what is inspected: the signature check, the
//! live expiry countdown, why a resource server would refuse it, how the user signed in
//! (`amr`, `acr`/`aal`), the tables with what every member and claim means, and the raw JSON.

use leptos::prelude::*;
use serde_json::Value;

use super::assurance::SignInCard;
use super::checks::Level;
use super::claims::{self, Kind};
use super::delegation::DelegationCard;
use super::state::{Inspection, Sig, Subject};
use crate::components::time;
use crate::pages::audit;

#[component]
pub fn Analysis(subject: Subject, i: Inspection) -> impl IntoView {
    let kind = claims::kind(subject.header.as_ref(), &subject.claims);
    let recorded = subject.recorded;
    let exp = subject.claims.get("exp").and_then(Value::as_i64);
    let iat = subject.claims.get("iat").and_then(Value::as_i64);
    let now = i.now;
    let header_rows = subject
        .header
        .as_ref()
        .map(claims::header_order)
        .unwrap_or_default();
    let claim_rows = claims::claim_order(&subject.claims);
    let sub_is_client = subject.claims.get("sub").is_some()
        && subject.claims.get("sub") == subject.claims.get("client_id");
    let raw_header = subject
        .header
        .as_ref()
        .and_then(|h| serde_json::to_string_pretty(h).ok());
    let raw_claims = serde_json::to_string_pretty(&subject.claims).unwrap_or_default();
    let header_table = if header_rows.is_empty() {
        view! {
            <p class="muted">
                {if recorded { "This event recorded no header." } else { "The header is empty." }}
            </p>
        }
        .into_any()
    } else {
        view! { <ClaimTable rows=header_rows header=true kind=kind now=now sub_is_client=false /> }
            .into_any()
    };
    view! {
        <div class="card insp-verdict">
            <div class="insp-kind">
                <span class="badge badge-muted">{kind.label()}</span>
                <span class="muted">{kind.blurb()}</span>
            </div>
            <div class="insp-verdict-grid">
                <SigStatus i=i recorded=recorded />
                {exp.map(|exp| view! { <Expiry exp=exp iat=iat now=now /> })}
            </div>
            <h2 class="insp-h">"Would an API accept it?"</h2>
            <Verdict i=i recorded=recorded />
        </div>

        {claims::has_sign_in(&subject.claims)
            .then(|| view! { <SignInCard claims=subject.claims.clone() /> })}
        {subject.claims.contains_key("act")
            .then(|| view! { <DelegationCard claims=subject.claims.clone() /> })}

        <div class="card insp-table-card">
            <h2 class="card-title">"Header"</h2>
            {header_table}
        </div>

        <div class="card insp-table-card">
            <h2 class="card-title">{if recorded { "Recorded claims" } else { "Claims" }}</h2>
            <ClaimTable rows=claim_rows header=false kind=kind now=now sub_is_client=sub_is_client />
        </div>

        <details class="card insp-raw">
            <summary>"Raw JSON"</summary>
            {raw_header
                .map(|h| {
                    view! {
                        <h3 class="insp-raw-title">"Header"</h3>
                        <pre class="secret insp-pre">{h}</pre>
                    }
                })}
            <h3 class="insp-raw-title">{if recorded { "Recorded claims" } else { "Payload" }}</h3>
            <pre class="secret insp-pre">{raw_claims}</pre>
        </details>
    }
}

/// Whether the signature matches (recorded claims carry none).
#[component]
fn SigStatus(i: Inspection, recorded: bool) -> impl IntoView {
    move || {
        if recorded {
            return view! {
                <div class="insp-sig insp-sig-none">
                    <span class="insp-sig-icon" aria-hidden="true">"–"</span>
                    <div>
                        <strong>"Signature not checked"</strong>
                        <p class="muted">"Recorded claims carry no signature."</p>
                    </div>
                </div>
            }
            .into_any();
        }
        let (class, icon, title, detail) = match i.signature() {
            Sig::Idle | Sig::Checking | Sig::NoKey { .. } => (
                "insp-sig insp-sig-none",
                "…",
                "Checking the signature…".to_owned(),
                String::new(),
            ),
            Sig::Valid { kid, source } => (
                "insp-sig insp-sig-ok",
                "✓",
                "Signature valid".to_owned(),
                format!("RS256, verified with key “{kid}” from {source}."),
            ),
            Sig::Invalid { kid, source } => (
                "insp-sig insp-sig-bad",
                "✕",
                "Signature invalid".to_owned(),
                format!(
                    "It does not match key “{kid}” from {source}: the token was altered, or \
                     signed with another key."
                ),
            ),
            Sig::Unsigned => (
                "insp-sig insp-sig-bad",
                "✕",
                "No signature".to_owned(),
                "The token is unsigned (alg “none”): anyone could have written it.".to_owned(),
            ),
            Sig::Unchecked(why) => (
                "insp-sig insp-sig-warn",
                "!",
                "Signature not checked".to_owned(),
                capitalize(&format!("{why}.")),
            ),
        };
        view! {
            <div class=class role="status">
                <span class="insp-sig-icon" aria-hidden="true">{icon}</span>
                <div>
                    <strong>{title}</strong>
                    {(!detail.is_empty()).then(|| view! { <p class="muted">{detail}</p> })}
                </div>
            </div>
        }
        .into_any()
    }
}

/// "Expires in …" / "Expired … ago", counting down, with the share of the lifetime left.
#[component]
fn Expiry(exp: i64, iat: Option<i64>, now: ReadSignal<i64>) -> impl IntoView {
    move || {
        let n = now.get();
        let left = exp - n;
        let (class, text) = if left > 0 {
            (
                if left <= 60 {
                    "insp-expiry insp-expiry-soon"
                } else {
                    "insp-expiry"
                },
                format!("Expires in {}", claims::span(left.unsigned_abs())),
            )
        } else {
            (
                "insp-expiry insp-expiry-gone",
                format!("Expired {} ago", claims::span(left.unsigned_abs())),
            )
        };
        let pct = match iat {
            Some(iat) if exp > iat => {
                ((exp - n) as f64 / (exp - iat) as f64).clamp(0.0, 1.0) * 100.0
            }
            _ => 0.0,
        };
        view! {
            <div class=class>
                <div class="insp-expiry-text">
                    <strong>{text}</strong>
                    <span class="muted">{time::local(exp)}</span>
                </div>
                <div class="insp-bar" aria-hidden="true">
                    <span style:width=format!("{pct:.1}%")></span>
                </div>
            </div>
        }
    }
}

/// Yes or no, and every reason a resource server would refuse it.
#[component]
fn Verdict(i: Inspection, recorded: bool) -> impl IntoView {
    move || {
        let list = i.findings.get().unwrap_or_default();
        let mut refusals: Vec<String> = Vec::new();
        if let Sig::Invalid { kid, source } = i.signature() {
            if !recorded {
                refusals.push(format!(
                    "The signature does not match key “{kid}” from {source}."
                ));
            }
        }
        refusals.extend(
            list.iter()
                .filter(|f| f.level == Level::Refuse)
                .map(|f| f.text.clone()),
        );
        let notes: Vec<String> = list
            .iter()
            .filter(|f| f.level == Level::Note)
            .map(|f| f.text.clone())
            .collect();
        let sig_ok = matches!(i.signature(), Sig::Valid { .. });
        let headline = if !refusals.is_empty() {
            let n = refusals.len();
            view! {
                <p class="insp-answer insp-answer-bad">
                    {format!(
                        "No — a resource server would refuse it ({n} {}):",
                        if n == 1 { "reason" } else { "reasons" },
                    )}
                </p>
            }
            .into_any()
        } else if sig_ok {
            view! {
                <p class="insp-answer insp-answer-ok">
                    "Yes — valid signature, and no reason to refuse it was found."
                </p>
            }
            .into_any()
        } else {
            view! {
                <p class="insp-answer">
                    "No reason to refuse it was found in the checks that could run — but the \
                     signature is not checked, and a resource server checks it first."
                </p>
            }
            .into_any()
        };
        view! {
            {headline}
            {(!refusals.is_empty())
                .then(|| {
                    view! {
                        <ul class="insp-reasons">
                            {refusals.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}
                        </ul>
                    }
                })}
            {(!notes.is_empty())
                .then(|| {
                    view! {
                        <ul class="insp-notes">
                            {notes.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}
                        </ul>
                    }
                })}
        }
    }
}

#[component]
fn ClaimTable(
    rows: Vec<(String, Value)>,
    header: bool,
    kind: Kind,
    now: ReadSignal<i64>,
    sub_is_client: bool,
) -> impl IntoView {
    let first = if header { "Member" } else { "Claim" };
    let body = rows
        .into_iter()
        .map(|(name, value)| {
            let mut meaning = if header {
                claims::header_meaning(&name).to_owned()
            } else {
                claims::claim_meaning(&name, kind).to_owned()
            };
            if !header && name == "sub" && sub_is_client {
                meaning.push_str(
                    " Here it is the client itself: a service-to-service token, no user.",
                );
            }
            let value_view = render_value(&name, &value, header, now);
            view! {
                <tr>
                    <th scope="row" class="mono insp-name">{name}</th>
                    <td class="insp-value">{value_view}</td>
                    <td class="insp-meaning">{meaning}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table insp-table">
                <thead>
                    <tr>
                        <th scope="col">{first}</th>
                        <th scope="col">"Value"</th>
                        <th scope="col">"What it means"</th>
                    </tr>
                </thead>
                <tbody>{body}</tbody>
            </table>
        </div>
    }
}

fn render_value(name: &str, value: &Value, header: bool, now: ReadSignal<i64>) -> AnyView {
    if !header && claims::TIME_CLAIMS.contains(&name) {
        if let Some(ts) = value.as_i64() {
            return view! {
                <div>{time::local(ts)}</div>
                <div class="insp-rel">{move || claims::relative_to(ts, now.get())}</div>
                <div class="mono muted insp-raw-num">{ts}</div>
            }
            .into_any();
        }
    }
    if !header && name == "scope" {
        if let Some(s) = value.as_str() {
            let items: Vec<String> = s.split_whitespace().map(String::from).collect();
            return chips(items);
        }
    }
    match value {
        Value::String(s) => view! { <span class="mono insp-break">{s.clone()}</span> }.into_any(),
        Value::Array(items) if items.iter().all(|v| !v.is_object() && !v.is_array()) => {
            chips(items.iter().map(audit::detail::plain).collect())
        }
        Value::Object(obj) => {
            let rows = obj
                .iter()
                .map(|(k, v)| {
                    view! {
                        <dt class="mono">{k.clone()}</dt>
                        <dd class="mono insp-break">{audit::detail::plain(v)}</dd>
                    }
                })
                .collect_view();
            view! { <dl class="kv insp-nested">{rows}</dl> }.into_any()
        }
        Value::Bool(b) => view! { <span class="mono">{b.to_string()}</span> }.into_any(),
        other => view! { <span class="mono insp-break">{other.to_string()}</span> }.into_any(),
    }
}

fn chips(items: Vec<String>) -> AnyView {
    if items.is_empty() {
        return view! { <span class="muted">"(none)"</span> }.into_any();
    }
    view! {
        <span class="insp-chips">
            {items
                .into_iter()
                .map(|i| view! { <span class="badge badge-muted mono">{i}</span> })
                .collect_view()}
        </span>
    }
    .into_any()
}

/// "the key…" → "The key…".
fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
