//! Reading events with what a person reads for their ids (a user's email, a client's
//! product name, a business or branch name), joined in the same query as the events: a
//! page is one query, whatever its length.

use super::{AuditFilter, AuditRow, Field};
use crate::store::sql::{q, Engine, Sql};
use crate::store::{Reader, Result};

/// An event with the names of what its ids point at; each `None` when unknown or gone
/// (a deleted user, a deleted product).
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct LabeledAuditRow {
    #[sqlx(flatten)]
    pub row: AuditRow,
    pub actor_label: Option<String>,
    pub subject_label: Option<String>,
    pub client_label: Option<String>,
    pub org_label: Option<String>,
    pub branch_label: Option<String>,
}

/// A client's name as people know it: its product's name (`(server)` added for the
/// server client), else the client row's own name (the console's "Tessera console", an
/// admin client's name). `{c}` a `clients` alias, `{p}` its product's.
macro_rules! client_label {
    ($c:literal, $p:literal) => {
        concat!(
            "CASE WHEN ",
            $p,
            ".name IS NULL THEN ",
            $c,
            ".name WHEN ",
            $c,
            ".kind = 'server' THEN ",
            $p,
            ".name || ' (server)' ELSE ",
            $p,
            ".name END"
        )
    };
}

/// The selected columns: the event (`e`) and its labels.
const LABELS: &str = concat!(
    "e.*, coalesce(au.email, ",
    client_label!("ac", "ap"),
    ") AS actor_label, coalesce(su.email, ",
    client_label!("sc", "sp"),
    ", spr.name, sb.name, sbr.name, sr.name) AS subject_label, ",
    client_label!("cc", "cp"),
    " AS client_label, ob.name AS org_label, bb.name AS branch_label"
);

/// Every join is by primary key: a few index lookups per event. A subject may be any
/// kind of id (user, client, product, business, branch, role); ids are random, so at most
/// one of those joins finds a row.
const LABEL_JOINS: &str = " \
    LEFT JOIN users au ON au.id = e.actor \
    LEFT JOIN clients ac ON ac.client_id = e.actor \
    LEFT JOIN products ap ON ap.id = ac.product_id \
    LEFT JOIN users su ON su.id = e.subject \
    LEFT JOIN clients sc ON sc.client_id = e.subject \
    LEFT JOIN products sp ON sp.id = sc.product_id \
    LEFT JOIN products spr ON spr.id = e.subject \
    LEFT JOIN businesses sb ON sb.id = e.subject \
    LEFT JOIN branches sbr ON sbr.id = e.subject \
    LEFT JOIN roles sr ON sr.id = e.subject \
    LEFT JOIN clients cc ON cc.client_id = e.client_id \
    LEFT JOIN products cp ON cp.id = cc.product_id \
    LEFT JOIN businesses ob ON ob.id = e.org \
    LEFT JOIN branches bb ON bb.id = e.branch";

/// A newest-first page: events older than `before` = (at, id) of the previous page's last
/// row, in one query. The page's keys come from the filter's arms (`AuditFilter::arms`)
/// joined by UNION: every arm walks one index in (at, id) order, SQLite merges them and
/// stops at `limit`, so no arm is sorted whatever it matches; then the page's rows are
/// read by id with their labels.
pub async fn query_events(
    pool: &Reader,
    filter: &AuditFilter,
    before: Option<(i64, i64)>,
    limit: i64,
) -> Result<Vec<LabeledAuditRow>> {
    page_query(pool.engine(), "", filter, before, limit)
        .fetch_all(pool)
        .await
}

/// The page's statement after `head` (tests put `EXPLAIN QUERY PLAN` there).
fn page_query(
    engine: Engine,
    head: &str,
    filter: &AuditFilter,
    before: Option<(i64, i64)>,
    limit: i64,
) -> Sql {
    let mut q = q(format!("{head}SELECT {LABELS} FROM ("));
    match filter.arms() {
        Some(arms) => {
            for (i, arm) in arms.iter().enumerate() {
                if i > 0 {
                    q.push(" UNION ");
                }
                push_keys(&mut q, filter, Some(arm), before);
            }
        }
        None => push_keys(&mut q, filter, None, before),
    }
    // The limit is written out, not bound: a plan made once for every value (PostgreSQL's
    // generic plans) must know that only a page is wanted, or it sorts the whole log.
    q.push(&format!(" ORDER BY at DESC, id DESC LIMIT {limit}"));
    // CROSS JOIN: SQLite keeps the page's keys as the outer loop (a plain JOIN may walk
    // every event and probe the keys instead). PostgreSQL plans a plain JOIN so.
    q.push(engine.pick(
        ") k CROSS JOIN audit_events e ON e.id = k.id",
        ") k JOIN audit_events e ON e.id = k.id",
    ));
    q.push(LABEL_JOINS);
    q.push(" ORDER BY e.at DESC, e.id DESC");
    q
}

