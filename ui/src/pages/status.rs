//! Status page: is the server up, and where (issuer URL, port). Polls every few seconds.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, Host, ServerStatus};
use crate::components::fact::Fact;
use crate::components::status_badge::StatusBadge;

const REFRESH_EVERY: Duration = Duration::from_secs(3);

#[component]
pub fn StatusPage(host: Host) -> impl IntoView {
    let (status, set_status) = signal(None::<ServerStatus>);
    let (checked_at_ms, set_checked_at_ms) = signal(None::<f64>);
    let (now_ms, set_now_ms) = signal(js_sys::Date::now());
    // A slow answer must not pile up requests behind it.
    let in_flight = StoredValue::new(false);

    let refresh = move || {
        if in_flight.get_value() {
            return;
        }
        in_flight.set_value(true);
        spawn_local(async move {
            let mut fresh = api::fetch_status().await;
            // When the server stops answering, keep showing where it was.
            if let Some(previous) = status.get_untracked() {
                fresh.issuer = fresh.issuer.or(previous.issuer);
                fresh.port = fresh.port.or(previous.port);
                fresh.version = fresh.version.or(previous.version);
            }
            set_status.set(Some(fresh));
            set_checked_at_ms.set(Some(js_sys::Date::now()));
            in_flight.set_value(false);
        });
    };
    refresh();
    if let Ok(handle) = set_interval_with_handle(
        move || {
            set_now_ms.set(js_sys::Date::now());
            refresh();
        },
        REFRESH_EVERY,
    ) {
        on_cleanup(move || handle.clear());
    }

    let up = Signal::derive(move || status.get().map(|s| s.up));
    let issuer = move || status.get().and_then(|s| s.issuer);
    let port_text = move || {
        status
            .get()
            .and_then(|s| s.port)
            .map_or_else(|| "—".to_owned(), |p| p.to_string())
    };
    let version_text = move || {
        status
            .get()
            .and_then(|s| s.version)
            .map_or_else(|| "—".to_owned(), |v| format!("v{v}"))
    };
    let uptime_text = move || {
        let status = status.get();
        match status.as_ref().and_then(|s| s.started_at.filter(|_| s.up)) {
            Some(started) => {
                let now_secs = (now_ms.get() / 1000.0) as u64;
                format!(
                    "running for {}",
                    human_duration(now_secs.saturating_sub(started))
                )
            }
            None => "—".to_owned(),
        }
    };
    let error = move || status.get().and_then(|s| s.error);
    let checked_text = move || match checked_at_ms.get() {
        Some(ms) => format!("last checked {}", clock_time(ms)),
        None => "checking…".to_owned(),
    };
    let source_text = match host {
        Host::Desktop => "Reported by the desktop app",
        Host::Browser => "From GET /health",
    };

    view! {
        <section class="card">
            <div class="card-head">
                <h2>"Server"</h2>
                <StatusBadge up=up />
            </div>
            <dl class="facts">
                <Fact label="Issuer URL">
                    {move || match issuer() {
                        Some(issuer) => view! { <code class="issuer">{issuer}</code> }.into_any(),
                        None => "—".into_any(),
                    }}
                </Fact>
                <Fact label="Port">
                    <span class="big">{port_text}</span>
                </Fact>
                <Fact label="Version">{version_text}</Fact>
                <Fact label="Uptime">{uptime_text}</Fact>
            </dl>
            {move || {
                error()
                    .map(|message| {
                        view! {
                            <div class="error" role="alert">
                                <strong>"The server is not running. "</strong>
                                <span>{message}</span>
                            </div>
                        }
                    })
            }}
            <p class="meta">
                {source_text} " · refreshes every " {REFRESH_EVERY.as_secs()} " s · "
                {checked_text}
            </p>
        </section>
        {move || {
            issuer()
                .filter(|_| up.get() == Some(true))
                .map(|issuer| {
                    let discovery = format!(
                        "{}/.well-known/openid-configuration",
                        issuer.trim_end_matches('/'),
                    );
                    view! {
                        <section class="card hint">
                            <h2>"Connect an app"</h2>
                            <p>
                                "Point any OpenID Connect library at the issuer URL. "
                                "It finds every endpoint in the discovery document:"
                            </p>
                            <code class="block">{discovery}</code>
                        </section>
                    }
                })
        }}
    }
}

fn human_duration(secs: u64) -> String {
    match secs {
        0..=59 => "less than a minute".to_owned(),
        60..=3_599 => format!("{} min", secs / 60),
        3_600..=86_399 => format!("{} h {} min", secs / 3_600, secs % 3_600 / 60),
        _ => format!("{} d {} h", secs / 86_400, secs % 86_400 / 3_600),
    }
}

fn clock_time(ms: f64) -> String {
    let date = js_sys::Date::new(&ms.into());
    format!(
        "{:02}:{:02}:{:02}",
        date.get_hours(),
        date.get_minutes(),
        date.get_seconds()
    )
}
