//! `/console/apps/registration`: initial access tokens for dynamic client registration
//! (RFC 7591 §3): create one (shown once, with the `tessera init` line that uses it),
//! see their use and expiry, revoke; and the open-registration setting ([`super::open`]).

use std::time::Duration;

use leptos::prelude::*;
use tessera_proto::registration::{NewRegistrationToken, RegistrationToken, RegistrationTokenList};

use super::open::OpenRegistrationCard;
use crate::api::{self, enc, ApiError};
use crate::components::time::{local, relative, use_now};
use crate::components::{
    on_done, toast, ConfirmDialog, CopyButton, Empty, ErrorBanner, Loaded, PageHeader,
};

async fn load() -> Result<Vec<RegistrationToken>, ApiError> {
    Ok(api::get::<RegistrationTokenList>("/v1/registration-tokens")
        .await?
        .registration_tokens)
}

/// The lifetimes the form offers, in seconds.
const LIFETIMES: [(&str, i64); 5] = [
    ("1 hour", 3600),
    ("1 day", 86_400),
    ("7 days", 7 * 86_400),
    ("30 days", 30 * 86_400),
    ("1 year", 365 * 86_400),
];

/// The issuer this console talks to (its own origin).
fn issuer() -> String {
    window().location().origin().unwrap_or_default()
}

#[component]
pub fn RegistrationPage() -> impl IntoView {
    let tokens = LocalResource::new(load);
    let now = use_now(Duration::from_secs(30));
    view! {
        <div class="page apps-page">
            <PageHeader
                title="Registration tokens"
                subtitle="An app registers itself at /oauth/register with one of these tokens (RFC 7591 initial access token). Each works until it expires, is used up or is revoked.".to_owned()
            >
                <a class="btn" href="/console/apps">"Third-party apps"</a>
            </PageHeader>
            <NewTokenCard on_created=Callback::new(move |()| tokens.refetch()) />
            <Loaded resource=tokens let:list>
                <TokensTable list=list now=now on_change=Callback::new(move |()| tokens.refetch()) />
            </Loaded>
            <OpenRegistrationCard />
        </div>
    }
}

