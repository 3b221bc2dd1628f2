//! Small cryptographic helpers: random tokens, hashing, constant-time compare, passwords.

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use aws_lc_rs::digest;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::sync::{Mutex, OnceLock};
use subtle::ConstantTimeEq;

/// `len` bytes from the OS CSPRNG.
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    SystemRandom::new()
        .fill(&mut buf)
        .expect("the OS random number generator failed");
    buf
}

/// A URL-safe random token with `bytes * 8` bits of entropy.
pub fn random_token(bytes: usize) -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(bytes))
}

/// SHA-256 of a string: how secrets, codes and refresh tokens are stored.
pub fn sha256(input: &str) -> Vec<u8> {
    sha256_bytes(input.as_bytes())
}

pub fn sha256_bytes(input: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA256, input).as_ref().to_vec()
}

pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Constant-time equality for secrets and their hashes.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// OWASP: argon2id, m = 19 MiB, t = 2, p = 1.
fn owasp_params() -> Params {
    Params::new(19_456, 2, 1, Some(32)).expect("valid argon2 parameters")
}

/// A stored hash asking for more memory than this (KiB) is refused rather than computed.
const MAX_M_COST: u32 = 64 * 1024;

/// argon2's working memories (19 MiB each) not in use, kept for the next hash. A fresh
/// allocation per hash lets glibc's arenas keep freed copies around (measured: ~250 MiB
/// resident after 80 one-at-a-time hashes); reusing them keeps memory at the most hashes
/// ever run at once (bounded by `throttle::hashing`) × 19 MiB. argon2 writes every block
/// before reading it, so a reused memory needs no clearing.
static SPARE_MEMORY: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());
/// More spares than this are freed (more hashes than this never run at once).
const MAX_SPARE: usize = 64;

/// Runs one argon2 computation in a reused working memory.
fn hash_into(argon: &Argon2<'_>, blocks: usize, pwd: &[u8], salt: &[u8], out: &mut [u8]) -> bool {
    let spare = {
        let mut spares = SPARE_MEMORY.lock().unwrap_or_else(|p| p.into_inner());
        spares
            .iter()
            .position(|m| m.len() == blocks)
            .map(|i| spares.swap_remove(i))
    };
    let mut memory = spare.unwrap_or_else(|| vec![Block::default(); blocks]);
    let ok = argon
        .hash_password_into_with_memory(pwd, salt, out, &mut memory[..])
        .is_ok();
    // Only the standard size is kept: old hashes with other parameters do not pile up.
    if blocks == owasp_params().block_count() {
        let mut spares = SPARE_MEMORY.lock().unwrap_or_else(|p| p.into_inner());
        if spares.len() < MAX_SPARE {
            spares.push(memory);
        }
    }
    ok
}

/// Hashes a password into a PHC string (argon2id, random salt).
pub fn hash_password(password: &str) -> String {
    let params = owasp_params();
    let salt_bytes = random_bytes(16);
    let salt = SaltString::encode_b64(&salt_bytes).expect("16-byte salt encodes");
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = [0u8; 32];
    assert!(
        hash_into(
            &argon,
            params.block_count(),
            password.as_bytes(),
            &salt_bytes,
            &mut out
        ),
        "argon2 hashing with valid parameters"
    );
    PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).expect("argon2 parameters encode"),
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).expect("32-byte output")),
    }
    .to_string()
}

/// Verifies a password against a stored PHC string (with the parameters it names); a
/// corrupt hash never matches. An empty one (an invited user who has not chosen a
/// password yet) never matches either, after the same work as a real check, so such an
/// account is not told apart from a wrong password by timing.
pub fn verify_password(password: &str, phc: &str) -> bool {
    if phc.is_empty() {
        verify_password_against_dummy(password);
        return false;
    }
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let Ok(version) = parsed.version.map_or(Ok(Version::V0x13), Version::try_from) else {
        return false;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    if params.m_cost() > MAX_M_COST {
        return false;
    }
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let mut out = [0u8; 64];
    let Some(out) = out.get_mut(..expected.len()) else {
        return false;
    };
    let blocks = params.block_count();
    let argon = Argon2::new(algorithm, version, params);
    hash_into(&argon, blocks, password.as_bytes(), salt, out) && ct_eq(out, expected.as_bytes())
}

/// Spends the same work as a real check, so an unknown email is not told apart by timing.
pub fn verify_password_against_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash_password(&random_token(16)));
    let _ = verify_password(password, phc);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_round_trip_and_fail_closed() {
        let h = hash_password("correct horse");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("correct horse", "not a hash"));
        // No password set (an invitation not accepted yet): nothing matches, not even "".
        assert!(!verify_password("", ""));
        assert!(!verify_password("correct horse", ""));
        // A stored hash demanding absurd memory is refused, not computed.
        let huge = h.replace("m=19456", "m=4000000");
        assert!(!verify_password("correct horse", &huge));
    }

    /// The hand-driven hashing (reused memory) agrees with the argon2 crate's own API.
    #[test]
    fn hashes_interoperate_with_the_argon2_crate() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let ours = hash_password("pässword");
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password("pässword".as_bytes(), &parsed)
            .is_ok());
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, owasp_params())
            .hash_password(b"other", &salt)
            .unwrap()
            .to_string();
        assert!(verify_password("other", &theirs));
        assert!(!verify_password("Other", &theirs));
        // Older parameters still verify (the hash names its own).
        let light = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8192, 1, 1, None).unwrap(),
        )
        .hash_password(b"x", &salt)
        .unwrap()
        .to_string();
        assert!(verify_password("x", &light));
    }

    #[test]
    fn tokens_are_random_and_long() {
        let a = random_token(32);
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token(32));
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }
}
