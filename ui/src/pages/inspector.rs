//! The token inspector: paste a JWT (or open the claims an audit event recorded) and see
//! its header and claims explained, its times counting down live, its signature checked
//! with WebCrypto against this issuer's JWKS (or a pasted one), and every reason a
//! resource server would refuse it. Decoding and verification run in the page: the token
//! is never sent anywhere.

pub mod analysis;
mod assurance;
pub mod checks;
pub mod claims;
mod delegation;
mod inputs;
pub mod jwt;
mod state;
mod tried;
pub mod verify;

use leptos::prelude::*;
use serde_json::Value;

use crate::components::time;
use crate::components::{Empty, ErrorBanner, Loading, PageHeader};
use crate::pages::audit::{type_label, AuditEvent, EventExt};
use analysis::Analysis;
use inputs::Inputs;
use state::{use_inspection, Inspection};
use tried::{use_tried, TriedBanner};

/// The exact note shown over claims opened from the audit log.
const RECORDED_NOTE: &str = "Recorded claims — Tessera never stores tokens, so the signature \
                             cannot be checked from the audit log; paste the token to verify \
                             its signature.";

#[component]
pub fn InspectorPage() -> impl IntoView {
    let i = use_inspection();
    let tried = use_tried(i);
    view! {
        <section class="page inspector-page">
            <PageHeader
                title="Token inspector"
                subtitle="Decode a JWT, read what every claim means, check its signature and \
                          see why an API would refuse it."
                    .to_owned()
            />
            {tried.map(|t| view! { <TriedBanner tried=t i=i /> })}
            <p class="insp-privacy" role="note">
                <svg viewBox="0 0 20 20" aria-hidden="true" class="insp-lock">
                    <rect x="4" y="9" width="12" height="8" rx="2" fill="none" stroke="currentColor" stroke-width="1.8" />
                    <path d="M7 9V6.5a3 3 0 0 1 6 0V9" fill="none" stroke="currentColor" stroke-width="1.8" />
                </svg>
                <span>
                    "Nothing you paste leaves this machine: the token is decoded and its signature \
                     checked here in the page. The only requests fetch this issuer's public keys \
                     and the names of the users and apps it names, and they never carry the \
                     token."
                </span>
            </p>
            <Inputs i=i />
            <Inspected i=i />
        </section>
    }
}

/// Below the fields: the analysis of what is inspected, or why there is none.
#[component]
fn Inspected(i: Inspection) -> impl IntoView {
    move || {
        if let Some(s) = i.subject.get() {
            let origin = s.recorded.then(|| i.loaded_event()).flatten();
            let pasted_over_event = (!s.recorded).then(|| i.event_id.get_value()).flatten();
            return view! {
                {origin.map(|e| view! { <RecordedBanner event=e /> })}
                {pasted_over_event
                    .map(|id| {
                        view! {
                            <p class="insp-aside muted">
                                "Showing the pasted token. Clear the JWT field to see the claims audit event "
                                {id} " recorded."
                            </p>
                        }
                    })}
                <Analysis subject=s i=i />
            }
            .into_any();
        }
        if i.decoded.with(Option::is_some) {
            // The decode error is shown under the field.
            return ().into_any();
        }
        match i.event.get() {
            _ if i.event_id.with_value(Option::is_none) => view! { <InspectorEmpty /> }.into_any(),
            None => view! { <Loading /> }.into_any(),
            Some(None) => view! { <InspectorEmpty /> }.into_any(),
            Some(Some(Err(e))) => view! {
                <ErrorBanner error=e />
                <InspectorEmpty />
            }
            .into_any(),
            Some(Some(Ok(e))) => view! { <NoClaims event=e /> }.into_any(),
        }
    }
}

/// An event opened in the inspector that recorded no token claims.
#[component]
fn NoClaims(event: AuditEvent) -> impl IntoView {
    view! {
        <Empty
            title="This event recorded no token claims"
            hint=format!(
                "{} events do not carry the claims of a token. Open a “Token issued” or \
                 “Token refreshed” event, or paste a token above.",
                type_label(&event.kind),
            )
        >
            <a class="btn" href="/console/audit">"Back to the audit log"</a>
        </Empty>
    }
}

#[component]
fn InspectorEmpty() -> impl IntoView {
    view! {
        <Empty
            title="Paste a token to inspect it"
            hint="Paste an access token or an ID token into the JWT field: three base64url parts \
                  separated by dots, starting with “eyJ”. To look at a token the server issued, \
                  open its “Token issued” event in the audit log and choose “Open in inspector”."
                .to_owned()
        >
            <a class="btn" href="/console/audit">"Open the audit log"</a>
        </Empty>
    }
}

/// Where recorded claims came from, and why their signature cannot be checked.
#[component]
fn RecordedBanner(event: AuditEvent) -> impl IntoView {
    let ts = event.at_secs();
    let grant = event
        .detail
        .as_ref()
        .and_then(|d| d.get("grant_type"))
        .and_then(Value::as_str)
        .map(|g| format!(" · grant {g}"));
    view! {
        <div class="card insp-recorded" role="note">
            <p class="insp-recorded-note">{RECORDED_NOTE}</p>
            <p class="muted insp-recorded-from">
                "Audit event " <span class="mono">{event.id.clone()}</span> " · "
                {type_label(&event.kind)} " · " {time::local(ts)} {grant} " · "
                <a href="/console/audit">"Back to the audit log"</a>
            </p>
        </div>
    }
}
