//! Redirect URI rules: absolute http(s), no fragment, no wildcards, `http` only for
//! loopback hosts; matched exactly (RFC 9700 §2.1). Native apps (RFC 8252) may also use
//! private-use schemes in reverse-domain form (§7.1), and their loopback IP redirects
//! match any port (§7.3, [`loopback_without_port`]).

use crate::store::clients::ApplicationType;

/// Schemes no redirect may use, whatever the kind of app (script, inline data, files).
const FORBIDDEN_SCHEMES: [&str; 6] = ["javascript", "data", "file", "vbscript", "blob", "about"];

/// Checks a redirect URI given at registration for a client of `app_type`; `Err` says
/// why it is refused.
pub fn validate_registration(uri: &str, app_type: ApplicationType) -> Result<(), String> {
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
    if !matches!(parsed.scheme(), "http" | "https") {
        return private_use_scheme(&parsed, app_type);
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

/// A private-use scheme (RFC 8252 §7.1): native apps only, in reverse-domain form
/// (`com.example.app:/callback`), never one that runs script or reads files.
fn private_use_scheme(parsed: &url::Url, app_type: ApplicationType) -> Result<(), String> {
    let scheme = parsed.scheme();
    if FORBIDDEN_SCHEMES.contains(&scheme) {
        return Err(format!("scheme {scheme:?} is not allowed"));
    }
    if app_type != ApplicationType::Native {
        return Err(format!(
            "scheme {scheme:?} is not allowed (use https; private-use schemes need \
             application_type native)"
        ));
    }
    let labels: Vec<&str> = scheme.split('.').collect();
    let reverse_domain = labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    if !reverse_domain {
        return Err(format!(
            "scheme {scheme:?} is not a private-use scheme in reverse-domain form \
             (e.g. com.example.app:/callback)"
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not contain credentials".into());
    }
    Ok(())
}

/// For a native client's redirect `http://127.0.0.1:{port}/…` or `http://[::1]:{port}/…`
/// (a loopback IP literal, never `localhost`: RFC 8252 §8.3), the same URI without the
/// port, as it is registered: such redirects match any port (§7.3). The rest is kept
/// byte for byte, so path and query still match exactly. `None` for anything else.
pub fn loopback_without_port(uri: &str) -> Option<String> {
    let host = ["http://127.0.0.1:", "http://[::1]:"]
        .into_iter()
        .find(|h| uri.starts_with(h))?;
    let after = &uri[host.len()..];
    let (digits, rest) = after.split_at(after.find('/')?);
    // A plain port as browsers write it: no `07470`, no `+1`, at most 65535.
    let port: u16 = digits.parse().ok()?;
    if digits != port.to_string() || url::Url::parse(uri).is_err() {
        return None;
    }
    Some(format!("{}{rest}", &host[..host.len() - 1]))
}

/// `scheme://host[:port]` of an http(s) URL (default ports left out, as browsers send
/// it); `None` for other schemes (a private-use scheme has no web origin).
pub fn origin_of(uri: &str) -> Option<String> {
    let url = url::Url::parse(uri).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.origin().ascii_serialization())
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

    const WEB: ApplicationType = ApplicationType::Web;
    const NATIVE: ApplicationType = ApplicationType::Native;

    fn validate(uri: &str) -> Result<(), String> {
        validate_registration(uri, WEB)
    }

    #[test]
    fn private_use_schemes_are_for_native_apps_only() {
        for ok in [
            "com.example.app:/callback",
            "com.example.app:/cb?x=1",
            "io.tessera-id.desk:/oauth",
        ] {
            assert!(validate_registration(ok, NATIVE).is_ok(), "{ok}");
            assert!(validate_registration(ok, WEB).is_err(), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "file:///etc/passwd",
            "myapp:/callback",
            "com..example:/cb",
            "com.example.app:/cb#f",
            "http://app.example/cb",
        ] {
            assert!(validate_registration(bad, NATIVE).is_err(), "{bad}");
        }
        assert!(validate_registration("https://app.example/cb", NATIVE).is_ok());
        assert!(validate_registration("http://127.0.0.1/cb", NATIVE).is_ok());
    }

    #[test]
    fn loopback_ips_drop_their_port_and_nothing_else() {
        assert_eq!(
            loopback_without_port("http://127.0.0.1:51234/cb?x=1").as_deref(),
            Some("http://127.0.0.1/cb?x=1")
        );
        assert_eq!(
            loopback_without_port("http://[::1]:8080/cb").as_deref(),
            Some("http://[::1]/cb")
        );
        assert_eq!(
            loopback_without_port("http://127.0.0.1:80/cb").as_deref(),
            Some("http://127.0.0.1/cb")
        );
        for none in [
            "http://localhost:8080/cb",
            "http://127.0.0.1/cb",
            "https://127.0.0.1:8080/cb",
            "http://127.0.0.1:07470/cb",
            "http://127.0.0.1:8080@evil.example/cb",
            "http://127.0.0.1:8080.evil.example/cb",
            "http://127.0.0.2:8080/cb",
            "http://127.0.0.1:99999/cb",
            "com.example.app:/cb",
        ] {
            assert_eq!(loopback_without_port(none), None, "{none}");
        }
    }

    #[test]
    fn registration_rules() {
        assert!(validate_registration("https://shop.example/cb", WEB).is_ok());
        assert!(validate("http://127.0.0.1:8080/cb").is_ok());
        assert!(validate("http://localhost/cb").is_ok());
        assert!(validate("http://shop.example/cb").is_err());
        assert!(validate("https://shop.example/cb#x").is_err());
        assert!(validate("https://*.example/cb").is_err());
        assert!(validate("/cb").is_err());
        assert!(validate("javascript:alert(1)").is_err());
        assert!(validate("https://u:p@shop.example/cb").is_err());
    }

    #[test]
    fn loopback_is_an_address_not_a_prefix() {
        for ok in [
            "http://127.0.0.1/cb",
            "http://127.8.9.10:99/cb",
            "http://[::1]:8080/cb",
            "http://localhost:3000/cb",
        ] {
            assert!(validate(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://127.attacker.example/cb",
            "http://127.0.0.1.attacker.example/cb",
            "http://localhost.attacker.example/cb",
            "http://[::2]/cb",
            "http://128.0.0.1/cb",
            "http://0.0.0.0/cb",
        ] {
            assert!(validate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn origins_are_scheme_host_and_explicit_port() {
        assert_eq!(
            origin_of("https://app.example/cb?x=1").as_deref(),
            Some("https://app.example")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080/cb").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            origin_of("https://App.Example:443/cb").as_deref(),
            Some("https://app.example")
        );
        assert_eq!(origin_of("com.example.app:/callback"), None);
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
