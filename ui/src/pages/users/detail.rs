//! One user: profile (name, email), password, sign-in factors (MFA), suspend /
//! unsuspend, SSO sessions, memberships (read-only) and delete.

use leptos::prelude::*;
use serde_json::{json, Map, Value};

use super::consents::ConsentsCard;
use super::factors::FactorsCard;
use super::invitation::InvitationCard;
use super::memberships::MembershipsCard;
use super::sessions::SessionsCard;
use super::{email_error, form_banner, StatusBadge, User, UserExt};
use crate::api::{self, ApiError};
use crate::components::time::{local, relative};
use crate::components::{
    on_done, toast, ConfirmDialog, DeleteCard, ErrorBanner, SaveDiscard, Shown,
};
use crate::pages::products::form::{banner_for, message_for, FieldError};
use crate::pages::products::hooks::shown_cards;

/// The user being shown, shared by the cards of the page.
pub(crate) type Ctx = Shown<User>;

#[component]
pub fn UserPage(id: String) -> impl IntoView {
    let ctx = Ctx::new("/v1/users", id);
    // Notified when an action ends sessions, so the sessions table reloads.
    let sessions_ended = Trigger::new();
    let title = Memo::new(move |_| ctx.get(UserExt::display).unwrap_or_default());
    Effect::new(move |_| {
        let t = title.get();
        if !t.is_empty() {
            document().set_title(&format!("{t} · Users · Tessera"));
        }
    });
    let loaded = move || ctx.item.with(Option::is_some);
    let status = Signal::derive(move || ctx.get(|u| u.status.clone()).unwrap_or_default());

    view! {
        <section class="page user-page">
            <header class="page-header">
                <div class="page-heading">
                    <div class="breadcrumb">
                        <a href="/console/users">"← Users"</a>
                    </div>
                    <h1 tabindex="-1">{move || if loaded() { title.get() } else { "User".to_string() }}</h1>
                    {move || {
                        ctx.get(|u| {
                            view! {
                                <p class="page-subtitle badges">
                                    {(u.display() != u.email).then(|| view! { <span>{u.email.clone()}</span> })}
                                    <StatusBadge status=status />
                                    {u.is_superadmin.then(|| view! { <span class="badge badge-muted">"Super-admin"</span> })}
                                </p>
                            }
                        })
                    }}
                </div>
                <Show when=loaded>
                    <div class="page-actions">
                        <SuspendButton ctx=ctx sessions_ended=sessions_ended />
                    </div>
                </Show>
            </header>
            {shown_cards(ctx, move || view! { <UserCards ctx=ctx sessions_ended=sessions_ended /> })}
        </section>
    }
}

/// The cards of the loaded user.
#[component]
fn UserCards(ctx: Ctx, sessions_ended: Trigger) -> impl IntoView {
    view! {
        <div class="user-grid">
            <InvitationCard ctx=ctx />
            <ProfileCard ctx=ctx />
            <PasswordCard ctx=ctx sessions_ended=sessions_ended />
            <FactorsCard ctx=ctx />
            <DetailsCard ctx=ctx />
            <SessionsCard ctx=ctx ended=sessions_ended />
            <ConsentsCard ctx=ctx />
            <MembershipsCard ctx=ctx />
            <crate::pages::audit::recent::RecentActivity filter="user" value=Signal::derive(move || ctx.get(|u| u.email.clone()).unwrap_or_default()) />
            <DeleteCard
                noun="user"
                explanation="Removes the account with its sessions and memberships; its tokens stop being accepted. This cannot be undone."
                name=Signal::derive(move || ctx.get(|u| u.email.clone()).unwrap_or_default())
                consequence=|email| format!("{email} is deleted with their sessions and memberships, and can no longer sign in. This cannot be undone.")
                api_path=Signal::derive(move || ctx.path(""))
                back_to="/console/users"
            />
        </div>
    }
}

