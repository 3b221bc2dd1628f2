//! `tessera restore`: opens a backup with its passphrase, checks every entry of the
//! archive, and puts `tessera.db`, `master.key` and `settings.json` into a data dir that
//! no server has open. Nothing is written before the archive has decrypted and checked
//! out; files go to temporary names in the data dir first and are renamed into place.
//! With `--master-key-file PATH` (a server that reads its key-encryption key from there)
//! the backup's key must equal PATH's, and master.key stays out of the data dir.

use super::{DB_ENTRY, KEY_ENTRY, SETTINGS_ENTRY};
use crate::store::offline::{self, Busy};
use age::secrecy::SecretString;
use flate2::read::GzDecoder;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// What every age file starts with.
const AGE_MAGIC: &[u8] = b"age-encryption.org/v1\n";
/// The most scrypt work a backup may ask for (2^20: 1 GiB); ours use 2^18.
const MAX_SCRYPT_LOG_N: u8 = 20;
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";
/// Bounds on what a backup's entries may hold (a bomb must not fill the memory).
const MAX_DB_BYTES: u64 = 8 << 30;
const KEY_BYTES: u64 = 32;
const MAX_SETTINGS_BYTES: u64 = 1 << 20;
/// Files of the old database that must not outlive it.
const DB_SIDE_FILES: [&str; 3] = ["tessera.db-wal", "tessera.db-shm", "tessera.db-journal"];

/// The checked contents of a backup.
#[derive(Debug)]
pub struct Contents {
    db: Vec<u8>,
    key: Vec<u8>,
    settings: Option<Vec<u8>>,
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    /// `(file name, bytes)` of every file put into the data dir.
    pub files: Vec<(&'static str, usize)>,
    /// Whether the data dir held files before (`--force`).
    pub replaced: bool,
    /// The data dir's own settings.json, kept because the backup has none.
    pub kept_settings: bool,
    /// Anything the operator should know (said, not fatal).
    pub notes: Vec<String>,
}

/// Where a backup goes.
pub struct Target<'a> {
    pub data_dir: &'a Path,
    /// Replace the files of a data dir that is not empty.
    pub force: bool,
    /// The server's `--master-key-file`: the backup's key must be this one.
    pub master_key_file: Option<&'a Path>,
}

/// Restores `file` into `target.data_dir`. `passphrase` is asked only once the file looks
/// like a backup and the data dir may be written (empty, missing, or `force`).
pub async fn restore(
    file: &Path,
    target: Target<'_>,
    passphrase: impl FnOnce() -> Result<SecretString, String>,
) -> Result<Restored, String> {
    let Target {
        data_dir,
        force,
        master_key_file,
    } = target;
    let sealed = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    if !sealed.starts_with(AGE_MAGIC) {
        return Err(format!(
            "{} is not an encrypted Tessera backup (expected the age format made by \
             POST /v1/backup or the desktop app)",
            file.display()
        ));
    }
    let replaced = holds_files(data_dir)?;
    if replaced && !force {
        return Err(format!(
            "{} is not empty: restore into a new or empty folder, or pass --force to replace \
             its tessera.db, master.key and settings.json",
            data_dir.display()
        ));
    }
    let passphrase = passphrase()?;
    let contents = tokio::task::spawn_blocking(move || {
        let plain = decrypt(&sealed, passphrase)?;
        unpack(&plain)
    })
    .await
    .map_err(|_| "the restore task failed".to_owned())??;
    let mut notes = Vec::new();
    let key_note = match master_key_file {
        Some(path) => Some(check_key_file(path, &contents.key, data_dir)?),
        None => None,
    };
    let key_in_place = key_note.is_some();
    notes.extend(key_note);

    create_private_dir(data_dir)?;
    let db = data_dir.join(DB_ENTRY);
    if db.exists() {
        match offline::checkpoint_unused(&db).await {
            Ok(()) => {}
            Err(Busy::InUse) => {
                return Err(format!(
                    "the database in {} is in use: stop the Tessera server (or desktop app) \
                     running on it, then restore again",
                    data_dir.display()
                ))
            }
            // Unreadable: it is being replaced anyway (that may be why).
            Err(Busy::Unreadable(e)) => notes.push(format!(
                "the old tessera.db could not be read ({e}); it was replaced"
            )),
        }
    }
    let kept_settings = contents.settings.is_none() && data_dir.join(SETTINGS_ENTRY).exists();
    let files = put_in_place(data_dir, &contents, key_in_place, &mut notes)?;
    if kept_settings {
        notes.push("the backup has no settings.json: the data dir's own was kept".into());
    }
    Ok(Restored {
        files,
        replaced,
        kept_settings,
        notes,
    })
}

