//! RFC 6238 time-based one-time passwords as authenticator apps make them: HMAC-SHA-1,
//! 6 digits, 30-second steps; a code of the step before or after is accepted too (clock
//! skew), and only for a step later than the last one accepted (no replay).

use aws_lc_rs::hmac;
use qrcode::render::svg;
use qrcode::QrCode;

/// Seconds per time step.
pub const PERIOD: i64 = 30;
/// Bytes of a new secret (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;
/// Steps of clock skew accepted either side of now.
const SKEW: i64 = 1;

/// The time step of unix second `t`.
pub fn step_at(t: i64) -> i64 {
    t.div_euclid(PERIOD)
}

/// The 6-digit code of `step` (RFC 4226 dynamic truncation).
pub fn code(secret: &[u8], step: i64) -> u32 {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let mac = hmac::sign(&key, &step.to_be_bytes());
    let h = mac.as_ref();
    let at = usize::from(h[h.len() - 1] & 0x0f);
    let bin = u32::from_be_bytes([h[at] & 0x7f, h[at + 1], h[at + 2], h[at + 3]]);
    bin % 1_000_000
}

/// The step `input` (6 digits) is the code of, among now ±1 step, later than `after`;
/// compared in constant time.
pub fn matching_step(secret: &[u8], input: &str, now: i64, after: i64) -> Option<i64> {
    if input.len() != 6 || !input.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = step_at(now);
    let mut found = None;
    for step in (current - SKEW)..=(current + SKEW) {
        let expected = format!("{:06}", code(secret, step));
        if crate::crypto::ct_eq(expected.as_bytes(), input.as_bytes()) && step > after {
            found.get_or_insert(step);
        }
    }
    found
}

/// The `otpauth://` URI authenticator apps read (Key Uri Format): label `issuer:account`.
pub fn otpauth_uri(issuer: &str, account: &str, secret_b32: &str) -> String {
    let enc = |s: &str| {
        url::form_urlencoded::byte_serialize(s.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret_b32}&issuer={}&algorithm=SHA1&digits=6&period={PERIOD}",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

/// The QR code of `uri` as an inline SVG element (no XML declaration), or `None` when the
/// text is too long for a QR code.
pub fn qr_svg(uri: &str) -> Option<String> {
    let code = QrCode::new(uri.as_bytes()).ok()?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    let start = image.find("<svg")?;
    Some(image[start..].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 (the last 6 of the 8 digits).
    #[test]
    fn rfc6238_vectors() {
        let secret = b"12345678901234567890";
        for (t, want) in [
            (59, 94_287_082u32),
            (1_111_111_109, 7_081_804),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
        ] {
            assert_eq!(code(secret, step_at(t)), want % 1_000_000, "t={t}");
        }
    }

    #[test]
    fn skew_and_replay() {
        let secret = b"12345678901234567890";
        let now = 1_234_567_890;
        let prev = format!("{:06}", code(secret, step_at(now) - 1));
        assert_eq!(matching_step(secret, &prev, now, 0), Some(step_at(now) - 1));
        assert_eq!(matching_step(secret, &prev, now, step_at(now) - 1), None);
        let old = format!("{:06}", code(secret, step_at(now) - 2));
        assert_eq!(matching_step(secret, &old, now, 0), None);
        assert_eq!(matching_step(secret, "12345", now, 0), None);
        assert_eq!(matching_step(secret, "abcdef", now, 0), None);
    }

    #[test]
    fn uri_and_qr() {
        let uri = otpauth_uri("Tessera", "ann b@example.com", "JBSWY3DPEHPK3PXP");
        assert!(uri.starts_with(
            "otpauth://totp/Tessera:ann%20b%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Tessera"
        ));
        let svg = qr_svg(&uri).expect("svg");
        assert!(svg.starts_with("<svg"), "{svg}");
    }
}
