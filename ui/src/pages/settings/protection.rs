//! The "Sign-in protection" card: the server's throttle policy and hashing bound in
//! words (`throttle` of `GET /v1/settings`). Read-only: the server fixes these.

use leptos::prelude::*;
use tessera_proto::settings::ThrottlePolicy;

/// "1 minute", "15 minutes", "1 hour", "90 seconds".
fn span(secs: i64) -> String {
    let (n, unit) = if secs >= 3600 && secs % 3600 == 0 {
        (secs / 3600, "hour")
    } else if secs >= 60 && secs % 60 == 0 {
        (secs / 60, "minute")
    } else {
        (secs, "second")
    };
    counted(n, unit)
}

/// "1 wrong password", "5 wrong passwords".
fn counted(n: i64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The card, once `/v1/settings` has answered with a policy (nothing before: the
/// settings card above shows the loading state and any error).
#[component]
pub fn ProtectionCard(#[prop(into)] policy: Signal<Option<ThrottlePolicy>>) -> impl IntoView {
    move || {
        policy.get().map(|p| {
            let cap = span(p.max_backoff_secs);
            let account = format!(
                "{} within {} → sign-in to that account pauses, growing with each further failure to at most {cap}.",
                counted(p.account_failures, "wrong password"),
                span(p.account_window_secs),
            );
            let ip = format!(
                "{} within {} → sign-in from that address pauses the same way.",
                counted(p.ip_failures, "failed sign-in"),
                span(p.ip_window_secs),
            );
            let client = format!(
                "{} within {} → the token endpoint refuses that client the same way.",
                counted(p.client_failures, "wrong client secret"),
                span(p.client_window_secs),
            );
            let hashing = format!(
                "At most {} at once; further sign-ins wait briefly, then are asked to retry (HTTP 503), so a flood of guesses cannot exhaust the server's memory.",
                counted(i64::try_from(p.hash_concurrency).unwrap_or(i64::MAX), "password check"),
            );
            view! {
                <section class="card stack" aria-labelledby="protection-title">
                    <h2 class="card-title" id="protection-title">"Sign-in protection"</h2>
                    <dl class="kv protection-rules">
                        <dt>"One account"</dt>
                        <dd>{account}</dd>
                        <dt>"One IP address"</dt>
                        <dd>{ip}</dd>
                        <dt>"One client"</dt>
                        <dd>{client}</dd>
                        <dt>"Password checks"</dt>
                        <dd>{hashing}</dd>
                    </dl>
                    <p class="hint">
                        "While a sign-in is paused even the right password is refused (HTTP 429 with Retry-After), so guessing learns nothing; a pause always ends by itself. "
                        "The "<a href="/console/users">"Users"</a>" page lists paused accounts and can clear one sooner."
                    </p>
                </section>
            }
        })
    }
}
