//! The token inspector: paste a JWT (or open the claims an audit event recorded) and see
//! its header and claims explained, its times counting down live, its signature checked
//! with WebCrypto against this issuer's JWKS (or a pasted one), and every reason a
//! resource server would refuse it. Decoding and verification run in the page: the token
//! is never sent anywhere.

pub mod checks;
pub mod claims;
pub mod jwt;
pub mod verify;

use std::time::Duration;

use leptos::prelude::*;
use serde_json::{Map, Value};

use crate::app::query_param;
use crate::components::time;
use crate::components::{Empty, ErrorBanner, Loading, PageHeader};
use crate::pages::audit::{self, stream, type_label, AuditEvent};
use checks::{Context, Finding, Level};
use claims::Kind;

/// The exact note shown over claims opened from the audit log.
const RECORDED_NOTE: &str = "Recorded claims — Tessera never stores tokens, so the signature \
                             cannot be checked from the audit log; paste the token to verify \
                             its signature.";

#[derive(Clone, Debug, PartialEq)]
enum Remote<T> {
    Loading,
    Ready(T),
    Failed(String),
}

/// The signature check's state.
#[derive(Clone, Debug, PartialEq)]
enum Sig {
    /// Nothing to check (no token, or recorded claims).
    Idle,
    Checking,
    Valid {
        kid: String,
        source: String,
    },
    Invalid {
        kid: String,
        source: String,
    },
    /// `alg: none` (or no alg): there is no signature at all.
    Unsigned,
    Unchecked(String),
}

/// What is being inspected: a pasted token, or the claims an event recorded.
#[derive(Clone, Debug, PartialEq)]
struct Subject {
    header: Option<Map<String, Value>>,
    claims: Map<String, Value>,
    recorded: bool,
}