/// "Suspend" or "Unsuspend" with its confirmation.
#[component]
fn SuspendButton(ctx: Ctx, sessions_ended: Trigger) -> impl IntoView {
    let open = RwSignal::new(false);
    let suspended = Memo::new(move |_| ctx.get(UserExt::suspended).unwrap_or(false));
    let change = Action::new_local(move |unsuspend: &bool| {
        let unsuspend = *unsuspend;
        let path = ctx.path(if unsuspend { "/unsuspend" } else { "/suspend" });
        async move { (unsuspend, api::post::<_, User>(&path, &json!({})).await) }
    });
    let busy = change.pending();
    on_done(change, move |(unsuspend, result)| match result {
        Ok(u) => {
            toast::show(if unsuspend {
                format!("{} can sign in again", u.email)
            } else {
                format!("{} is suspended", u.email)
            });
            ctx.item.set(Some(u));
            sessions_ended.notify();
        }
        Err(e) => toast::show(format!("Could not change the status: {}", e.message)),
    });
    let run = Callback::new(move |()| {
        change.dispatch(suspended.get_untracked());
    });
    view! {
        <button
            type="button"
            class=move || if suspended.get() { "btn btn-primary" } else { "btn" }
            disabled=move || busy.get()
            on:click=move |_| open.set(true)
        >
            {move || if suspended.get() { "Unsuspend" } else { "Suspend" }}
        </button>
        {move || {
            let email = ctx.get(|u| u.email.clone()).unwrap_or_default();
            let me = ctx.get(|u| u.is_superadmin).unwrap_or(false);
            if suspended.get() {
                view! {
                    <ConfirmDialog
                        open=open
                        title=format!("Unsuspend {email}?")
                        message="They can sign in again at once, and refresh tokens that have not expired work again. Sessions ended by the suspension stay ended."
                        confirm_label="Unsuspend"
                        danger=false
                        on_confirm=run
                    />
                }
                    .into_any()
            } else {
                let extra = if me {
                    " This user is a super-admin: if it is you, you will be signed out of this console."
                } else {
                    ""
                };
                view! {
                    <ConfirmDialog
                        open=open
                        title=format!("Suspend {email}?")
                        message=format!(
                            "Their sessions end and their tokens stop being accepted at once; they cannot sign in until you unsuspend them.{extra}",
                        )
                        confirm_label="Suspend"
                        danger=true
                        on_confirm=run
                    />
                }
                    .into_any()
            }
        }}
    }
}

const PROFILE_FIELDS: &[&str] = &["name", "email", "email_verified"];

#[component]
fn ProfileCard(ctx: Ctx) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let verified = RwSignal::new(false);
    let reset = move || {
        if let Some(u) = ctx.item.get_untracked() {
            name.set(u.name.clone().unwrap_or_default());
            email.set(u.email.clone());
            verified.set(u.email_verified);
        }
    };
    reset();
    let error = RwSignal::new(None::<ApiError>);
    let changes = move || -> Map<String, Value> {
        let mut body = Map::new();
        let Some(u) = ctx.item.get_untracked() else {
            return body;
        };
        let n = name.get_untracked().trim().to_string();
        if n != u.name.clone().unwrap_or_default() {
            body.insert(
                "name".into(),
                if n.is_empty() { Value::Null } else { json!(n) },
            );
        }
        let e = email.get_untracked().trim().to_string();
        let email_changed = e != u.email;
        if email_changed {
            body.insert("email".into(), json!(e));
        }
        let v = verified.get_untracked();
        if v != u.email_verified || (email_changed && v) {
            body.insert("email_verified".into(), json!(v));
        }
        body
    };
    let dirty = move || {
        ctx.item.track();
        name.track();
        email.track();
        verified.track();
        !changes().is_empty()
    };
    let save = Action::new_local(move |body: &Value| {
        let (path, body) = (ctx.path(""), body.clone());
        async move { api::patch::<_, User>(&path, &body).await }
    });
    let busy = save.pending();
    on_done(save, move |result| match result {
        Ok(u) => {
            ctx.item.set(Some(u));
            reset();
            toast::show("Profile saved");
        }
        Err(e) => error.set(Some(e)),
    });
    let save = move || {
        let body = changes();
        if body.is_empty() || busy.get_untracked() {
            return;
        }
        error.set(None);
        save.dispatch(Value::Object(body));
    };
    let email_msg = email_error(error);
    let name_msg = Signal::derive(move || message_for(error.get().as_ref(), &["name"]));
    view! {
        <form
            class="card"
            novalidate
            aria-labelledby="profile-title"
            on:submit=move |ev| {
                ev.prevent_default();
                save();
            }
        >
            <h2 class="card-title" id="profile-title">"Profile"</h2>
            <ErrorBanner error=form_banner(error, PROFILE_FIELDS) />
            <div class="field">
                <label for="user-name">"Name"</label>
                <input
                    id="user-name"
                    class="input"
                    type="text"
                    autocomplete="off"
                    aria-describedby="user-name-error"
                    aria-invalid=move || name_msg.get().is_some().to_string()
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
                <FieldError message=name_msg id="user-name-error" />
            </div>
            <div class="field">
                <label for="user-email">"Email"</label>
                <input
                    id="user-email"
                    class="input"
                    type="email"
                    autocomplete="off"
                    aria-describedby="user-email-hint user-email-error"
                    aria-invalid=move || email_msg.get().is_some().to_string()
                    prop:value=move || email.get()
                    on:input=move |ev| email.set(event_target_value(&ev))
                />
                <p class="hint" id="user-email-hint">
                    "A new address counts as unverified unless you tick the box below."
                </p>
                <FieldError message=email_msg id="user-email-error" />
            </div>
            <label class="check">
                <input
                    type="checkbox"
                    prop:checked=move || verified.get()
                    on:change=move |ev| verified.set(event_target_checked(&ev))
                />
                <span>"Address verified"</span>
            </label>
            <SaveDiscard
                busy=busy
                dirty=Signal::derive(dirty)
                on_discard=move |()| {
                    reset();
                    error.set(None);
                }
            />
        </form>
    }
}

