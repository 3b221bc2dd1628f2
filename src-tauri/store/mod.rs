//! SQLite storage through sqlx: one read pool and one single-connection writer, so
//! writes are serialized in-process (SQLite has one writer anyway) and never dead-lock.

pub mod audit;
pub mod businesses;
pub mod clients;
pub mod idempotency;
pub mod keys;
pub mod offline;
pub mod sessions;
pub mod settings;
pub mod stats;
pub mod throttles;
pub mod tokens;
pub mod users;

use crate::error::StartError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// The database handles shared by every request. Callers outside `store` see only these
/// opaque types and [`StoreError`]: which engine runs underneath is this module's business.
#[derive(Clone, Debug)]
pub struct Db {
    /// Reads that need no transaction: pass `&db.read` to a `store` function.
    pub read: Reader,
    write: SqlitePool,
}

/// The pool of read-only connections.
#[derive(Clone, Debug)]
pub struct Reader(SqlitePool);

impl Reader {
    fn pool(&self) -> &SqlitePool {
        &self.0
    }
}

/// A write transaction: every change and the audit event that records it go through one.
/// Dropped without [`Tx::commit`], it rolls back.
pub struct Tx(Transaction<'static, Sqlite>);

impl Tx {
    pub async fn commit(self) -> Result<(), StoreError> {
        Ok(self.0.commit().await?)
    }

    pub async fn rollback(self) -> Result<()> {
        Ok(self.0.rollback().await?)
    }

    fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.0
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
    /// Opens (creating if needed) the database and applies migrations.
    pub async fn open(data_dir: &Path, database_url: Option<&str>) -> Result<Db, StartError> {
        let options = match database_url {
            Some(url) if url.starts_with("sqlite:") => {
                SqliteConnectOptions::from_str(url).map_err(StoreError::from)?
            }
            Some(url) => {
                let scheme = url.split(':').next().unwrap_or("");
                return Err(StartError::Config(format!(
                    "TESSERA_DATABASE_URL scheme {scheme:?} is not supported yet (use sqlite:)"
                )));
            }
            None => SqliteConnectOptions::new().filename(data_dir.join("tessera.db")),
        }
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));

        // The writer stays open (min 1): its shared lock on the file is how `tessera
        // restore` tells that a server is running on this data dir.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(StoreError::from)?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&write)
            .await
            .map_err(StoreError::from)?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.read_only(true))
            .await
            .map_err(StoreError::from)?;
        Ok(Db {
            read: Reader(read),
            write,
        })
    }

    /// Starts a write transaction (`BEGIN IMMEDIATE`: takes the write lock up front).
    pub async fn begin(&self) -> Result<Tx> {
        Ok(Tx(self.write.begin_with("BEGIN IMMEDIATE").await?))
    }

    /// Writes a consistent snapshot of the database to a new file at `path` (`VACUUM
    /// INTO`, on a read connection: writers are not held up). Fails if `path` exists.
    pub async fn vacuum_into(&self, path: &Path) -> Result<()> {
        let target = path.to_str().ok_or_else(|| {
            sqlx::Error::Configuration("the backup path is not valid UTF-8".into())
        })?;
        sqlx::query("VACUUM INTO ?")
            .bind(target)
            .execute(self.read.pool())
            .await?;
        Ok(())
    }

    /// Whether the database answers (`SELECT 1` on a read connection).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(self.read.pool()).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.read.0.close().await;
        self.write.close().await;
    }

    /// Each pool's name, open connections and idle ones (for the metrics gauges).
    pub fn pool_use(&self) -> Vec<(&'static str, u32, usize)> {
        vec![
            ("read", self.read.0.size(), self.read.0.num_idle()),
            ("write", self.write.size(), self.write.num_idle()),
        ]
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
