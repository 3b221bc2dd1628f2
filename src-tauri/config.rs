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
    /// Sign-in protection knobs (trusted proxies, hashing bound).
    pub protection: Protection,
}

/// `--trusted-proxy` and `--hash-concurrency`; the desktop uses the defaults.
#[derive(Clone, Debug, Default)]
pub struct Protection {
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: crate::throttle::client_ip::TrustedProxies,
    /// Password hashes run at once; `None` = the number of cores.
    pub hash_concurrency: Option<usize>,
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
            protection: Protection::default(),
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
}
