//! The "Sign-in factors" card of a user's page: authenticator app, passkeys, recovery
//! codes left, "MFA required" (`POST /v1/users/{id}/mfa:require`) and "Reset MFA"
//! (`POST /v1/users/{id}/mfa:reset`, audited `mfa.reset`).

use leptos::prelude::*;
use serde_json::json;

use super::detail::Ctx;
use super::User;
use crate::api;
use crate::components::{failure, on_done, time, toast, ConfirmDialog, ErrorBanner};
use tessera_proto::users::{UserMfa, UserPasskey, UserPasskeys};

/// Whether the user has any second factor enrolled (what the list's "MFA" badge shows).
pub(crate) fn has_factor(mfa: &UserMfa) -> bool {
    mfa.totp || mfa.passkeys > 0
}

/// "1 passkey", "3 passkeys", "None".
fn passkeys_text(n: i64) -> String {
    match n {
        n if n <= 0 => "None".to_owned(),
        1 => "1 passkey".to_owned(),
        n => format!("{n} passkeys"),
    }
}

/// "7 of 10 left", "None left", with a warning when the user is about to run out.
fn recovery_text(mfa: &UserMfa) -> String {
    match mfa.recovery_codes_left {
        _ if !mfa.totp && mfa.recovery_codes_left <= 0 => {
            "None (they come with the authenticator app)".to_owned()
        }
        n if n <= 0 => "None left".to_owned(),
        1 => "1 left".to_owned(),
        n => format!("{n} left"),
    }
}

#[component]
pub(crate) fn FactorsCard(ctx: Ctx) -> impl IntoView {
    let mfa = Memo::new(move |_| ctx.get(|u| u.mfa.clone()).unwrap_or_default());
    view! {
        <section class="card factors-card" aria-labelledby="factors-title">
            <h2 class="card-title" id="factors-title">"Sign-in factors"</h2>
            <p class="muted">
                "The second factors this user signs in with. A user with a factor enrolled is always asked for it."
            </p>
            <dl class="kv factors-kv">
                <dt>"Authenticator app"</dt>
                <dd data-factor="totp">
                    {move || {
                        if mfa.get().totp {
                            view! { <span class="badge badge-ok">"Enrolled"</span> }.into_any()
                        } else {
                            view! { <span class="badge badge-muted">"Not enrolled"</span> }.into_any()
                        }
                    }}
                </dd>
                <dt>"Passkeys"</dt>
                <dd data-factor="passkeys">
                    {move || passkeys_text(mfa.get().passkeys)}
                    <PasskeyList ctx=ctx count=Signal::derive(move || mfa.get().passkeys) />
                </dd>
                <dt>"Recovery codes"</dt>
                <dd data-factor="recovery-codes">
                    {move || recovery_text(&mfa.get())}
                    {move || {
                        let m = mfa.get();
                        (m.totp && m.recovery_codes_left <= 2)
                            .then(|| view! { <span class="badge badge-warn factors-low">"Running out"</span> })
                    }}
                </dd>
            </dl>
            <RequireToggle ctx=ctx />
            <ResetMfa ctx=ctx />
        </section>
    }
}

/// The user's passkeys by name, with when each was added and last used (read again when
/// their number changes, e.g. after a reset).
#[component]
fn PasskeyList(ctx: Ctx, count: Signal<i64>) -> impl IntoView {
    let list = LocalResource::new(move || {
        let (path, n) = (ctx.path("/passkeys"), count.get());
        async move {
            if n <= 0 {
                return Ok(UserPasskeys {
                    passkeys: Vec::new(),
                });
            }
            api::get::<UserPasskeys>(&path).await
        }
    });
    view! {
        <Transition fallback=|| ()>
            {move || {
                list.get().and_then(Result::ok).map(|l| {
                    view! {
                        <ul class="factors-passkeys">
                            {l.passkeys.into_iter().map(|p| view! { <PasskeyItem passkey=p /> }).collect_view()}
                        </ul>
                    }
                })
            }}
        </Transition>
    }
}

#[component]
fn PasskeyItem(passkey: UserPasskey) -> impl IntoView {
    let used = passkey.last_used_at.map_or_else(
        || "never used".to_owned(),
        |t| format!("last used {}", time::relative(t)),
    );
    view! {
        <li>
            <strong>{passkey.name}</strong>
            <span class="muted">{format!(" · added {} · {used}", time::relative(passkey.created_at))}</span>
        </li>
    }
}

