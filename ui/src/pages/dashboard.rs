//! Dashboard: the first-run checklist (`checklist`), server state (issuer, port, uptime),
//! counts, tokens issued today and per hour over the last day (an SVG bar chart, `chart`),
//! and the newest audit events. From `GET /v1/stats`, refreshed every 15 s.

mod chart;
mod checklist;

use std::time::Duration;

use leptos::prelude::*;
use tessera_proto::stats::{HourCount, Stats};

use crate::api;
use crate::components::{time, CopyButton, ErrorBanner, Loading, PageHeader};
use crate::pages::audit::recent::RecentEvents;
use chart::TokenChart;
pub use checklist::note_audit_opened;
use checklist::{ChecklistToggle, Progress, SetupChecklist, ShowChecklist};

const REFRESH_EVERY: Duration = Duration::from_secs(15);

#[component]
pub fn DashboardPage() -> impl IntoView {
    let stats = LocalResource::new(|| api::get::<Stats>("/v1/stats"));
    if let Ok(handle) = set_interval_with_handle(move || stats.refetch(), REFRESH_EVERY) {
        on_cleanup(move || handle.clear());
    }
    // The last figures that came back, and when: kept (unchanged) while a refresh fails.
    let shown = Memo::new_owning(
        move |last: Option<Option<(Stats, i64)>>| match stats.get() {
            Some(Ok(fresh)) => (Some((fresh, time::now())), true),
            _ => (last.flatten(), false),
        },
    );
    let error = move || stats.get().and_then(Result::err);
    let badge = Signal::derive(move || match (error(), shown.with(Option::is_some)) {
        (Some(e), _) if e.status == 0 => Some(false),
        (_, true) => Some(true),
        _ => None,
    });
    let subtitle = "This server at a glance · refreshes every 15 s".to_owned();
    // Recomputed with every answer, but the checklist redraws only when it changes.
    let progress =
        Memo::new(move |_| shown.with(|s| s.as_ref().map(|(s, at)| Progress::of(s, *at))));
    let toggle = ChecklistToggle::new();

    view! {
        <section class="page">
            <PageHeader title="Dashboard" subtitle=subtitle>
                <ShowChecklist toggle=toggle progress=progress />
            </PageHeader>
            <SetupChecklist toggle=toggle progress=progress />
            <Transition fallback=Loading>
                <ErrorBanner error=Signal::derive(move || error().map(|e| e.message)) />
                {move || {
                    shown
                        .get()
                        .map(|(s, at)| view! { <Overview stats=s updated_at=Some(at) up=badge /> })
                }}
            </Transition>
        </section>
    }
}

/// "Server is up" / "Server is down" (the last refresh failed to reach it).
#[component]
fn UpBadge(up: Signal<Option<bool>>) -> impl IntoView {
    move || {
        let (class, text) = match up.get() {
            Some(true) => ("badge badge-lg badge-ok", "Server is up"),
            Some(false) => ("badge badge-lg badge-bad", "Server is down"),
            None => ("badge badge-lg badge-muted", "Checking…"),
        };
        view! {
            <span class=class role="status">
                <span class="dot" aria-hidden="true"></span>
                {text}
            </span>
        }
    }
}

#[component]
fn Overview(stats: Stats, updated_at: Option<i64>, up: Signal<Option<bool>>) -> impl IntoView {
    let today = tokens_today(&stats.tokens_per_hour);
    let last_day: i64 = stats.tokens_per_hour.iter().map(|b| b.count).sum();
    let port = api::port_of(&stats.server.listen).map_or_else(|| "—".to_owned(), |p| p.to_string());
    let issuer = stats.server.issuer.clone();
    let keys_text = match stats.counts.signing_keys {
        1 => "1 signing key published".to_owned(),
        n => format!("{n} signing keys published"),
    };
    let updated = updated_at.map(|t| {
        let at = time::local(t);
        view! { <span class="muted small">"Updated " {at}</span> }
    });
    view! {
        <section class="card" aria-labelledby="dash-server">
            <div class="card-head">
                <h2 class="card-title" id="dash-server">"Server"</h2>
                <UpBadge up=up />
            </div>
            <dl class="facts facts-4">
                <div class="fact fact-wide2">
                    <dt>"Issuer URL"</dt>
                    <dd class="row">
                        <code class="issuer">{issuer.clone()}</code>
                        <CopyButton text=issuer label="Copy" />
                    </dd>
                </div>
                <div class="fact">
                    <dt>"Port"</dt>
                    <dd><span class="big">{port}</span></dd>
                </div>
                <div class="fact">
                    <dt>"Uptime"</dt>
                    <dd><span class="big">{time::duration(stats.server.uptime_seconds.max(0) as u64)}</span></dd>
                </div>
            </dl>
            <p class="muted small card-foot">
                "Listening on " <span class="mono">{stats.server.listen.clone()}</span>
                " · version " {stats.server.version.clone()}
                " · " {keys_text} " · " {updated}
            </p>
        </section>
        <div class="stats">
            <div class="stat">
                <span class="stat-value">{stats.counts.products}</span>
                <span class="stat-label">"Products"</span>
            </div>
            <div class="stat">
                <span class="stat-value">{stats.counts.users}</span>
                <span class="stat-label">"Users"</span>
            </div>
            <div class="stat">
                <span class="stat-value">{stats.counts.businesses}</span>
                <span class="stat-label">"Businesses"</span>
            </div>
            <div class="stat">
                <span class="stat-value">{today}</span>
                <span class="stat-label">"Tokens issued today"</span>
            </div>
        </div>
        <div class="stack">
            <section class="card" aria-labelledby="dash-chart">
                <div class="card-head">
                    <h2 class="card-title" id="dash-chart">"Tokens issued per hour"</h2>
                    <span class="muted small">{last_day} " in the last 24 h"</span>
                </div>
                <TokenChart buckets=stats.tokens_per_hour.clone() />
            </section>
            <section class="card" aria-labelledby="dash-events">
                <div class="card-head">
                    <h2 class="card-title" id="dash-events">"Recent events"</h2>
                    <a href="/console/audit" class="btn btn-small btn-ghost">"View all"</a>
                </div>
                <RecentEvents events=stats.recent_events.clone() />
            </section>
        </div>
    }
}

/// Sum of the buckets whose hour starts in the local "today".
fn tokens_today(buckets: &[HourCount]) -> i64 {
    let midnight = js_sys::Date::new_0();
    midnight.set_hours(0);
    midnight.set_minutes(0);
    midnight.set_seconds(0);
    midnight.set_milliseconds(0);
    let start = (midnight.get_time() / 1000.0) as i64;
    buckets
        .iter()
        .filter(|b| b.hour_start >= start)
        .map(|b| b.count)
        .sum()
}
