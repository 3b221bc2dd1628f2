//! Backups: a `.tar.gz` of a consistent snapshot of the data dir: `tessera.db` (`VACUUM
//! INTO` a temporary file in the data dir, removed afterwards), `master.key`, and
//! `settings.json` when present. Built in memory; its contents are never logged.

use crate::audit::Event;
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::AppState;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::json;
use std::path::Path;

/// Audit type of a backup.
pub const BACKUP_CREATED: &str = "admin.backup.created";

/// Names of the files inside the archive.
const DB_ENTRY: &str = "tessera.db";
const KEY_ENTRY: &str = "master.key";
const SETTINGS_ENTRY: &str = "settings.json";

/// A backup made for the desktop shell: `(file name, tar.gz bytes)`, audited with the
/// actor `desktop`.
pub async fn create(state: &AppState) -> Result<(String, Vec<u8>), ApiError> {
    create_as(state, "desktop", &RequestMeta::default()).await
}

/// A backup made on behalf of `actor`; the archive is handed out only once its
/// `admin.backup.created` event is committed.
pub async fn create_as(
    state: &AppState,
    actor: &str,
    meta: &RequestMeta,
) -> Result<(String, Vec<u8>), ApiError> {
    let stamp = time::OffsetDateTime::now_utc();
    let name = file_name(stamp);
    let snapshot = state.data_dir.join(format!(
        ".tessera-backup-{}.db",
        uuid::Uuid::new_v4().simple()
    ));
    let vacuumed = state.db.vacuum_into(&snapshot).await;
    let data_dir = state.data_dir.clone();
    let mtime = u64::try_from(stamp.unix_timestamp()).unwrap_or(0);
    let built = tokio::task::spawn_blocking(move || {
        let result = match vacuumed {
            Ok(()) => archive(&data_dir, &snapshot, mtime),
            Err(e) => Err(format!("cannot snapshot the database: {e}")),
        };
        remove_snapshot(&snapshot);
        result
    })
    .await;
    let (bytes, entries) = match built {
        Ok(Ok(v)) => v,
        Ok(Err(why)) => {
            tracing::error!(error = %why, "backup failed");
            return Err(ApiError::internal());
        }
        Err(_) => {
            tracing::error!("backup task failed");
            return Err(ApiError::internal());
        }
    };
    let event = Event::success(BACKUP_CREATED)
        .meta(meta)
        .actor(actor)
        .detail(json!({"file": name, "bytes": bytes.len(), "entries": entries}));
    state
        .audit
        .append(event)
        .await
        .map_err(|_| ApiError::internal())?;
    Ok((name, bytes))
}

/// `tessera-backup-YYYYMMDD-HHMMSS.tar.gz` (UTC).
fn file_name(t: time::OffsetDateTime) -> String {
    format!(
        "tessera-backup-{:04}{:02}{:02}-{:02}{:02}{:02}.tar.gz",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn remove_snapshot(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            tracing::error!(error = %e, path = %path.display(), "cannot remove a backup snapshot")
        }
    }
}

/// The tar.gz bytes and the names of its entries.
fn archive(data_dir: &Path, snapshot: &Path, mtime: u64) -> Result<(Vec<u8>, Vec<String>), String> {
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
    let mut files = vec![
        (DB_ENTRY, read(snapshot)?),
        (KEY_ENTRY, read(&data_dir.join(KEY_ENTRY))?),
    ];
    let settings = data_dir.join(SETTINGS_ENTRY);
    match std::fs::read(&settings) {
        Ok(b) => files.push((SETTINGS_ENTRY, b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot read {}: {e}", settings.display())),
    }
    let mut tar = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
    for (name, bytes) in &files {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o600);
        header.set_mtime(mtime);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, name, bytes.as_slice())
            .map_err(|e| format!("cannot write the archive: {e}"))?;
    }
    let gz = tar
        .into_inner()
        .map_err(|e| format!("cannot write the archive: {e}"))?;
    let bytes = gz
        .finish()
        .map_err(|e| format!("cannot compress the archive: {e}"))?;
    Ok((bytes, files.iter().map(|(n, _)| n.to_string()).collect()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_name_is_utc_stamped() {
        let t = time::macros::datetime!(2026-01-02 03:04:05 UTC);
        assert_eq!(super::file_name(t), "tessera-backup-20260102-030405.tar.gz");
    }
}
