//! Signing keys: the active key, retiring keys (still published so the tokens they
//! signed keep verifying) and retired ones; rotate, retire now, delete expired; and a
//! preview of the JWKS clients fetch.

use std::time::Duration;

use leptos::prelude::*;
use serde_json::json;
use tessera_proto::keys::{DeletedKeys, Key, KeyList};

use crate::api::{self, enc, ApiError};
use crate::components::{
    on_done, time, toast, ConfirmDialog, CopyButton, Empty, ErrorBanner, Loaded, PageHeader,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Signs new tokens.
    Active,
    /// Replaced, still published until `expires_at`.
    Retiring,
    /// No longer published; can be deleted.
    Retired,
}

/// Where `key` is in its life at `now`.
fn phase_of(key: &Key, now: i64) -> Phase {
    if key.status == "active" {
        Phase::Active
    } else if key.expires_at.is_some_and(|e| now < e) {
        Phase::Retiring
    } else {
        Phase::Retired
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
    Ok(api::get::<KeyList>("/v1/keys").await?.keys)
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
    let now = time::use_now(Duration::from_secs(15));
    let error = RwSignal::new(None::<String>);
    let rotate_open = RwSignal::new(false);
    let reload = Callback::new(move |()| {
        keys.refetch();
        jwks.refetch();
    });
    let rotate = Action::new_local(|_: &()| async {
        api::post::<_, Key>("/v1/keys:rotate", &json!({})).await
    });
    on_done(rotate, move |answer| match answer {
        Ok(k) => {
            toast::show(format!("New signing key {} is active", short_kid(&k.kid)));
            reload.run(());
        }
        Err(e) => error.set(Some(e.message)),
    });
    let rotating = rotate.pending();
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
                on_confirm=move |()| {
                    error.set(None);
                    rotate.dispatch_local(());
                }
            />
            <ErrorBanner error=error />
            {move || rotating.get().then(|| view! { <p class="muted org-note" role="status">"Generating a new key…"</p> })}
            <Loaded resource=keys let:list>
                <KeysTable list=list now=now error=error on_change=reload />
            </Loaded>
            <Purge keys=keys now=now error=error on_change=reload />
            <JwksCard jwks=jwks />
        </div>
    }
}

#[component]
fn KeysTable(
    list: Vec<Key>,
    now: ReadSignal<i64>,
    error: RwSignal<Option<String>>,
    on_change: Callback<()>,
) -> impl IntoView {
    if list.is_empty() {
        return view! {
            <Empty
                title="No signing keys yet"
                hint="The server makes one when it starts. Press “Rotate signing key” to create one now.".to_owned()
            />
        }
        .into_any();
    }
    let rows = list
        .into_iter()
        .map(|k| view! { <KeyRow key=k now=now error=error on_change=on_change /> })
        .collect_view();
    view! {
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
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

/// "Delete expired keys", while retired keys that are no longer published remain.
#[component]
fn Purge(
    keys: LocalResource<Result<Vec<Key>, ApiError>>,
    now: ReadSignal<i64>,
    error: RwSignal<Option<String>>,
    on_change: Callback<()>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let purge = Action::new_local(|_: &()| {
        // `{"deleted": ["kid", ...]}` (the kids removed).
        async {
            let d: DeletedKeys = api::post("/v1/keys:delete-expired", &json!({})).await?;
            Ok::<_, ApiError>(d.deleted.len())
        }
    });
    on_done(purge, move |answer| match answer {
        Ok(n) => {
            toast::show(match n {
                0 => "No expired keys to delete".to_owned(),
                1 => "1 expired key deleted".to_owned(),
                n => format!("{n} expired keys deleted"),
            });
            on_change.run(());
        }
        Err(e) => error.set(Some(e.message)),
    });
    let expired = move || {
        let t = now.get();
        keys.get().and_then(Result::ok).map_or(0, |list| {
            list.iter()
                .filter(|k| phase_of(k, t) == Phase::Retired)
                .count()
        })
    };
    view! {
        {move || {
            let n = expired();
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
                            <button type="button" class="btn" on:click=move |_| open.set(true)>
                                "Delete expired keys"
                            </button>
                        </div>
                    }
                })
        }}
        <ConfirmDialog
            open=open
            title="Delete expired keys?"
            message="Retired keys that are no longer published are removed for good. No token depends on them any more."
            confirm_label="Delete"
            danger=true
            on_confirm=move |()| {
                purge.dispatch_local(());
            }
        />
    }
}

#[component]
fn JwksDocument(uri: String, pretty: String) -> impl IntoView {
    view! {
        <p class="org-jwks-uri">
            <span class="muted">"Published at "</span>
            <a class="mono" href=uri.clone() target="_blank" rel="noopener">{uri.clone()}</a>
        </p>
        <pre class="mono org-jwks" tabindex="0" aria-label="JWKS document">{pretty}</pre>
    }
}

/// The JWKS as apps and APIs fetch it, with "Refresh" and "Copy JWKS".
#[component]
fn JwksCard(jwks: LocalResource<Result<(String, String), ApiError>>) -> impl IntoView {
    let jwks_text = Signal::derive(move || {
        jwks.get()
            .and_then(Result::ok)
            .map(|(_, pretty)| pretty)
            .unwrap_or_default()
    });
    view! {
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
            <Loaded resource=jwks let:found>
                <JwksDocument uri=found.0 pretty=found.1 />
            </Loaded>
        </section>
    }
}

#[component]
fn KeyRow(
    key: Key,
    now: ReadSignal<i64>,
    error: RwSignal<Option<String>>,
    on_change: Callback<()>,
) -> impl IntoView {
    let confirm = RwSignal::new(false);
    let k = StoredValue::new(key.clone());
    let phase = move || k.with_value(|k| phase_of(k, now.get()));
    let short = short_kid(&key.kid);
    let retire = Action::new_local(move |_: &()| {
        let path = format!("/v1/keys/{}:retire", enc(&k.with_value(|k| k.kid.clone())));
        async move { api::post::<_, Key>(&path, &json!({})).await }
    });
    on_done(retire, move |answer| match answer {
        Ok(_) => {
            toast::show("Key retired: it is no longer published");
            on_change.run(());
        }
        Err(e) => error.set(Some(e.message)),
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
                    on_confirm=move |()| {
                        retire.dispatch_local(());
                    }
                />
            </td>
        </tr>
    }
}
