//! The dashboard's first-run checklist: register a product → try its sign-in → see the
//! token in the audit feed → give a user a role in a branch. Each step is done, next (the
//! first one not done) or to do, with a button that does it. Shown until every step is
//! done or the super-admin dismisses it; "Show setup checklist" brings it back.
//!
//! The figures come from `GET /v1/stats` (`counts.products` and `setup`). Two facts live
//! in this browser's localStorage instead of on the server: the dismissal (keyed by
//! issuer, so another server on the same address starts with its own checklist), and when
//! the audit page was last opened (step 3 is done once that happened after the first
//! token of a product).

use leptos::prelude::*;
use tessera_proto::stats::Stats;

use crate::api;
use crate::components::toast;

const DISMISSED: &str = "tessera.checklist.dismissed:";
const AUDIT_OPENED: &str = "tessera.checklist.audit-opened-ms";
/// Slack for comparing the audit visit with the first token: the server's clock is known
/// to the second only.
const CLOCK_SLACK_MS: i64 = 2_000;

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

/// Notes that the audit page was opened now (step 3 counts the visit once a product has
/// been issued a token before it).
pub fn note_audit_opened() {
    if let Some(s) = storage() {
        let _ = s.set_item(AUDIT_OPENED, &format!("{:.0}", js_sys::Date::now()));
    }
}

fn audit_opened_ms() -> Option<i64> {
    let value = storage()?.get_item(AUDIT_OPENED).ok()??;
    value.parse::<i64>().ok()
}

