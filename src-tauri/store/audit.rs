//! The append-only audit log table.

use super::Tx;
use crate::store::{Reader, Result};

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
    Ok(sqlx::query_scalar(
        "INSERT INTO audit_events (at, type, outcome, actor, subject, client_id, org, branch, jti,
                                   ip, user_agent, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
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
    .fetch_one(tx.conn())
    .await?)
}

/// Appends several events with one multi-row INSERT.
pub async fn insert_events(tx: &mut Tx, rows: &[&AuditRow]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
        "INSERT INTO audit_events (at, type, outcome, actor, subject, client_id, org, branch, jti, \
         ip, user_agent, detail) ",
    );
    q.push_values(rows, |mut b, e| {
        b.push_bind(e.at)
            .push_bind(&e.kind)
            .push_bind(&e.outcome)
            .push_bind(&e.actor)
            .push_bind(&e.subject)
            .push_bind(&e.client_id)
            .push_bind(&e.org)
            .push_bind(&e.branch)
            .push_bind(&e.jti)
            .push_bind(&e.ip)
            .push_bind(&e.user_agent)
            .push_bind(&e.detail);
    });
    q.build().execute(tx.conn()).await?;
    Ok(())
}

/// What an audit query or stream keeps; `None` matches anything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub kind: Option<String>,
    pub subject: Option<String>,
    pub client_id: Option<String>,
    pub branch: Option<String>,
    pub outcome: Option<String>,
    /// Inclusive lower bound on `at` (ms).
    pub since_ms: Option<i64>,
    /// Exclusive upper bound on `at` (ms).
    pub until_ms: Option<i64>,
}

impl AuditFilter {
    fn push_where(&self, q: &mut sqlx::QueryBuilder<'_, sqlx::Sqlite>) {
        q.push(" WHERE 1 = 1");
        let columns = [
            ("type", &self.kind),
            ("subject", &self.subject),
            ("client_id", &self.client_id),
            ("branch", &self.branch),
        ];
        for (column, value) in columns {
            if let Some(v) = value {
                q.push(format!(" AND {column} = ")).push_bind(v.clone());
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
                q.push(" AND outcome = ").push_bind(other.to_string());
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

/// A newest-first page: events older than `before` = (at, id) of the previous page's last
/// row. Ordered by (at, id), which every audit index carries, so no sort is needed.
pub async fn query_events(
    pool: &Reader,
    filter: &AuditFilter,
    before: Option<(i64, i64)>,
    limit: i64,
) -> Result<Vec<AuditRow>> {
    let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new("SELECT * FROM audit_events");
    filter.push_where(&mut q);
    if let Some((at, id)) = before {
        // `at <= ?` bounds the index range; the OR only breaks ties within one millisecond.
        q.push(" AND at <= ").push_bind(at);
        q.push(" AND (at < ").push_bind(at);
        q.push(" OR id < ").push_bind(id).push(")");
    }
    q.push(" ORDER BY at DESC, id DESC LIMIT ").push_bind(limit);
    Ok(q.build_query_as().fetch_all(pool.pool()).await?)
}

/// One event by id.
pub async fn find_event(pool: &Reader, id: i64) -> Result<Option<AuditRow>> {
    Ok(sqlx::query_as("SELECT * FROM audit_events WHERE id = ?")
        .bind(id)
        .fetch_optional(pool.pool())
        .await?)
}

/// The newest event id (0 when the log is empty): the high-water mark of a live stream.
pub async fn max_event_id(pool: &Reader) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM audit_events")
            .fetch_one(pool.pool())
            .await?,
    )
}

/// Matching events with `after < id <= upto`, oldest first. Walks the rowid range only
/// (NOT INDEXED), so a stream's poll costs the number of new events, whatever the filter.
pub async fn events_between(
    pool: &Reader,
    filter: &AuditFilter,
    after: i64,
    upto: i64,
    limit: i64,
) -> Result<Vec<AuditRow>> {
    let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new("SELECT * FROM audit_events NOT INDEXED");
    filter.push_where(&mut q);
    q.push(" AND id > ").push_bind(after);
    q.push(" AND id <= ").push_bind(upto);
    q.push(" ORDER BY id LIMIT ").push_bind(limit);
    Ok(q.build_query_as().fetch_all(pool.pool()).await?)
}

/// Deletes up to `batch` events older than `before_ms` (retention); returns how many.
pub async fn delete_events_before(tx: &mut Tx, before_ms: i64, batch: i64) -> Result<u64> {
    let done = sqlx::query(
        "DELETE FROM audit_events WHERE id IN
           (SELECT id FROM audit_events WHERE at < ? ORDER BY at LIMIT ?)",
    )
    .bind(before_ms)
    .bind(batch)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected())
}