#[component]
pub fn InspectorPage() -> impl IntoView {
    let token_text = RwSignal::new(String::new());
    let jwks_text = RwSignal::new(String::new());
    let required_scope = RwSignal::new(String::new());
    let expected_aud = RwSignal::new(String::new());
    let issuer = RwSignal::new(Remote::<verify::Issuer>::Loading);
    let issuer_jwks = RwSignal::new(Remote::<Value>::Loading);
    let now = RwSignal::new(time::now());
    let sig = RwSignal::new(Sig::Idle);
    let verify_nonce = RwSignal::new(0u64);
    let verify_seq = StoredValue::new(0u64);
    let refetched_for = StoredValue::new(None::<String>);
    let event_id = query_param("event").filter(|s| !s.trim().is_empty());
    let event = RwSignal::new(None::<Remote<AuditEvent>>);

    // The live countdown: everything time-dependent reads `now`.
    if let Ok(tick) = set_interval_with_handle(
        move || {
            let _ = now.try_set(time::now());
        },
        Duration::from_secs(1),
    ) {
        on_cleanup(move || tick.clear());
    }

    // This issuer's discovery document and JWKS: public, fetched without any token.
    let load_keys = move || {
        issuer_jwks.set(Remote::Loading);
        leptos::task::spawn_local(async move {
            match verify::discover().await {
                Ok(found) => {
                    let uri = found.jwks_uri.clone();
                    let _ = issuer.try_set(Remote::Ready(found));
                    let keys = match verify::fetch_jwks(&uri).await {
                        Ok(jwks) => Remote::Ready(jwks),
                        Err(e) => Remote::Failed(e),
                    };
                    let _ = issuer_jwks.try_set(keys);
                }
                Err(e) => {
                    let _ = issuer.try_set(Remote::Failed(e.clone()));
                    let _ = issuer_jwks.try_set(Remote::Failed(e));
                }
            }
        });
    };
    load_keys();

    if let Some(id) = event_id.clone() {
        match audit::recall(&id) {
            Some(e) => event.set(Some(Remote::Ready(e))),
            None => {
                event.set(Some(Remote::Loading));
                leptos::task::spawn_local(async move {
                    let loaded = match stream::fetch_one(&id).await {
                        Ok(e) => Remote::Ready(e),
                        Err(e) => Remote::Failed(e),
                    };
                    let _ = event.try_set(Some(loaded));
                });
            }
        }
    }

    let decoded = Memo::new(move |_| {
        let t = jwt::clean(&token_text.get());
        (!t.is_empty()).then(|| jwt::decode(&t))
    });
    let pasted_jwks = Memo::new(move |_| {
        let t = jwks_text.get();
        (!t.trim().is_empty()).then(|| verify::parse_jwks(&t))
    });
    let jwks_in_use = Memo::new(move |_| match pasted_jwks.get() {
        Some(Ok(v)) => Remote::Ready((v, "the pasted JWKS")),
        Some(Err(e)) => Remote::Failed(format!("the pasted JWKS is not usable ({e})")),
        None => match issuer_jwks.get() {
            Remote::Loading => Remote::Loading,
            Remote::Ready(v) => Remote::Ready((v, "this issuer's JWKS")),
            Remote::Failed(e) => {
                Remote::Failed(format!("this issuer's JWKS could not be loaded ({e})"))
            }
        },
    });
    let subject = Memo::new(move |_| match decoded.get() {
        Some(Ok(d)) => Some(Subject {
            header: Some(d.header),
            claims: d.claims,
            recorded: false,
        }),
        Some(Err(_)) => None,
        None => match event.get() {
            Some(Remote::Ready(e)) => e.recorded_claims().map(|c| Subject {
                header: e.recorded_header().cloned(),
                claims: c.clone(),
                recorded: true,
            }),
            _ => None,
        },
    });

    // Verifies the pasted token whenever it, the keys or the "Verify" button change.
    Effect::new(move |_| {
        verify_nonce.track();
        let d = decoded.get();
        let keys = jwks_in_use.get();
        let seq = verify_seq.get_value() + 1;
        verify_seq.set_value(seq);
        let Some(Ok(d)) = d else {
            sig.set(Sig::Idle);
            return;
        };
        let alg = d
            .header
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        if alg.eq_ignore_ascii_case("none") || alg.is_empty() {
            sig.set(Sig::Unsigned);
            return;
        }
        if alg != "RS256" {
            sig.set(Sig::Unchecked(format!(
                "only RS256 signatures are checked here, and this token uses {alg}"
            )));
            return;
        }
        let (jwks, source) = match keys {
            Remote::Loading => {
                sig.set(Sig::Checking);
                return;
            }
            Remote::Failed(e) => {
                sig.set(Sig::Unchecked(e));
                return;
            }
            Remote::Ready(found) => found,
        };
        let kid = d
            .header
            .get("kid")
            .and_then(Value::as_str)
            .map(String::from);
        let Some(key) = verify::find_key(&jwks, kid.as_deref()) else {
            // Keys may have rotated since the page loaded them: reload once per kid.
            if pasted_jwks.with_untracked(Option::is_none)
                && kid.is_some()
                && refetched_for.get_value() != kid
            {
                refetched_for.set_value(kid);
                sig.set(Sig::Checking);
                load_keys();
                return;
            }
            sig.set(Sig::Unchecked(match kid {
                Some(k) => format!("{source} has no key “{k}”"),
                None => format!("the token names no key and {source} holds several"),
            }));
            return;
        };
        let key_name = key
            .get("kid")
            .and_then(Value::as_str)
            .unwrap_or("(unnamed)")
            .to_owned();
        sig.set(Sig::Checking);
        leptos::task::spawn_local(async move {
            let result = verify::verify_rs256(&key, &d.signing_input, &d.signature).await;
            if verify_seq.try_get_value() != Some(seq) {
                return;
            }
            let source = source.to_owned();
            let _ = sig.try_set(match result {
                Ok(true) => Sig::Valid {
                    kid: key_name,
                    source,
                },
                Ok(false) => Sig::Invalid {
                    kid: key_name,
                    source,
                },
                Err(e) => Sig::Unchecked(e),
            });
        });
    });

    let on_verify = move |_| {
        if pasted_jwks.get_untracked().is_some() {
            verify_nonce.update(|n| *n += 1);
        } else {
            load_keys();
        }
    };

    let findings = Memo::new(move |_| {
        let s = subject.get()?;
        let issuer = issuer.get();
        let jwks = jwks_in_use.get();
        let scope = required_scope.get();
        let aud = expected_aud.get();
        let ctx = Context {
            header: s.header.as_ref(),
            claims: &s.claims,
            issuer: match &issuer {
                Remote::Ready(i) => Some(i.issuer.as_str()),
                _ => None,
            },
            jwks: match &jwks {
                Remote::Ready((v, source)) => Some((v, *source)),
                _ => None,
            },
            now: now.get(),
            required_scope: &scope,
            expected_audience: &aud,
        };
        Some(checks::check(&ctx))
    });

    let decode_error = move || match decoded.get() {
        Some(Err(e)) => Some(e),
        _ => None,
    };
    let jwks_error = move || match pasted_jwks.get() {
        Some(Err(e)) => Some(e),
        _ => None,
    };
    let jwks_hint = move || match (&*issuer.read(), &*issuer_jwks.read()) {
        (Remote::Ready(i), Remote::Ready(_)) => {
            format!("Empty: this issuer's keys ({}) are used.", i.jwks_uri)
        }
        (_, Remote::Failed(e)) => format!("This issuer's keys could not be loaded: {e}"),
        _ => "Loading this issuer's keys…".to_owned(),
    };
    let event_for_banner = event_id.clone();

    let main = move || {
        if let Some(s) = subject.get() {
            let origin = if s.recorded {
                event.get().and_then(|e| match e {
                    Remote::Ready(e) => Some(e),
                    _ => None,
                })
            } else {
                None
            };
            return view! {
                {origin.map(|e| view! { <RecordedBanner event=e /> })}
                {(!s.recorded && event_for_banner.is_some())
                    .then(|| {
                        view! {
                            <p class="insp-aside muted">
                                "Showing the pasted token. Clear the JWT field to see the claims audit event "
                                {event_for_banner.clone()} " recorded."
                            </p>
                        }
                    })}
                <Analysis subject=s sig=sig findings=findings now=now />
            }
            .into_any();
        }
        if decoded.with(Option::is_some) {
            // The decode error is shown under the field.
            return ().into_any();
        }
        match event.get() {
            Some(Remote::Loading) => view! { <Loading /> }.into_any(),
            Some(Remote::Failed(e)) => view! {
                <ErrorBanner error=Signal::derive(move || Some(e.clone())) />
                <InspectorEmpty />
            }
            .into_any(),
            Some(Remote::Ready(e)) => view! {
                <Empty
                    title="This event recorded no token claims"
                    hint=format!(
                        "{} events do not carry the claims of a token. Open a “Token issued” or \
                         “Token refreshed” event, or paste a token above.",
                        type_label(&e.kind),
                    )
                >
                    <a class="btn" href="/console/audit">"Back to the audit log"</a>
                </Empty>
            }
            .into_any(),
            None => view! { <InspectorEmpty /> }.into_any(),
        }
    };

    view! {
        <section class="page inspector-page">
            <PageHeader
                title="Token inspector"
                subtitle="Decode a JWT, read what every claim means, check its signature and \
                          see why an API would refuse it."
                    .to_owned()
            />
            <p class="insp-privacy" role="note">
                <svg viewBox="0 0 20 20" aria-hidden="true" class="insp-lock">
                    <rect x="4" y="9" width="12" height="8" rx="2" fill="none" stroke="currentColor" stroke-width="1.8" />
                    <path d="M7 9V6.5a3 3 0 0 1 6 0V9" fill="none" stroke="currentColor" stroke-width="1.8" />
                </svg>
                <span>
                    "Nothing you paste leaves this machine: the token is decoded and its signature \
                     checked here in the page. The only requests fetch this issuer's public keys, \
                     and they never carry the token."
                </span>
            </p>
            <div class="card insp-inputs">
                <div class="field insp-jwt">
                    <label for="insp-jwt">"JWT"</label>
                    <textarea
                        id="insp-jwt"
                        class="textarea mono"
                        rows="5"
                        placeholder="eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6Ii4uLiJ9.eyJpc3MiOi…"
                        spellcheck="false"
                        autocomplete="off"
                        autocapitalize="off"
                        aria-describedby="insp-jwt-hint"
                        aria-invalid=move || if decode_error().is_some() { "true" } else { "false" }
                        prop:value=move || token_text.get()
                        on:input=move |ev| token_text.set(event_target_value(&ev))
                    ></textarea>
                    <p class="hint" id="insp-jwt-hint">
                        "An access token or ID token: three base64url parts separated by dots."
                    </p>
                    {move || decode_error().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                </div>
                <div class="field insp-jwks-field">
                    <label for="insp-jwks">"JWKS (optional)"</label>
                    <textarea
                        id="insp-jwks"
                        class="textarea mono insp-jwks"
                        rows="4"
                        placeholder="{\"keys\": [{\"kty\": \"RSA\", \"kid\": \"…\", \"n\": \"…\", \"e\": \"AQAB\"}]}"
                        spellcheck="false"
                        autocomplete="off"
                        aria-invalid=move || if jwks_error().is_some() { "true" } else { "false" }
                        prop:value=move || jwks_text.get()
                        on:input=move |ev| jwks_text.set(event_target_value(&ev))
                    ></textarea>
                    <p class="hint">{jwks_hint}</p>
                    {move || jwks_error().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                </div>
                <div class="insp-needs">
                    <div class="field">
                        <label for="insp-scope">"Required scope"</label>
                        <input
                            id="insp-scope"
                            class="input mono"
                            placeholder="orders:read"
                            spellcheck="false"
                            autocomplete="off"
                            aria-describedby="insp-needs-hint"
                            prop:value=move || required_scope.get()
                            on:input=move |ev| required_scope.set(event_target_value(&ev))
                        />
                    </div>
                    <div class="field">
                        <label for="insp-aud">"Expected audience"</label>
                        <input
                            id="insp-aud"
                            class="input mono"
                            placeholder="https://api.example.com"
                            spellcheck="false"
                            autocomplete="off"
                            aria-describedby="insp-needs-hint"
                            prop:value=move || expected_aud.get()
                            on:input=move |ev| expected_aud.set(event_target_value(&ev))
                        />
                    </div>
                    <div class="insp-actions">
                        <button
                            type="button"
                            class="btn btn-primary"
                            title="Reload the keys and check again"
                            on:click=on_verify
                        >
                            "Verify"
                        </button>
                        <Show when=move || !token_text.with(String::is_empty)>
                            <button
                                type="button"
                                class="btn btn-ghost"
                                on:click=move |_| token_text.set(String::new())
                            >
                                "Clear token"
                            </button>
                        </Show>
                    </div>
                    <p class="hint insp-needs-hint" id="insp-needs-hint">
                        "Optional: what your API needs (several scopes separated by spaces). \
                         Verify reloads this issuer's keys and checks again."
                    </p>
                </div>
            </div>
            {main}
        </section>
    }
}

#[component]
fn InspectorEmpty() -> impl IntoView {
    view! {
        <Empty
            title="Paste a token to inspect it"
            hint="Paste an access token or an ID token into the JWT field: three base64url parts \
                  separated by dots, starting with “eyJ”. To look at a token the server issued, \
                  open its “Token issued” event in the audit log and choose “Open in inspector”."
                .to_owned()
        >
            <a class="btn" href="/console/audit">"Open the audit log"</a>
        </Empty>
    }
}

/// Where recorded claims came from, and why their signature cannot be checked.
#[component]
fn RecordedBanner(event: AuditEvent) -> impl IntoView {
    let ts = event.at_secs();
    let grant = event
        .detail
        .as_ref()
        .and_then(|d| d.get("grant_type"))
        .and_then(Value::as_str)
        .map(|g| format!(" · grant {g}"));
    view! {
        <div class="card insp-recorded" role="note">
            <p class="insp-recorded-note">{RECORDED_NOTE}</p>
            <p class="muted insp-recorded-from">
                "Audit event " <span class="mono">{event.id.clone()}</span> " · "
                {type_label(&event.kind)} " · " {time::local(ts)} {grant} " · "
                <a href="/console/audit">"Back to the audit log"</a>
            </p>
        </div>
    }
}

/// The verdict, the header and the claims of what is inspected.
#[component]
fn Analysis(
    subject: Subject,
    sig: RwSignal<Sig>,
    findings: Memo<Option<Vec<Finding>>>,
    now: RwSignal<i64>,
) -> impl IntoView {
    let kind = claims::kind(subject.header.as_ref(), &subject.claims);
    let recorded = subject.recorded;
    let exp = subject.claims.get("exp").and_then(Value::as_i64);
    let iat = subject.claims.get("iat").and_then(Value::as_i64);

    let sig_view = move || {
        if recorded {
            return view! {
                <div class="insp-sig insp-sig-none">
                    <span class="insp-sig-icon" aria-hidden="true">"–"</span>
                    <div>
                        <strong>"Signature not checked"</strong>
                        <p class="muted">"Recorded claims carry no signature."</p>
                    </div>
                </div>
            }
            .into_any();
        }
        let (class, icon, title, detail) = match sig.get() {
            Sig::Idle | Sig::Checking => (
                "insp-sig insp-sig-none",
                "…",
                "Checking the signature…".to_owned(),
                String::new(),
            ),
            Sig::Valid { kid, source } => (
                "insp-sig insp-sig-ok",
                "✓",
                "Signature valid".to_owned(),
                format!("RS256, verified with key “{kid}” from {source}."),
            ),
            Sig::Invalid { kid, source } => (
                "insp-sig insp-sig-bad",
                "✕",
                "Signature invalid".to_owned(),
                format!(
                    "It does not match key “{kid}” from {source}: the token was altered, or \
                     signed with another key."
                ),
            ),
            Sig::Unsigned => (
                "insp-sig insp-sig-bad",
                "✕",
                "No signature".to_owned(),
                "The token is unsigned (alg “none”): anyone could have written it.".to_owned(),
            ),
            Sig::Unchecked(why) => (
                "insp-sig insp-sig-warn",
                "!",
                "Signature not checked".to_owned(),
                capitalize(&format!("{why}.")),
            ),
        };
        view! {
            <div class=class role="status">
                <span class="insp-sig-icon" aria-hidden="true">{icon}</span>
                <div>
                    <strong>{title}</strong>
                    {(!detail.is_empty()).then(|| view! { <p class="muted">{detail}</p> })}
                </div>
            </div>
        }
        .into_any()
    };

    let expiry_view = move || {
        let exp = exp?;
        let n = now.get();
        let left = exp - n;
        let (class, text) = if left > 0 {
            (
                if left <= 60 {
                    "insp-expiry insp-expiry-soon"
                } else {
                    "insp-expiry"
                },
                format!("Expires in {}", claims::span(left.unsigned_abs())),
            )
        } else {
            (
                "insp-expiry insp-expiry-gone",
                format!("Expired {} ago", claims::span(left.unsigned_abs())),
            )
        };
        let pct = match iat {
            Some(iat) if exp > iat => {
                ((exp - n) as f64 / (exp - iat) as f64).clamp(0.0, 1.0) * 100.0
            }
            _ => 0.0,
        };
        Some(view! {
            <div class=class>
                <div class="insp-expiry-text">
                    <strong>{text}</strong>
                    <span class="muted">{time::local(exp)}</span>
                </div>
                <div class="insp-bar" aria-hidden="true">
                    <span style:width=format!("{pct:.1}%")></span>
                </div>
            </div>
        })
    };

    let verdict_view = move || {
        let list = findings.get().unwrap_or_default();
        let mut refusals: Vec<String> = Vec::new();
        if let Sig::Invalid { kid, source } = sig.get() {
            if !recorded {
                refusals.push(format!(
                    "The signature does not match key “{kid}” from {source}."
                ));
            }
        }
        refusals.extend(
            list.iter()
                .filter(|f| f.level == Level::Refuse)
                .map(|f| f.text.clone()),
        );
        let notes: Vec<String> = list
            .iter()
            .filter(|f| f.level == Level::Note)
            .map(|f| f.text.clone())
            .collect();
        let sig_ok = matches!(sig.get(), Sig::Valid { .. });
        let headline = if !refusals.is_empty() {
            let n = refusals.len();
            view! {
                <p class="insp-answer insp-answer-bad">
                    {format!(
                        "No — a resource server would refuse it ({n} {}):",
                        if n == 1 { "reason" } else { "reasons" },
                    )}
                </p>
            }
            .into_any()
        } else if sig_ok {
            view! {
                <p class="insp-answer insp-answer-ok">
                    "Yes — valid signature, and no reason to refuse it was found."
                </p>
            }
            .into_any()
        } else {
            view! {
                <p class="insp-answer">
                    "No reason to refuse it was found in the checks that could run — but the \
                     signature is not checked, and a resource server checks it first."
                </p>
            }
            .into_any()
        };
        view! {
            {headline}
            {(!refusals.is_empty())
                .then(|| {
                    view! {
                        <ul class="insp-reasons">
                            {refusals.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}
                        </ul>
                    }
                })}
            {(!notes.is_empty())
                .then(|| {
                    view! {
                        <ul class="insp-notes">
                            {notes.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}
                        </ul>
                    }
                })}
        }
    };

    let header_rows = subject
        .header
        .as_ref()
        .map(claims::header_order)
        .unwrap_or_default();
    let claim_rows = claims::claim_order(&subject.claims);
    let sub_is_client = subject.claims.get("sub").is_some()
        && subject.claims.get("sub") == subject.claims.get("client_id");
    let raw_header = subject
        .header
        .as_ref()
        .and_then(|h| serde_json::to_string_pretty(h).ok());
    let raw_claims = serde_json::to_string_pretty(&subject.claims).unwrap_or_default();

    view! {
        <div class="card insp-verdict">
            <div class="insp-kind">
                <span class="badge badge-muted">{kind.label()}</span>
                <span class="muted">{kind.blurb()}</span>
            </div>
            <div class="insp-verdict-grid">
                {sig_view}
                {expiry_view}
            </div>
            <h2 class="insp-h">"Would an API accept it?"</h2>
            {verdict_view}
        </div>

        <div class="card insp-table-card">
            <h2 class="card-title">"Header"</h2>
            {if header_rows.is_empty() {
                view! {
                    <p class="muted">
                        {if recorded {
                            "This event recorded no header."
                        } else {
                            "The header is empty."
                        }}
                    </p>
                }
                    .into_any()
            } else {
                view! { <ClaimTable rows=header_rows header=true kind=kind now=now sub_is_client=false /> }
                    .into_any()
            }}
        </div>

        <div class="card insp-table-card">
            <h2 class="card-title">{if recorded { "Recorded claims" } else { "Claims" }}</h2>
            <ClaimTable rows=claim_rows header=false kind=kind now=now sub_is_client=sub_is_client />
        </div>

        <details class="card insp-raw">
            <summary>"Raw JSON"</summary>
            {raw_header
                .map(|h| {
                    view! {
                        <h3 class="insp-raw-title">"Header"</h3>
                        <pre class="secret insp-pre">{h}</pre>
                    }
                })}
            <h3 class="insp-raw-title">{if recorded { "Recorded claims" } else { "Payload" }}</h3>
            <pre class="secret insp-pre">{raw_claims}</pre>
        </details>
    }
}

#[component]
fn ClaimTable(
    rows: Vec<(String, Value)>,
    header: bool,
    kind: Kind,
    now: RwSignal<i64>,
    sub_is_client: bool,
) -> impl IntoView {
    let first = if header { "Member" } else { "Claim" };
    let body = rows
        .into_iter()
        .map(|(name, value)| {
            let mut meaning = if header {
                claims::header_meaning(&name).to_owned()
            } else {
                claims::claim_meaning(&name, kind).to_owned()
            };
            if !header && name == "sub" && sub_is_client {
                meaning.push_str(
                    " Here it is the client itself: a service-to-service token, no user.",
                );
            }
            let value_view = render_value(&name, &value, header, now);
            view! {
                <tr>
                    <th scope="row" class="mono insp-name">{name}</th>
                    <td class="insp-value">{value_view}</td>
                    <td class="insp-meaning">{meaning}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table insp-table">
                <thead>
                    <tr>
                        <th scope="col">{first}</th>
                        <th scope="col">"Value"</th>
                        <th scope="col">"What it means"</th>
                    </tr>
                </thead>
                <tbody>{body}</tbody>
            </table>
        </div>
    }
}

fn render_value(name: &str, value: &Value, header: bool, now: RwSignal<i64>) -> AnyView {
    if !header && claims::TIME_CLAIMS.contains(&name) {
        if let Some(ts) = value.as_i64() {
            return view! {
                <div>{time::local(ts)}</div>
                <div class="insp-rel">{move || claims::relative_to(ts, now.get())}</div>
                <div class="mono muted insp-raw-num">{ts}</div>
            }
            .into_any();
        }
    }
    if !header && name == "scope" {
        if let Some(s) = value.as_str() {
            let items: Vec<String> = s.split_whitespace().map(String::from).collect();
            return chips(items);
        }
    }
    match value {
        Value::String(s) => view! { <span class="mono insp-break">{s.clone()}</span> }.into_any(),
        Value::Array(items) if items.iter().all(|v| !v.is_object() && !v.is_array()) => {
            chips(items.iter().map(audit::detail::plain).collect())
        }
        Value::Object(obj) => {
            let rows = obj
                .iter()
                .map(|(k, v)| {
                    view! {
                        <dt class="mono">{k.clone()}</dt>
                        <dd class="mono insp-break">{audit::detail::plain(v)}</dd>
                    }
                })
                .collect_view();
            view! { <dl class="kv insp-nested">{rows}</dl> }.into_any()
        }
        Value::Bool(b) => view! { <span class="mono">{b.to_string()}</span> }.into_any(),
        other => view! { <span class="mono insp-break">{other.to_string()}</span> }.into_any(),
    }
}

fn chips(items: Vec<String>) -> AnyView {
    if items.is_empty() {
        return view! { <span class="muted">"(none)"</span> }.into_any();
    }
    view! {
        <span class="insp-chips">
            {items
                .into_iter()
                .map(|i| view! { <span class="badge badge-muted mono">{i}</span> })
                .collect_view()}
        </span>
    }
    .into_any()
}

/// "the key…" → "The key…".
fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