/// Refuses a restore for a server whose `--master-key-file` holds another key than the
/// backup's: the restored signing keys would not open (the server would refuse to start).
/// Returns the note that says master.key stays out of the data dir.
fn check_key_file(path: &Path, backup_key: &[u8], data_dir: &Path) -> Result<String, String> {
    let advice = format!(
        "restore without --master-key-file to get the backup's key as {}, then put that \
         file at {}",
        data_dir.join(KEY_ENTRY).display(),
        path.display()
    );
    let key = crate::keys::read_key_file(path).map_err(|e| format!("{e}; or {advice}"))?;
    if !crate::crypto::ct_eq(&key, backup_key) {
        return Err(format!(
            "the backup was made with another key-encryption key than the one in {}: its \
             signing keys would not open, nothing was restored. Use the key the backup was \
             made with: {advice}",
            path.display()
        ));
    }
    Ok(format!(
        "the backup's key-encryption key is the one in {}: master.key was not written into \
         the data dir",
        path.display()
    ))
}

/// Whether `dir` exists and holds anything; an error if it is not a folder.
fn holds_files(dir: &Path) -> Result<bool, String> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_some()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(format!("cannot read the data dir {}: {e}", dir.display())),
    }
}

fn create_private_dir(dir: &Path) -> Result<(), String> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| format!("cannot create the data dir {}: {e}", dir.display()))
}

/// The plaintext of an age file encrypted with `passphrase`.
fn decrypt(sealed: &[u8], passphrase: SecretString) -> Result<Vec<u8>, String> {
    use age::DecryptError as E;
    let decryptor = age::Decryptor::new_buffered(sealed)
        .map_err(|e| format!("the backup is not a readable age file: {e}"))?;
    if !decryptor.is_scrypt() {
        return Err("the backup is not encrypted with a passphrase".into());
    }
    let mut identity = age::scrypt::Identity::new(passphrase);
    identity.set_max_work_factor(MAX_SCRYPT_LOG_N);
    let mut reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            E::DecryptionFailed | E::KeyDecryptionFailed | E::NoMatchingKeys | E::InvalidMac => {
                "wrong passphrase (or the backup file was altered): nothing was restored".into()
            }
            E::ExcessiveWork { required, .. } => format!(
                "the backup asks for too much scrypt work (2^{required}, at most \
                 2^{MAX_SCRYPT_LOG_N} is accepted)"
            ),
            other => format!("cannot decrypt the backup: {other}"),
        })?;
    let mut plain = Vec::with_capacity(sealed.len());
    reader
        .read_to_end(&mut plain)
        .map_err(|e| format!("the backup is damaged (it does not decrypt completely): {e}"))?;
    Ok(plain)
}

