//! "Who is acting": a token from token exchange (RFC 8693) carries `act`, the client
//! acting for the subject, nested over the actors before it. The card says it in one
//! sentence ("Support assistant acting for Ann Example") and lists the chain, newest
//! actor first, with names looked up by id (`/v1/clients/{id}`, `/v1/users/{id}`: ids
//! only, never the token).

use leptos::prelude::*;
use serde_json::{Map, Value};
use tessera_proto::clients::ClientInfo;

use crate::api;
use crate::pages::users::{User, UserExt};

/// The `act` chain, outermost (the current actor) first.
pub fn actors(claims: &Map<String, Value>) -> Vec<String> {
    let mut chain = Vec::new();
    let mut act = claims.get("act");
    while let Some(Value::Object(a)) = act {
        match a.get("sub").and_then(Value::as_str) {
            Some(sub) => chain.push(sub.to_owned()),
            None => break,
        }
        act = a.get("act");
    }
    chain
}

/// What a client is called, and what it is ("agent of Shop"), or just its id.
async fn client_label(id: String) -> (String, Option<String>) {
    match api::get::<ClientInfo>(&format!("/v1/clients/{}", api::enc(&id))).await {
        Ok(c) => {
            let what = match (c.kind.as_str(), c.product_name) {
                ("agent", Some(p)) => format!("agent of {p}"),
                ("server", Some(p)) => format!("server client of {p}"),
                ("web", Some(p)) => format!("web client of {p}"),
                ("dynamic", _) => "third-party app (name not verified)".to_owned(),
                (kind, _) => format!("{kind} client"),
            };
            (c.name, Some(what))
        }
        Err(_) => (id, None),
    }
}

async fn user_label(id: String) -> String {
    match api::get::<User>(&format!("/v1/users/{}", api::enc(&id))).await {
        Ok(u) => u.display(),
        Err(_) => id,
    }
}

/// Shown when the claims carry `act`.
#[component]
pub fn DelegationCard(claims: Map<String, Value>) -> impl IntoView {
    let chain = actors(&claims);
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let ids = chain.clone();
    let names = LocalResource::new(move || {
        let (ids, sub) = (ids.clone(), sub.clone());
        async move {
            let mut labels = Vec::new();
            for id in ids {
                labels.push(client_label(id).await);
            }
            (labels, user_label(sub).await)
        }
    });
    view! {
        <section class="card insp-act" aria-labelledby="insp-act-title">
            <h2 class="card-title" id="insp-act-title">"Who is acting"</h2>
            <Suspense fallback=move || view! { <p class="muted">"Looking up names…"</p> }>
                {move || names.get().map(|(labels, user)| view! { <Chain labels=labels user=user ids=chain.clone() /> })}
            </Suspense>
            <p class="hint">
                "This token came from token exchange: the acting client presented the user's token and got this one, which keeps the user as its subject and never has more scopes. An API can log or limit what the actor may do."
            </p>
        </section>
    }
}

#[component]
fn Chain(labels: Vec<(String, Option<String>)>, user: String, ids: Vec<String>) -> impl IntoView {
    let names: Vec<String> = labels.iter().map(|(n, _)| n.clone()).collect();
    let summary = match names.split_first() {
        Some((first, [])) => format!("{first} acting for {user}"),
        Some((first, before)) => format!(
            "{first} acting for {user}, through {}",
            before.join(", then ")
        ),
        None => user.clone(),
    };
    let rows = labels
        .into_iter()
        .zip(ids)
        .enumerate()
        .map(|(i, ((name, what), id))| {
            let role = if i == 0 { "acting now" } else { "acted before" };
            view! {
                <li>
                    <span class=if i == 0 { "badge badge-ok" } else { "badge badge-muted" }>{role}</span>
                    <strong>{name}</strong>
                    {what.map(|w| view! { <span class="muted">{w}</span> })}
                    <span class="mono small muted">{id}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <p class="insp-act-summary" data-testid="act-summary"><strong>{summary}</strong></p>
        <ol class="insp-act-chain">
            {rows}
            <li>
                <span class="badge badge-muted">"subject"</span>
                <strong>{user}</strong>
                <span class="muted">"the user the token is about (sub)"</span>
            </li>
        </ol>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_chain_is_read_outermost_first() {
        let claims = json!({"sub": "u1", "act": {"sub": "agt_b", "act": {"sub": "agt_a"}}});
        let claims = claims.as_object().cloned().unwrap_or_default();
        assert_eq!(actors(&claims), ["agt_b", "agt_a"]);
        let none = json!({"sub": "u1"})
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert!(actors(&none).is_empty());
    }
}
