//! The append-only audit log table: writes and filters here, the labelled reads in
//! `read`, names to ids for the filters in `names`.

mod names;
mod read;

use super::sql::{q, scalar, Autocommit, Exec, Sql};
use super::{Db, Pool, Tx};
use crate::store::{Reader, Result};
pub use names::{business_ids, product_ids, user_ids, NAME_MATCHES_MAX};
pub use read::{events_between, find_event, query_events, LabeledAuditRow};

/// One row of `audit_events` as written.
#[derive(Debug, Clone, Default, serde::Serialize, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    #[serde(rename = "type")]
    #[sqlx(rename = "type")]
    pub kind: String,
    pub outcome: String,
    pub actor: Option<String>,
    pub subject: Option<String>,
    pub client_id: Option<String>,
    pub org: Option<String>,
    pub branch: Option<String>,
    pub jti: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub detail: Option<String>,
}

/// Appends one event inside the caller's transaction; returns its id.
pub async fn insert_event(tx: &mut Tx, e: &AuditRow) -> Result<i64> {
    scalar(
        "INSERT INTO audit_events (at, type, outcome, actor, subject, client_id, org, branch, jti,
                                   ip, user_agent, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(e.at)
    .bind(&e.kind)
    .bind(&e.outcome)
    .bind(&e.actor)
    .bind(&e.subject)
    .bind(&e.client_id)
    .bind(&e.org)
    .bind(&e.branch)
    .bind(&e.jti)
    .bind(&e.ip)
    .bind(&e.user_agent)
    .bind(&e.detail)
    .fetch_one(&mut *tx)
    .await
}

/// Appends standalone events (the audit sink's group commit) atomically. On SQLite one
/// autocommit INSERT on the writer: one round trip instead of BEGIN, INSERT, COMMIT. On
/// PostgreSQL in a write transaction, whose cluster lock keeps ids in commit order (the
/// SSE cursor relies on it).
pub async fn append_events(db: &Db, rows: &[&AuditRow]) -> Result<()> {
    if let Pool::Sqlite(writer) = &db.write {
        return insert_events(Autocommit(writer), rows).await;
    }
    let mut tx = db.begin().await?;
    insert_events(&mut tx, rows).await?;
    tx.commit().await
}

/// Appends several events with one multi-row INSERT.
async fn insert_events<'a>(on: impl Exec<'a>, rows: &[&AuditRow]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut q = q(
        "INSERT INTO audit_events (at, type, outcome, actor, subject, client_id, org, branch, jti, \
         ip, user_agent, detail) VALUES ",
    );
    for (i, e) in rows.iter().enumerate() {
        q.push(if i == 0 { "(" } else { ", (" });
        q.push_bind(e.at)
            .push(", ")
            .push_bind(&e.kind)
            .push(", ")
            .push_bind(&e.outcome)
            .push(", ")
            .push_bind(&e.actor)
            .push(", ")
            .push_bind(&e.subject)
            .push(", ")
            .push_bind(&e.client_id)
            .push(", ")
            .push_bind(&e.org)
            .push(", ")
            .push_bind(&e.branch)
            .push(", ")
            .push_bind(&e.jti)
            .push(", ")
            .push_bind(&e.ip)
            .push(", ")
            .push_bind(&e.user_agent)
            .push(", ")
            .push_bind(&e.detail)
            .push(")");
    }
    q.execute(on).await?;
    Ok(())
}

/// An event field a filter may ask for by one of several values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Actor,
    Subject,
    ClientId,
    Org,
}

impl Field {
    /// The column (a fixed name, never input).
    fn column(self) -> &'static str {
        match self {
            Field::Actor => "actor",
            Field::Subject => "subject",
            Field::ClientId => "client_id",
            Field::Org => "org",
        }
    }
}

/// One of several `field = value` conditions; an event matches when any holds.
pub type AnyOf = Vec<(Field, String)>;

