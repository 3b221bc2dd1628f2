//! The database of a data dir that no server may have open (`tessera restore`).

use sqlx::sqlite::{SqliteConnectOptions, SqliteLockingMode};
use sqlx::{ConnectOptions, Connection};
use std::path::Path;
use std::time::Duration;

/// Why the database cannot be taken over.
#[derive(Debug, thiserror::Error)]
pub enum Busy {
    /// Another process (a running server, the desktop app) has the database open.
    #[error("the database is in use")]
    InUse,
    /// The file cannot be read as a SQLite database.
    #[error("{0}")]
    Unreadable(sqlx::Error),
}

/// Takes the database at `path` in exclusive locking mode without waiting, and folds its
/// write-ahead log into the file so the file alone holds all of it. In WAL mode every
/// open connection keeps a shared lock on the file (a server keeps its writer open), so
/// this fails with [`Busy::InUse`] while a server runs on it. Closes it again.
pub async fn checkpoint_unused(path: &Path) -> Result<(), Busy> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .locking_mode(SqliteLockingMode::Exclusive)
        .busy_timeout(Duration::ZERO)
        .disable_statement_logging();
    let mut conn = options.connect().await.map_err(classify)?;
    let result = async {
        // The first read takes the exclusive lock; then the log goes into the file.
        sqlx::query("SELECT COUNT(*) FROM sqlite_master")
            .execute(&mut conn)
            .await?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut conn)
            .await?;
        Ok::<_, sqlx::Error>(())
    }
    .await;
    let closed = conn.close().await;
    result.map_err(classify)?;
    closed.map_err(classify)
}

fn classify(e: sqlx::Error) -> Busy {
    let busy = e
        .as_database_error()
        .and_then(|d| d.code())
        // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with or without extended bits.
        .and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|c| matches!(c & 0xff, 5 | 6));
    if busy {
        Busy::InUse
    } else {
        Busy::Unreadable(e)
    }
}
