//! `/v1/audit-events`: filtered, cursor-paged queries (newest first) and one event by id;
//! the query string in `query`, the name filters in `names`, the live SSE stream in
//! `stream`. Every event carries display labels (emails, product and business names)
//! read in the same query as the events.

mod names;
mod query;
mod stream;

use super::Admin;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::audit::{find_event, query_events, LabeledAuditRow};
use axum::extract::{Path, RawQuery, State};
use axum::Json;
use query::{encode_cursor, parse_params, FilterParams, DEFAULT_LIMIT};
use tessera_proto::audit::{AuditEvent, AuditPage};
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(stream::stream))
        .routes(routes!(get_one))
}

/// The wire shape of an event (also the stream's `data` and the dashboard's): `id` as a
/// string, `at` as RFC 3339 UTC with `at_ms` beside it, `detail` as parsed JSON, the
/// labels as read.
pub(super) fn wire_event(labeled: &LabeledAuditRow) -> AuditEvent {
    let row = &labeled.row;
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(row.at) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        });
    let detail = row
        .detail
        .as_deref()
        .map(|d| serde_json::from_str(d).unwrap_or_else(|_| serde_json::Value::String(d.into())));
    AuditEvent {
        id: row.id.to_string(),
        at,
        at_ms: row.at,
        kind: row.kind.clone(),
        outcome: row.outcome.clone(),
        actor: row.actor.clone(),
        subject: row.subject.clone(),
        client_id: row.client_id.clone(),
        org: row.org.clone(),
        branch: row.branch.clone(),
        jti: row.jti.clone(),
        ip: row.ip.clone(),
        user_agent: row.user_agent.clone(),
        detail,
        actor_label: labeled.actor_label.clone(),
        subject_label: labeled.subject_label.clone(),
        client_label: labeled.client_label.clone(),
        org_label: labeled.org_label.clone(),
        branch_label: labeled.branch_label.clone(),
    }
}

/// `GET /v1/audit-events`: newest first, `next_cursor` until the last page.
#[utoipa::path(
    get, path = "/audit-events", tag = "audit",
    operation_id = "audit_events_list",
    params(FilterParams, ("limit" = Option<i64>, Query, description = "Page size"), ("cursor" = Option<String>, Query, description = "next_cursor of the previous page")),
    responses((status = 200, description = "A page of audit events", body = AuditPage))
)]
pub async fn list(
    State(s): State<Shared>,
    _admin: Admin,
    RawQuery(raw): RawQuery,
) -> Result<Json<AuditPage>, ApiError> {
    let mut p = parse_params(raw.as_deref(), false)?;
    names::resolve(&s.db.read, &p.names, &mut p.filter).await?;
    let limit = p.limit.unwrap_or(DEFAULT_LIMIT);
    let mut rows = query_events(&s.db.read, &p.filter, p.cursor, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(encode_cursor)
    } else {
        None
    };
    Ok(Json(AuditPage {
        events: rows.iter().map(wire_event).collect(),
        next_cursor,
    }))
}

/// `GET /v1/audit-events/{id}`: one event (the console's inspector opens events by id).
#[utoipa::path(
    get, path = "/audit-events/{id}", tag = "audit",
    operation_id = "audit_events_get",
    params(("id" = i64, Path, description = "Event id")),
    responses((status = 200, description = "The audit event", body = AuditEvent),
               (status = 404, description = "No such event"))
)]
pub async fn get_one(
    State(s): State<Shared>,
    _admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<AuditEvent>, ApiError> {
    let not_found = || ApiError::not_found("audit event");
    let id = id.trim().parse::<i64>().map_err(|_| not_found())?;
    let row = find_event(&s.db.read, id).await?.ok_or_else(not_found)?;
    Ok(Json(wire_event(&row)))
}
