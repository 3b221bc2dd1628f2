//! The console's one way to load and save: a `LocalResource` shown through [`Loaded`] (a
//! `<Transition>`: "Loading…" until the first answer, the old data kept while it reloads,
//! a failure in an `ErrorBanner`), and `Action::new_local` for saves, its `pending()` the
//! busy state, [`failure`] the message to show and [`on_done`] what follows an answer.
//! The recipe is in docs/ARCHITECTURE.md ("How to add a console page").

use std::fmt::Display;

use leptos::either::Either;
use leptos::prelude::*;

use super::{ErrorBanner, Loading};

/// Shows `children(value)` once `resource` has answered `Ok(value)`, its error in a banner
/// otherwise; "Loading…" before the first answer. A `refetch()` keeps the shown data until
/// the new answer replaces it.
#[component]
pub fn Loaded<T, E, F, V>(resource: LocalResource<Result<T, E>>, children: F) -> impl IntoView
where
    T: Clone + 'static,
    E: Clone + Display + 'static,
    F: Fn(T) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Transition fallback=Loading>
            {move || {
                resource
                    .get()
                    .map(|answer| match answer {
                        Ok(value) => Either::Left(children(value)),
                        Err(e) => Either::Right(view! { <ErrorBanner error=e.to_string() /> }),
                    })
            }}
        </Transition>
    }
}

/// Runs `done` with each answer `action` comes back with. An effect: nothing runs once the
/// page that made the action is gone.
pub fn on_done<I, O>(action: Action<I, O>, done: impl Fn(O) + 'static)
where
    I: 'static,
    O: Clone + Send + Sync + 'static,
{
    let version = action.version();
    Effect::watch(
        move || version.get(),
        move |_, _, _| {
            if let Some(answer) = action.value().get_untracked() {
                done(answer);
            }
        },
        false,
    );
}

/// The message of `action`'s last failure, gone while it runs again (for an `ErrorBanner`).
pub fn failure<I, T, E>(action: Action<I, Result<T, E>>) -> Signal<Option<String>>
where
    I: 'static,
    T: Send + Sync + 'static,
    E: Display + Send + Sync + 'static,
{
    let pending = action.pending();
    Signal::derive(move || {
        if pending.get() {
            return None;
        }
        action.value().with(|answer| match answer {
            Some(Err(e)) => Some(e.to_string()),
            _ => None,
        })
    })
}
