//! Changes to what nodes cache, told to every node of a PostgreSQL cluster at once.
//!
//! A write transaction that changes clients/products or signing keys calls
//! [`Tx::announce`]; on PostgreSQL that is `pg_notify` inside the transaction, so the notice
//! goes out exactly when (and only if) the change commits. Each node follows the notices
//! with a [`Follower`] (sqlx's `PgListener`, one connection of its own) and drops or reloads
//! its copy. A lost listener connection may have lost notices: the follower then says
//! [`Notice::Resync`] and the node reloads everything. On SQLite (one node) nothing is
//! sent: the node that changed something clears its own caches.
//!
//! [`Db::cluster_job`]: the hourly maintenance runs on one node at a time.

use super::sql::{q, Engine};
use super::{Db, Pool, Result, Tx};
use sqlx::pool::PoolConnection;
use sqlx::postgres::PgListener;
use sqlx::Postgres;

/// The notification channel.
const CHANNEL: &str = "tessera_changes";

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// Clients, products or their redirect URIs (the client cache).
    Clients,
    /// Signing keys (the key ring: JWKS and the active key).
    Keys,
}

impl Topic {
    fn as_str(self) -> &'static str {
        match self {
            Topic::Clients => "clients",
            Topic::Keys => "keys",
        }
    }

    fn parse(s: &str) -> Option<Topic> {
        match s {
            "clients" => Some(Topic::Clients),
            "keys" => Some(Topic::Keys),
            _ => None,
        }
    }
}

impl Tx {
    /// Tells every node, when this transaction commits, that `topic` changed.
    pub async fn announce(&mut self, topic: Topic) -> Result<()> {
        if self.engine() == Engine::Postgres {
            q("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(topic.as_str())
                .execute(self)
                .await?;
        }
        Ok(())
    }
}

/// What a follower heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    Changed(Topic),
    /// Notices may have been missed (the listener reconnected): reload everything.
    Resync,
}

/// One node's subscription to the cluster's change notices.
pub struct Follower(PgListener);

impl Follower {
    /// `None` on SQLite: there are no other nodes.
    pub async fn start(db: &Db) -> Result<Option<Follower>> {
        let Pool::Postgres(pool) = &db.write else {
            return Ok(None);
        };
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        Ok(Some(Follower(listener)))
    }

    /// Waits for the next notice (reconnecting after a lost connection).
    pub async fn next(&mut self) -> Result<Notice> {
        loop {
            match self.0.try_recv().await? {
                Some(n) => {
                    if let Some(topic) = Topic::parse(n.payload()) {
                        return Ok(Notice::Changed(topic));
                    }
                }
                None => return Ok(Notice::Resync),
            }
        }
    }
}

/// The advisory lock key of the maintenance job ("tessera-m").
const MAINTENANCE_LOCK: i64 = 0x7465_7373_6572_616d;

/// The right to run the cluster's maintenance job now: on PostgreSQL a session advisory
/// lock held on a connection of its own (freed by [`ClusterJob::finish`], or by the
/// database when the node dies); on SQLite there is only this node.
pub struct ClusterJob(Option<PoolConnection<Postgres>>);

impl Db {
    /// `None` when another node of the cluster is running the maintenance job now.
    pub async fn cluster_job(&self) -> Result<Option<ClusterJob>> {
        let Pool::Postgres(pool) = &self.write else {
            return Ok(Some(ClusterJob(None)));
        };
        let mut conn = pool.acquire().await?;
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(MAINTENANCE_LOCK)
            .fetch_one(&mut *conn)
            .await?;
        Ok(got.then_some(ClusterJob(Some(conn))))
    }
}

impl ClusterJob {
    pub async fn finish(self) -> Result<()> {
        if let Some(mut conn) = self.0 {
            sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(MAINTENANCE_LOCK)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}
