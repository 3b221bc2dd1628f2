//! The "Email (SMTP)" card: whether email is on and where its settings come from (the
//! environment: read-only; this console: editable), the SMTP URL and sender form (the
//! password shows as `***`, which the server keeps as it is when sent back unchanged),
//! Remove, and "Send test email" (see `email_test`).

use leptos::prelude::*;
use tessera_proto::email::{EmailSettings, SetEmailSettings};

use super::email_test::{use_outbox, OutboxCard, TestEmailForm};
use crate::api::{self, ApiError};
use crate::components::{on_done, toast, ConfirmDialog, ErrorBanner, Loaded};
use crate::pages::products::form::{banner_for, message_for, FieldError};

/// `GET /v1/settings/email`.
pub(crate) async fn load_email_settings() -> Result<EmailSettings, ApiError> {
    api::get::<EmailSettings>("/v1/settings/email").await
}

#[component]
pub fn EmailCard() -> impl IntoView {
    let settings = LocalResource::new(load_email_settings);
    let outbox = use_outbox();
    view! {
        <section class="card stack" aria-labelledby="email-title">
            <h2 class="card-title" id="email-title">"Email (SMTP)"</h2>
            <p class="hint">
                "Password resets, email verification and invitations are sent through this server. Without one, those flows are off."
            </p>
            <Loaded resource=settings let:current>
                <EmailState current=current.clone() />
                {(current.source.as_deref() != Some("environment"))
                    .then(|| view! { <EmailForm current=current.clone() reload=move || settings.refetch() /> })}
                {current.configured.then(|| view! { <TestEmailForm outbox=outbox /> })}
            </Loaded>
        </section>
        <OutboxCard outbox=outbox />
    }
}

/// Off / from the environment / set here, with the server and sender in force.
#[component]
fn EmailState(current: EmailSettings) -> impl IntoView {
    let (badge, class, says) = match current.source.as_deref() {
        Some("environment") => (
            "From the environment",
            "badge badge-ok",
            "TESSERA_SMTP_URL and TESSERA_SMTP_FROM set these; change them there and restart the server.",
        ),
        Some(_) => ("Set here", "badge badge-ok", "Stored encrypted in the database."),
        None => ("Off", "badge badge-warn", "No SMTP server: enter one below to turn email on."),
    };
    view! {
        <div class="stack email-state">
            <p class="badges">
                <span class=class data-testid="email-state">{badge}</span>
                <span class="muted">{says}</span>
            </p>
            {current.smtp_url.clone().map(|url| view! {
                <dl class="kv">
                    <dt>"Server"</dt>
                    <dd class="mono">{url}</dd>
                    <dt>"Sender"</dt>
                    <dd>{current.from.clone().unwrap_or_default()}</dd>
                </dl>
            })}
        </div>
    }
}

const FIELDS: &[&str] = &["smtp_url", "from"];

/// The SMTP URL and sender, Save and Remove (`PUT` / `DELETE /v1/settings/email`).
#[component]
fn EmailForm(
    current: EmailSettings,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let url = RwSignal::new(current.smtp_url.clone().unwrap_or_default());
    let from = RwSignal::new(current.from.clone().unwrap_or_default());
    let error = RwSignal::new(None::<ApiError>);
    let confirm_remove = RwSignal::new(false);
    let save = Action::new_local(|body: &SetEmailSettings| {
        let body = body.clone();
        async move { api::put::<_, EmailSettings>("/v1/settings/email", &body).await }
    });
    let remove = Action::new_local(|_: &()| api::delete("/v1/settings/email"));
    on_done(save, move |answer| match answer {
        Ok(_) => {
            toast::show("Email settings saved");
            reload();
        }
        Err(e) => error.set(Some(e)),
    });
    on_done(remove, move |answer| match answer {
        Ok(()) => {
            toast::show("Email is off");
            reload();
        }
        Err(e) => error.set(Some(e)),
    });
    let busy = Signal::derive(move || save.pending().get() || remove.pending().get());
    let msg =
        move |f: &'static str| Signal::derive(move || message_for(error.get().as_ref(), &[f]));
    let (url_msg, from_msg) = (msg("smtp_url"), msg("from"));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        save.dispatch_local(SetEmailSettings {
            smtp_url: url.get_untracked().trim().to_string(),
            from: from.get_untracked().trim().to_string(),
        });
    };
    view! {
        <form class="stack" novalidate on:submit=on_submit>
            <ErrorBanner error=Signal::derive(move || banner_for(error.get().as_ref(), FIELDS)) />
            <div class="grid-2">
                <div class="field">
                    <label for="smtp-url">"SMTP URL"</label>
                    <input id="smtp-url" class="input mono" type="text" autocomplete="off"
                        spellcheck="false" placeholder="smtps://user:password@mail.example.com:465"
                        aria-describedby="smtp-url-hint smtp-url-error"
                        aria-invalid=move || url_msg.get().is_some().to_string()
                        prop:value=url on:input=move |ev| url.set(event_target_value(&ev)) />
                    <span id="smtp-url-hint" class="hint">
                        "smtps://…:465, smtp://…:587?tls=required, or smtp://host:25 for a local relay. A saved password shows as ***: leave it to keep it, or type a new one in its place."
                    </span>
                    <FieldError message=url_msg id="smtp-url-error" />
                </div>
                <div class="field">
                    <label for="smtp-from">"Sender"</label>
                    <input id="smtp-from" class="input" type="text" autocomplete="off"
                        placeholder="Tessera <no-reply@example.com>"
                        aria-describedby="smtp-from-error"
                        aria-invalid=move || from_msg.get().is_some().to_string()
                        prop:value=from on:input=move |ev| from.set(event_target_value(&ev)) />
                    <FieldError message=from_msg id="smtp-from-error" />
                </div>
            </div>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || busy.get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save email settings" }}
                </button>
                {current.configured.then(|| view! {
                    <button type="button" class="btn" disabled=move || busy.get()
                        on:click=move |_| confirm_remove.set(true)>"Remove"</button>
                })}
            </div>
            <ConfirmDialog
                open=confirm_remove
                title="Turn email off?"
                message="The SMTP settings are deleted. Password resets, email verification and invitations stop until you set a server again; emails already queued wait."
                confirm_label="Remove"
                danger=true
                on_confirm=Callback::new(move |()| { remove.dispatch_local(()); })
            />
        </form>
    }
}
