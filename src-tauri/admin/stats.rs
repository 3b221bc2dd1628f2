//! `GET /v1/stats`: what the console's dashboard shows: server facts, table counts, tokens
//! issued per hour over the last 25 hours, the newest audit events, and how far the
//! first-run setup has come.

use super::audit_events::wire_event;
use super::Admin;
use crate::audit::kind;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::audit::{query_events, AuditFilter};
use crate::store::{now, stats};
use axum::extract::State;
use axum::Json;
use tessera_proto::stats::{Counts, HourCount, ServerFacts, Setup, Stats};
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new().routes(routes!(show))
}

/// Hourly buckets returned: the current hour and the 24 before it.
const HOURS: i64 = 25;
/// Newest audit events returned.
const RECENT_EVENTS: i64 = 10;

#[utoipa::path(
    get, path = "/stats", tag = "stats",
    operation_id = "stats_show",
    responses((status = 200, description = "Server facts (issuer, listen address, version, \
        start time, uptime), counts of products, users, businesses and signing keys, \
        `token.issued` events per hour for the last 25 hours (oldest first, the last bucket \
        is the current hour), up to 10 newest audit events and the first-run checklist's \
        figures", body = Stats))
)]
pub async fn show(State(s): State<Shared>, _admin: Admin) -> Result<Json<Stats>, ApiError> {
    let t = now();
    let counts = stats::counts(&s.db.read).await?;
    let current_hour = t.div_euclid(3600) * 3600;
    let first_hour = current_hour - (HOURS - 1) * 3600;
    let per_hour = stats::events_per_hour(
        &s.db.read,
        kind::TOKEN_ISSUED,
        first_hour * 1000,
        (current_hour + 3600) * 1000,
    )
    .await?;
    let tokens_per_hour = (0..HOURS)
        .map(|i| {
            let hour_start = first_hour + i * 3600;
            let count = per_hour
                .iter()
                .find(|(h, _)| *h == hour_start)
                .map_or(0, |(_, n)| *n);
            HourCount { hour_start, count }
        })
        .collect();
    let recent = query_events(&s.db.read, &AuditFilter::default(), None, RECENT_EVENTS).await?;
    let setup = stats::setup(&s.db.read).await?;
    Ok(Json(Stats {
        server: ServerFacts {
            issuer: s.issuer.clone(),
            listen: s.listen.to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            started_at: s.started_at,
            uptime_seconds: (t - s.started_at).max(0),
        },
        counts: Counts {
            products: counts.products,
            users: counts.users,
            businesses: counts.businesses,
            signing_keys: counts.signing_keys,
        },
        tokens_per_hour,
        recent_events: recent.iter().map(wire_event).collect(),
        setup: Setup {
            first_product_id: setup.first_product_id,
            first_product_token_at_ms: setup.first_product_token_at,
            branch_membership: setup.branch_membership,
        },
    }))
}