/// What an audit query or stream keeps; `None` matches anything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub kind: Option<String>,
    pub subject: Option<String>,
    pub client_id: Option<String>,
    pub org: Option<String>,
    pub branch: Option<String>,
    pub outcome: Option<String>,
    /// Inclusive lower bound on `at` (ms).
    pub since_ms: Option<i64>,
    /// Exclusive upper bound on `at` (ms).
    pub until_ms: Option<i64>,
    /// Every group must hold (one of its conditions): what a name filter resolved to, e.g.
    /// "this user as subject or actor", "any client of this product". An empty group
    /// matches nothing.
    pub any_of: Vec<AnyOf>,
}

/// Most UNION arms a page query is split into; beyond, the groups become plain ORs.
const MAX_ARMS: usize = 16;

impl AuditFilter {
    /// The groups multiplied out: each arm takes one condition of every group, so the
    /// arms together match what the groups match, and each arm is one index range in
    /// (at, id) order. `None` when there would be more than [`MAX_ARMS`].
    fn arms(&self) -> Option<Vec<Vec<&(Field, String)>>> {
        let mut arms: Vec<Vec<&(Field, String)>> = vec![Vec::new()];
        for group in &self.any_of {
            if arms.len() * group.len() > MAX_ARMS {
                return None;
            }
            arms = arms
                .iter()
                .flat_map(|arm| {
                    group.iter().map(move |c| {
                        let mut a = arm.clone();
                        a.push(c);
                        a
                    })
                })
                .collect();
        }
        Some(arms)
    }

    /// ` WHERE …` with every fixed condition, then either `arm`'s conditions or (`None`)
    /// each group as a parenthesised OR.
    fn push_where(&self, q: &mut Sql, arm: Option<&[&(Field, String)]>) {
        q.push(" WHERE 1 = 1");
        let columns = [
            ("type", &self.kind),
            ("subject", &self.subject),
            ("client_id", &self.client_id),
            ("org", &self.org),
            ("branch", &self.branch),
        ];
        for (column, value) in columns {
            if let Some(v) = value {
                q.push(&format!(" AND {column} = ")).push_bind(v);
            }
        }
        match arm {
            Some(arm) => {
                for (field, value) in arm {
                    q.push(&format!(" AND {} = ", field.column()))
                        .push_bind(value);
                }
            }
            None => {
                for group in &self.any_of {
                    q.push(" AND (FALSE");
                    for (field, value) in group {
                        q.push(&format!(" OR {} = ", field.column()))
                            .push_bind(value);
                    }
                    q.push(")");
                }
            }
        }
        // A literal, not a bind: the partial index on failures applies only then.
        match self.outcome.as_deref() {
            Some("failure") => {
                q.push(" AND outcome = 'failure'");
            }
            Some("success") => {
                q.push(" AND outcome = 'success'");
            }
            Some(other) => {
                q.push(" AND outcome = ").push_bind(other);
            }
            None => {}
        }
        if let Some(since) = self.since_ms {
            q.push(" AND at >= ").push_bind(since);
        }
        if let Some(until) = self.until_ms {
            q.push(" AND at < ").push_bind(until);
        }
    }
}

/// The newest event id (0 when the log is empty): the high-water mark of a live stream.
pub async fn max_event_id(pool: &Reader) -> Result<i64> {
    scalar("SELECT coalesce(max(id), 0) FROM audit_events")
        .fetch_one(pool)
        .await
}

/// Deletes up to `batch` events older than `before_ms` (retention); returns how many.
pub async fn delete_events_before(tx: &mut Tx, before_ms: i64, batch: i64) -> Result<u64> {
    // The batch is written out (see `read::page_query`).
    let done = q(format!(
        "DELETE FROM audit_events WHERE id IN
           (SELECT id FROM audit_events WHERE at < $1 ORDER BY at LIMIT {batch})"
    ))
    .bind(before_ms)
    .execute(&mut *tx)
    .await?;
    Ok(done)
}
