//! The product's agents (`/v1/products/{id}/agents`): confidential clients that get
//! tokens of their own (client_credentials) and exchange a user's token for one that
//! says they act for the user (RFC 8693 token exchange, the `act` claim). Add one with
//! its scopes (the secret shows once), rotate its secret, remove it.

use leptos::prelude::*;
use tessera_proto::agents::{Agent, AgentList, NewAgent};

use super::detail::Ctx;
use super::wizard::SecretOnce;
use crate::api::{self, ApiError};
use crate::components::time::{local, relative};
use crate::components::{on_done, toast, ConfirmDialog, CopyButton, Empty, ErrorBanner};
use crate::pages::products::hooks::reloading;

/// What the card asks of the agents.
#[derive(Clone)]
enum Change {
    Add(NewAgent),
    Rotate(String),
    Remove(String),
}

async fn apply(ctx: Ctx, change: Change) -> Result<(Option<String>, &'static str), ApiError> {
    let agent = |id: &str, rest: &str| ctx.path(&format!("/agents/{}{rest}", api::enc(id)));
    match change {
        Change::Add(body) => api::post::<_, Agent>(&ctx.path("/agents"), &body)
            .await
            .map(|a| (a.client_secret, "Agent added: copy its secret now")),
        Change::Rotate(id) => {
            api::post::<_, Agent>(&agent(&id, "/secret:rotate"), &serde_json::json!({}))
                .await
                .map(|a| {
                    (
                        a.client_secret,
                        "Secret rotated: the old one no longer works",
                    )
                })
        }
        Change::Remove(id) => api::delete(&agent(&id, ""))
            .await
            .map(|()| (None, "Agent removed and its tokens revoked")),
    }
}

#[component]
pub(crate) fn AgentsCard(ctx: Ctx) -> impl IntoView {
    let agents = LocalResource::new(move || {
        let path = ctx.path("/agents");
        async move { api::get::<AgentList>(&path).await.map(|l| l.agents) }
    });
    let error = RwSignal::new(None::<String>);
    let fresh_secret = RwSignal::new(None::<String>);
    let act = Action::new_local(move |c: &Change| apply(ctx, c.clone()));
    on_done(act, move |answer| match answer {
        Ok((secret, done)) => {
            fresh_secret.set(secret);
            toast::show(done);
            agents.refetch();
        }
        Err(e) => error.set(Some(e.message)),
    });
    let run = Callback::new(move |c: Change| {
        error.set(None);
        act.dispatch_local(c);
    });
    let busy = act.pending();
    view! {
        <div class="card agents-card">
            <h2 class="card-title">"Agents"</h2>
            <p class="muted">
                "An agent (an AI assistant, an automation) acts for the people who use it: it exchanges a user's access token for one addressed to this product's API (RFC 8693 token exchange). The new token keeps the user as its subject, never has more scopes than the user's, and names the agent in its "
                <span class="mono">"act"</span>
                " claim."
            </p>
            <ErrorBanner error=error />
            {move || fresh_secret.get().map(|s| view! { <SecretOnce secret=s /> })}
            {reloading(agents, move |list| view! { <AgentsTable list=list busy=busy run=run /> })}
            <NewAgentForm ctx=ctx busy=busy run=run />
        </div>
    }
}

#[component]
fn AgentsTable(list: Vec<Agent>, busy: Memo<bool>, run: Callback<Change>) -> impl IntoView {
    if list.is_empty() {
        return view! {
            <Empty compact=true title="No agents" hint="Add one below to let an assistant or automation act for this product's users.".to_owned() />
        }
        .into_any();
    }
    let rows = list
        .into_iter()
        .map(|a| view! { <AgentRow agent=a busy=busy run=run /> })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table apps-table">
                <caption class="sr-only">"Agents"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Agent"</th>
                        <th scope="col">"Scopes"</th>
                        <th scope="col">"Added"</th>
                        <th scope="col" class="apps-col-actions"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn AgentRow(agent: Agent, busy: Memo<bool>, run: Callback<Change>) -> impl IntoView {
    let rotate_open = RwSignal::new(false);
    let remove_open = RwSignal::new(false);
    let id = agent.client_id.clone();
    let (rotate_id, remove_id, copy_id) = (id.clone(), id.clone(), id.clone());
    let added = agent.created_at;
    view! {
        <tr>
            <td>
                <span class="apps-name">{agent.name.clone()}</span>
                <div class="copy-row">
                    <span class="mono small muted">{id}</span>
                    <CopyButton text=Signal::derive(move || copy_id.clone()) label="Copy agent client ID" />
                </div>
            </td>
            <td class="mono small">{agent.scopes.join(" ")}</td>
            <td><span title=local(added)>{relative(added)}</span></td>
            <td class="apps-col-actions">
                <div class="row">
                    <button type="button" class="btn btn-small" disabled=move || busy.get() on:click=move |_| rotate_open.set(true)>"Rotate secret"</button>
                    <button type="button" class="btn btn-small btn-ghost btn-danger-text" disabled=move || busy.get() on:click=move |_| remove_open.set(true)>"Remove"</button>
                </div>
                <ConfirmDialog
                    open=rotate_open
                    title="Rotate the agent's secret?"
                    message="A new secret is shown once; the current one stops working at once."
                    confirm_label="Rotate secret"
                    danger=true
                    on_confirm=Callback::new(move |()| run.run(Change::Rotate(rotate_id.clone())))
                />
                <ConfirmDialog
                    open=remove_open
                    title="Remove this agent?"
                    message="The agent is deleted and every token it holds or obtained by exchange is revoked."
                    confirm_label="Remove agent"
                    danger=true
                    on_confirm=Callback::new(move |()| run.run(Change::Remove(remove_id.clone())))
                />
            </td>
        </tr>
    }
}

#[component]
fn NewAgentForm(ctx: Ctx, busy: Memo<bool>, run: Callback<Change>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let chosen = RwSignal::new(Vec::<String>::new());
    let product_scopes = Memo::new(move |_| ctx.get(|p| p.scopes.clone()).unwrap_or_default());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        run.run(Change::Add(NewAgent {
            name: name.get_untracked().trim().to_owned(),
            scopes: chosen.get_untracked(),
        }));
        name.set(String::new());
    };
    view! {
        <form class="agents-form" on:submit=submit>
            <label class="field">
                <span class="label">"New agent's name"</span>
                <input class="input" type="text" required maxlength="200" placeholder="Support assistant"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
            </label>
            <fieldset class="scope-picker">
                <legend>"Scopes it may hold"</legend>
                <div class="check-list">
                    <For each=move || product_scopes.get() key=|s| s.clone() let:scope>
                        {
                            let (s1, s2) = (scope.clone(), scope.clone());
                            view! {
                                <label class="check">
                                    <input type="checkbox"
                                        prop:checked=move || chosen.with(|l| l.contains(&s1))
                                        on:change=move |ev| {
                                            let tick = event_target_checked(&ev);
                                            let s = s2.clone();
                                            chosen.update(|l| { l.retain(|x| *x != s); if tick { l.push(s); } });
                                        } />
                                    <span class="mono">{scope}</span>
                                </label>
                            }
                        }
                    </For>
                </div>
            </fieldset>
            <div class="row">
                <button type="submit" class="btn" disabled=move || busy.get()>"Add agent"</button>
                <span class="muted">"Its secret is shown once, right after."</span>
            </div>
        </form>
    }
}
