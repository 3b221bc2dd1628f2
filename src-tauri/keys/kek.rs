//! The key-encryption key (KEK): 32 random bytes sealing private signing keys with
//! AES-256-GCM (the kid as associated data). By default it is `<data dir>/master.key`
//! (mode 0600), created on the first start; with `--master-key-file PATH` it is read from
//! PATH, which must already exist (several nodes of one cluster share it).

use crate::error::StartError;
use aws_lc_rs::aead::{Aad, Nonce, RandomizedNonceKey, AES_256_GCM, NONCE_LEN};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Length of a key-encryption key, in bytes.
pub const KEK_BYTES: usize = 32;

/// File name of the KEK in a data dir.
pub const MASTER_KEY_FILE: &str = "master.key";

pub struct Kek {
    key: RandomizedNonceKey,
    /// HMAC-SHA-256 under the KEK: derives keys every node of a cluster shares.
    derive: aws_lc_rs::hmac::Key,
    /// Where the key was read from (named in errors; the backup reads it from here).
    path: PathBuf,
}

fn err(e: impl std::fmt::Display) -> StartError {
    StartError::Keys(e.to_string())
}

impl Kek {
    /// The KEK of a server: `master_key_file` when given (never created; see
    /// [`Kek::load_file`]), else `<data_dir>/master.key`, created on the first start.
    pub fn load(data_dir: &Path, master_key_file: Option<&Path>) -> Result<Kek, StartError> {
        match master_key_file {
            Some(path) => {
                let in_data_dir = data_dir.join(MASTER_KEY_FILE);
                if in_data_dir.exists() && !same_file(&in_data_dir, path) {
                    tracing::warn!(
                        unused = %in_data_dir.display(),
                        used = %path.display(),
                        "the data dir holds a master.key, but --master-key-file is given: that file is used"
                    );
                }
                Kek::load_file(path)
            }
            None => Kek::load_or_create(data_dir),
        }
    }

    /// `<data_dir>/master.key`, created (0600) when missing.
    pub fn load_or_create(data_dir: &Path) -> Result<Kek, StartError> {
        let path = data_dir.join(MASTER_KEY_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(b) => {
                restrict_permissions(&path)?;
                b
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let b = crate::crypto::random_bytes(KEK_BYTES);
                create_key_file(&path, &b).map_err(err)?;
                b
            }
            Err(e) => return Err(err(format!("{}: {e}", path.display()))),
        };
        if bytes.len() != KEK_BYTES {
            return Err(err(format!("{} is not a 32-byte key", path.display())));
        }
        Kek::from_bytes(&bytes, path)
    }

    /// A KEK file given by the operator (`--master-key-file`): it must exist, be a
    /// regular file and hold exactly 32 bytes. It is never created nor changed; when
    /// others than its owner may read it, a warning is logged (not a refusal: a root-owned
    /// 0640 file, a systemd credential or a Kubernetes secret volume are all legitimate).
    pub fn load_file(path: &Path) -> Result<Kek, StartError> {
        let bytes = read_key_file(path).map_err(|e| err(format!("--master-key-file: {e}")))?;
        warn_if_shared(path);
        Kek::from_bytes(&bytes, path.to_owned())
    }

    fn from_bytes(bytes: &[u8], path: PathBuf) -> Result<Kek, StartError> {
        let key = RandomizedNonceKey::new(&AES_256_GCM, bytes).map_err(|_| err("bad KEK"))?;
        let derive = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, bytes);
        Ok(Kek { key, derive, path })
    }

    /// A 256-bit key for `label`, derived from the KEK (HMAC-SHA-256): the same on every
    /// node given the same KEK, and different for each label.
    pub fn derive(&self, label: &str) -> [u8; 32] {
        let tag = aws_lc_rs::hmac::sign(&self.derive, label.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// The file this key was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Encrypts `plain`; output is nonce || ciphertext || tag.
    pub fn seal(&self, aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, StartError> {
        let mut buf = plain.to_vec();
        let nonce = self
            .key
            .seal_in_place_append_tag(Aad::from(aad), &mut buf)
            .map_err(|_| err("key encryption failed"))?;
        let mut out = nonce.as_ref().to_vec();
        out.extend_from_slice(&buf);
        Ok(out)
    }

    /// Decrypts what [`Kek::seal`] made with the same `aad` (a signing key's kid). A
    /// failure means this is not the key the signing key was sealed with, and says so.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, StartError> {
        let wrong_key = || {
            err(format!(
                "the key-encryption key ({}) cannot open the stored signing keys (kid {}): \
                 every node must use the same master key; copy master.key from the first node \
                 or pass --master-key-file",
                self.path.display(),
                String::from_utf8_lossy(aad)
            ))
        };
        if sealed.len() <= NONCE_LEN {
            return Err(wrong_key());
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| wrong_key())?;
        let mut buf = ct.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(aad), &mut buf)
            .map_err(|_| wrong_key())?;
        Ok(plain.to_vec())
    }
}

