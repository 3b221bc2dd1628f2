//! Backups: a `.tar.gz` of a consistent snapshot of the data dir: `tessera.db` (`VACUUM
//! INTO` a temporary file in the data dir, removed afterwards), `master.key` (the
//! key-encryption key in use: the data dir's, or the `--master-key-file`), and
//! `settings.json` when present, encrypted with the super-admin's passphrase in the `age`
//! format (scrypt recipient; `age -d` opens it). Built in memory; its contents and the
//! passphrase are never logged. [`restore`] puts one back into a data dir.

pub mod restore;

use crate::audit::Event;
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::AppState;
use age::secrecy::SecretString;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::json;
use std::io::Write;
use std::path::Path;

/// Audit type of a backup.
pub const BACKUP_CREATED: &str = "admin.backup.created";

/// Names of the files inside the archive.
const DB_ENTRY: &str = "tessera.db";
const KEY_ENTRY: &str = "master.key";
const SETTINGS_ENTRY: &str = "settings.json";

/// Passphrase length bounds, in characters.
pub const PASSPHRASE_MIN_CHARS: usize = 12;
pub const PASSPHRASE_MAX_CHARS: usize = 1024;

/// scrypt work factor (N = 2^18, the `age` reference implementation's default): about a
/// second and 256 MiB per backup, fixed so that a slower machine can still restore it.
const SCRYPT_LOG_N: u8 = 18;

/// One backup at a time: each takes a database snapshot and 256 MiB of scrypt memory.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// 422 naming `passphrase` unless it has 12 to 1024 characters.
pub fn check_passphrase(passphrase: &str) -> Result<(), ApiError> {
    let chars = passphrase.chars().count();
    if chars < PASSPHRASE_MIN_CHARS {
        return Err(ApiError::invalid_field(
            "passphrase",
            format!("must be at least {PASSPHRASE_MIN_CHARS} characters"),
        ));
    }
    if chars > PASSPHRASE_MAX_CHARS {
        return Err(ApiError::invalid_field(
            "passphrase",
            format!("must be at most {PASSPHRASE_MAX_CHARS} characters"),
        ));
    }
    Ok(())
}

/// A backup made on behalf of `actor` and encrypted with `passphrase` (checked with
/// [`check_passphrase`]): `(file name, age bytes)`, handed out only once its
/// `admin.backup.created` event is committed.
pub async fn create_as(
    state: &AppState,
    actor: &str,
    meta: &RequestMeta,
    passphrase: SecretString,
) -> Result<(String, Vec<u8>), ApiError> {
    if state.db.engine() == crate::store::sql::Engine::Postgres {
        return Err(ApiError::conflict(
            "the database is PostgreSQL: back it up with pg_dump, and keep the master key \
             with it (docs/DEPLOY.md)",
        ));
    }
    let _turn = ONE_AT_A_TIME.lock().await;
    let stamp = time::OffsetDateTime::now_utc();
    let name = file_name(stamp);
    let snapshot = state.data_dir.join(format!(
        ".tessera-backup-{}.db",
        uuid::Uuid::new_v4().simple()
    ));
    let vacuumed = state.db.vacuum_into(&snapshot).await;
    let data_dir = state.data_dir.clone();
    let key_file = state.keys.kek_path().to_owned();
    let mtime = u64::try_from(stamp.unix_timestamp()).unwrap_or(0);
    let built = tokio::task::spawn_blocking(move || {
        let result = match vacuumed {
            Ok(()) => archive(&data_dir, &snapshot, &key_file, mtime),
            Err(e) => Err(format!("cannot snapshot the database: {e}")),
        };
        remove_snapshot(&snapshot);
        let (plain, entries) = result?;
        Ok::<_, String>((encrypt(&plain, passphrase)?, entries))
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
        .detail(
            json!({"file": name, "bytes": bytes.len(), "entries": entries,
                       "encryption": "age-scrypt"}),
        );
    state
        .audit
        .append(event)
        .await
        .map_err(|_| ApiError::internal())?;
    Ok((name, bytes))
}

/// `tessera-backup-YYYYMMDD-HHMMSS.tar.gz.age` (UTC).
fn file_name(t: time::OffsetDateTime) -> String {
    format!(
        "tessera-backup-{:04}{:02}{:02}-{:02}{:02}{:02}.tar.gz.age",
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

/// The tar.gz bytes and the names of its entries; `key_file` is the key-encryption key
/// the server runs with, stored as `master.key` wherever it lives.
fn archive(
    data_dir: &Path,
    snapshot: &Path,
    key_file: &Path,
    mtime: u64,
) -> Result<(Vec<u8>, Vec<String>), String> {
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
    let mut files = vec![
        (DB_ENTRY, read(snapshot)?),
        (KEY_ENTRY, crate::keys::read_key_file(key_file)?),
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

/// `plain` encrypted to `passphrase` in the age v1 format (one scrypt stanza).
fn encrypt(plain: &[u8], passphrase: SecretString) -> Result<Vec<u8>, String> {
    let mut recipient = age::scrypt::Recipient::new(passphrase);
    recipient.set_work_factor(SCRYPT_LOG_N);
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .map_err(|e| format!("cannot encrypt the archive: {e}"))?;
    let mut out = Vec::with_capacity(plain.len() + 256);
    let mut writer = encryptor
        .wrap_output(&mut out)
        .map_err(|e| format!("cannot encrypt the archive: {e}"))?;
    writer
        .write_all(plain)
        .map_err(|e| format!("cannot encrypt the archive: {e}"))?;
    writer
        .finish()
        .map_err(|e| format!("cannot encrypt the archive: {e}"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_name_is_utc_stamped() {
        let t = time::macros::datetime!(2026-01-02 03:04:05 UTC);
        assert_eq!(file_name(t), "tessera-backup-20260102-030405.tar.gz.age");
    }

    #[test]
    fn passphrases_have_12_to_1024_characters() {
        assert!(check_passphrase("eleven chrs").is_err());
        assert!(check_passphrase("twelve chars").is_ok());
        // Characters, not bytes: 12 two-byte letters pass, 11 do not.
        assert!(check_passphrase(&"é".repeat(12)).is_ok());
        assert!(check_passphrase(&"é".repeat(11)).is_err());
        assert!(check_passphrase(&"x".repeat(1024)).is_ok());
        let long = check_passphrase(&"x".repeat(1025)).unwrap_err();
        assert_eq!(long.field.as_deref(), Some("passphrase"));
    }
}
