//! Decoding a compact JWS locally: base64url, the JSON header and claims, and the bytes
//! the signature covers. Nothing here touches the network.

use serde_json::{Map, Value};

/// A decoded compact JWS.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    /// `base64url(header) "." base64url(payload)`: what the signature signs.
    pub signing_input: String,
    pub signature: Vec<u8>,
}

/// Decodes base64url without padding (padding and standard-alphabet characters are
/// tolerated, since people paste from many places).
pub fn b64url_decode(input: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let mut buf: u32 = 0;
    let mut bits = 0u32;
    for (i, c) in input.trim_end_matches('=').bytes().enumerate() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => {
                return Err(format!(
                    "character {} (“{}”) is not base64url",
                    i + 1,
                    char::from(c).escape_default()
                ))
            }
        };
        buf = (buf << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    if bits >= 6 {
        return Err("its length is not a valid base64url length".into());
    }
    Ok(out)
}

/// Removes what people paste around a token: whitespace, quotes, `Bearer `.
pub fn clean(input: &str) -> String {
    let t = input.trim().trim_matches(|c| c == '"' || c == '\'');
    let t = t
        .strip_prefix("Bearer ")
        .or_else(|| t.strip_prefix("bearer "))
        .unwrap_or(t);
    t.chars().filter(|c| !c.is_whitespace()).collect()
}

fn json_part(name: &str, part: &str) -> Result<Map<String, Value>, String> {
    if part.is_empty() {
        return Err(format!("The {name} part is empty."));
    }
    let bytes = b64url_decode(part).map_err(|e| format!("The {name} cannot be decoded: {e}."))?;
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("The {name} is not JSON after decoding ({e})."))?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(format!("The {name} is JSON but not an object.")),
    }
}

/// Decodes a compact JWS (`header.payload.signature`).
pub fn decode(token: &str) -> Result<Decoded, String> {
    let parts: Vec<&str> = token.split('.').collect();
    match parts.len() {
        3 => {}
        5 => {
            return Err(
                "This is an encrypted token (JWE, five parts): only the holder of \
                        the private key can read it, so it cannot be inspected here."
                    .into(),
            )
        }
        1 => {
            return Err(
                "This is not a JWT: a JWT has three base64url parts separated by dots \
                        (header.payload.signature). Refresh tokens and authorization codes \
                        are opaque strings and cannot be decoded."
                    .into(),
            )
        }
        n => {
            return Err(format!(
                "A JWT has three parts separated by dots (header.payload.signature); this has {n}."
            ))
        }
    }
    let header = json_part("header", parts[0])?;
    let claims = json_part("payload", parts[1])?;
    let signature =
        b64url_decode(parts[2]).map_err(|e| format!("The signature cannot be decoded: {e}."))?;
    Ok(Decoded {
        header,
        claims,
        signing_input: format!("{}.{}", parts[0], parts[1]),
        signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trip() {
        assert_eq!(b64url_decode("eyJhIjoxfQ").unwrap(), br#"{"a":1}"#);
        assert_eq!(b64url_decode("_-8").unwrap(), vec![0xff, 0xef]);
        assert!(b64url_decode("a").is_err());
        assert!(b64url_decode("a*b").is_err());
    }

    #[test]
    fn decodes_three_parts() {
        let d = decode("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.AQID").unwrap();
        assert_eq!(d.header["alg"], "RS256");
        assert_eq!(d.claims["sub"], "x");
        assert_eq!(d.signature, vec![1, 2, 3]);
        assert!(decode("a.b").is_err());
        assert_eq!(clean("  Bearer abc.def\n.ghi "), "abc.def.ghi");
    }
}
