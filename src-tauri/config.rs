//! Server settings: flags, env vars and defaults, validated once at start.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Default listen address of a fresh install (PRODUCT.md "Command line").
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7470";

/// Everything `tessera serve` (or the desktop shell) needs to start the server.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// Public issuer URL; `None` means `http://<bound address>`.
    pub issuer: Option<String>,
    /// `sqlite:` URL; `None` means `<data_dir>/tessera.db`.
    pub database_url: Option<String>,
    /// The key-encryption key (`--master-key-file`): read from here, never created;
    /// `None` means `<data_dir>/master.key`, created on the first start.
    pub master_key_file: Option<PathBuf>,
    /// Accept a plain `http://` issuer on a host other than this computer
    /// (`--insecure-http`); refused otherwise, see [`check_issuer_transport`].
    pub insecure_http: bool,
    /// The desktop shell: the console window signs in through
    /// `http://127.0.0.1:{listen port}/console/callback` too (see `oauth::console`).
    /// `tessera serve` leaves it off: there the console lives at the issuer only.
    pub console_on_loopback: bool,
    /// Sign-in protection knobs (trusted proxies, hashing bound).
    pub protection: Protection,
    /// `--metrics-listen`: serve `GET /metrics` on this address only; `None` = on the
    /// public port.
    pub metrics_listen: Option<SocketAddr>,
    /// `TESSERA_SMTP_URL` / `TESSERA_SMTP_FROM`: when set, email goes through this server
    /// and the console's SMTP setting is read-only.
    pub smtp: crate::mail::SmtpEnv,
}

/// `--trusted-proxy` and `--hash-concurrency`; the desktop uses the defaults.
#[derive(Clone, Debug, Default)]
pub struct Protection {
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: crate::throttle::client_ip::TrustedProxies,
    /// Password hashes run at once; `None` = the number of cores.
    pub hash_concurrency: Option<usize>,
    /// `--dpop-nonce`: every DPoP proof must carry a server nonce (RFC 9449 §8, §9).
    pub dpop_nonce: bool,
}

impl ServeConfig {
    /// Settings of the desktop app: the OS app-data dir and the default port.
    pub fn desktop_default() -> Self {
        ServeConfig {
            data_dir: default_data_dir(),
            listen: DEFAULT_LISTEN
                .parse()
                .expect("valid default listen address"),
            issuer: None,
            database_url: None,
            master_key_file: None,
            insecure_http: false,
            console_on_loopback: true,
            protection: Protection::default(),
            metrics_listen: None,
            smtp: Default::default(),
        }
    }
}

/// The OS app-data dir (`~/.local/share/tessera` on Linux).
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("tessera")
}

/// Checks an issuer URL: absolute http(s), no query or fragment, no trailing slash.
pub fn normalize_issuer(raw: &str) -> Result<String, String> {
    let url = url::Url::parse(raw).map_err(|e| format!("issuer {raw:?} is not a URL: {e}"))?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(format!("issuer {raw:?} must use http or https"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("issuer {raw:?} must not have a query or fragment"));
    }
    if url.host_str().is_none() {
        return Err(format!("issuer {raw:?} has no host"));
    }
    Ok(raw.trim_end_matches('/').to_string())
}

/// Whether `issuer` is a plain-http URL on a host other than this computer (`localhost`,
/// 127.0.0.0/8 or `::1`; an IP is parsed, never matched as text). Such an issuer sends
/// passwords, codes, tokens and the session cookie over the network unencrypted.
pub fn is_insecure_http(issuer: &str) -> bool {
    let Ok(url) = url::Url::parse(issuer) else {
        return false;
    };
    if url.scheme() != "http" {
        return false;
    }
    // The same loopback rule as http redirect URIs (the URL parser lowercases the host).
    url.host()
        .is_none_or(|host| !crate::domain::redirect::is_loopback(&host))
}

/// Refuses a non-loopback `http://` issuer unless the operator opted in; with the opt-in
/// it logs a warning. Runs before the server touches the data dir.
pub fn check_issuer_transport(issuer: &str, insecure_http: bool) -> Result<(), String> {
    if !is_insecure_http(issuer) {
        return Ok(());
    }
    if !insecure_http {
        return Err(format!(
            "the issuer {issuer} is plain http on a host that is not this computer: passwords, \
             codes, tokens and the session cookie would cross the network unencrypted. Use an \
             https:// issuer (for example behind a TLS reverse proxy), or start with \
             --insecure-http (TESSERA_INSECURE_HTTP=1) to accept that risk"
        ));
    }
    tracing::warn!(
        %issuer,
        "INSECURE: plain-http issuer on a network host (--insecure-http): passwords, codes, \
         tokens and session cookies cross the network unencrypted"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_is_normalized_and_checked() {
        assert_eq!(
            normalize_issuer("https://id.example.com/").unwrap(),
            "https://id.example.com"
        );
        assert!(normalize_issuer("ftp://x").is_err());
        assert!(normalize_issuer("https://x/?a=b").is_err());
        assert!(normalize_issuer("not a url").is_err());
    }

    #[test]
    fn only_loopback_hosts_may_use_plain_http() {
        for ok in [
            "http://127.0.0.1:7470",
            "http://127.9.8.7",
            "http://localhost:8080",
            "http://LOCALHOST",
            "http://[::1]:7470",
            "https://id.example.com",
            "https://192.0.2.10",
        ] {
            assert!(!is_insecure_http(ok), "{ok}");
            assert!(check_issuer_transport(ok, false).is_ok(), "{ok}");
        }
        for bad in [
            "http://id.example.com",
            "http://127.attacker.example",
            "http://localhost.attacker.example",
            "http://192.168.1.20:7470",
            "http://0.0.0.0:7470",
            "http://[::]:7470",
            "http://[2001:db8::1]",
        ] {
            assert!(is_insecure_http(bad), "{bad}");
            let error = check_issuer_transport(bad, false).unwrap_err();
            assert!(error.contains("--insecure-http"), "{error}");
            assert!(check_issuer_transport(bad, true).is_ok(), "{bad}");
        }
    }
}
