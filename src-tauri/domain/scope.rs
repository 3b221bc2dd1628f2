//! Scope strings (RFC 6749 §3.3): space-delimited, case-sensitive, no duplicates.

/// Scopes every sign-in client may ask for, on top of its product's scopes.
pub const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// Parses a scope parameter; `Err` names the bad token.
pub fn parse(raw: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for token in raw.split(' ').filter(|t| !t.is_empty()) {
        if !is_scope_token(token) {
            return Err(format!(
                "scope {token:?} contains characters that are not allowed"
            ));
        }
        if !out.iter().any(|s| s == token) {
            out.push(token.to_string());
        }
    }
    Ok(out)
}

/// `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`
pub fn is_scope_token(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= 128
        && token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

pub fn join(scopes: &[String]) -> String {
    scopes.join(" ")
}

/// The first requested scope not in `allowed`, if any.
pub fn first_not_allowed<'a>(requested: &'a [String], allowed: &[String]) -> Option<&'a str> {
    requested
        .iter()
        .find(|s| !allowed.iter().any(|a| a == *s))
        .map(String::as_str)
}

pub fn has(scopes: &[String], wanted: &str) -> bool {
    scopes.iter().any(|s| s == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_dedups() {
        assert_eq!(
            parse("openid  email openid").unwrap(),
            vec!["openid", "email"]
        );
        assert!(parse("a\"b").is_err());
        assert!(parse("caf\u{e9}").is_err());
        assert_eq!(parse("").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn subset_check() {
        let req = parse("openid orders:read").unwrap();
        let allowed = vec!["openid".to_string()];
        assert_eq!(first_not_allowed(&req, &allowed), Some("orders:read"));
    }
}
