//! RFC 6238 codes as an authenticator app computes them (SHA-1, 6 digits, 30 s), from the
//! base32 secret a setup page shows.
use aws_lc_rs::hmac;

/// Decodes RFC 4648 base32 (no padding; spaces ignored).
pub fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut out, mut buffer, mut bits) = (Vec::new(), 0u32, 0u32);
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        let v = ALPHABET
            .find(c.to_ascii_uppercase())
            .expect("base32 character") as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

/// The code of time step `step`.
pub fn totp_code(secret: &[u8], step: i64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let mac = hmac::sign(&key, &step.to_be_bytes());
    let h = mac.as_ref();
    let at = (h[h.len() - 1] & 0x0f) as usize;
    let bin = u32::from_be_bytes([h[at] & 0x7f, h[at + 1], h[at + 2], h[at + 3]]);
    format!("{:06}", bin % 1_000_000)
}

/// A code for a step later than `last_step` that the server accepts (now or the next
/// step, within its ±1 skew); waits for the clock when both are spent. Returns the code
/// and its step.
pub async fn next_code(secret: &[u8], last_step: i64) -> (String, i64) {
    let now = super::unix_now();
    let current = now / 30;
    let step = current.max(last_step + 1);
    if step > current + 1 {
        // Wait until `step - 1` is the current step (then `step` is its +1).
        let wait = (step - 1) * 30 - now + 1;
        tokio::time::sleep(std::time::Duration::from_secs(wait.max(0) as u64)).await;
    }
    (totp_code(secret, step), step)
}