/// Reads a decrypted tar.gz: regular files named `tessera.db`, `master.key` and
/// optionally `settings.json`, each once, nothing else.
pub fn unpack(tar_gz: &[u8]) -> Result<Contents, String> {
    let damaged = |e: std::io::Error| format!("the archive is damaged: {e}");
    let mut archive = tar::Archive::new(GzDecoder::new(tar_gz));
    let (mut db, mut key, mut settings) = (None, None, None);
    for entry in archive.entries().map_err(damaged)? {
        let mut entry = entry.map_err(damaged)?;
        let name = entry_name(&entry.path_bytes())?;
        if !entry.header().entry_type().is_file() {
            return Err(format!(
                "the archive entry {name} is not a regular file (a link or folder): refused"
            ));
        }
        let (slot, limit) = match name {
            DB_ENTRY => (&mut db, MAX_DB_BYTES),
            KEY_ENTRY => (&mut key, KEY_BYTES),
            _ => (&mut settings, MAX_SETTINGS_BYTES),
        };
        if slot.is_some() {
            return Err(format!("the archive holds {name} twice: refused"));
        }
        let mut bytes = Vec::new();
        (&mut entry)
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(damaged)?;
        if bytes.len() as u64 > limit {
            return Err(format!("{name} in the archive is too large"));
        }
        *slot = Some(bytes);
    }
    let db = db.ok_or("the archive holds no tessera.db: not a Tessera backup")?;
    let key = key.ok_or("the archive holds no master.key: not a Tessera backup")?;
    if !db.starts_with(SQLITE_MAGIC) {
        return Err("tessera.db in the archive is not a SQLite database".into());
    }
    if key.len() as u64 != KEY_BYTES {
        return Err("master.key in the archive is not a 32-byte key".into());
    }
    if let Some(s) = &settings {
        serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(s)
            .map_err(|e| format!("settings.json in the archive is not a JSON object: {e}"))?;
    }
    Ok(Contents { db, key, settings })
}

/// One of the three names a backup holds; absolute paths, `..` and anything else are
/// refused with the reason.
fn entry_name(raw: &[u8]) -> Result<&'static str, String> {
    let name = String::from_utf8_lossy(raw);
    let shown = name.escape_debug();
    if name.starts_with(['/', '\\']) || name.get(1..2) == Some(":") {
        return Err(format!(
            "the archive entry \"{shown}\" has an absolute path: refused"
        ));
    }
    if name.split(['/', '\\']).any(|part| part == "..") {
        return Err(format!(
            "the archive entry \"{shown}\" leads out of the data dir (..): refused"
        ));
    }
    [DB_ENTRY, KEY_ENTRY, SETTINGS_ENTRY]
        .into_iter()
        .find(|n| *n == name)
        .ok_or_else(|| {
            format!(
                "unexpected archive entry \"{shown}\": a Tessera backup holds only tessera.db, \
                 master.key and settings.json"
            )
        })
}

/// Writes every file to a temporary name in `dir`, then renames them over the old ones
/// (the old database's log files removed first, since they belong to it); master.key only
/// unless `key_in_place` (the server's key file already holds it). Until the renames, a
/// failure leaves the data dir as it was.
fn put_in_place(
    dir: &Path,
    c: &Contents,
    key_in_place: bool,
    notes: &mut Vec<String>,
) -> Result<Vec<(&'static str, usize)>, String> {
    let mut files = vec![(DB_ENTRY, &c.db)];
    if !key_in_place {
        files.push((KEY_ENTRY, &c.key));
    }
    if let Some(s) = &c.settings {
        files.push((SETTINGS_ENTRY, s));
    }
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let mut written: Vec<(PathBuf, &'static str)> = Vec::new();
    let staged = (|| {
        for (name, bytes) in &files {
            let temp = dir.join(format!(".tessera-restore-{tag}-{name}"));
            write_private(&temp, bytes)?;
            written.push((temp, name));
        }
        for side in DB_SIDE_FILES {
            match std::fs::remove_file(dir.join(side)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("cannot remove the old {side}: {e}")),
            }
        }
        Ok(())
    })();
    if let Err(e) = staged {
        for (temp, _) in &written {
            let _ = std::fs::remove_file(temp);
        }
        return Err(e);
    }
    for (i, (temp, name)) in written.iter().enumerate() {
        if let Err(e) = std::fs::rename(temp, dir.join(name)) {
            for (left, _) in &written[i..] {
                let _ = std::fs::remove_file(left);
            }
            let done: Vec<&str> = written[..i].iter().map(|(_, n)| *n).collect();
            return Err(format!(
                "cannot move {name} into place ({e}); already replaced: {done:?}: restore \
                 again with --force"
            ));
        }
    }
    if let Err(e) = sync_dir(dir) {
        notes.push(format!("cannot sync the data dir: {e}"));
    }
    Ok(files.iter().map(|(n, b)| (*n, b.len())).collect())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options
        .open(path)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()));
    written.map_err(|e| {
        let _ = std::fs::remove_file(path);
        format!("cannot write {}: {e}", path.display())
    })
}