/// Whether the audit page was opened (`opened_ms`, this browser's clock) after a product's
/// first token (`first_token_ms`, the server's clock); `skew_ms` is server minus browser.
pub fn audit_seen_after(first_token_ms: Option<i64>, opened_ms: Option<i64>, skew_ms: i64) -> bool {
    match (first_token_ms, opened_ms) {
        (Some(token), Some(opened)) => opened + skew_ms + CLOCK_SLACK_MS >= token,
        _ => false,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepState {
    Done,
    Next,
    Todo,
}

/// Every step not done is to do, but the first of them is next.
pub fn step_states(done: [bool; 4]) -> [StepState; 4] {
    let next = done.iter().position(|d| !d);
    std::array::from_fn(|i| match (done[i], next == Some(i)) {
        (true, _) => StepState::Done,
        (false, true) => StepState::Next,
        (false, false) => StepState::Todo,
    })
}

/// What the checklist shows, from one answer of `GET /v1/stats`.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    issuer: String,
    done: [bool; 4],
    /// Where "Try sign-in" goes.
    product_id: Option<String>,
}

impl Progress {
    /// `received_at`: this browser's clock (unix seconds) when the answer came.
    pub fn of(stats: &Stats, received_at: i64) -> Self {
        let server_now = stats.server.started_at + stats.server.uptime_seconds;
        let first_token = stats.setup.first_product_token_at_ms;
        let seen = audit_seen_after(
            first_token,
            audit_opened_ms(),
            (server_now - received_at) * 1000,
        );
        Self {
            issuer: stats.server.issuer.clone(),
            done: [
                stats.counts.products > 0,
                first_token.is_some(),
                seen,
                stats.setup.branch_membership,
            ],
            product_id: stats.setup.first_product_id.clone(),
        }
    }

    fn all_done(&self) -> bool {
        self.done.iter().all(|d| *d)
    }
}

/// Whether the checklist shows: dismissed (kept in localStorage) or shown again.
#[derive(Clone, Copy)]
pub struct ChecklistToggle {
    /// Bumped when the dismissal changes: localStorage is not reactive.
    changed: RwSignal<u32>,
    /// Shown again by the super-admin, even with every step done.
    reopened: RwSignal<bool>,
}

impl ChecklistToggle {
    pub fn new() -> Self {
        Self {
            changed: RwSignal::new(0),
            reopened: RwSignal::new(false),
        }
    }

    fn dismissed(self, issuer: &str) -> bool {
        self.changed.track();
        storage()
            .and_then(|s| s.get_item(&format!("{DISMISSED}{issuer}")).ok().flatten())
            .is_some()
    }

    fn visible(self, p: &Progress) -> bool {
        self.reopened.get() || !(self.dismissed(&p.issuer) || p.all_done())
    }

    fn dismiss(self, issuer: &str) {
        if let Some(s) = storage() {
            let _ = s.set_item(&format!("{DISMISSED}{issuer}"), "1");
        }
        self.reopened.set(false);
        self.changed.update(|n| *n += 1);
    }

    fn show(self, issuer: &str) {
        if let Some(s) = storage() {
            let _ = s.remove_item(&format!("{DISMISSED}{issuer}"));
        }
        self.reopened.set(true);
        self.changed.update(|n| *n += 1);
    }
}

/// "Show setup checklist", while it is hidden (for the page header).
#[component]
pub fn ShowChecklist(toggle: ChecklistToggle, progress: Memo<Option<Progress>>) -> impl IntoView {
    move || {
        let p = progress.get()?;
        (!toggle.visible(&p)).then(|| {
            view! {
                <button
                    type="button"
                    class="btn btn-small btn-ghost"
                    on:click=move |_| toggle.show(&p.issuer)
                >
                    "Show setup checklist"
                </button>
            }
        })
    }
}

/// The checklist card, while it shows.
#[component]
pub fn SetupChecklist(toggle: ChecklistToggle, progress: Memo<Option<Progress>>) -> impl IntoView {
    move || {
        let p = progress.get()?;
        toggle
            .visible(&p)
            .then(|| view! { <ChecklistCard p=p toggle=toggle /> })
    }
}

#[component]
fn ChecklistCard(p: Progress, toggle: ChecklistToggle) -> impl IntoView {
    let states = step_states(p.done);
    let done = p.done.iter().filter(|d| **d).count();
    let try_href = p
        .product_id
        .as_ref()
        .map(|id| format!("/console/products/{}#try-signin", api::enc(id)));
    let issuer = p.issuer.clone();
    let dismiss = move |_| {
        toggle.dismiss(&issuer);
        toast::show("Checklist hidden: “Show setup checklist” at the top brings it back");
    };
    let steps = [
        (
            "Register a product",
            "Name your app and the address users come back to after signing in; Tessera gives it a client id.",
            vec![("Register a product", Some("/console/products/new".to_owned()))],
        ),
        (
            "Try its sign-in",
            "Sign in to your product as a user, right from the console: real tokens of that product come back.",
            vec![("Try sign-in", try_href)],
        ),
        (
            "See the token in the audit feed",
            "Every token issued is an event in the audit log, and opens in the token inspector.",
            vec![("Open the audit feed", Some("/console/audit?type=token.issued".to_owned()))],
        ),
        (
            "Add a user and give them a role in a branch",
            "A role in a branch decides which of your products' scopes that person's tokens carry.",
            vec![
                ("Add a user", Some("/console/users?new=1".to_owned())),
                ("Give a role", Some("/console/businesses".to_owned())),
            ],
        ),
    ];
    let items = steps
        .into_iter()
        .zip(states)
        .enumerate()
        .map(|(i, ((title, hint, actions), state))| {
            view! { <Step number=i + 1 title=title hint=hint actions=actions state=state /> }
        })
        .collect_view();
    view! {
        <section class="card checklist" aria-labelledby="checklist-title" data-testid="setup-checklist">
            <div class="card-head">
                <div>
                    <h2 class="card-title" id="checklist-title">"Get started"</h2>
                    <p class="muted small">"From a new server to a real token of your own product in a few minutes."</p>
                </div>
                <div class="row">
                    <span class="muted small">{format!("{done} of 4 done")}</span>
                    <button
                        type="button"
                        class="btn btn-small btn-ghost"
                        aria-label="Dismiss the setup checklist"
                        on:click=dismiss
                    >
                        "Dismiss"
                    </button>
                </div>
            </div>
            <div
                class="checklist-bar"
                role="progressbar"
                aria-label="Setup progress"
                aria-valuemin="0"
                aria-valuemax="4"
                aria-valuenow=done
            >
                <span style:width=format!("{}%", done * 25)></span>
            </div>
            <ol class="checklist-steps">{items}</ol>
        </section>
    }
}

/// One step: its mark (✓ or its number), what it is, and its buttons (none once done).
#[component]
fn Step(
    number: usize,
    title: &'static str,
    hint: &'static str,
    actions: Vec<(&'static str, Option<String>)>,
    state: StepState,
) -> impl IntoView {
    let (key, said) = match state {
        StepState::Done => ("done", "done"),
        StepState::Next => ("next", "next step"),
        StepState::Todo => ("todo", "to do"),
    };
    let mark = if state == StepState::Done {
        "✓".to_owned()
    } else {
        number.to_string()
    };
    let buttons = if state == StepState::Done {
        view! { <span class="badge badge-ok">"Done"</span> }.into_any()
    } else {
        let class = if state == StepState::Next {
            "btn btn-small btn-primary"
        } else {
            "btn btn-small"
        };
        actions
            .into_iter()
            .map(|(label, href)| match href {
                Some(href) => view! { <a class=class href=href>{label}</a> }.into_any(),
                // "Try sign-in" before any product exists.
                None => view! {
                    <button type="button" class="btn btn-small" disabled title="Register a product first">
                        {label}
                    </button>
                }
                .into_any(),
            })
            .collect_view()
            .into_any()
    };
    view! {
        <li class="checklist-step" data-state=key>
            <span class="checklist-mark" aria-hidden="true">{mark}</span>
            <div class="checklist-text">
                <p class="checklist-title">
                    {title}
                    <span class="sr-only">{format!(" ({said})")}</span>
                </p>
                <p class="checklist-hint">{hint}</p>
            </div>
            <div class="checklist-actions">{buttons}</div>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_step_not_done_is_next() {
        use StepState::*;
        assert_eq!(step_states([false; 4]), [Next, Todo, Todo, Todo]);
        assert_eq!(
            step_states([true, false, false, true]),
            [Done, Next, Todo, Done]
        );
        assert_eq!(
            step_states([true, true, false, false]),
            [Done, Done, Next, Todo]
        );
        assert_eq!(step_states([true; 4]), [Done; 4]);
    }

    #[test]
    fn the_audit_visit_counts_after_the_first_token_only() {
        let token = Some(1_000_000);
        assert!(!audit_seen_after(None, Some(2_000_000), 0));
        assert!(!audit_seen_after(token, None, 0));
        assert!(audit_seen_after(token, Some(1_000_500), 0));
        assert!(!audit_seen_after(token, Some(990_000), 0));
        // The browser's clock is a minute behind the server's.
        assert!(audit_seen_after(token, Some(941_000), 60_000));
        assert!(!audit_seen_after(token, Some(1_000_500), -60_000));
    }
}
