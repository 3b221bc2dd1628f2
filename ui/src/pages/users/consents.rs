//! "Apps with access": the third-party apps this user approved on the consent page
//! (`/v1/users/{id}/consents`), with the scopes approved; removing one forgets the
//! consent and revokes the tokens the app holds for the user.

use leptos::prelude::*;
use tessera_proto::consents::{Consent, ConsentList};

use super::detail::Ctx;
use crate::api;
use crate::components::time::{local, relative};
use crate::components::{on_done, toast, ConfirmDialog, Empty, ErrorBanner};
use crate::pages::products::hooks::reloading;

#[component]
pub(crate) fn ConsentsCard(ctx: Ctx) -> impl IntoView {
    let consents = LocalResource::new(move || {
        let path = ctx.path("/consents");
        async move { api::get::<ConsentList>(&path).await.map(|l| l.consents) }
    });
    let chosen = RwSignal::new(None::<Consent>);
    let open = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let remove = Action::new_local(move |client_id: &String| {
        let path = ctx.path(&format!("/consents/{}", api::enc(client_id)));
        async move { api::delete(&path).await }
    });
    on_done(remove, move |answer| match answer {
        Ok(()) => {
            toast::show("Access removed: the app's tokens for this user are revoked");
            consents.refetch();
        }
        Err(e) => error.set(Some(e.message)),
    });
    let on_remove = Callback::new(move |c: Consent| {
        chosen.set(Some(c));
        open.set(true);
    });
    let busy = remove.pending();
    view! {
        <div class="card consents-card">
            <h2 class="card-title">"Apps with access"</h2>
            <p class="muted">
                "Third-party apps this user allowed on the consent page. Removing one revokes its tokens; the app must ask again."
            </p>
            <ErrorBanner error=error />
            {reloading(consents, move |list| view! { <ConsentsTable list=list busy=busy on_remove=on_remove /> })}
            <ConfirmDialog
                open=open
                title="Remove this app's access?"
                message="The app's tokens for this user are revoked at once and the consent is forgotten: the next time the app asks, the user sees the consent page again."
                confirm_label="Remove access"
                danger=true
                on_confirm=Callback::new(move |()| {
                    if let Some(c) = chosen.get_untracked() {
                        error.set(None);
                        remove.dispatch_local(c.client_id);
                    }
                })
            />
        </div>
    }
}

#[component]
fn ConsentsTable(
    list: Vec<Consent>,
    busy: Memo<bool>,
    on_remove: Callback<Consent>,
) -> impl IntoView {
    if list.is_empty() {
        return view! {
            <Empty compact=true title="No third-party apps" hint="This user has not allowed any third-party app.".to_owned() />
        }
        .into_any();
    }
    let rows = list
        .into_iter()
        .map(|c| {
            let name = c.client_name.clone().unwrap_or_else(|| c.client_id.clone());
            let scopes = c.scopes.join(" ");
            let since = c.created_at;
            let chosen = c.clone();
            view! {
                <tr>
                    <td>
                        <span class="apps-name">{name}</span>
                        <span class="badge badge-muted" title="The app chose this name itself: Tessera has not verified it.">"unverified"</span>
                        <div class="mono small muted">{c.client_id.clone()}</div>
                    </td>
                    <td class="mono small">{scopes}</td>
                    <td><span title=local(since)>{relative(since)}</span></td>
                    <td class="apps-col-actions">
                        <button type="button" class="btn btn-small btn-ghost btn-danger-text"
                            disabled=move || busy.get() on:click=move |_| on_remove.run(chosen.clone())>
                            "Remove access"
                        </button>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table apps-table">
                <caption class="sr-only">"Apps with access"</caption>
                <thead>
                    <tr>
                        <th scope="col">"App"</th>
                        <th scope="col">"Scopes"</th>
                        <th scope="col">"Since"</th>
                        <th scope="col" class="apps-col-actions"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}
