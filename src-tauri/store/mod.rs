//! Storage through sqlx, on SQLite (the default: a file in the data dir) or PostgreSQL
//! (several nodes on one database). Every statement goes through [`sql`] (`q`/`scalar`),
//! so nothing outside this module knows which engine runs.
//!
//! Writes are serialized as SQLite does by nature: on SQLite one single-connection writer
//! (`BEGIN IMMEDIATE`); on PostgreSQL every write transaction first takes one
//! transaction-scoped advisory lock, so the nodes of a cluster write one at a time and a
//! transaction that reads and then writes sees what every committed one did (codes,
//! refresh rotation, throttles are decided in the database, never in a node's memory).
//! What nodes spend their time on (password hashing, signatures) runs outside it.

pub mod audit;
pub mod auth_api;
pub mod businesses;
pub mod changes;
pub mod clients;
pub mod consents;
pub mod email;
pub mod idempotency;
pub mod jtis;
pub mod keys;
pub mod mfa;
pub mod offline;
pub mod par;
pub mod passkeys;
pub mod registration;
pub mod sessions;
pub mod settings;
pub mod sql;
pub mod stats;
pub mod throttles;
pub mod tokens;
pub mod users;

use crate::error::StartError;
use sql::{Conn, Engine};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Postgres, Sqlite, SqlitePool, Transaction};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// The database handles shared by every request. Callers outside `store` see only these
/// opaque types and [`StoreError`]: which engine runs underneath is this module's business.
#[derive(Clone, Debug)]
pub struct Db {
    /// Reads that need no transaction: pass `&db.read` to a `store` function.
    pub read: Reader,
    write: Pool,
}

/// A connection pool of either engine (the read pool, or the writer's).
#[derive(Clone, Debug)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The pool of read connections (read-only on SQLite; the one pool on PostgreSQL).
#[derive(Clone, Debug)]
pub struct Reader(Pool);

impl Reader {
    fn conn(&self) -> Conn<'_> {
        match &self.0 {
            Pool::Sqlite(p) => Conn::LitePool(p),
            Pool::Postgres(p) => Conn::PgPool(p),
        }
    }

    /// Which engine this database runs on (for the statements whose text differs).
    pub(crate) fn engine(&self) -> Engine {
        match self.0 {
            Pool::Sqlite(_) => Engine::Sqlite,
            Pool::Postgres(_) => Engine::Postgres,
        }
    }
}

/// A write transaction: every change and the audit event that records it go through one.
/// Dropped without [`Tx::commit`], it rolls back.
pub struct Tx(TxInner);

enum TxInner {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Connections per node to PostgreSQL: for reads, and for write transactions.
const PG_READ_CONNECTIONS: u32 = 16;
const PG_WRITE_CONNECTIONS: u32 = 8;

/// The advisory lock key every PostgreSQL write transaction takes first ("tessera" in
/// ASCII): the cluster's one writer at a time.
const WRITE_LOCK: i64 = 0x0074_6573_7365_7261;

impl Tx {
    pub async fn commit(self) -> Result<(), StoreError> {
        match self.0 {
            TxInner::Sqlite(t) => t.commit().await?,
            TxInner::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<()> {
        match self.0 {
            TxInner::Sqlite(t) => t.rollback().await?,
            TxInner::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }

    fn conn(&mut self) -> Conn<'_> {
        match &mut self.0 {
            TxInner::Sqlite(t) => Conn::Lite(t),
            TxInner::Postgres(t) => Conn::Pg(t),
        }
    }

    /// Which engine this transaction runs on.
    pub(crate) fn engine(&self) -> Engine {
        match self.0 {
            TxInner::Sqlite(_) => Engine::Sqlite,
            TxInner::Postgres(_) => Engine::Postgres,
        }
    }
}

/// Storage failures seen by callers of `store`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Conflict(String),
    #[error("corrupt record: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Unsupported(&'static str),
    /// A value the database cannot hold (a NUL character in text on PostgreSQL).
    #[error("{0}")]
    Invalid(&'static str),
}

impl StoreError {
    /// True when the database refused a row because of a UNIQUE / PRIMARY KEY constraint.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Db(e) if is_unique(e))
    }
}

fn is_unique(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// `Result` of a store function.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl Db {
    /// Opens (creating if needed) the database and applies migrations: `database_url`
    /// `postgres://…` (or `postgresql://…`), `sqlite:…`, or `None` for `tessera.db` in the
    /// data dir.
    pub async fn open(data_dir: &Path, database_url: Option<&str>) -> Result<Db, StartError> {
        match database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Self::open_postgres(url).await
            }
            Some(url) if url.starts_with("sqlite:") => {
                Self::open_sqlite(SqliteConnectOptions::from_str(url).map_err(StoreError::from)?)
                    .await
            }
            Some(url) => {
                let scheme = url.split(':').next().unwrap_or("");
                Err(StartError::Config(format!(
                    "TESSERA_DATABASE_URL scheme {scheme:?} is not supported (use postgres:// or sqlite:)"
                )))
            }
            None => {
                Self::open_sqlite(SqliteConnectOptions::new().filename(data_dir.join("tessera.db")))
                    .await
            }
        }
    }

