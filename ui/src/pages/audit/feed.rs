//! The feed behind the audit page: the first page of `GET /v1/audit-events` for the
//! applied filters (a resource), then the live stream from the newest listed event (so
//! nothing committed in between is missed), events buffered while paused, and "Load
//! older" pages.

use std::collections::HashSet;

use leptos::prelude::*;

use super::model::{AuditEvent, AuditPage, EventExt, Filters};
use super::stream::{self, LiveState};
use crate::api::{self, ApiError};
use crate::components::on_done;

const PAGE: u32 = 50;

/// The feed's state, shared by the page's parts.
#[derive(Clone, Copy)]
pub struct AuditFeed {
    /// The newest page for the applied filters.
    pub first: LocalResource<Result<AuditPage, ApiError>>,
    /// Events that arrived live (newest first), listed above the first page.
    live: RwSignal<Vec<AuditEvent>>,
    /// Pages loaded with "Load older", listed below it.
    older: RwSignal<Vec<AuditEvent>>,
    pub next_cursor: RwSignal<Option<String>>,
    pub load_older: Action<(String, String), (String, Result<AuditPage, ApiError>)>,
    pub paused: RwSignal<bool>,
    /// Live events that arrived while paused.
    pub buffered: RwSignal<Vec<AuditEvent>>,
    pub state: RwSignal<LiveState>,
    /// Ids of the events that arrived live (highlighted).
    pub fresh: RwSignal<HashSet<String>>,
}

impl AuditFeed {
    /// Every listed event, newest first.
    pub fn events(self) -> Vec<AuditEvent> {
        let mut list = self.live.get();
        let first = self.first.get().and_then(Result::ok).map(|p| p.events);
        for e in first.into_iter().flatten().chain(self.older.get()) {
            if !list.iter().any(|x| x.id == e.id) {
                list.push(e);
            }
        }
        list
    }

    /// Why the first page failed, if it did.
    pub fn error(self) -> Option<String> {
        self.first.get().and_then(Result::err).map(|e| e.message)
    }

    /// Why the last "Load older" failed, if it did.
    pub fn older_error(self) -> Signal<Option<String>> {
        let answer = Signal::derive(move || {
            self.load_older
                .value()
                .get()
                .map(|(_, page)| page.map(drop))
        });
        let pending = self.load_older.pending();
        Signal::derive(move || match answer.get() {
            Some(Err(e)) if !pending.get() => Some(e.message),
            _ => None,
        })
    }

    /// Loads the page after the oldest listed event.
    pub fn older(self, applied: RwSignal<Filters>) {
        if let Some(cursor) = self.next_cursor.get_untracked() {
            let query = applied.with_untracked(Filters::query);
            self.load_older.dispatch_local((cursor, query));
        }
    }

    /// Pause holds new events back; Resume lists them.
    pub fn toggle_pause(self) {
        if !self.paused.get_untracked() {
            self.paused.set(true);
            return;
        }
        let waiting = self.buffered.try_update(std::mem::take).unwrap_or_default();
        self.live.update(|list| {
            for e in waiting.into_iter().rev() {
                if !list.iter().any(|x| x.id == e.id) {
                    list.insert(0, e);
                }
            }
        });
        self.paused.set(false);
    }

    /// A live event: dropped when already listed, buffered while paused.
    fn arrived(self, event: AuditEvent) {
        let listed = |list: RwSignal<Vec<AuditEvent>>| {
            list.try_with_untracked(|l| l.iter().any(|e| e.id == event.id))
                .unwrap_or(true)
        };
        let in_first = self
            .first
            .try_with_untracked(|p| {
                p.as_ref()
                    .and_then(|p| p.as_ref().ok())
                    .is_some_and(|p| p.events.iter().any(|e| e.id == event.id))
            })
            .unwrap_or(true);
        if in_first || listed(self.live) || listed(self.older) || listed(self.buffered) {
            return;
        }
        self.fresh.try_update(|f| {
            f.insert(event.id.clone());
        });
        if self.paused.try_get_untracked().unwrap_or(false) {
            self.buffered.try_update(|b| b.insert(0, event));
        } else {
            self.live.try_update(|l| l.insert(0, event));
        }
    }
}

/// The feed for `applied`: reloads (and restarts the stream) whenever the filters change.
pub fn use_audit_feed(applied: RwSignal<Filters>) -> AuditFeed {
    let first = LocalResource::new(move || {
        let query = applied.with(Filters::query);
        async move { api::get::<AuditPage>(&format!("/v1/audit-events?limit={PAGE}{query}")).await }
    });
    let load_older = Action::new_local(|(cursor, query): &(String, String)| {
        let url = format!(
            "/v1/audit-events?limit={PAGE}&cursor={}{query}",
            api::enc(cursor)
        );
        let query = query.clone();
        async move { (query, api::get::<AuditPage>(&url).await) }
    });
    let feed = AuditFeed {
        first,
        live: RwSignal::new(Vec::new()),
        older: RwSignal::new(Vec::new()),
        next_cursor: RwSignal::new(None),
        load_older,
        paused: RwSignal::new(false),
        buffered: RwSignal::new(Vec::new()),
        state: RwSignal::new(LiveState::Connecting),
        fresh: RwSignal::new(HashSet::new()),
    };
    on_done(load_older, move |(query, page)| {
        // Filters changed meanwhile: the page belongs to the old list.
        if query != applied.with_untracked(Filters::query) {
            return;
        }
        if let Ok(page) = page {
            feed.older.update(|list| list.extend(page.events));
            feed.next_cursor.set(page.next_cursor);
        }
    });
    follow_stream(feed, applied);
    feed
}

/// Starts the stream after each first page, from its newest event; stops it when the
/// filters change and when the page goes.
fn follow_stream(feed: AuditFeed, applied: RwSignal<Filters>) {
    let handle = StoredValue::new(0u64);
    on_cleanup(move || {
        if let Some(h) = handle.try_get_value() {
            stream::stop(h);
        }
    });
    Effect::watch(
        move || applied.track(),
        move |_, _, _| {
            stream::stop(handle.get_value());
            feed.live.set(Vec::new());
            feed.older.set(Vec::new());
            feed.buffered.set(Vec::new());
            feed.state.set(LiveState::Connecting);
        },
        false,
    );
    Effect::new(move |_| {
        let Some(answer) = feed.first.get() else {
            return;
        };
        stream::stop(handle.get_value());
        match answer {
            Ok(page) => {
                feed.next_cursor.set(page.next_cursor);
                // With nothing listed, every matching event is new: replay from 0.
                let after = page.events.iter().map(AuditEvent::num).max().unwrap_or(0);
                let query = applied.with_untracked(Filters::query);
                let state = feed.state;
                let h = stream::start(
                    query,
                    Some(after.to_string()),
                    move |event| feed.arrived(event),
                    move |s| {
                        let _ = state.try_set(s);
                    },
                );
                handle.set_value(h);
            }
            Err(_) => {
                feed.next_cursor.set(None);
                feed.state
                    .set(LiveState::Stopped("The feed is not running".into()));
            }
        }
    });
}