/// "MFA required": a switch posting `mfa:require` with the new value; the user as saved
/// comes back and replaces the page's copy.
#[component]
fn RequireToggle(ctx: Ctx) -> impl IntoView {
    let required = Memo::new(move |_| ctx.get(|u| u.mfa.required).unwrap_or(false));
    // What the switch shows: flipped at once, back to the saved value when refused.
    let checked = RwSignal::new(required.get_untracked());
    Effect::new(move |_| checked.set(required.get()));
    let set = Action::new_local(move |want: &bool| {
        let (path, body) = (ctx.path("/mfa:require"), json!({ "required": *want }));
        async move { api::post::<_, User>(&path, &body).await }
    });
    let busy = set.pending();
    on_done(set, move |answer| match answer {
        Ok(u) => {
            toast::show(if u.mfa.required {
                format!("{} must now sign in with a second factor", u.email)
            } else {
                format!("MFA is no longer required of {}", u.email)
            });
            ctx.item.set(Some(u));
        }
        Err(_) => checked.set(required.get_untracked()),
    });
    view! {
        <div class="factors-require">
            <label class="check">
                <input
                    type="checkbox"
                    role="switch"
                    id="user-mfa-required"
                    aria-describedby="user-mfa-required-hint"
                    prop:checked=move || checked.get()
                    disabled=move || busy.get()
                    on:change=move |ev| {
                        let want = event_target_checked(&ev);
                        checked.set(want);
                        set.dispatch_local(want);
                    }
                />
                <span>"MFA required"</span>
            </label>
            <p class="hint" id="user-mfa-required-hint">
                "When on, this user must sign in with a second factor in every product; without one they set up an authenticator app right after their password. A product can also require MFA of everyone."
            </p>
            <ErrorBanner error=failure(set) />
        </div>
    }
}

/// "Reset MFA" with its confirmation: removes the authenticator app, recovery codes and
/// passkeys.
#[component]
fn ResetMfa(ctx: Ctx) -> impl IntoView {
    let open = RwSignal::new(false);
    let reset = Action::new_local(move |_: &()| {
        let path = ctx.path("/mfa:reset");
        async move { api::post::<_, User>(&path, &json!({})).await }
    });
    let busy = reset.pending();
    on_done(reset, move |answer| {
        if let Ok(u) = answer {
            toast::show(format!("Second factors of {} removed", u.email));
            ctx.item.set(Some(u));
        }
    });
    let nothing = move || {
        ctx.get(|u| !has_factor(&u.mfa) && u.mfa.recovery_codes_left <= 0)
            .unwrap_or(true)
    };
    view! {
        <div class="row card-actions">
            <span class="spacer"></span>
            <button
                type="button"
                class="btn btn-danger"
                id="user-mfa-reset"
                disabled=move || busy.get() || nothing()
                title=move || nothing().then_some("No factor to remove")
                on:click=move |_| open.set(true)
            >
                {move || if busy.get() { "Resetting…" } else { "Reset MFA" }}
            </button>
        </div>
        <ErrorBanner error=failure(reset) />
        {move || {
            let email = ctx.get(|u| u.email.clone()).unwrap_or_default();
            let required = ctx.get(|u| u.mfa.required).unwrap_or(false);
            let then = if required {
                "MFA is required of them, so at their next sign-in they set up an authenticator app again right after their password."
            } else {
                "If a product they use requires MFA, they set up an authenticator app again at their next sign-in there; elsewhere they sign in with their password alone."
            };
            view! {
                <ConfirmDialog
                    open=open
                    title=format!("Reset MFA of {email}?")
                    message=format!(
                        "Removes their authenticator app, their recovery codes and their passkeys. Use it when they lost their phone or security key. {then}",
                    )
                    confirm_label="Reset MFA"
                    danger=true
                    on_confirm=move |()| {
                        reset.dispatch_local(());
                    }
                />
            }
        }}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts() {
        assert_eq!(passkeys_text(0), "None");
        assert_eq!(passkeys_text(1), "1 passkey");
        assert_eq!(passkeys_text(3), "3 passkeys");
        let mut m = UserMfa::default();
        assert!(!has_factor(&m));
        assert!(recovery_text(&m).starts_with("None (they come"));
        m.totp = true;
        assert!(has_factor(&m));
        assert_eq!(recovery_text(&m), "None left");
        m.recovery_codes_left = 7;
        assert_eq!(recovery_text(&m), "7 left");
        let passkey_only = UserMfa {
            passkeys: 1,
            ..UserMfa::default()
        };
        assert!(has_factor(&passkey_only));
    }
}
