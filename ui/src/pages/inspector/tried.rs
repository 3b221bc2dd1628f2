//! The inspector opened by "Try sign-in" (`?tried=1`): the tokens the product's sign-in
//! just got, access token first, with a note of whose they are and where the events are.

use std::cell::RefCell;

use leptos::prelude::*;

use super::state::Inspection;
use crate::api;
use crate::app::query_param;
use crate::components::ErrorBanner;
use crate::try_signin::{self, Tried};

thread_local! {
    /// The last try, once taken out of sessionStorage (the page may be built again).
    static LAST: RefCell<Option<Tried>> = const { RefCell::new(None) };
}

/// The try this visit shows (`?tried=1`), with its access token put in the JWT field.
pub fn use_tried(i: Inspection) -> Option<Tried> {
    query_param("tried")?;
    if let Some(fresh) = try_signin::take() {
        LAST.with(|l| *l.borrow_mut() = Some(fresh));
    }
    let tried = LAST.with(|l| l.borrow().clone())?;
    if let Ok(tokens) = &tried.outcome {
        i.token.set(tokens.access_token.clone());
    }
    Some(tried)
}

/// Which token of the try is in the JWT field.
#[derive(Clone, Copy, PartialEq)]
enum Which {
    Access,
    Id,
}

#[component]
pub fn TriedBanner(tried: Tried, i: Inspection) -> impl IntoView {
    let product_link = tried.product.as_ref().map(|p| {
        view! {
            <a class="btn" href=format!("/console/products/{}#try-signin", api::enc(&p.id))>
                {format!("Back to {}", p.name)}
            </a>
        }
    });
    let name = tried
        .product
        .as_ref()
        .map_or_else(|| "the product".to_owned(), |p| p.name.clone());
    let tokens = match tried.outcome {
        Ok(tokens) => tokens,
        Err(message) => {
            return view! {
                <div class="card tried-banner" role="status">
                    <h2 class="card-title">{format!("Signing in to {name} did not work")}</h2>
                    <ErrorBanner error=message />
                    <div class="card-actions">{product_link}</div>
                </div>
            }
            .into_any();
        }
    };
    // The product's events (its clients' and about it), else the whole feed.
    let audit_link = tried.product.as_ref().map_or_else(
        || "/console/audit".to_owned(),
        |p| format!("/console/audit?product={}", api::enc(&p.id)),
    );
    let shown = RwSignal::new(Which::Access);
    let choices = [
        (Which::Access, "Access token", tokens.access_token.clone()),
        (Which::Id, "ID token", tokens.id_token.clone()),
    ]
    .map(|(which, label, jwt)| {
        view! {
            <button
                type="button"
                class="btn"
                aria-pressed=move || (shown.get() == which).to_string()
                on:click=move |_| {
                    shown.set(which);
                    i.token.set(jwt.clone());
                }
            >
                {label}
            </button>
        }
    });
    let refresh_note = tokens.refresh_issued.then_some(
        " A refresh token was issued too; the console does not keep it, and it expires as the product's settings say.",
    );
    view! {
        <div class="card tried-banner" role="status">
            <h2 class="card-title">
                {format!("Signed in to {name} as {}", tokens.signed_in_as)}
            </h2>
            <p class="muted">
                "These are the tokens the product's sign-in just got, from Tessera's token endpoint: the same an app of the product gets."
                {refresh_note}
            </p>
            <div class="card-actions">
                <div class="segmented" role="group" aria-label="Token shown">
                    {choices}
                </div>
                <a class="btn" href=audit_link>"See it in the audit feed"</a>
                {product_link}
            </div>
        </div>
    }
    .into_any()
}
