//! Redirect URI rules: absolute http(s), no fragment, no wildcards, `http` only for
//! loopback hosts; matched exactly (RFC 9700 §2.1).

/// Checks a redirect URI given at registration; `Err` says why it is refused.
pub fn validate_registration(uri: &str) -> Result<(), String> {
    if uri.len() > 2000 {
        return Err("is longer than 2000 characters".into());
    }
    let parsed = url::Url::parse(uri).map_err(|e| format!("is not an absolute URL ({e})"))?;
    if parsed.fragment().is_some() || uri.contains('#') {
        return Err("must not contain a fragment".into());
    }
    if uri.contains('*') {
        return Err("must not contain wildcards".into());
    }
    let Some(host) = parsed.host() else {
        return Err("must have a host".into());
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not contain credentials".into());
    }
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&host) => Ok(()),
        "http" => Err("may use http only for loopback hosts (localhost, 127.0.0.1, [::1])".into()),
        other => Err(format!("scheme {other:?} is not allowed (use https)")),
    }
}

/// `localhost`, or an IP literal in 127.0.0.0/8 or `::1`, parsed as an address: a name
/// that merely starts with `127.` (`127.attacker.example`) is a DNS name like any other.
pub fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(name) => *name == "localhost",
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// Appends query parameters to a registered redirect URI.
pub fn with_params(base: &str, params: &[(&str, &str)]) -> String {
    if params.is_empty() {
        // Exactly the registered URI: no stray `?`.
        return base.to_string();
    }
    match url::Url::parse(base) {
        Ok(mut url) => {
            {
                let mut q = url.query_pairs_mut();
                for (k, v) in params {
                    q.append_pair(k, v);
                }
            }
            url.to_string()
        }
        Err(_) => base.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_params_leaves_the_uri_as_registered() {
        assert_eq!(
            with_params("https://a.example/bye", &[]),
            "https://a.example/bye"
        );
        assert_eq!(
            with_params("https://a.example/bye?x=1", &[("state", "s t")]),
            "https://a.example/bye?x=1&state=s+t"
        );
    }

    #[test]
    fn registration_rules() {
        assert!(validate_registration("https://shop.example/cb").is_ok());
        assert!(validate_registration("http://127.0.0.1:8080/cb").is_ok());
        assert!(validate_registration("http://localhost/cb").is_ok());
        assert!(validate_registration("http://shop.example/cb").is_err());
        assert!(validate_registration("https://shop.example/cb#x").is_err());
        assert!(validate_registration("https://*.example/cb").is_err());
        assert!(validate_registration("/cb").is_err());
        assert!(validate_registration("javascript:alert(1)").is_err());
        assert!(validate_registration("https://u:p@shop.example/cb").is_err());
    }

    #[test]
    fn loopback_is_an_address_not_a_prefix() {
        for ok in [
            "http://127.0.0.1/cb",
            "http://127.8.9.10:99/cb",
            "http://[::1]:8080/cb",
            "http://localhost:3000/cb",
        ] {
            assert!(validate_registration(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://127.attacker.example/cb",
            "http://127.0.0.1.attacker.example/cb",
            "http://localhost.attacker.example/cb",
            "http://[::2]/cb",
            "http://128.0.0.1/cb",
            "http://0.0.0.0/cb",
        ] {
            assert!(validate_registration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn params_are_appended() {
        assert_eq!(
            with_params(
                "https://a.example/cb?x=1",
                &[("code", "a b"), ("state", "s")]
            ),
            "https://a.example/cb?x=1&code=a+b&state=s"
        );
    }
}