/// Makes the renames durable (unix; elsewhere a folder cannot be synced this way).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    return std::fs::File::open(dir).and_then(|d| d.sync_all());
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tar.gz of `(name, type, bytes)` entries, written raw so that bad names survive.
    fn tar_gz(entries: &[(&str, tar::EntryType, &[u8])]) -> Vec<u8> {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        for (name, kind, bytes) in entries {
            let mut h = tar::Header::new_gnu();
            h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
            h.set_size(bytes.len() as u64);
            h.set_entry_type(*kind);
            h.set_mode(0o600);
            h.set_cksum();
            tar.append(&h, *bytes).unwrap();
        }
        tar.into_inner().unwrap().finish().unwrap()
    }

    fn db() -> Vec<u8> {
        let mut b = SQLITE_MAGIC.to_vec();
        b.resize(100, 0);
        b
    }

    fn refusal(entries: &[(&str, tar::EntryType, &[u8])]) -> String {
        unpack(&tar_gz(entries)).unwrap_err()
    }

    #[test]
    fn a_backup_holds_the_database_and_the_key() {
        use tar::EntryType::Regular as F;
        let (db, key) = (db(), [7u8; 32]);
        let ok = unpack(&tar_gz(&[("tessera.db", F, &db), ("master.key", F, &key)])).unwrap();
        assert_eq!((ok.db, ok.key.len(), ok.settings), (db.clone(), 32, None));
        let with = tar_gz(&[
            ("tessera.db", F, &db),
            ("master.key", F, &key),
            ("settings.json", F, b"{\"listen\":\"127.0.0.1:7470\"}"),
        ]);
        assert!(unpack(&with).unwrap().settings.is_some());

        assert!(refusal(&[("tessera.db", F, &db)]).contains("no master.key"));
        assert!(refusal(&[("master.key", F, &key)]).contains("no tessera.db"));
        let short = refusal(&[("tessera.db", F, &db), ("master.key", F, b"short")]);
        assert!(short.contains("32-byte"), "{short}");
        let not_db = refusal(&[("tessera.db", F, b"hello"), ("master.key", F, &key)]);
        assert!(not_db.contains("not a SQLite"), "{not_db}");
        let twice = refusal(&[("master.key", F, &key), ("master.key", F, &key)]);
        assert!(twice.contains("twice"), "{twice}");
        let settings = [
            ("tessera.db", F, &db[..]),
            ("master.key", F, &key),
            ("settings.json", F, b"[1]"),
        ];
        assert!(refusal(&settings).contains("JSON object"));
        assert!(unpack(b"not gzip at all").unwrap_err().contains("damaged"));
    }

    #[test]
    fn paths_out_of_the_data_dir_links_and_strangers_are_refused() {
        use tar::EntryType::{Directory, Regular as F, Symlink};
        let key = [7u8; 32];
        let abs = refusal(&[("/etc/passwd", F, b"x")]);
        assert!(abs.contains("absolute"), "{abs}");
        let up = refusal(&[("../master.key", F, &key)]);
        assert!(up.contains(".."), "{up}");
        let deep = refusal(&[("a/../../tessera.db", F, b"x")]);
        assert!(deep.contains(".."), "{deep}");
        let link = refusal(&[("master.key", Symlink, b"")]);
        assert!(link.contains("not a regular file"), "{link}");
        let dir = refusal(&[("tessera.db", Directory, b"")]);
        assert!(dir.contains("not a regular file"), "{dir}");
        let other = refusal(&[("notes.txt", F, b"x")]);
        assert!(other.contains("unexpected"), "{other}");
        let dotted = refusal(&[("./master.key", F, &key)]);
        assert!(dotted.contains("unexpected"), "{dotted}");
    }
}
