//! What the inspector works with: the typed fields, this issuer's discovery document and
//! JWKS (a resource), the audit event named by `?event=` (a resource), the decoded token,
//! its signature check (a resource that follows the token and the keys) and the findings.

use std::time::Duration;

use leptos::prelude::*;
use serde_json::{Map, Value};

use super::checks::{self, Context, Finding};
use super::jwt::{self, Decoded};
use super::verify;
use crate::app::query_param;
use crate::components::time;
use crate::pages::audit::{self, stream, AuditEvent, EventExt};

/// The signature check's answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Sig {
    /// Nothing to check (no token).
    Idle,
    /// Waiting for this issuer's keys.
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
    /// The keys hold no key for the token (`kid` it names, if any).
    NoKey {
        kid: Option<String>,
        source: &'static str,
    },
}

/// What is being inspected: a pasted token, or the claims an event recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct Subject {
    pub header: Option<Map<String, Value>>,
    pub claims: Map<String, Value>,
    pub recorded: bool,
}

/// This issuer's discovery answer and JWKS (public, fetched without any token).
#[derive(Clone, Debug, PartialEq)]
pub struct IssuerKeys {
    pub issuer: Result<verify::Issuer, String>,
    pub jwks: Result<Value, String>,
}

/// The keys the signature is checked with (`None` while this issuer's load).
type KeysInUse = Option<Result<(Value, &'static str), String>>;

/// What a signature check was made for: the token, the keys, the "Verify" count.
type SigInputs = (Option<Result<Decoded, String>>, KeysInUse, u64);

#[derive(Clone, Copy)]
pub struct Inspection {
    pub token: RwSignal<String>,
    pub jwks_text: RwSignal<String>,
    pub scope: RwSignal<String>,
    pub audience: RwSignal<String>,
    pub keys: LocalResource<IssuerKeys>,
    pub event_id: StoredValue<Option<String>>,
    pub event: LocalResource<Option<Result<AuditEvent, String>>>,
    pub decoded: Memo<Option<Result<Decoded, String>>>,
    pub pasted: Memo<Option<Result<Value, String>>>,
    pub in_use: Memo<KeysInUse>,
    sig: LocalResource<(SigInputs, Sig)>,
    /// The kid this issuer's keys are being reloaded for (keys may have rotated).
    pub reloading_for: RwSignal<Option<String>>,
    /// Bumped by "Verify" to check again.
    pub again: RwSignal<u64>,
    pub subject: Memo<Option<Subject>>,
    pub findings: Memo<Option<Vec<Finding>>>,
    pub now: ReadSignal<i64>,
}

impl Inspection {
    /// "Verify": reload this issuer's keys (unless a JWKS is pasted) and check again.
    pub fn verify(self) {
        if self.pasted.with_untracked(Option::is_none) {
            self.keys.refetch();
        }
        self.again.update(|n| *n += 1);
    }

    /// The signature check of what is typed now ("Checking" until it has answered; a
    /// missing key reads as "not checked" once this issuer's keys are reloaded for it).
    pub fn signature(self) -> Sig {
        let inputs = (self.decoded.get(), self.in_use.get(), self.again.get());
        match self.sig.get() {
            Some((_, Sig::NoKey { kid: Some(kid), .. }))
                if self.reloading_for.with(|r| r.as_ref() == Some(&kid)) =>
            {
                Sig::Checking
            }
            Some((checked, Sig::NoKey { kid, source })) if checked == inputs => {
                Sig::Unchecked(match kid {
                    Some(k) => format!("{source} has no key “{k}”"),
                    None => format!("the token names no key and {source} holds several"),
                })
            }
            Some((checked, sig)) if checked == inputs => sig,
            _ => Sig::Checking,
        }
    }

    /// The event the claims came from, once loaded.
    pub fn loaded_event(self) -> Option<AuditEvent> {
        self.event.get().flatten().and_then(Result::ok)
    }
}

async fn issuer_keys() -> IssuerKeys {
    match verify::discover().await {
        Ok(found) => {
            let jwks = verify::fetch_jwks(&found.jwks_uri).await;
            IssuerKeys {
                issuer: Ok(found),
                jwks,
            }
        }
        Err(e) => IssuerKeys {
            issuer: Err(e.clone()),
            jwks: Err(e),
        },
    }
}

/// An event opened from the feed is at hand; one opened by its address is fetched.
async fn recorded_event(id: Option<String>) -> Option<Result<AuditEvent, String>> {
    let id = id?;
    Some(match audit::recall(&id) {
        Some(event) => Ok(event),
        None => stream::fetch_one(&id).await,
    })
}

pub fn use_inspection() -> Inspection {
    let token = RwSignal::new(String::new());
    let jwks_text = RwSignal::new(String::new());
    let keys = LocalResource::new(issuer_keys);
    let event_id = query_param("event").filter(|s| !s.trim().is_empty());
    let event = {
        let id = event_id.clone();
        LocalResource::new(move || recorded_event(id.clone()))
    };
    let decoded = Memo::new(move |_| {
        let t = jwt::clean(&token.get());
        (!t.is_empty()).then(|| jwt::decode(&t))
    });
    let pasted = Memo::new(move |_| {
        let t = jwks_text.get();
        (!t.trim().is_empty()).then(|| verify::parse_jwks(&t))
    });
    let in_use = Memo::new(move |_| keys_in_use(pasted.get(), keys.get()));
    let again = RwSignal::new(0u64);
    let sig = LocalResource::new(move || {
        let inputs = (decoded.get(), in_use.get(), again.get());
        async move { (inputs.clone(), signature(inputs.0, inputs.1).await) }
    });
    let subject = Memo::new(move |_| match decoded.get() {
        Some(Ok(d)) => Some(Subject {
            header: Some(d.header),
            claims: d.claims,
            recorded: false,
        }),
        Some(Err(_)) => None,
        None => recorded_subject(event.get().flatten()),
    });
    let scope = RwSignal::new(String::new());
    let audience = RwSignal::new(String::new());
    // The live countdown: everything time-dependent reads `now`.
    let now = time::use_now(Duration::from_secs(1));
    let findings = Memo::new(move |_| {
        let s = subject.get()?;
        let keys = keys.get();
        let jwks = in_use.get();
        let scope = scope.get();
        let aud = audience.get();
        let ctx = Context {
            header: s.header.as_ref(),
            claims: &s.claims,
            issuer: keys
                .as_ref()
                .and_then(|k| k.issuer.as_ref().ok())
                .map(|i| i.issuer.as_str()),
            jwks: match &jwks {
                Some(Ok((v, source))) => Some((v, *source)),
                _ => None,
            },
            now: now.get(),
            required_scope: &scope,
            expected_audience: &aud,
        };
        Some(checks::check(&ctx))
    });
    let inspection = Inspection {
        token,
        jwks_text,
        scope,
        audience,
        keys,
        event_id: StoredValue::new(event_id),
        event,
        decoded,
        pasted,
        in_use,
        sig,
        reloading_for: RwSignal::new(None),
        again,
        subject,
        findings,
        now,
    };
    reload_for_unknown_kid(inspection);
    inspection
}

fn recorded_subject(event: Option<Result<AuditEvent, String>>) -> Option<Subject> {
    let event = event?.ok()?;
    event.recorded_claims().map(|c| Subject {
        header: event.recorded_header().cloned(),
        claims: c.clone(),
        recorded: true,
    })
}

fn keys_in_use(pasted: Option<Result<Value, String>>, issuer: Option<IssuerKeys>) -> KeysInUse {
    match pasted {
        Some(Ok(v)) => Some(Ok((v, "the pasted JWKS"))),
        Some(Err(e)) => Some(Err(format!("the pasted JWKS is not usable ({e})"))),
        None => issuer.map(|k| match k.jwks {
            Ok(v) => Ok((v, "this issuer's JWKS")),
            Err(e) => Err(format!("this issuer's JWKS could not be loaded ({e})")),
        }),
    }
}

/// Keys may have rotated since the page loaded them: when this issuer's keys lack the
/// token's kid, they are reloaded once per kid.
fn reload_for_unknown_kid(inspection: Inspection) {
    let refetched_for = StoredValue::new(None::<String>);
    Effect::new(move |_| {
        let Some((_, Sig::NoKey { kid: Some(kid), .. })) = inspection.sig.get() else {
            return;
        };
        if inspection.pasted.with_untracked(Option::is_none)
            && refetched_for.get_value().as_ref() != Some(&kid)
        {
            refetched_for.set_value(Some(kid.clone()));
            inspection.reloading_for.set(Some(kid));
            inspection.keys.refetch();
        }
    });
    Effect::watch(
        move || inspection.keys.track(),
        move |_, _, _| inspection.reloading_for.set(None),
        false,
    );
}

/// Checks the pasted token's signature with `keys` (RS256 with WebCrypto).
async fn signature(decoded: Option<Result<Decoded, String>>, keys: KeysInUse) -> Sig {
    let Some(Ok(d)) = decoded else {
        return Sig::Idle;
    };
    let alg = d.header.get("alg").and_then(Value::as_str).unwrap_or("");
    if alg.eq_ignore_ascii_case("none") || alg.is_empty() {
        return Sig::Unsigned;
    }
    if alg != "RS256" {
        return Sig::Unchecked(format!(
            "only RS256 signatures are checked here, and this token uses {alg}"
        ));
    }
    let (jwks, source) = match keys {
        None => return Sig::Checking,
        Some(Err(e)) => return Sig::Unchecked(e),
        Some(Ok(found)) => found,
    };
    let kid = d
        .header
        .get("kid")
        .and_then(Value::as_str)
        .map(String::from);
    let Some(key) = verify::find_key(&jwks, kid.as_deref()) else {
        return Sig::NoKey { kid, source };
    };
    let key_name = key
        .get("kid")
        .and_then(Value::as_str)
        .unwrap_or("(unnamed)")
        .to_owned();
    let source = source.to_owned();
    match verify::verify_rs256(&key, &d.signing_input, &d.signature).await {
        Ok(true) => Sig::Valid {
            kid: key_name,
            source,
        },
        Ok(false) => Sig::Invalid {
            kid: key_name,
            source,
        },
        Err(e) => Sig::Unchecked(e),
    }
}
