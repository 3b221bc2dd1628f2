//! First run in the desktop window (the server runs, no super-admin exists yet): the
//! first super-admin's account plus the server's issuer URL and port, sent to the shell's
//! `complete_setup` command, which creates the account, restarts the embedded server on
//! the chosen port and answers where the console now is. The window then goes there.
//! In a browser the CLI is the way (`tessera superadmin create`).

use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::brand::Brand;
use crate::components::insecure_http::{insecure_http, InsecureHttpWarning, NOT_ACCEPTED};
use crate::components::{ErrorBanner, Loading};
use crate::desktop::{self, ConsoleContext, SetupArgs};

#[component]
pub fn SetupPage(#[prop(optional)] context: Option<ConsoleContext>) -> impl IntoView {
    document().set_title("Set up Tessera");
    match context {
        Some(context) => view! { <SetupForm context=context /> }.into_any(),
        // Reached at /console/setup in the window: ask the shell first.
        None => {
            let context = LocalResource::new(desktop::console_context);
            view! {
                {move || match context.get() {
                    None => view! { <div class="center-screen"><Loading /></div> }.into_any(),
                    Some(Ok(ctx)) if ctx.stage == "setup" => view! { <SetupForm context=ctx /> }.into_any(),
                    Some(Ok(_)) => view! {
                        <div class="center-screen">
                            <main class="landing" id="main" tabindex="-1">
                                <Brand />
                                <section class="card stack">
                                    <h1 tabindex="-1">"Tessera is already set up"</h1>
                                    <p class="muted">"A super-admin exists. Sign in to the console with that account."</p>
                                    <a class="btn btn-primary" href="/console/">"Go to the console"</a>
                                </section>
                            </main>
                        </div>
                    }.into_any(),
                    Some(Err(error)) => view! {
                        <div class="center-screen">
                            <main class="landing" id="main" tabindex="-1">
                                <Brand />
                                <ErrorBanner error=Signal::derive(move || Some(error.clone())) />
                            </main>
                        </div>
                    }.into_any(),
                }}
            }
            .into_any()
        }
    }
}

/// Field problems, shown after the first submit attempt.
#[derive(Clone, Default, PartialEq)]
struct Problems {
    email: Option<&'static str>,
    password: Option<&'static str>,
    confirm: Option<&'static str>,
    issuer: Option<&'static str>,
    /// An http:// issuer on the network, not accepted with the checkbox.
    insecure: Option<&'static str>,
    port: Option<&'static str>,
}

impl Problems {
    fn any(&self) -> bool {
        self != &Problems::default()
    }
}