/// Reads a regular file that must hold exactly [`KEK_BYTES`] bytes (its size is checked
/// first and at most one byte more is read, so a huge file is never read whole).
pub fn read_key_file(path: &Path) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!(
            "{} does not exist: create it with `tessera master-key create {}` (or copy the \
             cluster's key there); it is never created by `serve`",
            path.display(),
            path.display()
        ),
        _ => format!("cannot read {}: {e}", path.display()),
    })?;
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{} is not a regular file", path.display()));
    }
    let wrong_size = |len: u64| {
        format!(
            "{} must hold exactly 32 random bytes (raw, not hex or base64 text; make one with \
             `tessera master-key create PATH`); it holds {len} bytes",
            path.display()
        )
    };
    if meta.len() != KEK_BYTES as u64 {
        return Err(wrong_size(meta.len()));
    }
    let mut bytes = Vec::with_capacity(KEK_BYTES + 1);
    file.take(KEK_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if bytes.len() != KEK_BYTES {
        return Err(wrong_size(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Creates a new key file (mode 0600; refuses to replace an existing file) holding `key`.
pub fn create_key_file(path: &Path, key: &[u8]) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    f.write_all(key)
        .and_then(|_| f.sync_all())
        .inspect_err(|_| {
            // Never leave a short key behind: the next start would refuse it.
            let _ = std::fs::remove_file(path);
        })
}

/// Whether two paths name the same file (a symlink to the data dir's key, say).
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Logs a warning when group or others have any access to an operator's key file.
fn warn_if_shared(path: &Path) {
    let credentials = std::env::var_os("CREDENTIALS_DIRECTORY");
    if let Some(mode) = shared_mode(path, credentials.as_deref()) {
        tracing::warn!(
            path = %path.display(),
            mode = %format!("{mode:o}"),
            "the master key file is readable or writable by others than its owner (anyone who \
             reads it can open the signing keys): chmod 600 it, or make sure only the service \
             can reach it"
        );
    }
}

/// The permission bits of `path` when group or others have any access to it. A systemd
/// credential (`LoadCredential=`, under `$CREDENTIALS_DIRECTORY`) is exempt: systemd lets
/// only the service read it, possibly through an ACL that shows as group bits.
fn shared_mode(path: &Path, credentials_dir: Option<&std::ffi::OsStr>) -> Option<u32> {
    if credentials_dir.is_some_and(|dir| !dir.is_empty() && path.starts_with(dir)) {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    None
}

fn restrict_permissions(path: &Path) -> Result<(), StartError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).map_err(err)?;
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "master.key was readable by others; setting mode 0600");
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(err)?;
        }
    }
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("tessera-kek-{}", crate::crypto::random_token(6)));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn seal_open_round_trip_and_aad_binding() {
        let dir = temp_dir();
        let kek = Kek::load_or_create(&dir).unwrap();
        let sealed = kek.seal(b"kid1", b"secret key").unwrap();
        assert_eq!(kek.open(b"kid1", &sealed).unwrap(), b"secret key");
        assert!(kek.open(b"kid2", &sealed).is_err());
        let again = Kek::load_or_create(&dir).unwrap();
        assert_eq!(again.open(b"kid1", &sealed).unwrap(), b"secret key");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_key_file_is_read_never_created_and_a_wrong_key_says_so() {
        let dir = temp_dir();
        let file = dir.join("cluster.key");
        let missing = Kek::load(&dir, Some(&file)).err().unwrap().to_string();
        assert!(missing.contains("does not exist"), "{missing}");
        assert!(!file.exists() && !dir.join(MASTER_KEY_FILE).exists());

        std::fs::write(&file, [1u8; 31]).unwrap();
        let short = Kek::load(&dir, Some(&file)).err().unwrap().to_string();
        assert!(
            short.contains("exactly 32") && short.contains("31"),
            "{short}"
        );
        std::fs::write(&file, [1u8; 45]).unwrap();
        let long = Kek::load(&dir, Some(&file)).err().unwrap().to_string();
        assert!(long.contains("exactly 32") && long.contains("45"), "{long}");
        let folder = Kek::load(&dir, Some(&dir)).err().unwrap().to_string();
        assert!(folder.contains("not a regular file"), "{folder}");

        std::fs::write(&file, [1u8; 32]).unwrap();
        let kek = Kek::load(&dir, Some(&file)).unwrap();
        assert_eq!(kek.path(), file);
        assert!(!dir.join(MASTER_KEY_FILE).exists());
        let sealed = kek.seal(b"kid1", b"secret key").unwrap();

        let other = Kek::load_or_create(&dir).unwrap();
        let wrong = other.open(b"kid1", &sealed).err().unwrap().to_string();
        assert!(
            wrong.contains("cannot open the stored signing keys (kid kid1)")
                && wrong.contains(&dir.join(MASTER_KEY_FILE).display().to_string())
                && wrong.contains("--master-key-file"),
            "{wrong}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_shared_key_file_is_noticed_unless_it_is_a_systemd_credential() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir();
        let file = dir.join("master.key");
        std::fs::write(&file, [1u8; 32]).unwrap();
        let chmod = |mode| std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode));
        chmod(0o600).unwrap();
        assert_eq!(shared_mode(&file, None), None);
        chmod(0o640).unwrap();
        assert_eq!(shared_mode(&file, None), Some(0o640));
        assert_eq!(shared_mode(&file, Some(dir.as_os_str())), None);
        let elsewhere = std::ffi::OsStr::new("/run/credentials/other.service");
        assert_eq!(shared_mode(&file, Some(elsewhere)), Some(0o640));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
