//! First run in the desktop window (the server runs, no super-admin exists yet): the
//! first super-admin's account plus the server's issuer URL and port, sent to the shell's
//! `complete_setup` command, which creates the account, restarts the embedded server on
//! the chosen port and answers where the console now is. The window then goes there.
//! In a browser the CLI is the way (`tessera superadmin create`).

use leptos::ev;
use leptos::prelude::*;

use crate::components::brand::Brand;
use crate::components::insecure_http::{insecure_http, InsecureHttpWarning, NOT_ACCEPTED};
use crate::components::{failure, ErrorBanner, Loading};
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
                <Transition fallback=|| view! { <div class="center-screen"><Loading /></div> }>
                {move || context.get().map(|answer| match answer {
                    Ok(ctx) if ctx.stage == "setup" => view! { <SetupForm context=ctx /> }.into_any(),
                    Ok(_) => view! {
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
                    Err(error) => view! {
                        <div class="center-screen">
                            <main class="landing" id="main" tabindex="-1">
                                <Brand />
                                <ErrorBanner error=error />
                            </main>
                        </div>
                    }.into_any(),
                })}
                </Transition>
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

/// The form's fields.
#[derive(Clone, Copy)]
struct Fields {
    email: RwSignal<String>,
    name: RwSignal<String>,
    password: RwSignal<String>,
    confirm: RwSignal<String>,
    port: RwSignal<String>,
    issuer: RwSignal<String>,
    /// The issuer follows the port until the user edits it.
    issuer_touched: RwSignal<bool>,
    /// Ticked by hand to accept an http:// issuer on the network.
    insecure_ok: RwSignal<bool>,
}

impl Fields {
    fn new(context: &ConsoleContext, default_port: u16) -> Self {
        Self {
            email: RwSignal::new(String::new()),
            name: RwSignal::new(String::new()),
            password: RwSignal::new(String::new()),
            confirm: RwSignal::new(String::new()),
            port: RwSignal::new(default_port.to_string()),
            issuer: RwSignal::new(
                context
                    .issuer
                    .clone()
                    .unwrap_or_else(|| format!("http://127.0.0.1:{default_port}")),
            ),
            issuer_touched: RwSignal::new(false),
            insecure_ok: RwSignal::new(false),
        }
    }

    fn follow_port(self, value: String) {
        self.port.set(value.clone());
        if self.issuer_touched.get_untracked() {
            return;
        }
        let Ok(p) = value.trim().parse::<u16>() else {
            return;
        };
        let current = self.issuer.get_untracked();
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
                self.issuer.set(format!("http://{host}:{p}"));
            }
        }
    }

    /// What is wrong with the fields as typed (reactive).
    fn problems(self) -> Problems {
        let mut p = Problems::default();
        let e = self.email.get();
        let e = e.trim();
        if e.is_empty() {
            p.email = Some("Enter your email address.");
        } else if !e.contains('@') || e.starts_with('@') || e.ends_with('@') {
            p.email = Some("This does not look like an email address.");
        }
        let pw = self.password.get();
        if pw.chars().count() < 8 {
            p.password = Some("Use at least 8 characters.");
        }
        if self.confirm.get() != pw {
            p.confirm = Some("The two passwords differ.");
        }
        let i = self.issuer.get();
        let i = i.trim();
        if !(i.starts_with("http://") || i.starts_with("https://")) {
            p.issuer = Some("Start with https:// (or http:// for this computer only).");
        } else if i.contains('?') || i.contains('#') {
            p.issuer = Some("The issuer URL cannot have a query or fragment.");
        } else if insecure_http(i) && !self.insecure_ok.get() {
            p.insecure = Some(NOT_ACCEPTED);
        }
        match self.port.get().trim().parse::<u16>() {
            Ok(0) | Err(_) => p.port = Some("Enter a port between 1 and 65535."),
            Ok(_) => {}
        }
        p
    }

    fn args(self, default_port: u16) -> SetupArgs {
        let issuer = self.issuer.get_untracked();
        SetupArgs {
            email: self.email.get_untracked().trim().to_owned(),
            password: self.password.get_untracked(),
            name: self.name.get_untracked().trim().to_owned(),
            issuer: issuer.trim().trim_end_matches('/').to_owned(),
            port: self
                .port
                .get_untracked()
                .trim()
                .parse()
                .unwrap_or(default_port),
            insecure_http: insecure_http(&issuer) && self.insecure_ok.get_untracked(),
        }
    }
}

