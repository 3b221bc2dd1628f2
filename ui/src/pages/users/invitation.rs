//! Invitations: "Invite user" next to "Create user" (email, name, the product it is
//! for; `POST /v1/users {"invite": true}`), off with a hint while email is off, and on an
//! invited user's page the "Invitation" card with "Resend invitation".

use leptos::prelude::*;
use tessera_proto::products::ProductList;
use tessera_proto::users::{CreateUser, ResendInvitation};

use super::detail::Ctx;
use super::{email_error, form_banner, sync_dialog, User};
use crate::api::{self, ApiError};
use crate::components::{on_done, toast, ErrorBanner};
use crate::pages::products::form::FieldError;
use crate::pages::settings::email::load_email_settings;

/// "Invite user": disabled, with the reason beside it, while email is off.
#[component]
pub fn InviteButton(open: RwSignal<bool>) -> impl IntoView {
    let email = LocalResource::new(load_email_settings);
    let on = move || matches!(email.get(), Some(Ok(s)) if s.configured);
    view! {
        <button type="button" class="btn" disabled=move || !on()
            aria-describedby="invite-off-hint" on:click=move |_| open.set(true)>
            "Invite user"
        </button>
        <Show when=move || matches!(email.get(), Some(Ok(s)) if !s.configured)>
            <span class="hint" id="invite-off-hint">
                "Email is off: set an SMTP server in "<a href="/console/settings">"Settings"</a>" to invite users."
            </span>
        </Show>
    }
}

const FIELDS: &[&str] = &["email", "name", "client_id"];

/// The invite form in a modal dialog; `on_invited` gets the new (invited) user.
#[component]
pub fn InviteUserDialog(open: RwSignal<bool>, on_invited: Callback<User>) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let (email, name, client) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let error = RwSignal::new(None::<ApiError>);
    let products = LocalResource::new(|| api::get::<ProductList>("/v1/products"));
    let invite = Action::new_local(|body: &CreateUser| {
        let body = body.clone();
        async move { api::post::<_, User>("/v1/users", &body).await }
    });
    let busy = invite.pending();
    on_done(invite, move |result| match result {
        Ok(u) => {
            open.set(false);
            on_invited.run(u);
        }
        Err(e) => error.set(Some(e)),
    });
    sync_dialog(dialog, open, move || {
        for field in [email, name, client] {
            field.set(String::new());
        }
        error.set(None);
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let filled = |s: RwSignal<String>| {
            Some(s.get_untracked().trim().to_string()).filter(|v| !v.is_empty())
        };
        error.set(None);
        invite.dispatch(CreateUser {
            email: filled(email).unwrap_or_default(),
            name: filled(name),
            invite: true,
            client_id: filled(client),
            ..CreateUser::default()
        });
    };
    let email_msg = email_error(error);
    let options = move || {
        products.get().and_then(Result::ok).map(|list| {
            list.products
                .into_iter()
                .filter_map(|p| {
                    let id = p.web_client?.client_id;
                    Some(view! { <option value=id>{p.name}</option> })
                })
                .collect_view()
        })
    };
    view! {
        <dialog class="dialog invite-user-dialog" node_ref=dialog aria-labelledby="invite-user-title"
            on:close=move |_| open.set(false)>
            <form class="stack" novalidate on:submit=submit>
                <h2 class="dialog-title" id="invite-user-title">"Invite user"</h2>
                <p class="hint">"They get an email with a link (valid for 7 days) to choose a password, then continue to the product."</p>
                <ErrorBanner error=form_banner(error, FIELDS) />
                <div class="field">
                    <label for="invite-email">"Email"</label>
                    <input id="invite-email" class="input" type="email" autocomplete="off" required
                        aria-describedby="invite-email-error"
                        aria-invalid=move || email_msg.get().is_some().to_string()
                        prop:value=email on:input=move |ev| email.set(event_target_value(&ev)) />
                    <FieldError message=email_msg id="invite-email-error" />
                </div>
                <div class="field">
                    <label for="invite-name">"Name"</label>
                    <input id="invite-name" class="input" type="text" autocomplete="off" placeholder="Optional"
                        prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for="invite-product">"Product"</label>
                    <select id="invite-product" class="select" prop:value=client
                        aria-describedby="invite-product-hint"
                        on:change=move |ev| client.set(event_target_value(&ev))>
                        <option value="">"None (Tessera)"</option>
                        {options}
                    </select>
                    <span class="hint" id="invite-product-hint">"Named in the email; after choosing a password they continue there."</span>
                </div>
                <div class="dialog-actions">
                    <button type="button" class="btn btn-ghost" on:click=move |_| open.set(false)>"Cancel"</button>
                    <button type="submit" class="btn btn-primary" disabled=move || busy.get()>
                        {move || if busy.get() { "Inviting…" } else { "Send invitation" }}
                    </button>
                </div>
            </form>
        </dialog>
    }
}

/// On an invited user's page: the invitation is pending; "Resend invitation".
#[component]
pub fn InvitationCard(ctx: Ctx) -> impl IntoView {
    let resend = Action::new_local(move |_: &()| {
        let path = ctx.path("/invitation:resend");
        async move { api::post::<_, User>(&path, &ResendInvitation::default()).await }
    });
    on_done(resend, move |result| match result {
        Ok(u) => {
            toast::show(format!("Invitation sent again to {}", u.email));
            ctx.item.set(Some(u));
        }
        Err(e) => toast::show(format!("Could not resend: {}", e.message)),
    });
    let invited = move || ctx.get(|u| u.status == "invited").unwrap_or(false);
    view! {
        <Show when=invited>
            <section class="card stack" aria-labelledby="invitation-title">
                <h2 class="card-title" id="invitation-title">"Invitation"</h2>
                <p>"This user was invited by email and has not chosen a password yet; they cannot sign in until they do."</p>
                <p class="hint">"Resending emails a new link (valid for 7 days); the earlier link stops working."</p>
                <div class="row card-actions">
                    <span class="spacer"></span>
                    <button type="button" class="btn" disabled=move || resend.pending().get()
                        on:click=move |_| { resend.dispatch(()); }>
                        {move || if resend.pending().get() { "Sending…" } else { "Resend invitation" }}
                    </button>
                </div>
            </section>
        </Show>
    }
}
