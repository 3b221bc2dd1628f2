//! `GET /v1/audit-events/stream`: the live SSE stream, resumable with `Last-Event-ID` or
//! `?after=<id>`; it ends with its token (expiry, or a recheck that fails) or the server.

use super::names;
use super::query::{parse_event_id, parse_params, FilterParams};
use super::wire_event;
use crate::admin::{recheck_admin_token, Admin};
use crate::error::ApiError;
use crate::oauth::bearer::presented;
use crate::state::Shared;
use crate::store::audit::{events_between, max_event_id, AuditFilter, LabeledAuditRow};
use crate::store::StoreError;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::watch;

/// A stream re-checks this often even when no commit rang the bell.
const POLL_EVERY: Duration = Duration::from_millis(300);
/// Largest batch a stream reads at once.
const STREAM_BATCH: i64 = 200;
/// How often an open stream checks its bearer token again (revoked, user suspended or no
/// longer a super-admin, client deleted): a stream is no way around losing access.
const RECHECK_EVERY: Duration = Duration::from_secs(30);

/// A live stream's position: events with id > `last` matching `filter` are still to send.
struct Tail {
    state: Shared,
    filter: AuditFilter,
    last: i64,
    pending: VecDeque<LabeledAuditRow>,
    bell: watch::Receiver<u64>,
    stopping: watch::Receiver<bool>,
    /// The admin token's `exp`: the stream ends with it (the client reconnects with a
    /// fresh token and `Last-Event-ID`).
    until: i64,
    /// The bearer token, checked again every [`RECHECK_EVERY`].
    token: String,
    recheck_at: tokio::time::Instant,
}

/// `GET /v1/audit-events/stream`: `event: audit` with the event JSON, `id:` = event id.
/// Without `Last-Event-ID` / `?after=` it starts with events committed from now on.
#[utoipa::path(
    get, path = "/audit-events/stream", tag = "audit",
    operation_id = "audit_events_stream",
    params(FilterParams, ("after" = Option<i64>, Query, description = "Resume after this event id")),
    responses((status = 200, description = "Server-sent audit events: `event: audit`, `id:` the \
        event id, `data:` the event as JSON (the `AuditEvent` schema)",
        content_type = "text/event-stream", body = String))
)]
pub async fn stream(
    State(s): State<Shared>,
    admin: Admin,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let mut p = parse_params(raw.as_deref(), true)?;
    // Names are resolved once, when the stream opens.
    names::resolve(&s.db.read, &p.names, &mut p.filter).await?;
    // The extractor accepted it, so it is there.
    let token = presented(&headers)
        .map(|(_, token)| token.to_string())
        .ok_or_else(|| ApiError::unauthenticated("a Bearer access token is required"))?;
    let header = match headers.get("last-event-id") {
        Some(v) => {
            let v = v.to_str().unwrap_or("");
            Some(parse_event_id("Last-Event-ID", v)?)
        }
        None => None,
    };
    // Fixed before the response starts: whatever commits after the client got the
    // headers is delivered.
    let last = match header.or(p.after) {
        Some(id) => id,
        None => max_event_id(&s.db.read).await?,
    };
    let tail = Tail {
        bell: s.audit.subscribe(),
        stopping: s.stopping.clone(),
        state: s,
        filter: p.filter,
        last,
        pending: VecDeque::new(),
        until: admin.claims.exp,
        token,
        recheck_at: tokio::time::Instant::now() + RECHECK_EVERY,
    };
    let events = futures_util::stream::unfold(tail, next_event);
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// The next SSE event, or `None` (end of stream) when the server shuts down.
async fn next_event(mut t: Tail) -> Option<(Result<SseEvent, Infallible>, Tail)> {
    loop {
        if *t.stopping.borrow() || crate::store::now() >= t.until {
            return None;
        }
        if tokio::time::Instant::now() >= t.recheck_at {
            if !still_allowed(&t).await {
                return None;
            }
            t.recheck_at = tokio::time::Instant::now() + RECHECK_EVERY;
        }
        if let Some(row) = t.pending.pop_front() {
            // Cannot fail: strings, numbers and an already parsed JSON value.
            let data = serde_json::to_string(&wire_event(&row)).unwrap_or_default();
            let ev = SseEvent::default()
                .id(row.row.id.to_string())
                .event("audit")
                .data(data);
            return Some((Ok(ev), t));
        }
        if let Err(e) = fill(&mut t).await {
            tracing::warn!(error = %e, "audit stream cannot read events; retrying");
        }
        if !t.pending.is_empty() {
            continue;
        }
        // `stopping` only ever changes to true (or its sender goes away): either ends us.
        let bell_gone = tokio::select! {
            _ = t.stopping.changed() => return None,
            changed = t.bell.changed() => changed.is_err(),
            _ = tokio::time::sleep(POLL_EVERY) => false,
        };
        if bell_gone {
            tokio::time::sleep(POLL_EVERY).await;
        }
    }
}

/// Whether the stream's token would still open it. Fails closed: a database error ends
/// the stream too (the client reconnects, and is checked afresh).
async fn still_allowed(t: &Tail) -> bool {
    match recheck_admin_token(&t.state, &t.token).await {
        Ok(_) => true,
        Err(e) => {
            tracing::info!(reason = %e.message, "audit stream ended: its token no longer holds");
            false
        }
    }
}

/// Reads matching events up to the current high-water mark. Every id at or below
/// `max(id)` is committed (one writer, AUTOINCREMENT ids), so nothing is skipped.
async fn fill(t: &mut Tail) -> Result<(), StoreError> {
    let pool = &t.state.db.read;
    let upto = max_event_id(pool).await?;
    if upto <= t.last {
        return Ok(());
    }
    let rows = events_between(pool, &t.filter, t.last, upto, STREAM_BATCH).await?;
    t.last = match rows.last() {
        Some(r) if rows.len() as i64 == STREAM_BATCH => r.row.id,
        _ => upto,
    };
    t.pending.extend(rows);
    Ok(())
}
