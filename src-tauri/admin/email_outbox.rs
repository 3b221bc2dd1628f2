//! `GET /v1/email-outbox`: the newest emails of the outbox (never a body), to see what
//! was sent, what is being retried after an SMTP failure (and why), and what was given up.

use super::input::{page_limit, query_params};
use super::Admin;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::email::{self as store, EmailRow};
use axum::extract::{RawQuery, State};
use axum::Json;
use tessera_proto::email::{Outbox, OutboxEmail};
use utoipa_axum::{router::OpenApiRouter, routes};

const STATUSES: [&str; 4] = ["queued", "retrying", "sent", "failed"];

pub(super) fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new().routes(routes!(list))
}

/// The wire shape of an outbox row: a queued email that failed an attempt is `retrying`.
fn email(row: EmailRow) -> OutboxEmail {
    let waiting = row.status == "queued";
    let status = if waiting && row.attempts > 0 && row.last_error.is_some() {
        "retrying".to_string()
    } else {
        row.status
    };
    OutboxEmail {
        id: row.id,
        kind: row.kind,
        to: row.recipient,
        subject: row.subject,
        status,
        attempts: row.attempts,
        last_error: row.last_error,
        created_at: row.created_at,
        sent_at: row.sent_at,
        next_attempt_at: waiting.then_some(row.next_attempt_at),
    }
}

#[utoipa::path(
    get, path = "/email-outbox", tag = "email",
    operation_id = "email_outbox_list",
    params(
        ("status" = Option<String>, Query, description = "queued, retrying, sent or failed"),
        ("limit" = Option<i64>, Query, description = "How many, 1-200 (default 50)"),
    ),
    responses((status = 200, description = "The newest emails, newest first", body = Outbox))
)]
pub async fn list(
    State(s): State<Shared>,
    _admin: Admin,
    RawQuery(raw): RawQuery,
) -> Result<Json<Outbox>, ApiError> {
    let p = query_params(raw.as_deref(), &["status", "limit"])?;
    let status = p.get("status").map(String::as_str);
    if status.is_some_and(|st| !STATUSES.contains(&st)) {
        return Err(ApiError::invalid_field(
            "status",
            "must be queued, retrying, sent or failed",
        ));
    }
    let limit = page_limit(&p, 50)?;
    let rows = store::list_emails(&s.db.read, status, limit).await?;
    Ok(Json(Outbox {
        emails: rows.into_iter().map(email).collect(),
    }))
}
