//! Recovery codes: 16 base32 characters (80 random bits) shown as `xxxx-xxxx-xxxx-xxxx`,
//! typed with or without dashes in any case, stored as SHA-256 hashes, single use.

use super::{base32, grouped};
use crate::crypto::{random_bytes, sha256};

/// Codes per set.
pub const COUNT: usize = 10;

/// A new set: the codes to show once, and their hashes to store.
pub fn generate() -> (Vec<String>, Vec<Vec<u8>>) {
    let codes: Vec<String> = (0..COUNT)
        .map(|_| grouped(&base32(&random_bytes(10)), "-"))
        .collect();
    let hashes = codes
        .iter()
        .filter_map(|c| normalize(c))
        .map(|c| sha256(&c))
        .collect();
    (codes, hashes)
}

/// The canonical form of a typed code (16 base32 characters, upper case), if it is one.
pub fn normalize(input: &str) -> Option<String> {
    let plain: String = input
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let ok = plain.len() == 16
        && plain
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b));
    ok.then_some(plain)
}

/// The stored hash of a typed code, if it is shaped like one.
pub fn hash(input: &str) -> Option<Vec<u8>> {
    normalize(input).map(|c| sha256(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_match_their_hashes_in_any_spelling() {
        let (codes, hashes) = generate();
        assert_eq!(codes.len(), COUNT);
        assert_eq!(hashes.len(), COUNT);
        let c = &codes[0];
        assert_eq!(c.len(), 19, "{c}");
        assert_eq!(hash(c).as_ref(), Some(&hashes[0]));
        assert_eq!(
            hash(&c.replace('-', "").to_lowercase()).as_ref(),
            Some(&hashes[0])
        );
        assert!(hash("123456").is_none());
        let mut uniq = codes.clone();
        uniq.dedup();
        assert_eq!(uniq.len(), COUNT);
    }
}
