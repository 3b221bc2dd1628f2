//! The landing page when nobody is signed in: brand, whether the server is up (from
//! `GET /health`, refreshed every few seconds), the "Sign in" button, and why the last
//! sign-in failed (a non-super-admin gets "Sign in as someone else"). Also the desktop
//! window's "server is not running" page.

use std::time::Duration;

use leptos::prelude::*;

use crate::api::{self, ServerStatus};
use crate::auth::{self, Problem};
use crate::components::brand::Brand;
use crate::components::time;
use crate::components::ErrorBanner;
use crate::desktop::{self, ConsoleContext, Host};

const REFRESH_EVERY: Duration = Duration::from_secs(5);

#[component]
pub fn SignInPage(problem: Option<Problem>) -> impl IntoView {
    document().set_title("Sign in · Tessera");
    let health = LocalResource::new(api::fetch_health);
    if let Ok(handle) = set_interval_with_handle(move || health.refetch(), REFRESH_EVERY) {
        on_cleanup(move || handle.clear());
    }
    let status: Signal<Option<ServerStatus>> =
        Signal::from(Memo::new(move |shown: Option<&Option<ServerStatus>>| {
            let previous = shown.cloned().flatten();
            let Some(mut fresh) = health.get() else {
                return previous;
            };
            // When the server stops answering, keep showing where it was.
            if let Some(previous) = previous {
                fresh.issuer = fresh.issuer.or(previous.issuer);
                fresh.port = fresh.port.or(previous.port);
                fresh.version = fresh.version.or(previous.version);
            }
            Some(fresh)
        }));
    let up = Signal::derive(move || status.get().map(|s| s.up));

    let denied = problem.as_ref().is_some_and(|p| p.denied);
    let error = problem.map(|p| p.message);
    let button = if denied {
        view! {
            <button type="button" class="btn btn-primary btn-block" on:click=move |_| auth::sign_in(true)>
                "Sign in as someone else"
            </button>
        }
        .into_any()
    } else {
        view! {
            <button
                type="button"
                class="btn btn-primary btn-block"
                disabled=move || up.get() == Some(false)
                on:click=move |_| auth::sign_in(false)
            >
                "Sign in"
            </button>
        }
        .into_any()
    };
    let hint = (desktop::host() == Host::Browser && !denied).then(|| {
        view! {
            <div class="stack-tight landing-foot">
                <p>"No super-admin yet? Run this on the server, then sign in:"</p>
                <code class="block small">"tessera superadmin create --email you@example.com --password-stdin"</code>
            </div>
        }
    });
    view! {
        <div class="center-screen">
            <main class="landing" id="main" tabindex="-1">
                <section class="card stack" aria-labelledby="signin-title">
                    <Brand />
                    <div>
                        <h1 id="signin-title" tabindex="-1">"Sign in to the console"</h1>
                        <p class="landing-lede">
                            "Use a super-admin account of this server. You sign in on its own login page."
                        </p>
                    </div>
                    <ErrorBanner error=Signal::derive(move || error.clone()) />
                    {button}
                    <hr class="divider" />
                    <ServerFacts status=status />
                </section>
                {hint}
            </main>
        </div>
    }
}

/// Server up/down, issuer, port, version and uptime.
#[component]
fn ServerFacts(status: Signal<Option<ServerStatus>>) -> impl IntoView {
    let up = move || status.get().map(|s| s.up);
    let badge_class = move || match up() {
        Some(true) => "badge badge-lg badge-ok",
        Some(false) => "badge badge-lg badge-bad",
        None => "badge badge-lg badge-muted",
    };
    let badge_text = move || match up() {
        Some(true) => "Server is up",
        Some(false) => "Server is down",
        None => "Checking…",
    };
    let issuer = move || status.get().and_then(|s| s.issuer);
    let port = move || {
        status
            .get()
            .and_then(|s| s.port)
            .map_or_else(|| "—".to_owned(), |p| p.to_string())
    };
    let version = move || {
        status
            .get()
            .and_then(|s| s.version)
            .map_or_else(|| "—".to_owned(), |v| format!("v{v}"))
    };
    let uptime = move || {
        status
            .get()
            .filter(|s| s.up)
            .and_then(|s| s.started_at)
            .map_or_else(
                || "—".to_owned(),
                |started| time::duration((time::now() as u64).saturating_sub(started)),
            )
    };
    let error = move || status.get().and_then(|s| s.error);
    view! {
        <section class="stack" aria-labelledby="server-title">
            <div class="status-line">
                <h2 id="server-title">"Server"</h2>
                <span class=badge_class role="status" aria-live="polite">
                    <span class="dot" aria-hidden="true"></span>
                    {badge_text}
                </span>
            </div>
            <dl class="facts facts-3">
                <div class="fact fact-wide">
                    <dt>"Issuer URL"</dt>
                    <dd>
                        {move || match issuer() {
                            Some(issuer) => view! { <code class="issuer">{issuer}</code> }.into_any(),
                            None => "—".into_any(),
                        }}
                    </dd>
                </div>
                <div class="fact">
                    <dt>"Port"</dt>
                    <dd><span class="big">{port}</span></dd>
                </div>
                <div class="fact">
                    <dt>"Version"</dt>
                    <dd>{version}</dd>
                </div>
                <div class="fact">
                    <dt>"Uptime"</dt>
                    <dd>{uptime}</dd>
                </div>
            </dl>
            {move || error().map(|e| view! { <ErrorBanner error=Signal::derive(move || Some(e.clone())) /> })}
        </section>
    }
}

/// The desktop window when the embedded server did not start (or the shell could not
/// be asked): the reason, where it was meant to listen, and "Try again".
#[component]
pub fn ServerProblem(context: Option<ConsoleContext>, error: Option<String>) -> impl IntoView {
    document().set_title("Server not running · Tessera");
    let message = error
        .or_else(|| context.as_ref().and_then(|c| c.error.clone()))
        .unwrap_or_else(|| "The server did not start.".to_owned());
    let issuer = context.as_ref().and_then(|c| c.issuer.clone());
    let port = context
        .as_ref()
        .and_then(|c| c.port)
        .map_or_else(|| "—".to_owned(), |p| p.to_string());
    view! {
        <div class="center-screen">
            <main class="landing landing-wide" id="main" tabindex="-1">
                <Brand />
                <section class="card stack" aria-labelledby="problem-title">
                    <div class="status-line">
                        <h1 id="problem-title">"The server is not running"</h1>
                        <span class="badge badge-lg badge-bad">
                            <span class="dot" aria-hidden="true"></span>
                            "Server is down"
                        </span>
                    </div>
                    <ErrorBanner error=Signal::derive(move || Some(message.clone())) />
                    <dl class="facts">
                        <div class="fact">
                            <dt>"Issuer URL"</dt>
                            <dd>
                                {match issuer {
                                    Some(issuer) => view! { <code class="issuer">{issuer}</code> }.into_any(),
                                    None => "—".into_any(),
                                }}
                            </dd>
                        </div>
                        <div class="fact">
                            <dt>"Port"</dt>
                            <dd><span class="big">{port}</span></dd>
                        </div>
                    </dl>
                    <p class="hint">
                        "Another program may be using the port, or the data folder may not be writable. "
                        "Fix the cause, then try again."
                    </p>
                    <div class="form-actions">
                        <button type="button" class="btn btn-primary" on:click=move |_| {
                            let _ = window().location().reload();
                        }>"Try again"</button>
                    </div>
                </section>
            </main>
        </div>
    }
}
