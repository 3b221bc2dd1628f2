//! The append-only audit log table.

use super::Tx;

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
pub async fn insert_event(tx: &mut Tx, e: &AuditRow) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
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
    .fetch_one(&mut **tx)
    .await
}

/// Appends several events with one multi-row INSERT.
pub async fn insert_events(tx: &mut Tx, rows: &[&AuditRow]) -> Result<(), sqlx::Error> {
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
    q.build().execute(&mut **tx).await?;
    Ok(())
}
