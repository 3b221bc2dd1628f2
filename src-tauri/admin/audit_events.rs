//! `/v1/audit-events`: filtered, cursor-paged queries (newest first) and the live SSE
//! stream (`/v1/audit-events/stream`, resumable with `Last-Event-ID` or `?after=<id>`).

use super::{check_admin_token, Admin};
use crate::audit::event_json;
use crate::error::ApiError;
use crate::oauth::bearer::bearer;
use crate::state::Shared;
use crate::store::audit::{
    events_between, find_event, max_event_id, query_events, AuditFilter, AuditRow,
};
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures_util::Stream;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::watch;
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(stream))
        .routes(routes!(get_one))
}

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 200;
/// A stream re-checks this often even when no commit rang the bell.
const POLL_EVERY: Duration = Duration::from_millis(300);
/// Largest batch a stream reads at once.
const STREAM_BATCH: i64 = 200;
/// How often an open stream checks its bearer token again (revoked, user suspended or no
/// longer a super-admin, client deleted): a stream is no way around losing access.
const RECHECK_EVERY: Duration = Duration::from_secs(30);

/// Parsed query string of either endpoint.
#[derive(Default)]
struct Params {
    filter: AuditFilter,
    limit: Option<i64>,
    cursor: Option<(i64, i64)>,
    after: Option<i64>,
}

fn parse_time(field: &str, v: &str) -> Result<i64, ApiError> {
    let t = time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339)
        .map_err(|_| {
            ApiError::invalid_field(
                field,
                "must be an RFC 3339 date-time, e.g. 2026-01-31T12:00:00Z",
            )
        })?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000)
        .map_err(|_| ApiError::invalid_field(field, "is out of range"))
}

fn encode_cursor(row: &AuditRow) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}.{}", row.at, row.id))
}

fn decode_cursor(v: &str) -> Result<(i64, i64), ApiError> {
    let bad = || ApiError::invalid_field("cursor", "is not a cursor this API returned");
    let raw = URL_SAFE_NO_PAD.decode(v).map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let (at, id) = text.split_once('.').ok_or_else(bad)?;
    Ok((
        at.parse().map_err(|_| bad())?,
        id.parse().map_err(|_| bad())?,
    ))
}

/// Reads the query string; unknown or repeated parameters are refused (422) so a typo
/// never silently widens a filter. Empty values mean "any".
fn parse_params(raw: Option<&str>, streaming: bool) -> Result<Params, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|_| ApiError::invalid_field("query", "is not a valid query string"))?;
    let mut p = Params::default();
    let mut seen: Vec<String> = Vec::new();
    for (key, value) in pairs {
        if seen.contains(&key) {
            return Err(ApiError::invalid_field(&key, "may be given only once"));
        }
        seen.push(key.clone());
        if value.is_empty() {
            continue;
        }
        let f = &mut p.filter;
        match (key.as_str(), streaming) {
            ("type", _) => f.kind = Some(value),
            ("subject", _) => f.subject = Some(value),
            ("client_id", _) => f.client_id = Some(value),
            ("branch", _) => f.branch = Some(value),
            ("outcome", _) if value == "success" || value == "failure" => f.outcome = Some(value),
            ("outcome", _) => {
                return Err(ApiError::invalid_field(
                    "outcome",
                    "must be success or failure",
                ))
            }
            ("since", _) => f.since_ms = Some(parse_time("since", &value)?),
            ("until", _) => f.until_ms = Some(parse_time("until", &value)?),
            ("limit", false) => match value.parse::<i64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => p.limit = Some(n),
                _ => {
                    return Err(ApiError::invalid_field(
                        "limit",
                        format!("must be an integer from 1 to {MAX_LIMIT}"),
                    ))
                }
            },
            ("cursor", false) => p.cursor = Some(decode_cursor(&value)?),
            ("after", true) => p.after = Some(parse_event_id("after", &value)?),
            _ => return Err(ApiError::invalid_field(&key, "is not a known parameter")),
        }
    }
    Ok(p)
}

fn parse_event_id(field: &str, v: &str) -> Result<i64, ApiError> {
    v.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| ApiError::invalid_field(field, "must be an event id"))
}