#[component]
fn SetupForm(context: ConsoleContext) -> impl IntoView {
    let default_port = context.port.unwrap_or(7470);
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let port = RwSignal::new(default_port.to_string());
    let issuer = RwSignal::new(
        context
            .issuer
            .clone()
            .unwrap_or_else(|| format!("http://127.0.0.1:{default_port}")),
    );
    // The issuer follows the port until the user edits it.
    let issuer_touched = RwSignal::new(false);
    let submitted = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let insecure_ok = RwSignal::new(false);

    let follow_port = move |value: String| {
        port.set(value.clone());
        if !issuer_touched.get_untracked() {
            if let Ok(p) = value.trim().parse::<u16>() {
                let current = issuer.get_untracked();
                if let Some(rest) = current
                    .strip_prefix("http://127.0.0.1:")
                    .or_else(|| current.strip_prefix("http://localhost:"))
                {
                    if rest.chars().all(|c| c.is_ascii_digit()) {
                        let host = if current.contains("localhost") {
                            "localhost"
                        } else {
                            "127.0.0.1"
                        };
                        issuer.set(format!("http://{host}:{p}"));
                    }
                }
            }
        }
    };

    let problems = Memo::new(move |_| {
        let mut p = Problems::default();
        let e = email.get();
        let e = e.trim();
        if e.is_empty() {
            p.email = Some("Enter your email address.");
        } else if !e.contains('@') || e.starts_with('@') || e.ends_with('@') {
            p.email = Some("This does not look like an email address.");
        }
        let pw = password.get();
        if pw.chars().count() < 8 {
            p.password = Some("Use at least 8 characters.");
        }
        if confirm.get() != pw {
            p.confirm = Some("The two passwords differ.");
        }
        let i = issuer.get();
        let i = i.trim();
        if !(i.starts_with("http://") || i.starts_with("https://")) {
            p.issuer = Some("Start with https:// (or http:// for this computer only).");
        } else if i.contains('?') || i.contains('#') {
            p.issuer = Some("The issuer URL cannot have a query or fragment.");
        } else if insecure_http(i) && !insecure_ok.get() {
            p.insecure = Some(NOT_ACCEPTED);
        }
        match port.get().trim().parse::<u16>() {
            Ok(0) | Err(_) => p.port = Some("Enter a port between 1 and 65535."),
            Ok(_) => {}
        }
        p
    });
    let shown = move |pick: fn(&Problems) -> Option<&'static str>| {
        move || {
            if submitted.get() {
                pick(&problems.get())
            } else {
                None
            }
        }
    };

    let on_submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        if problems.get_untracked().any() || busy.get_untracked() {
            focus_first_invalid();
            return;
        }
        busy.set(true);
        error.set(None);
        let args = SetupArgs {
            email: email.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
            name: name.get_untracked().trim().to_owned(),
            issuer: issuer
                .get_untracked()
                .trim()
                .trim_end_matches('/')
                .to_owned(),
            port: port.get_untracked().trim().parse().unwrap_or(default_port),
            insecure_http: insecure_http(&issuer.get_untracked()) && insecure_ok.get_untracked(),
        };
        spawn_local(async move {
            match desktop::complete_setup(&args).await {
                Ok(ctx) => match (ctx.error.clone(), ctx.console_url.clone()) {
                    (None, Some(url)) => {
                        // Straight on to the login page of the (possibly moved) server.
                        let url = format!("{}?signin=1", url.trim_end_matches('?'));
                        let _ = window().location().replace(&url);
                    }
                    (Some(problem), _) => {
                        busy.set(false);
                        error.set(Some(problem));
                    }
                    (None, None) => {
                        busy.set(false);
                        error.set(Some("The app did not say where the console is.".to_owned()));
                    }
                },
                Err(message) => {
                    busy.set(false);
                    error.set(Some(message));
                }
            }
        });
    };

    let email_error = shown(|p| p.email);
    let password_error = shown(|p| p.password);
    let confirm_error = shown(|p| p.confirm);
    let issuer_error = shown(|p| p.issuer);
    let port_error = shown(|p| p.port);
    let insecure_error = shown(|p| p.insecure);

    view! {
        <div class="center-screen">
            <main class="landing landing-wide" id="main" tabindex="-1">
                <Brand />
                <form class="card stack" on:submit=on_submit novalidate=true aria-labelledby="setup-title">
                    <div>
                        <h1 id="setup-title" tabindex="-1">"Create the first super-admin"</h1>
                        <p class="landing-lede">
                            "Tessera is running on this computer. Create the account that manages it, "
                            "and choose where the server listens. You can change the server settings later."
                        </p>
                    </div>
                    <ErrorBanner error=error />
                    <fieldset class="plain-fieldset stack">
                        <legend class="section-label">"Your account"</legend>
                        <div class="grid-2">
                            <div class="field">
                                <label for="setup-email">"Email"</label>
                                <input id="setup-email" class="input" type="email" autocomplete="username"
                                    required=true
                                    aria-invalid=move || email_error().is_some().to_string()
                                    aria-describedby="setup-email-error"
                                    prop:value=email
                                    on:input=move |ev| email.set(event_target_value(&ev)) />
                                <span id="setup-email-error" class="field-error">{email_error}</span>
                            </div>
                            <div class="field">
                                <label for="setup-name">"Name"</label>
                                <input id="setup-name" class="input" type="text" autocomplete="name"
                                    prop:value=name
                                    on:input=move |ev| name.set(event_target_value(&ev)) />
                                <span class="hint">"Optional. Shown in the audit log next to your email."</span>
                            </div>
                        </div>
                        <div class="grid-2">
                            <div class="field">
                                <label for="setup-password">"Password"</label>
                                <input id="setup-password" class="input" type="password" autocomplete="new-password"
                                    required=true
                                    aria-invalid=move || password_error().is_some().to_string()
                                    aria-describedby="setup-password-hint setup-password-error"
                                    prop:value=password
                                    on:input=move |ev| password.set(event_target_value(&ev)) />
                                <span id="setup-password-hint" class="hint">"At least 8 characters."</span>
                                <span id="setup-password-error" class="field-error">{password_error}</span>
                            </div>
                            <div class="field">
                                <label for="setup-confirm">"Confirm password"</label>
                                <input id="setup-confirm" class="input" type="password" autocomplete="new-password"
                                    required=true
                                    aria-invalid=move || confirm_error().is_some().to_string()
                                    aria-describedby="setup-confirm-error"
                                    prop:value=confirm
                                    on:input=move |ev| confirm.set(event_target_value(&ev)) />
                                <span id="setup-confirm-error" class="field-error">{confirm_error}</span>
                            </div>
                        </div>
                    </fieldset>
                    <hr class="divider" />
                    <fieldset class="plain-fieldset stack">
                        <legend class="section-label">"Server"</legend>
                        <div class="setup-server">
                            <div class="field">
                                <label for="setup-issuer">"Issuer URL"</label>
                                <input id="setup-issuer" class="input mono" type="url" spellcheck="false"
                                    aria-invalid=move || issuer_error().is_some().to_string()
                                    aria-describedby="setup-issuer-hint setup-issuer-error"
                                    prop:value=issuer
                                    on:input=move |ev| {
                                        issuer_touched.set(true);
                                        issuer.set(event_target_value(&ev));
                                    } />
                                <span id="setup-issuer-hint" class="hint">
                                    "The address apps use to reach Tessera. Keep http://127.0.0.1 for this computer only; "
                                    "use your https:// address when other machines sign in."
                                </span>
                                <span id="setup-issuer-error" class="field-error">{issuer_error}</span>
                            </div>
                            <div class="field">
                                <label for="setup-port">"Port"</label>
                                <input id="setup-port" class="input" type="number" min="1" max="65535" inputmode="numeric"
                                    aria-invalid=move || port_error().is_some().to_string()
                                    aria-describedby="setup-port-error"
                                    prop:value=port
                                    on:input=move |ev| follow_port(event_target_value(&ev)) />
                                <span id="setup-port-error" class="field-error">{port_error}</span>
                            </div>
                        </div>
                        <InsecureHttpWarning issuer=issuer accepted=insecure_ok
                            missing=Signal::derive(insecure_error) id="setup-insecure" />
                    </fieldset>
                    <div class="form-actions">
                        <button type="submit" class="btn btn-primary" disabled=move || busy.get()>
                            {move || if busy.get() { "Creating…" } else { "Create super-admin" }}
                        </button>
                        {move || busy.get().then(|| view! {
                            <span class="progress-line" role="status">
                                <span class="spinner" aria-hidden="true"></span>
                                "Creating the account and starting the server…"
                            </span>
                        })}
                    </div>
                </form>
            </main>
        </div>
    }
}

fn focus_first_invalid() {
    request_animation_frame(|| {
        if let Ok(Some(el)) = document().query_selector("[aria-invalid=\"true\"]") {
            use wasm_bindgen::JsCast;
            if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        }
    });
}