#[component]
fn NewTokenCard(on_created: Callback<()>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let lifetime = RwSignal::new(86_400_i64);
    let max_uses = RwSignal::new("1".to_owned());
    let error = RwSignal::new(None::<String>);
    let created = RwSignal::new(None::<RegistrationToken>);
    let create = Action::new_local(|body: &NewRegistrationToken| {
        let body = body.clone();
        async move { api::post::<_, RegistrationToken>("/v1/registration-tokens", &body).await }
    });
    on_done(create, move |answer| match answer {
        Ok(t) => {
            created.set(Some(t));
            name.set(String::new());
            toast::show("Registration token created: copy it now, it is shown once");
            on_created.run(());
        }
        Err(e) => error.set(Some(e.message)),
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let Ok(uses) = max_uses.get_untracked().trim().parse::<i64>() else {
            error.set(Some(
                "Uses must be a whole number from 1 to 10000.".to_owned(),
            ));
            return;
        };
        let label = name.get_untracked().trim().to_owned();
        create.dispatch_local(NewRegistrationToken {
            name: (!label.is_empty()).then_some(label),
            expires_in: lifetime.get_untracked(),
            max_uses: uses,
        });
    };
    view! {
        <section class="card" aria-labelledby="new-token-title">
            <h2 class="card-title" id="new-token-title">"New registration token"</h2>
            <form class="apps-token-form" on:submit=submit>
                <label class="field">
                    <span class="label">"Name"</span>
                    <input class="input" type="text" maxlength="200" placeholder="Claude Desktop for the support team"
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span class="label">"Expires after"</span>
                    <select class="input" on:change=move |ev| lifetime.set(event_target_value(&ev).parse().unwrap_or(86_400))>
                        {LIFETIMES.iter().map(|(label, secs)| view! {
                            <option value=secs.to_string() selected=*secs == 86_400>{*label}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label class="field">
                    <span class="label">"Registrations allowed"</span>
                    <input class="input" type="number" min="1" max="10000" required
                        prop:value=move || max_uses.get() on:input=move |ev| max_uses.set(event_target_value(&ev)) />
                </label>
                <div class="apps-token-submit">
                    <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>"Create token"</button>
                </div>
            </form>
            <ErrorBanner error=error />
            {move || created.get().and_then(|t| t.token).map(|token| view! { <TokenOnce token=token /> })}
        </section>
    }
}

/// A new token, once: copy it, or the `tessera init` line that registers an app with it.
#[component]
fn TokenOnce(token: String) -> impl IntoView {
    let command = format!(
        "tessera init --issuer {} --registration-token {token} --redirect-uri http://127.0.0.1:3000/callback",
        issuer()
    );
    let token_text = token.clone();
    let command_text = command.clone();
    view! {
        <div class="secret-once" role="status">
            <p><strong>"Copy the token now: it is not shown again."</strong></p>
            <div class="copy-row">
                <code class="mono apps-secret" data-testid="registration-token">{token}</code>
                <CopyButton text=Signal::derive(move || token_text.clone()) label="Copy token" />
            </div>
            <p class="muted small">"Register a development client from a terminal (writes .env.local):"</p>
            <div class="copy-row">
                <code class="mono apps-command">{command}</code>
                <CopyButton text=Signal::derive(move || command_text.clone()) label="Copy command" />
            </div>
        </div>
    }
}

#[component]
fn TokensTable(
    list: Vec<RegistrationToken>,
    now: ReadSignal<i64>,
    on_change: Callback<()>,
) -> impl IntoView {
    if list.is_empty() {
        return view! {
            <Empty
                compact=true
                title="No registration tokens"
                hint="Create one above and give it to whoever sets up the app.".to_owned()
            />
        }
        .into_any();
    }
    let rows = list
        .into_iter()
        .map(|t| view! { <TokenRow token=t now=now on_change=on_change /> })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table apps-table">
                <caption class="sr-only">"Registration tokens"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Used"</th>
                        <th scope="col">"Expires"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col" class="apps-col-actions"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

/// The badge of a token's status.
fn status_badge(status: &str) -> (&'static str, &'static str) {
    match status {
        "active" => ("badge badge-ok", "Active"),
        "expired" => ("badge badge-muted", "Expired"),
        "used_up" => ("badge badge-muted", "Used up"),
        _ => ("badge badge-bad", "Revoked"),
    }
}

#[component]
fn TokenRow(
    token: RegistrationToken,
    now: ReadSignal<i64>,
    on_change: Callback<()>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let path = format!("/v1/registration-tokens/{}", enc(&token.id));
    let revoke = Action::new_local(move |(): &()| {
        let path = path.clone();
        async move { api::delete(&path).await }
    });
    on_done(revoke, move |answer| match answer {
        Ok(()) => {
            toast::show("Token revoked: it registers nothing more");
            on_change.run(());
        }
        Err(e) => error.set(Some(e.message)),
    });
    let (class, label) = status_badge(&token.status);
    let active = token.status == "active";
    let (expires, created) = (token.expires_at, token.created_at);
    let last = token.last_used_at.map(|t| format!("last {}", relative(t)));
    view! {
        <tr>
            <td>
                <span class="apps-name">{token.name.clone()}</span>
                <div class="mono small muted">{token.id.clone()}</div>
            </td>
            <td><span class=class>{label}</span></td>
            <td>
                {format!("{} of {}", token.uses, token.max_uses)}
                {last.map(|l| view! { <div class="small muted">{l}</div> })}
            </td>
            <td><span title=local(expires)>{move || { now.track(); relative(expires) }}</span></td>
            <td><span title=local(created)>{move || { now.track(); relative(created) }}</span></td>
            <td class="apps-col-actions">
                {active.then(|| view! {
                    <button type="button" class="btn btn-small btn-ghost btn-danger-text"
                        disabled=move || revoke.pending().get() on:click=move |_| open.set(true)>
                        "Revoke"
                    </button>
                })}
                <ErrorBanner error=error />
                <ConfirmDialog
                    open=open
                    title="Revoke this token?"
                    message="Nobody can register an app with it any more. Apps it already registered keep working (disable them under Third-party apps)."
                    confirm_label="Revoke token"
                    danger=true
                    on_confirm=Callback::new(move |()| { revoke.dispatch_local(()); })
                />
            </td>
        </tr>
    }
}
