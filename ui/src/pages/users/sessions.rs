//! A user's SSO sessions (newest first): when they started, the device, and ending one
//! or all of them (each also revokes the refresh tokens issued in it).

use std::sync::Arc;

use leptos::prelude::*;

use super::detail::Ctx;
use crate::api;
use crate::components::time::{local, relative};
use crate::components::{on_done, toast, ConfirmDialog, Empty, EmptyAction, ErrorBanner};
use crate::pages::products::hooks::reloading;

pub(crate) use tessera_proto::sessions::{Session, SessionList};

/// "Firefox on Linux" from a user agent string; the raw string stays in a tooltip.
pub(crate) fn device(ua: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    let os = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} on {o}"),
        (Some(b), None) => b.to_string(),
        (None, Some(o)) => o.to_string(),
        (None, None) => {
            let short: String = ua.chars().take(40).collect();
            if short.is_empty() {
                "Unknown".to_string()
            } else {
                short
            }
        }
    }
}

#[component]
pub(crate) fn SessionsCard(ctx: Ctx, ended: Trigger) -> impl IntoView {
    let sessions = LocalResource::new(move || {
        ended.track();
        let path = ctx.path("/sessions");
        async move { api::get::<SessionList>(&path).await.map(|l| l.sessions) }
    });
    let show_ended = RwSignal::new(false);
    let all_open = RwSignal::new(false);
    let one_open = RwSignal::new(false);
    let chosen = RwSignal::new(None::<String>);
    // Ending one session or all: the path, and the toast for when it is done.
    let end = Action::new_local(move |(path, done): &(String, &'static str)| {
        let (path, done) = (path.clone(), *done);
        async move { api::delete(&path).await.map(|()| done) }
    });
    let busy = end.pending();
    let error = RwSignal::new(None::<String>);
    on_done(end, move |result| match result {
        Ok(done) => {
            toast::show(done);
            sessions.refetch();
        }
        Err(e) => error.set(Some(e.message)),
    });
    let run = move |path: String, done: &'static str| {
        error.set(None);
        end.dispatch((path, done));
    };
    let on_end = Callback::new(move |id: String| {
        chosen.set(Some(id));
        one_open.set(true);
    });
    let end_all = Callback::new(move |()| run(ctx.path("/sessions"), "All sessions ended"));
    let end_one = Callback::new(move |()| {
        if let Some(id) = chosen.get_untracked() {
            run(
                ctx.path(&format!("/sessions/{}", api::enc(&id))),
                "Session ended",
            );
        }
    });
    let active_count = move || {
        sessions
            .get()
            .and_then(Result::ok)
            .map_or(0, |list| list.iter().filter(|s| s.active).count())
    };

    view! {
        <div class="card sessions-card">
            <div class="card-head">
                <h2 class="card-title">"Sessions"</h2>
                <span class="spacer"></span>
                <label class="check small">
                    <input
                        type="checkbox"
                        prop:checked=move || show_ended.get()
                        on:change=move |ev| show_ended.set(event_target_checked(&ev))
                    />
                    <span>"Show ended sessions"</span>
                </label>
                <Show when=move || { active_count() > 0 }>
                    <button
                        type="button"
                        class="btn btn-small btn-danger"
                        disabled=move || busy.get()
                        on:click=move |_| all_open.set(true)
                    >
                        "End all sessions"
                    </button>
                </Show>
            </div>
            <p class="muted">
                "Single sign-on sessions of this user. Ending one signs them out there and revokes the refresh tokens issued in it."
            </p>
            <ErrorBanner error=error />
            {reloading(sessions, move |list| {
                view! { <SessionsTable list=list show_ended=show_ended busy=busy on_end=on_end /> }
            })}
            <ConfirmDialog
                open=all_open
                title="End all sessions?"
                message="The user is signed out everywhere and every refresh token they hold is revoked. They can sign in again."
                confirm_label="End all sessions"
                danger=true
                on_confirm=end_all
            />
            <ConfirmDialog
                open=one_open
                title="End this session?"
                message="The user is signed out of this session and the refresh tokens issued in it are revoked. Their other sessions stay."
                confirm_label="End session"
                danger=true
                on_confirm=end_one
            />
        </div>
    }
}

/// The sessions (only the active ones unless `show_ended`), or why there are none.
#[component]
fn SessionsTable(
    list: Vec<Session>,
    show_ended: RwSignal<bool>,
    busy: Memo<bool>,
    on_end: Callback<String>,
) -> impl IntoView {
    let none_at_all = list.is_empty();
    let list = Arc::new(list);
    let shown = move || {
        if show_ended.get() {
            list.to_vec()
        } else {
            list.iter().filter(|s| s.active).cloned().collect()
        }
    };
    move || {
        if shown().is_empty() {
            let (title, hint, action) = if none_at_all {
                (
                    "No sessions yet",
                    "A session starts when this user signs in to one of your products: try a product's sign-in as them.",
                    EmptyAction::link("Try a product's sign-in", "/console/products"),
                )
            } else {
                (
                    "No active sessions",
                    "Every session of this user has ended or expired.",
                    EmptyAction::button("Show ended sessions", move || show_ended.set(true)),
                )
            };
            return view! { <Empty title=title hint=hint action=action /> }.into_any();
        }
        view! {
            <div class="table-wrap">
                <table class="table sessions-table">
                    <thead>
                        <tr>
                            <th scope="col">"Started"</th>
                            <th scope="col">"Device"</th>
                            <th scope="col">"IP address"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col"><span class="sr-only">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=shown.clone() key=|s| (s.id.clone(), s.active) let:s>
                            <SessionRow s=s busy=busy on_end=on_end />
                        </For>
                    </tbody>
                </table>
            </div>
        }
        .into_any()
    }
}

#[component]
fn SessionRow(s: Session, busy: Memo<bool>, on_end: Callback<String>) -> impl IntoView {
    let ua = s.user_agent.clone().unwrap_or_default();
    let id = s.id.clone();
    let label = format!("End session started {}", local(s.created_at));
    let status = if s.active {
        view! {
            <span class="badge badge-ok">"Active"</span>
            <span class="muted small">{format!(" expires {}", relative(s.expires_at))}</span>
        }
        .into_any()
    } else {
        let ended = s.ended_at.map_or_else(
            || format!("expired {}", relative(s.expires_at)),
            |t| format!("ended {}", relative(t)),
        );
        view! { <span class="badge badge-muted">"Ended"</span> <span class="muted small">{format!(" {ended}")}</span> }
            .into_any()
    };
    view! {
        <tr>
            <td title=local(s.created_at)>{relative(s.created_at)}</td>
            <td title=ua.clone()>{device(&ua)}</td>
            <td class="mono">{s.ip.clone().unwrap_or_else(|| "—".into())}</td>
            <td>{status}</td>
            <td class="num">
                {s.active.then(|| view! {
                    <button
                        type="button"
                        class="btn btn-small btn-ghost"
                        aria-label=label.clone()
                        title=label.clone()
                        disabled=move || busy.get()
                        on:click=move |_| on_end.run(id.clone())
                    >
                        "End"
                    </button>
                })}
            </td>
        </tr>
    }
}
