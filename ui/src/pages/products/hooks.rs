//! The pieces the product, user and business pages share to load and save the same way:
//! a detail page's load, a reloading list, a failed load's banner (saves use
//! `components::on_done` / `failure` like every page).

use leptos::prelude::*;
use serde::de::DeserializeOwned;

use crate::api::{self, ApiError};
use crate::components::loaded::LoadedProps;
use crate::components::{ErrorBanner, Loaded, Loading, Shown};

/// What a `<Transition>` shows when its load failed: the API's message in the banner.
pub(crate) fn load_failed(e: ApiError) -> AnyView {
    let message = Some(e.message);
    view! { <ErrorBanner error=Signal::derive(move || message.clone()) /> }.into_any()
}

/// The cards of a detail page once its item is in: `GET` of the item `shown` names,
/// kept in `shown.item` (the cards edit it; each save puts the answer back). `Loading`
/// until then, the API's message if it fails.
pub(crate) fn shown_cards<T, V>(
    shown: Shown<T>,
    cards: impl Fn() -> V + Clone + Send + Sync + 'static,
) -> impl IntoView
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let item = LocalResource::new(move || {
        let path = shown.path("");
        async move { api::get::<T>(&path).await }
    });
    view! {
        <Transition fallback=|| view! { <Loading /> }>
            {move || {
                let cards = cards.clone();
                Suspend::new(async move {
                    match item.await {
                        Ok(v) => {
                            shown.item.set(Some(v));
                            cards().into_any()
                        }
                        Err(e) => load_failed(e),
                    }
                })
            }}
        </Transition>
    }
}

/// [`Loaded`] over a resource that reloads (`refetch`, or a source of it changes): the view
/// on screen stays until the new one replaces it in one go. Read as it stands, never
/// awaited in a `Suspend`: a `Suspend` drops the reactive values of the view it made as
/// soon as a reload starts, while that view stays up until the answer is in; a tick or a
/// click on it in between reads what is gone (a panic).
pub(crate) fn reloading<T, V>(
    resource: LocalResource<Result<T, ApiError>>,
    ok: impl Fn(T) -> V + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    Loaded(LoadedProps {
        resource,
        children: ok,
    })
}
