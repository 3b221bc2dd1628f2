//! The query string of `/v1/audit-events` and its stream: filters, page size, cursor,
//! resume point. Unknown or repeated parameters are refused (422) so a typo never
//! silently widens a filter.

use crate::error::ApiError;
use crate::store::audit::{AuditFilter, LabeledAuditRow};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

pub(super) const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 200;

/// Longest value a name filter takes (an email is at most 254 characters).
const NAME_MAX_CHARS: usize = 320;

/// The filters by what a person knows, each a name or an id (resolved by `names`).
#[derive(Default)]
pub(super) struct Names {
    /// `user`: an email or a user id.
    pub user: Option<String>,
    /// `product`: a product id or name.
    pub product: Option<String>,
    /// `business`: a business id or name.
    pub business: Option<String>,
}

/// The filters both endpoints take, for the OpenAPI document ([`parse_params`] reads
/// them; empty values mean "any").
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(super) struct FilterParams {
    /// Event type, e.g. `token.issued`
    #[param(rename = "type")]
    kind: Option<String>,
    /// Subject id
    subject: Option<String>,
    /// Client id
    client_id: Option<String>,
    /// Business id (`org`)
    org: Option<String>,
    /// Branch id
    branch: Option<String>,
    /// A user's email or id: events with that user as subject or actor (an unknown
    /// email matches no event)
    user: Option<String>,
    /// A product's id or exact name (any case): events of any of its clients, or about
    /// the product
    product: Option<String>,
    /// A business's id or exact name (any case): events in that business, or about it
    business: Option<String>,
    /// `success` or `failure`
    outcome: Option<String>,
    /// RFC 3339 time (inclusive)
    since: Option<String>,
    /// RFC 3339 time (exclusive)
    until: Option<String>,
}

/// Parsed query string of either endpoint.
#[derive(Default)]
pub(super) struct Params {
    pub filter: AuditFilter,
    pub names: Names,
    pub limit: Option<i64>,
    pub cursor: Option<(i64, i64)>,
    pub after: Option<i64>,
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

pub(super) fn encode_cursor(labeled: &LabeledAuditRow) -> String {
    let row = &labeled.row;
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
pub(super) fn parse_params(raw: Option<&str>, streaming: bool) -> Result<Params, ApiError> {
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
            ("org", _) => f.org = Some(value),
            ("user" | "product" | "business", _) if value.chars().count() > NAME_MAX_CHARS => {
                return Err(ApiError::invalid_field(
                    &key,
                    format!("must be at most {NAME_MAX_CHARS} characters"),
                ))
            }
            ("user", _) => p.names.user = Some(value),
            ("product", _) => p.names.product = Some(value),
            ("business", _) => p.names.business = Some(value),
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

pub(super) fn parse_event_id(field: &str, v: &str) -> Result<i64, ApiError> {
    v.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| ApiError::invalid_field(field, "must be an event id"))
}