#[component]
fn PasswordCard(ctx: Ctx, sessions_ended: Trigger) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let set = Action::new_local(move |pw: &String| {
        let (path, body) = (ctx.path("/password"), json!({ "password": pw }));
        async move { api::post::<_, ()>(&path, &body).await }
    });
    let busy = set.pending();
    on_done(set, move |result| match result {
        Ok(()) => {
            password.set(String::new());
            sessions_ended.notify();
            toast::show("Password set; the user was signed out everywhere");
        }
        Err(e) => error.set(Some(e)),
    });
    let save = move || {
        if busy.get_untracked() {
            return;
        }
        let pw = password.get_untracked();
        if pw.chars().count() < 8 {
            error.set(Some(ApiError::new(
                0,
                "validation_failed",
                "password: must be at least 8 characters",
            )));
            return;
        }
        error.set(None);
        set.dispatch(pw);
    };
    let msg = Signal::derive(move || message_for(error.get().as_ref(), &["password"]));
    view! {
        <form
            class="card"
            novalidate
            aria-labelledby="password-title"
            on:submit=move |ev| {
                ev.prevent_default();
                save();
            }
        >
            <h2 class="card-title" id="password-title">"Password"</h2>
            <ErrorBanner error=Signal::derive(move || banner_for(error.get().as_ref(), &["password"])) />
            <div class="field">
                <label for="user-password">"New password"</label>
                <input
                    id="user-password"
                    class="input"
                    type="password"
                    autocomplete="new-password"
                    minlength="8"
                    aria-describedby="user-password-hint user-password-error"
                    aria-invalid=move || msg.get().is_some().to_string()
                    prop:value=move || password.get()
                    on:input=move |ev| password.set(event_target_value(&ev))
                />
                <p class="hint" id="user-password-hint">
                    "At least 8 characters. Setting it ends all the user's sessions and revokes their refresh tokens."
                </p>
                <FieldError message=msg id="user-password-error" />
            </div>
            <div class="row card-actions">
                <span class="spacer"></span>
                <button type="submit" class="btn" disabled=move || busy.get()>
                    {move || if busy.get() { "Setting…" } else { "Set password" }}
                </button>
            </div>
        </form>
    }
}

#[component]
fn DetailsCard(ctx: Ctx) -> impl IntoView {
    move || {
        ctx.get(|u| {
            let dash = |v: &Option<String>| {
                v.clone()
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "—".into())
            };
            view! {
                <div class="card">
                    <h2 class="card-title">"Details"</h2>
                    <dl class="kv">
                        <dt>"User ID"</dt>
                        <dd class="mono">{u.id.clone()}</dd>
                        <dt>"Created"</dt>
                        <dd title=local(u.created_at)>{relative(u.created_at)}</dd>
                        <dt>"Updated"</dt>
                        <dd title=local(u.updated_at)>{relative(u.updated_at)}</dd>
                        <dt>"Given name"</dt>
                        <dd>{dash(&u.given_name)}</dd>
                        <dt>"Family name"</dt>
                        <dd>{dash(&u.family_name)}</dd>
                        <dt>"Locale"</dt>
                        <dd>{dash(&u.locale)}</dd>
                    </dl>
                </div>
            }
        })
    }
}
