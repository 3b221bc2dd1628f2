//! "How the user signed in": the sentence the `amr`, `acr`/`aal` and `auth_method`
//! claims add up to, then each `amr` value and the level explained one by one.

use leptos::prelude::*;
use serde_json::{Map, Value};

use super::claims;

/// Shown when the claims carry any of `amr`, `acr`, `aal`, `auth_method`.
#[component]
pub fn SignInCard(claims: Map<String, Value>) -> impl IntoView {
    let summary = claims::sign_in_summary(&claims).unwrap_or_default();
    let amr = claims::strings(&claims, "amr");
    let level = claims::level(&claims);
    let aal = claims.get("aal").and_then(Value::as_str).map(String::from);
    // `acr` and `aal` are the same level: say so when a token disagrees with itself.
    let mismatch = match (claims.get("acr").and_then(Value::as_str), aal.as_deref()) {
        (Some(a), Some(b)) if a != b => Some(format!(
            "acr says {a} but aal says {b}: Tessera always sets both to the same level, so \
             this token was not minted by Tessera as it is."
        )),
        _ => None,
    };
    let method = claims
        .get("auth_method")
        .and_then(Value::as_str)
        .map(String::from);
    let strong = level.as_deref() == Some("aal2");
    view! {
        <section class="card insp-signin" aria-labelledby="insp-signin-title">
            <h2 class="card-title" id="insp-signin-title">"How the user signed in"</h2>
            <p class="insp-signin-summary">
                <span
                    class=if strong { "badge badge-ok" } else { "badge badge-muted" }
                >
                    {level.clone().unwrap_or_else(|| "no level".to_owned())}
                </span>
                <strong>{summary}</strong>
            </p>
            {mismatch.map(|m| view! { <p class="insp-signin-warn">{m}</p> })}
            <dl class="insp-signin-list">
                {amr
                    .into_iter()
                    .map(|v| {
                        let meaning = claims::amr_meaning(&v);
                        view! {
                            <dt><span class="badge badge-muted mono">{v}</span></dt>
                            <dd>{meaning}</dd>
                        }
                    })
                    .collect_view()}
                {level
                    .map(|l| {
                        let meaning = claims::level_meaning(&l);
                        view! {
                            <dt><span class="mono insp-signin-key">"acr / aal"</span></dt>
                            <dd>{meaning}</dd>
                        }
                    })}
                {method
                    .map(|m| {
                        let meaning = match m.as_str() {
                            "password" => "The first factor was the password.",
                            "passkey" => "Passwordless: the first factor was a passkey.",
                            _ => "A first factor Tessera does not issue.",
                        };
                        view! {
                            <dt><span class="mono insp-signin-key">"auth_method"</span></dt>
                            <dd>
                                <span class="mono">{m}</span>
                                " — "
                                {meaning}
                            </dd>
                        }
                    })}
            </dl>
        </section>
    }
}
