//! The key-encryption key: 32 random bytes in `<data dir>/master.key` (mode 0600),
//! sealing private signing keys with AES-256-GCM (the kid as associated data).

use crate::error::StartError;
use aws_lc_rs::aead::{Aad, Nonce, RandomizedNonceKey, AES_256_GCM, NONCE_LEN};
use std::io::Write;
use std::path::Path;

pub struct Kek {
    key: RandomizedNonceKey,
}

fn err(e: impl std::fmt::Display) -> StartError {
    StartError::Keys(e.to_string())
}

impl Kek {
    pub fn load_or_create(data_dir: &Path) -> Result<Kek, StartError> {
        let path = data_dir.join("master.key");
        let bytes = match std::fs::read(&path) {
            Ok(b) => {
                restrict_permissions(&path)?;
                b
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let b = crate::crypto::random_bytes(32);
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    opts.mode(0o600);
                }
                let mut f = opts
                    .open(&path)
                    .map_err(|e| err(format!("{}: {e}", path.display())))?;
                f.write_all(&b).and_then(|_| f.sync_all()).map_err(err)?;
                b
            }
            Err(e) => return Err(err(format!("{}: {e}", path.display()))),
        };
        if bytes.len() != 32 {
            return Err(err(format!("{} is not a 32-byte key", path.display())));
        }
        let key = RandomizedNonceKey::new(&AES_256_GCM, &bytes).map_err(|_| err("bad KEK"))?;
        Ok(Kek { key })
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

    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, StartError> {
        if sealed.len() <= NONCE_LEN {
            return Err(err("sealed key too short"));
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| err("bad nonce"))?;
        let mut buf = ct.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(aad), &mut buf)
            .map_err(|_| err("cannot decrypt a signing key: wrong master.key?"))?;
        Ok(plain.to_vec())
    }
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

    #[test]
    fn seal_open_round_trip_and_aad_binding() {
        let dir =
            std::env::temp_dir().join(format!("tessera-kek-{}", crate::crypto::random_token(6)));
        std::fs::create_dir_all(&dir).unwrap();
        let kek = Kek::load_or_create(&dir).unwrap();
        let sealed = kek.seal(b"kid1", b"secret key").unwrap();
        assert_eq!(kek.open(b"kid1", &sealed).unwrap(), b"secret key");
        assert!(kek.open(b"kid2", &sealed).is_err());
        let again = Kek::load_or_create(&dir).unwrap();
        assert_eq!(again.open(b"kid1", &sealed).unwrap(), b"secret key");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