/// `complete_setup`, then the window goes on to the login page of the (possibly moved)
/// server.
async fn finish_setup(args: SetupArgs) -> Result<(), String> {
    let ctx = desktop::complete_setup(&args).await?;
    match (ctx.error, ctx.console_url) {
        (None, Some(url)) => {
            let url = format!("{}?signin=1", url.trim_end_matches('?'));
            let _ = window().location().replace(&url);
            // Busy until the window has left.
            std::future::pending::<()>().await;
            Ok(())
        }
        (Some(problem), _) => Err(problem),
        (None, None) => Err("The app did not say where the console is.".to_owned()),
    }
}

#[component]
fn SetupForm(context: ConsoleContext) -> impl IntoView {
    let default_port = context.port.unwrap_or(7470);
    let f = Fields::new(&context, default_port);
    let submitted = RwSignal::new(false);
    let problems = Memo::new(move |_| f.problems());
    // Field problems show after the first submit attempt.
    let shown = Signal::derive(move || {
        if submitted.get() {
            problems.get()
        } else {
            Problems::default()
        }
    });
    let setup = Action::new_local(|args: &SetupArgs| finish_setup(args.clone()));
    let busy = setup.pending();
    let on_submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        if problems.get_untracked().any() || busy.get_untracked() {
            focus_first_invalid();
            return;
        }
        setup.dispatch_local(f.args(default_port));
    };
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
                    <ErrorBanner error=failure(setup) />
                    <AccountFields f=f shown=shown />
                    <hr class="divider" />
                    <ServerFields f=f shown=shown />
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

/// Email, name, password twice.
#[component]
fn AccountFields(f: Fields, shown: Signal<Problems>) -> impl IntoView {
    let email_error = move || shown.with(|p| p.email);
    let password_error = move || shown.with(|p| p.password);
    let confirm_error = move || shown.with(|p| p.confirm);
    view! {
        <fieldset class="plain-fieldset stack">
            <legend class="section-label">"Your account"</legend>
            <div class="grid-2">
                <div class="field">
                    <label for="setup-email">"Email"</label>
                    <input id="setup-email" class="input" type="email" autocomplete="username"
                        required=true
                        aria-invalid=move || email_error().is_some().to_string()
                        aria-describedby="setup-email-error"
                        prop:value=f.email
                        on:input=move |ev| f.email.set(event_target_value(&ev)) />
                    <span id="setup-email-error" class="field-error">{email_error}</span>
                </div>
                <div class="field">
                    <label for="setup-name">"Name"</label>
                    <input id="setup-name" class="input" type="text" autocomplete="name"
                        prop:value=f.name
                        on:input=move |ev| f.name.set(event_target_value(&ev)) />
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
                        prop:value=f.password
                        on:input=move |ev| f.password.set(event_target_value(&ev)) />
                    <span id="setup-password-hint" class="hint">"At least 8 characters."</span>
                    <span id="setup-password-error" class="field-error">{password_error}</span>
                </div>
                <div class="field">
                    <label for="setup-confirm">"Confirm password"</label>
                    <input id="setup-confirm" class="input" type="password" autocomplete="new-password"
                        required=true
                        aria-invalid=move || confirm_error().is_some().to_string()
                        aria-describedby="setup-confirm-error"
                        prop:value=f.confirm
                        on:input=move |ev| f.confirm.set(event_target_value(&ev)) />
                    <span id="setup-confirm-error" class="field-error">{confirm_error}</span>
                </div>
            </div>
        </fieldset>
    }
}

/// The issuer URL and the port (and the http:// warning).
#[component]
fn ServerFields(f: Fields, shown: Signal<Problems>) -> impl IntoView {
    let issuer_error = move || shown.with(|p| p.issuer);
    let port_error = move || shown.with(|p| p.port);
    let insecure_error = move || shown.with(|p| p.insecure);
    view! {
        <fieldset class="plain-fieldset stack">
            <legend class="section-label">"Server"</legend>
            <div class="setup-server">
                <div class="field">
                    <label for="setup-issuer">"Issuer URL"</label>
                    <input id="setup-issuer" class="input mono" type="url" spellcheck="false"
                        aria-invalid=move || issuer_error().is_some().to_string()
                        aria-describedby="setup-issuer-hint setup-issuer-error"
                        prop:value=f.issuer
                        on:input=move |ev| {
                            f.issuer_touched.set(true);
                            f.issuer.set(event_target_value(&ev));
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
                        prop:value=f.port
                        on:input=move |ev| f.follow_port(event_target_value(&ev)) />
                    <span id="setup-port-error" class="field-error">{port_error}</span>
                </div>
            </div>
            <InsecureHttpWarning issuer=f.issuer accepted=f.insecure_ok
                missing=Signal::derive(insecure_error) id="setup-insecure" />
        </fieldset>
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
