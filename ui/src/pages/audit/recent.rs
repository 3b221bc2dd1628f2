//! Short event lists outside the audit page: the dashboard's "Recent events" and the
//! "Recent activity" card of a user's or a product's page (its latest events by the
//! `user` / `product` filter), names shown as on the audit page, ids on hover.

use leptos::prelude::*;

use super::model::{type_label, AuditEvent, AuditPage, EventExt};
use super::names::EventNames;
use crate::api;
use crate::components::{time, Empty, ErrorBanner};

/// Events in the card of a user or a product.
const ACTIVITY: u32 = 10;

/// A compact list of events, newest first: what happened, who (names), when.
#[component]
pub fn RecentEvents(
    events: Vec<AuditEvent>,
    #[prop(
        default = "Sign-ins, token issuance and every admin change appear here as they happen."
    )]
    empty_hint: &'static str,
) -> impl IntoView {
    if events.is_empty() {
        return view! { <Empty title="No events yet" hint=empty_hint /> }.into_any();
    }
    let items = events
        .into_iter()
        .map(|e| {
            let at = e.at_secs();
            let (who, ids) = e.who();
            let outcome = (!e.ok()).then(|| {
                view! { <span class="badge badge-bad">{e.outcome.clone()}</span> }
            });
            view! {
                <li>
                    <span class="row event-what">
                        <span class="event-type" title=e.kind.clone()>{type_label(&e.kind)}</span>
                        {outcome}
                    </span>
                    <span class="event-who" title=ids>{who}</span>
                    <time class="event-time" title=time::local(at)>{time::relative(at)}</time>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="event-list">{items}</ul> }.into_any()
}

/// "Recent activity": the latest events of one user (`filter="user"`, `value` an email
/// or id) or product (`filter="product"`, `value` its id), and a link to all of them on
/// the audit page.
#[component]
pub fn RecentActivity(filter: &'static str, #[prop(into)] value: Signal<String>) -> impl IntoView {
    let events = LocalResource::new(move || {
        let value = value.get();
        async move {
            if value.is_empty() {
                return Ok(Vec::new());
            }
            let path = format!(
                "/v1/audit-events?{filter}={}&limit={ACTIVITY}",
                api::enc(&value)
            );
            api::get::<AuditPage>(&path).await.map(|p| p.events)
        }
    });
    let all = move || format!("/console/audit?{filter}={}", api::enc(&value.get()));
    let hint = if filter == "user" {
        "Sign-ins, tokens and admin changes of this user appear here."
    } else {
        "Sign-ins and tokens of this product's apps appear here."
    };
    view! {
        <section class="card recent-activity" aria-labelledby="recent-activity-title">
            <div class="card-head">
                <h2 class="card-title" id="recent-activity-title">"Recent activity"</h2>
                <a href=all class="btn btn-small btn-ghost">"View all in audit log"</a>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    events
                        .get()
                        .map(|r| match r {
                            Ok(list) => view! { <RecentEvents events=list empty_hint=hint /> }.into_any(),
                            Err(e) => view! { <ErrorBanner error=Some(e.message) /> }.into_any(),
                        })
                }}
            </Transition>
        </section>
    }
}