    async fn open_sqlite(options: SqliteConnectOptions) -> Result<Db, StartError> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // The writer stays open (min 1): its shared lock on the file is how `tessera
        // restore` tells that a server is running on this data dir.
        // No liveness ping before each use (sqlx's default): a connection to a local
        // file cannot drop, and the ping is one more round trip to the connection's
        // worker thread on every statement batch.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await
            .map_err(StoreError::from)?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&write)
            .await
            .map_err(StoreError::from)?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .connect_with(options.read_only(true))
            .await
            .map_err(StoreError::from)?;
        Ok(Db {
            read: Reader(Pool::Sqlite(read)),
            write: Pool::Sqlite(write),
        })
    }

    /// One pool for reads and writes. Migrations hold sqlx's advisory lock, so nodes
    /// starting together apply them once, one after the other.
    async fn open_postgres(url: &str) -> Result<Db, StartError> {
        // Generic plans: every statement is prepared once per connection (sqlx keeps
        // them), so planning happens once, not at each execution; the audit page's label
        // joins cost ~6 ms to plan and under 1 ms to run. Every query here is an index
        // lookup or an index range walk whose plan does not depend on the values bound.
        let options = PgConnectOptions::from_str(url)
            .map_err(StoreError::from)?
            .application_name("tessera")
            .options([("plan_cache_mode", "force_generic_plan")]);
        // Two pools, as on SQLite: a transaction holding the write lock may read through
        // `db.read` while others wait for the lock; with one shared pool the waiters
        // could hold every connection and the holder wait for one (a dead-lock until the
        // acquire timeout). Writers queue for the lock one at a time, so a few suffice.
        let pool = |max: u32| {
            PgPoolOptions::new()
                .max_connections(max)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options.clone())
        };
        let write = pool(PG_WRITE_CONNECTIONS).await.map_err(StoreError::from)?;
        sqlx::migrate!("./migrations/postgres")
            .run(&write)
            .await
            .map_err(StoreError::from)?;
        let read = pool(PG_READ_CONNECTIONS).await.map_err(StoreError::from)?;
        Ok(Db {
            read: Reader(Pool::Postgres(read)),
            write: Pool::Postgres(write),
        })
    }

    /// Which engine the database runs on.
    pub fn engine(&self) -> Engine {
        self.read.engine()
    }

    /// Starts a write transaction: `BEGIN IMMEDIATE` on SQLite (takes the write lock up
    /// front); on PostgreSQL `BEGIN` and the cluster's write lock.
    pub async fn begin(&self) -> Result<Tx> {
        match &self.write {
            Pool::Sqlite(p) => Ok(Tx(TxInner::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?))),
            Pool::Postgres(p) => {
                let mut tx = Tx(TxInner::Postgres(p.begin().await?));
                sql::q("SELECT pg_advisory_xact_lock($1)")
                    .bind(WRITE_LOCK)
                    .execute(&mut tx)
                    .await?;
                Ok(tx)
            }
        }
    }

    /// Writes a consistent snapshot of the database to a new file at `path` (`VACUUM
    /// INTO`, on a read connection: writers are not held up). Fails if `path` exists.
    /// SQLite only: a PostgreSQL database is backed up with its own tools (pg_dump).
    pub async fn vacuum_into(&self, path: &Path) -> Result<()> {
        if self.engine() == Engine::Postgres {
            return Err(StoreError::Unsupported(
                "the database is PostgreSQL: back it up with pg_dump (docs/DEPLOY.md)",
            ));
        }
        let target = path.to_str().ok_or_else(|| {
            sqlx::Error::Configuration("the backup path is not valid UTF-8".into())
        })?;
        sql::q("VACUUM INTO $1")
            .bind(target)
            .execute(&self.read)
            .await?;
        Ok(())
    }

    /// Whether the database answers (`SELECT 1` on a read connection).
    pub async fn ping(&self) -> Result<()> {
        sql::q("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    /// Each pool's name, open connections and idle ones (for the metrics gauges).
    pub fn pool_use(&self) -> Vec<(&'static str, u32, usize)> {
        [("read", &self.read.0), ("write", &self.write)]
            .into_iter()
            .map(|(name, pool)| match pool {
                Pool::Sqlite(p) => (name, p.size(), p.num_idle()),
                Pool::Postgres(p) => (name, p.size(), p.num_idle()),
            })
            .collect()
    }

    pub async fn close(&self) {
        for pool in [&self.read.0, &self.write] {
            match pool {
                Pool::Sqlite(p) => p.close().await,
                Pool::Postgres(p) => p.close().await,
            }
        }
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Milliseconds since the Unix epoch (audit timestamps).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// JSON array column helpers (scopes, lists).
pub fn to_json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

pub fn from_json_list(raw: &str) -> Vec<String> {
    serde_json::from_str(raw).unwrap_or_default()
}