/// `GET /v1/audit-events`: newest first, `next_cursor` until the last page.
#[utoipa::path(
    get, path = "/audit-events", tag = "audit",
    operation_id = "audit_events_list",
    params(("type" = Option<String>, Query, description = "Event type"), ("subject" = Option<String>, Query, description = "Subject"), ("client_id" = Option<String>, Query, description = "Client id"), ("branch" = Option<String>, Query, description = "Branch id"), ("outcome" = Option<String>, Query, description = "success or failure"), ("since" = Option<String>, Query, description = "RFC 3339 time or Unix ms"), ("until" = Option<String>, Query, description = "RFC 3339 time or Unix ms"), ("limit" = Option<i64>, Query, description = "Page size"), ("cursor" = Option<String>, Query, description = "next_cursor of the previous page")),
    responses((status = 200, description = "A page of audit events", body = serde_json::Value))
)]
pub async fn list(
    State(s): State<Shared>,
    _admin: Admin,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let p = parse_params(raw.as_deref(), false)?;
    let limit = p.limit.unwrap_or(DEFAULT_LIMIT);
    let mut rows = query_events(&s.db.read, &p.filter, p.cursor, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(encode_cursor)
    } else {
        None
    };
    let events: Vec<Value> = rows.iter().map(event_json).collect();
    Ok(Json(
        json!({ "events": events, "next_cursor": next_cursor }),
    ))
}

/// `GET /v1/audit-events/{id}`: one event (the console's inspector opens events by id).
#[utoipa::path(
    get, path = "/audit-events/{id}", tag = "audit",
    operation_id = "audit_events_get",
    params(("id" = i64, Path, description = "Event id")),
    responses((status = 200, description = "The audit event", body = serde_json::Value),
               (status = 404, description = "No such event"))
)]
pub async fn get_one(
    State(s): State<Shared>,
    _admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let not_found = || ApiError::not_found("audit event");
    let id = id.trim().parse::<i64>().map_err(|_| not_found())?;
    let row = find_event(&s.db.read, id).await?.ok_or_else(not_found)?;
    Ok(Json(event_json(&row)))
}

/// A live stream's position: events with id > `last` matching `filter` are still to send.
struct Tail {
    state: Shared,
    filter: AuditFilter,
    last: i64,
    pending: VecDeque<AuditRow>,
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
    params(("type" = Option<String>, Query, description = "Event type"), ("subject" = Option<String>, Query, description = "Subject"), ("client_id" = Option<String>, Query, description = "Client id"), ("branch" = Option<String>, Query, description = "Branch id"), ("outcome" = Option<String>, Query, description = "success or failure"), ("since" = Option<String>, Query, description = "RFC 3339 time or Unix ms"), ("until" = Option<String>, Query, description = "RFC 3339 time or Unix ms"), ("after" = Option<i64>, Query, description = "Resume after this event id")),
    responses((status = 200, description = "Server-sent audit events", content_type = "text/event-stream", body = String))
)]
pub async fn stream(
    State(s): State<Shared>,
    admin: Admin,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let p = parse_params(raw.as_deref(), true)?;
    // The extractor accepted it, so it is there.
    let token = bearer(&headers)
        .ok_or_else(|| ApiError::unauthenticated("a Bearer access token is required"))?
        .to_string();
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
            let data = event_json(&row).to_string();
            let ev = SseEvent::default()
                .id(row.id.to_string())
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
    match check_admin_token(&t.state, &t.token).await {
        Ok(_) => true,
        Err(e) => {
            tracing::info!(reason = %e.message, "audit stream ended: its token no longer holds");
            false
        }
    }
}

/// Reads matching events up to the current high-water mark. Every id at or below
/// `max(id)` is committed (one writer, AUTOINCREMENT ids), so nothing is skipped.
async fn fill(t: &mut Tail) -> Result<(), sqlx::Error> {
    let pool = &t.state.db.read;
    let upto = max_event_id(pool).await?;
    if upto <= t.last {
        return Ok(());
    }
    let rows = events_between(pool, &t.filter, t.last, upto, STREAM_BATCH).await?;
    t.last = match rows.last() {
        Some(r) if rows.len() as i64 == STREAM_BATCH => r.id,
        _ => upto,
    };
    t.pending.extend(rows);
    Ok(())
}