/// `SELECT id, at` of one arm (covered by every audit index), before the cursor.
fn push_keys(
    q: &mut Sql,
    filter: &AuditFilter,
    arm: Option<&[&(Field, String)]>,
    before: Option<(i64, i64)>,
) {
    q.push("SELECT id, at FROM audit_events");
    filter.push_where(q, arm);
    if let Some((at, id)) = before {
        // `at <= $n` bounds the index range; the OR only breaks ties within one millisecond.
        q.push(" AND at <= ").push_bind(at);
        q.push(" AND (at < ").push_bind(at);
        q.push(" OR id < ").push_bind(id).push(")");
    }
}

/// One event by id, with its labels.
pub async fn find_event(pool: &Reader, id: i64) -> Result<Option<LabeledAuditRow>> {
    let sql = format!("SELECT {LABELS} FROM audit_events e{LABEL_JOINS} WHERE e.id = $1");
    q(sql).bind(id).fetch_optional(pool).await
}

/// Matching events with `after < id <= upto`, oldest first, with their labels, in one
/// query. Walks the id range only (on SQLite `NOT INDEXED`: no filter index is chosen
/// instead), so a stream's poll costs the number of new events, whatever the filter.
pub async fn events_between(
    pool: &Reader,
    filter: &AuditFilter,
    after: i64,
    upto: i64,
    limit: i64,
) -> Result<Vec<LabeledAuditRow>> {
    let hint = pool.engine().pick(" NOT INDEXED", "");
    let mut q = q(format!(
        "SELECT {LABELS} FROM (SELECT * FROM audit_events{hint}"
    ));
    filter.push_where(&mut q, None);
    q.push(" AND id > ").push_bind(after);
    q.push(" AND id <= ").push_bind(upto);
    q.push(&format!(" ORDER BY id LIMIT {limit}"));
    q.push(") e");
    q.push(LABEL_JOINS);
    q.push(" ORDER BY e.id");
    q.fetch_all(pool).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::audit::AnyOf;
    use crate::store::Db;

    /// The plan of a page: every arm reads an index range (no full scan of the log, no
    /// sort before the LIMIT), every label a primary-key lookup.
    async fn plan(db: &Db, filter: &AuditFilter, before: Option<(i64, i64)>) -> Vec<String> {
        let q = page_query(Engine::Sqlite, "EXPLAIN QUERY PLAN ", filter, before, 51);
        let rows: Vec<(i64, i64, i64, String)> = q.fetch_all(&db.read).await.expect("plan");
        rows.into_iter().map(|r| r.3).collect()
    }

    fn filter(any_of: Vec<AnyOf>) -> AuditFilter {
        AuditFilter {
            any_of,
            ..AuditFilter::default()
        }
    }

    #[tokio::test]
    async fn every_filter_walks_an_index_and_labels_are_key_lookups() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Db::open(dir.path(), None).await.expect("open db");
        let user = |id: &str| {
            vec![
                (Field::Subject, id.to_string()),
                (Field::Actor, id.to_string()),
            ]
        };
        let product = vec![
            (Field::Subject, "p1".to_string()),
            (Field::ClientId, "c1".to_string()),
            (Field::ClientId, "c2".to_string()),
        ];
        let business = vec![
            (Field::Org, "b1".to_string()),
            (Field::Subject, "b1".to_string()),
        ];
        let cases = [
            AuditFilter::default(),
            AuditFilter {
                client_id: Some("c1".into()),
                ..AuditFilter::default()
            },
            AuditFilter {
                org: Some("b1".into()),
                ..AuditFilter::default()
            },
            filter(vec![user("u1")]),
            filter(vec![product.clone()]),
            filter(vec![business.clone()]),
            filter(vec![user("u1"), product.clone()]),
            AuditFilter {
                kind: Some("token.issued".into()),
                ..filter(vec![user("u1")])
            },
        ];
        for f in &cases {
            for before in [None, Some((1_000, 5))] {
                let plan = plan(&db, f, before).await;
                let text = plan.join("\n");
                assert!(
                    plan.iter()
                        .any(|l| l.starts_with("SEARCH e USING INTEGER PRIMARY KEY")),
                    "{f:?}: the page's rows are not read by id\n{text}"
                );
                for line in &plan {
                    let l = line.as_str();
                    assert!(!l.starts_with("SCAN e"), "{f:?}: walks every event\n{text}");
                    assert!(
                        !l.starts_with("SCAN audit_events")
                            || l.contains("USING INDEX audit_events_at")
                            || l.contains("USING COVERING INDEX audit_events_at"),
                        "{f:?}: full scan\n{text}"
                    );
                    if l.starts_with("SEARCH") && !l.contains("audit_events") {
                        assert!(
                            l.contains("PRIMARY KEY") || l.contains("sqlite_autoindex"),
                            "{f:?}: label join not by key\n{text}"
                        );
                    }
                }
                // The one sort is the outer one, over the page's rows.
                let sorts = plan.iter().filter(|l| l.contains("TEMP B-TREE")).count();
                assert!(sorts <= 1, "{f:?}: sorts before the LIMIT\n{text}");
                if f.any_of.is_empty() {
                    assert!(!text.contains("UNION"), "{text}");
                } else {
                    assert!(text.contains("MERGE (UNION)"), "{f:?}\n{text}");
                }
            }
        }
        db.close().await;
    }
}
