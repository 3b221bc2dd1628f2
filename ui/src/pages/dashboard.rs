//! Dashboard: server state (issuer, port, uptime), counts, tokens issued today and per
//! hour over the last day (an SVG bar chart), and the newest audit events. From
//! `GET /v1/stats`, refreshed every 15 s.

use std::time::Duration;

use leptos::prelude::*;
use tessera_proto::stats::{HourCount, Stats};

use crate::api;
use crate::components::{time, CopyButton, ErrorBanner, Loading, PageHeader};
use crate::pages::audit::recent::RecentEvents;

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

    view! {
        <section class="page">
            <PageHeader title="Dashboard" subtitle=subtitle />
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

fn local_hour(ts: i64) -> u32 {
    js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ts as f64 * 1000.0)).get_hours()
}

/// Bars for each hour (oldest first, the last one is the current hour), a label every
/// six hours, two grid lines. Each bar has a `<title>` with its hour and count.
#[component]
fn TokenChart(buckets: Vec<HourCount>) -> impl IntoView {
    const W: f64 = 700.0;
    const H: f64 = 190.0;
    const LEFT: f64 = 28.0;
    const BOTTOM: f64 = 22.0;
    const TOP: f64 = 8.0;
    let n = buckets.len().max(1) as f64;
    let max = buckets.iter().map(|b| b.count).max().unwrap_or(0);
    // A round top for the scale: 1, 2, 5, 10, 20, 50…
    let scale = nice_ceiling(max.max(1));
    let plot_h = H - BOTTOM - TOP;
    let slot = (W - LEFT) / n;
    let bar_w = (slot * 0.7).max(2.0);
    let total: i64 = buckets.iter().map(|b| b.count).sum();
    let busiest = buckets
        .iter()
        .filter(|b| b.count > 0)
        .max_by_key(|b| b.count)
        .map(|b| {
            format!(
                "; busiest hour {:02}:00 with {}",
                local_hour(b.hour_start),
                b.count
            )
        })
        .unwrap_or_default();
    let description = format!("{total} tokens issued in the last 24 hours{busiest}.");
    let last = buckets.len().saturating_sub(1);
    let bars = buckets
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let h = (b.count as f64 / scale as f64) * plot_h;
            let h = if b.count > 0 { h.max(2.0) } else { 0.0 };
            let x = LEFT + i as f64 * slot + (slot - bar_w) / 2.0;
            let y = TOP + plot_h - h;
            let hour = local_hour(b.hour_start);
            let label = format!(
                "{:02}:00–{:02}:00{}: {} {}",
                hour,
                (hour + 1) % 24,
                if i == last { " (now)" } else { "" },
                b.count,
                if b.count == 1 { "token" } else { "tokens" }
            );
            let class = if i == last { "bar-now" } else { "bar" };
            // A transparent full-height hit area keeps hover titles usable on tiny bars.
            view! {
                <g>
                    <title>{label}</title>
                    <rect x=x y=TOP width=bar_w height=plot_h fill="transparent" />
                    <rect class=class x=x y=y width=bar_w height=h rx="2" />
                </g>
            }
        })
        .collect_view();
    let labels = buckets
        .iter()
        .enumerate()
        // Every six hours, plus "now" (a six-hour label too close to it is skipped).
        .filter(|(i, b)| {
            *i == last
                || (local_hour(b.hour_start).is_multiple_of(6) && last.saturating_sub(*i) > 2)
        })
        .map(|(i, b)| {
            let x = LEFT + i as f64 * slot + slot / 2.0;
            let text = if i == last {
                "now".to_owned()
            } else {
                format!("{:02}:00", local_hour(b.hour_start))
            };
            view! { <text class="axis-label" x=x y=H - 6.0 text-anchor="middle">{text}</text> }
        })
        .collect_view();
    let half = scale as f64 / 2.0;
    let half_label = if scale % 2 == 0 {
        (scale / 2).to_string()
    } else {
        format!("{half:.1}")
    };
    view! {
        <svg
            class="chart"
            viewBox=format!("0 0 {W} {H}")
            role="img"
            aria-labelledby="chart-title chart-desc"
        >
            <title id="chart-title">"Tokens issued per hour over the last 24 hours"</title>
            <desc id="chart-desc">{description}</desc>
            <line class="grid-line" x1=LEFT x2=W y1=TOP y2=TOP />
            <line class="grid-line" x1=LEFT x2=W y1=TOP + plot_h / 2.0 y2=TOP + plot_h / 2.0 />
            <line class="grid-line" x1=LEFT x2=W y1=TOP + plot_h y2=TOP + plot_h />
            <text class="axis-label" x=LEFT - 6.0 y=TOP + 4.0 text-anchor="end">{scale}</text>
            <text class="axis-label" x=LEFT - 6.0 y=TOP + plot_h / 2.0 + 4.0 text-anchor="end">{half_label}</text>
            <text class="axis-label" x=LEFT - 6.0 y=TOP + plot_h + 4.0 text-anchor="end">"0"</text>
            {bars}
            {labels}
        </svg>
    }
}

fn nice_ceiling(value: i64) -> i64 {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if value <= step * m {
                return step * m;
            }
        }
        step *= 10;
    }
}
