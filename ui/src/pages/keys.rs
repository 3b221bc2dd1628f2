//! Signing keys: the active key, retiring keys (still published so the tokens they
//! signed keep verifying) and retired ones; rotate, retire now, delete expired; and a
//! preview of the JWKS clients fetch.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;
use serde_json::json;

use crate::api::{self, enc, ApiError};
use crate::components::{
    time, toast, ConfirmDialog, CopyButton, Empty, ErrorBanner, Loading, PageHeader,
};

#[derive(Clone, Debug, PartialEq, Deserialize)]
struct Key {
    kid: String,
    #[serde(default)]
    alg: String,
    status: String,
    #[serde(default)]
    created_at: i64,
    #[serde(default)]
    retired_at: Option<i64>,
    #[serde(default)]
    expires_at: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Signs new tokens.
    Active,
    /// Replaced, still published until `expires_at`.
    Retiring,
    /// No longer published; can be deleted.
    Retired,
}

impl Key {
    fn phase(&self, now: i64) -> Phase {
        if self.status == "active" {
            Phase::Active
        } else if self.expires_at.is_some_and(|e| now < e) {
            Phase::Retiring
        } else {
            Phase::Retired
        }
    }
}

/// `abcdef12…9f3c` for long key ids.
fn short_kid(kid: &str) -> String {
    let chars: Vec<char> = kid.chars().collect();
    if chars.len() <= 16 {
        return kid.to_owned();
    }
    let head: String = chars[..8].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

async fn load_keys() -> Result<Vec<Key>, ApiError> {
    #[derive(Deserialize)]
    struct List {
        keys: Vec<Key>,
    }
    Ok(api::get::<List>("/v1/keys").await?.keys)
}

/// The JWKS as clients see it: `jwks_uri` from discovery, fetched without a token.
/// Returns the announced URL and the document pretty-printed.
async fn load_jwks() -> Result<(String, String), ApiError> {
    let discovery = public_json("/.well-known/openid-configuration").await?;
    let uri = discovery
        .get("jwks_uri")
        .and_then(|v| v.as_str())
        .unwrap_or("/.well-known/jwks.json")
        .to_owned();
    // The issuer may name another host for this same server (127.0.0.1 vs localhost):
    // fetch the announced path from the origin the console runs on.
    let path = web_sys::Url::new(&uri)
        .map(|u| format!("{}{}", u.pathname(), u.search()))
        .unwrap_or_else(|_| uri.clone());
    let jwks = public_json(&path).await?;
    let pretty = serde_json::to_string_pretty(&jwks)
        .map_err(|e| ApiError::new(0, "client", e.to_string()))?;
    Ok((uri, pretty))
}

async fn public_json(path: &str) -> Result<serde_json::Value, ApiError> {
    let response = api::fetch(
        "GET",
        path,
        &[("Accept", "application/json".to_owned())],
        None,
    )
    .await?;
    let status = response.status();
    let text = api::response_text(&response).await?;
    if !(200..300).contains(&status) {
        return Err(ApiError::new(
            status,
            "http",
            format!("{path} answered HTTP {status}"),
        ));
    }
    serde_json::from_str(&text)
        .map_err(|e| ApiError::new(0, "unexpected_response", format!("{path} is not JSON: {e}")))
}

/// `/console/keys`.
#[component]
pub fn KeysPage() -> impl IntoView {
    let keys = LocalResource::new(load_keys);
    let jwks = LocalResource::new(load_jwks);
    let now = RwSignal::new(time::now());
    if let Ok(handle) =
        set_interval_with_handle(move || now.set(time::now()), Duration::from_secs(15))
    {
        on_cleanup(move || handle.clear());
    }
    let error = RwSignal::new(None::<String>);
    let rotate_open = RwSignal::new(false);
    let rotating = RwSignal::new(false);
    let purge_open = RwSignal::new(false);

    let reload = move || {
        keys.refetch();
        jwks.refetch();
    };
    let rotate = Callback::new(move |()| {
        rotating.set(true);
        error.set(None);
        spawn_local(async move {
            let result: Result<Key, ApiError> = api::post("/v1/keys:rotate", &json!({})).await;
            let _ = rotating.try_set(false);
            match result {
                Ok(k) => {
                    toast::show(format!("New signing key {} is active", short_kid(&k.kid)));
                    reload();
                }
                Err(e) => {
                    let _ = error.try_set(Some(e.message));
                }
            }
        });
    });
    let expired_count = move || {
        let t = now.get();
        keys.get().and_then(Result::ok).map_or(0, |list| {
            list.iter().filter(|k| k.phase(t) == Phase::Retired).count()
        })
    };
    let purge = Callback::new(move |()| {
        spawn_local(async move {
            // `{"deleted": ["kid", ...]}` (the kids removed).
            #[derive(Deserialize)]
            struct Deleted {
                deleted: serde_json::Value,
            }
            let result: Result<Deleted, ApiError> =
                api::post("/v1/keys:delete-expired", &json!({})).await;
            match result {
                Ok(d) => {
                    let n = d
                        .deleted
                        .as_array()
                        .map(Vec::len)
                        .or_else(|| d.deleted.as_u64().map(|n| n as usize))
                        .unwrap_or(0);
                    toast::show(match n {
                        0 => "No expired keys to delete".to_owned(),
                        1 => "1 expired key deleted".to_owned(),
                        n => format!("{n} expired keys deleted"),
                    });
                    reload();
                }
                Err(e) => {
                    let _ = error.try_set(Some(e.message));
                }
            }
        });
    });

    let table = move || {
        match keys.get() {
        None => view! { <Loading /> }.into_any(),
        Some(Err(e)) => view! { <ErrorBanner error=Signal::derive(move || Some(e.message.clone())) /> }
            .into_any(),
        Some(Ok(list)) if list.is_empty() => view! {
            <Empty
                title="No signing keys yet"
                hint="The server makes one when it starts. Press “Rotate signing key” to create one now.".to_owned()
            />
        }
        .into_any(),
        Some(Ok(_)) => view! {
            <div class="table-wrap">
                <table class="table org-keys">
                    <caption class="sr-only">"Signing keys"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Key ID"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Algorithm"</th>
                            <th scope="col">"Created"</th>
                            <th scope="col">"Published until"</th>
                            <th scope="col" class="org-col-actions">
                                <span class="sr-only">"Actions"</span>
                            </th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || keys.get().and_then(Result::ok).unwrap_or_default()
                            key=|k| (k.kid.clone(), k.status.clone(), k.expires_at)
                            children=move |k| view! { <KeyRow key=k now=now error=error on_change=Callback::new(move |()| reload()) /> }
                        />
                    </tbody>
                </table>
            </div>
        }
        .into_any(),
    }
    };

    let jwks_text = Signal::derive(move || {
        jwks.get()
            .and_then(Result::ok)
            .map(|(_, pretty)| pretty)
            .unwrap_or_default()
    });
    let jwks_body = move || match jwks.get() {
        None => view! { <Loading /> }.into_any(),
        Some(Err(e)) => {
            view! { <ErrorBanner error=Signal::derive(move || Some(e.message.clone())) /> }
                .into_any()
        }
        Some(Ok((uri, pretty))) => view! {
            <p class="org-jwks-uri">
                <span class="muted">"Published at "</span>
                <a class="mono" href=uri.clone() target="_blank" rel="noopener">{uri.clone()}</a>
            </p>
            <pre class="mono org-jwks" tabindex="0" aria-label="JWKS document">{pretty}</pre>
        }
        .into_any(),
    };

    view! {
        <div class="page">
            <PageHeader
                title="Signing keys"
                subtitle="Every token is signed with the active key. After a rotation the old key keeps being published until the tokens it signed have expired.".to_owned()
            >
                <button
                    type="button"
                    class="btn btn-primary"
                    disabled=rotating
                    on:click=move |_| rotate_open.set(true)
                >
                    "Rotate signing key"
                </button>
            </PageHeader>
            <ConfirmDialog
                open=rotate_open
                title="Rotate the signing key?"
                message="A new key signs every token from now on. The current key becomes retiring: it stays published in the JWKS, so tokens it already signed keep verifying until they expire. Nobody is signed out."
                confirm_label="Rotate"
                danger=false
                on_confirm=rotate
            />
            <ErrorBanner error=error />
            {move || rotating.get().then(|| view! { <p class="muted org-note" role="status">"Generating a new key…"</p> })}
            {table}
            {move || {
                let n = expired_count();
                (n > 0)
                    .then(|| {
                        view! {
                            <div class="org-purge row">
                                <p class="muted">
                                    {match n {
                                        1 => "1 retired key is no longer published; it verifies nothing and can be deleted.".to_owned(),
                                        n => format!("{n} retired keys are no longer published; they verify nothing and can be deleted."),
                                    }}
                                </p>
                                <span class="spacer"></span>
                                <button type="button" class="btn" on:click=move |_| purge_open.set(true)>
                                    "Delete expired keys"
                                </button>
                            </div>
                        }
                    })
            }}
            <ConfirmDialog
                open=purge_open
                title="Delete expired keys?"
                message="Retired keys that are no longer published are removed for good. No token depends on them any more."
                confirm_label="Delete"
                danger=true
                on_confirm=purge
            />
            <section class="card org-section" aria-labelledby="org-jwks-title">
                <div class="org-card-head">
                    <h2 class="card-title" id="org-jwks-title">"JWKS preview"</h2>
                    <span class="spacer"></span>
                    <button type="button" class="btn btn-small btn-ghost" on:click=move |_| jwks.refetch()>
                        "Refresh"
                    </button>
                    <CopyButton text=jwks_text label="Copy JWKS" />
                </div>
                <p class="hint">
                    "What apps and APIs download to verify tokens: the public halves of the active key and of retiring keys."
                </p>
                {jwks_body}
            </section>
        </div>
    }
}

#[component]
fn KeyRow(
    key: Key,
    now: RwSignal<i64>,
    error: RwSignal<Option<String>>,
    on_change: Callback<()>,
) -> impl IntoView {
    let confirm = RwSignal::new(false);
    let k = StoredValue::new(key.clone());
    let phase = move || k.with_value(|k| k.phase(now.get()));
    let short = short_kid(&key.kid);
    let retire = Callback::new(move |()| {
        spawn_local(async move {
            let path = format!("/v1/keys/{}:retire", enc(&k.with_value(|k| k.kid.clone())));
            let result: Result<Key, ApiError> = api::post(&path, &json!({})).await;
            match result {
                Ok(_) => {
                    toast::show("Key retired: it is no longer published");
                    on_change.run(());
                }
                Err(e) => {
                    let _ = error.try_set(Some(e.message));
                }
            }
        });
    });
    let badge = move || match phase() {
        Phase::Active => view! { <span class="badge badge-ok">"active"</span> },
        Phase::Retiring => view! { <span class="badge badge-warn">"retiring"</span> },
        Phase::Retired => view! { <span class="badge badge-muted">"retired"</span> },
    };
    // "Published until": relative on top, local time below; when it was replaced in the tooltip.
    let lifecycle = move || {
        now.track();
        let (retired_at, expires_at) = k.with_value(|k| (k.retired_at, k.expires_at));
        let replaced = retired_at
            .map(|r| format!("Replaced {}", time::local(r)))
            .unwrap_or_default();
        match phase() {
            Phase::Active => view! { <span class="muted">"Signs new tokens"</span> }.into_any(),
            Phase::Retiring | Phase::Retired => {
                let until = expires_at.or(retired_at).unwrap_or_default();
                view! {
                    <span class="org-when" title=replaced>
                        <span>{time::relative(until)}</span>
                        <span class="muted">{time::local(until)}</span>
                    </span>
                }
                .into_any()
            }
        }
    };
    let created = key.created_at;
    view! {
        <tr class:org-key-active=move || phase() == Phase::Active>
            <td>
                <span class="mono org-kid" title=key.kid.clone()>{short.clone()}</span>
            </td>
            <td>{badge}</td>
            <td class="mono">{key.alg.clone()}</td>
            <td>
                <span class="org-when">
                    <span>{move || { now.track(); time::relative(created) }}</span>
                    <span class="muted">{time::local(created)}</span>
                </span>
            </td>
            <td>{lifecycle}</td>
            <td class="org-col-actions">
                <Show when=move || phase() == Phase::Retiring>
                    <button
                        type="button"
                        class="btn btn-small btn-ghost org-danger-text"
                        aria-label=format!("Retire key {short} now")
                        title="Stop publishing this key now"
                        on:click=move |_| confirm.set(true)
                    >
                        "Retire"
                    </button>
                </Show>
                <ConfirmDialog
                    open=confirm
                    title="Stop publishing this key now?"
                    message=format!(
                        "Tokens signed with {} stop verifying at once: apps reject them and people must sign in again. Only do this if the key may have leaked; otherwise it retires by itself when its tokens have expired.",
                        key.kid
                    )
                    confirm_label="Retire"
                    danger=true
                    on_confirm=retire
                />
            </td>
        </tr>
    }
}
