//! "Send test email" and the outbox (`GET /v1/email-outbox`): the newest emails with
//! their state (queued, retrying with the last error, sent, failed). The list reloads
//! every 2 s while an email is on its way, so the test email's result shows by itself.

use std::time::Duration;

use leptos::prelude::*;
use tessera_proto::email::{Outbox, OutboxEmail, QueuedEmail, SendTestEmail};

use crate::api::{self, ApiError};
use crate::components::time::{local, relative};
use crate::components::{on_done, Empty, ErrorBanner, Loaded};

const POLL: Duration = Duration::from_secs(2);

/// The outbox shown on the page and the test email being followed.
#[derive(Clone, Copy)]
pub struct OutboxState {
    list: LocalResource<Result<Outbox, ApiError>>,
    /// The id of the last test email sent from this page.
    test: RwSignal<Option<String>>,
}

impl OutboxState {
    fn pending(self) -> bool {
        let waiting = |e: &OutboxEmail| e.status == "queued" || e.status == "retrying";
        match self.list.get() {
            Some(Ok(o)) => {
                let test_unseen = self
                    .test
                    .get()
                    .is_some_and(|id| !o.emails.iter().any(|e| e.id == id));
                test_unseen || o.emails.iter().any(waiting)
            }
            _ => false,
        }
    }

    fn test_email(self) -> Option<OutboxEmail> {
        let id = self.test.get()?;
        match self.list.get() {
            Some(Ok(o)) => o.emails.into_iter().find(|e| e.id == id),
            _ => None,
        }
    }
}

/// Loads the outbox and reloads it while something is on its way.
pub fn use_outbox() -> OutboxState {
    let list = LocalResource::new(|| api::get::<Outbox>("/v1/email-outbox?limit=20"));
    let state = OutboxState {
        list,
        test: RwSignal::new(None),
    };
    if let Ok(tick) = set_interval_with_handle(
        move || {
            if untrack(|| state.pending()) {
                list.refetch();
            }
        },
        POLL,
    ) {
        on_cleanup(move || tick.clear());
    }
    state
}

/// A status as a badge.
#[component]
fn StatusBadge(status: String) -> impl IntoView {
    let (class, label) = match status.as_str() {
        "sent" => ("badge badge-ok", "Sent"),
        "retrying" => ("badge badge-warn", "Retrying"),
        "failed" => ("badge badge-bad", "Failed"),
        _ => ("badge badge-muted", "Queued"),
    };
    view! { <span class=class data-status=status.clone()>{label}</span> }
}

/// "Send test email" to an address, then the email's state as the outbox shows it.
#[component]
pub fn TestEmailForm(outbox: OutboxState) -> impl IntoView {
    let to = RwSignal::new(String::new());
    let send = Action::new_local(|to: &String| {
        let body = SendTestEmail { to: to.clone() };
        async move { api::post::<_, QueuedEmail>("/v1/settings/email:test", &body).await }
    });
    on_done(send, move |answer| {
        if let Ok(q) = answer {
            outbox.test.set(Some(q.id));
            outbox.list.refetch();
        }
    });
    let failed = Signal::derive(move || match send.value().get() {
        Some(Err(e)) => Some(e.message),
        _ => None,
    });
    let result = move || {
        outbox.test_email().map(|e| {
            let detail = match e.status.as_str() {
                "sent" => format!("Delivered to the SMTP server for {}.", e.to),
                "queued" => "Waiting for the SMTP server…".to_string(),
                _ => e.last_error.clone().unwrap_or_default(),
            };
            view! {
                <p class="badges test-email-result" role="status">
                    <StatusBadge status=e.status.clone() />
                    <span class="muted">{detail}</span>
                </p>
            }
        })
    };
    view! {
        <form class="stack" novalidate on:submit=move |ev| {
            ev.prevent_default();
            send.dispatch_local(to.get_untracked().trim().to_string());
        }>
            <ErrorBanner error=failed />
            <div class="row">
                <div class="field field-inline">
                    <label for="test-email-to">"Send a test email to"</label>
                    <input id="test-email-to" class="input" type="email" autocomplete="email"
                        placeholder="you@example.com"
                        prop:value=to on:input=move |ev| to.set(event_target_value(&ev)) />
                </div>
                <button type="submit" class="btn" disabled=move || send.pending().get()>
                    {move || if send.pending().get() { "Sending…" } else { "Send test email" }}
                </button>
            </div>
            {result}
        </form>
    }
}

/// The newest emails with their state.
#[component]
pub fn OutboxCard(outbox: OutboxState) -> impl IntoView {
    view! {
        <section class="card stack" aria-labelledby="outbox-title">
            <h2 class="card-title" id="outbox-title">"Email outbox"</h2>
            <Loaded resource=outbox.list let:o>
                {if o.emails.is_empty() {
                    view! { <Empty title="No emails yet" hint="Password resets, verifications, invitations and test emails show here with their delivery state." /> }.into_any()
                } else {
                    view! { <OutboxTable emails=o.emails /> }.into_any()
                }}
            </Loaded>
        </section>
    }
}

#[component]
fn OutboxTable(emails: Vec<OutboxEmail>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table outbox-table">
                <thead>
                    <tr>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Attempts"</th>
                        <th scope="col">"Queued"</th>
                    </tr>
                </thead>
                <tbody>
                    {emails.into_iter().map(|e| view! {
                        <tr data-email-id=e.id.clone()>
                            <td>
                                <div>{e.subject.clone()}</div>
                                <div class="muted small">{format!("{} · {}", e.to, e.kind)}</div>
                            </td>
                            <td>
                                <StatusBadge status=e.status.clone() />
                                {e.last_error.clone().map(|m| view! { <div class="muted small">{m}</div> })}
                            </td>
                            <td>{e.attempts}</td>
                            <td title=local(e.created_at)>{relative(e.created_at)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
