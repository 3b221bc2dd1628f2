//! `<data dir>/settings.json`: what the desktop app lets the user change about the server
//! (`{"listen": "127.0.0.1:7470", "issuer": "http://127.0.0.1:7470"}`, both optional, and
//! `"insecure_http": true` once the user accepted a plain-http issuer on the network;
//! `"close_notice_shown": true` once the window was closed the first time), and the checks
//! on what the setup page and the console's settings page ask for.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::config::{is_insecure_http, normalize_issuer};

pub const SETTINGS_FILE: &str = "settings.json";

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct DesktopSettings {
    pub listen: Option<SocketAddr>,
    pub issuer: Option<String>,
    /// The user accepted a plain-http issuer on a network host (`--insecure-http`).
    #[serde(default)]
    pub insecure_http: bool,
}

impl DesktopSettings {
    /// A missing file means the defaults; an unreadable or invalid one is an error, so a
    /// typo does not silently move the server to another port.
    pub fn load(data_dir: &Path) -> Result<Self, String> {
        let path = settings_path(data_dir);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    fn parse(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Writes `listen` and `issuer` into settings.json (keys it does not know are kept; an
    /// issuer of `None` removes the key, so the server derives it from the address).
    /// Returns what was there before, to put back if the new settings do not work.
    pub fn save(&self, data_dir: &Path) -> Result<PreviousSettings, String> {
        let path = settings_path(data_dir);
        let previous = match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let text = self.merge_into(previous.as_deref());
        write_replacing(&path, &text)?;
        Ok(PreviousSettings { path, previous })
    }

    /// The new file contents: the old JSON object (when there is a valid one) with `listen`
    /// and `issuer` replaced.
    fn merge_into(&self, previous: Option<&str>) -> String {
        let mut object = previous.and_then(json_object).unwrap_or_default();
        match self.listen {
            Some(listen) => object.insert("listen".into(), listen.to_string().into()),
            None => object.remove("listen"),
        };
        match &self.issuer {
            Some(issuer) => object.insert("issuer".into(), issuer.clone().into()),
            None => object.remove("issuer"),
        };
        match self.insecure_http {
            true => object.insert("insecure_http".into(), true.into()),
            false => object.remove("insecure_http"),
        };
        object_text(object)
    }
}

/// The settings.json key that says the "keeps running in the tray" notice was shown.
const CLOSE_NOTICE_SHOWN: &str = "close_notice_shown";

/// Whether the window's first close already showed the notice (false when unreadable).
pub fn close_notice_shown(data_dir: &Path) -> bool {
    std::fs::read_to_string(settings_path(data_dir))
        .ok()
        .as_deref()
        .and_then(json_object)
        .and_then(|object| object.get(CLOSE_NOTICE_SHOWN).and_then(Value::as_bool))
        .unwrap_or(false)
}

/// Records in settings.json that the notice was shown (other keys kept). A file that is
/// not a JSON object is left alone: it is the user's to fix, not to lose over a notice.
pub fn mark_close_notice_shown(data_dir: &Path) -> Result<(), String> {
    let path = settings_path(data_dir);
    let mut object = match std::fs::read_to_string(&path) {
        Ok(text) => json_object(&text)
            .ok_or_else(|| format!("{} is not a JSON object: left as it is", path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    object.insert(CLOSE_NOTICE_SHOWN.into(), true.into());
    write_replacing(&path, &object_text(object))
}

fn json_object(text: &str) -> Option<Map<String, Value>> {
    match serde_json::from_str::<Value>(text).ok()? {
        Value::Object(object) => Some(object),
        _ => None,
    }
}

fn object_text(object: Map<String, Value>) -> String {
    let mut text =
        serde_json::to_string_pretty(&Value::Object(object)).expect("a JSON object serializes");
    text.push('\n');
    text
}

/// settings.json as it was before [`DesktopSettings::save`].
#[derive(Debug)]
pub struct PreviousSettings {
    path: PathBuf,
    previous: Option<String>,
}

impl PreviousSettings {
    /// Puts the old file back (or removes the new one when there was none).
    pub fn restore(self) -> Result<(), String> {
        match &self.previous {
            Some(text) => write_replacing(&self.path, text),
            None => match std::fs::remove_file(&self.path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(format!("cannot remove {}: {e}", self.path.display())),
            },
        }
    }
}

/// Write to a temporary file next to `path`, then rename: a crash never leaves half a file.
fn write_replacing(path: &Path, text: &str) -> Result<(), String> {
    let temporary = path.with_extension("json.tmp");
    std::fs::write(&temporary, text)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&temporary);
            format!("cannot write {}: {e}", path.display())
        })
}

pub fn settings_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SETTINGS_FILE)
}

/// Turns what the setup page or the settings page sent into settings for the server.
///
/// - `listen_address`: an IP address (`127.0.0.1`, `0.0.0.0`, `::1`, `[::]`), or one with a
///   port, which must then be `port`; empty or missing means `127.0.0.1`. Only loopback
///   (this computer) and unspecified (every interface) addresses are accepted: the window
///   reaches the console over loopback.
/// - `port`: 1-65535.
/// - `issuer`: an absolute http(s) URL; empty or missing means `http://<listen address>`.
///   An `http://` issuer on loopback must name `port`.
/// - `insecure_http`: the user accepted a plain-http issuer on a host other than this
///   computer (an explicit http:// one, or the derived one of an every-interface address);
///   without it such an issuer is refused.
pub fn requested(
    listen_address: Option<&str>,
    port: i64,
    issuer: Option<&str>,
    insecure_http: bool,
) -> Result<DesktopSettings, String> {
    let port = u16::try_from(port)
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| format!("the port must be between 1 and 65535 (got {port})"))?;
    let ip = listen_ip(listen_address.map(str::trim).unwrap_or_default(), port)?;
    let issuer = match issuer.map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(normalize_issuer(raw)?),
    };
    if let Some(issuer) = &issuer {
        check_loopback_issuer(issuer, port)?;
    }
    let listen = SocketAddr::new(ip, port);
    let effective = issuer.clone().unwrap_or_else(|| format!("http://{listen}"));
    if is_insecure_http(&effective) && !insecure_http {
        return Err(format!(
            "the issuer {effective} is plain http on the network: passwords, codes, tokens and \
             the session cookie would travel unencrypted. Use an https:// issuer (behind a TLS \
             reverse proxy), or confirm that you accept an insecure http issuer"
        ));
    }
    Ok(DesktopSettings {
        listen: Some(listen),
        issuer,
        insecure_http: insecure_http && is_insecure_http(&effective),
    })
}

/// An `http://` issuer on this computer names the server itself, so its port must be the
/// one the server listens on: otherwise every app (and the console, which signs in through
/// the issuer's endpoints) would knock on a port where nothing answers.
fn check_loopback_issuer(issuer: &str, port: u16) -> Result<(), String> {
    let Ok(url) = url::Url::parse(issuer) else {
        return Ok(());
    };
    let loopback = match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.port_or_known_default() {
        Some(issuer_port) if url.scheme() == "http" && loopback && issuer_port != port => {
            let mut fixed = url.clone();
            let _ = fixed.set_port(Some(port));
            Err(format!(
                "the issuer {issuer} is this computer on port {issuer_port}, but the port is \
                 {port}: use {} (or leave the issuer empty)",
                fixed.as_str().trim_end_matches('/')
            ))
        }
        _ => Ok(()),
    }
}

fn listen_ip(raw: &str, port: u16) -> Result<IpAddr, String> {
    if raw.is_empty() {
        return Ok(Ipv4Addr::LOCALHOST.into());
    }
    let unbracketed = raw
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(raw);
    let ip = match (unbracketed.parse::<IpAddr>(), raw.parse::<SocketAddr>()) {
        (Ok(ip), _) => ip,
        (_, Ok(with_port)) if with_port.port() == port => with_port.ip(),
        (_, Ok(with_port)) => {
            return Err(format!(
                "the listen address {raw} names port {}, but the port is {port}",
                with_port.port()
            ))
        }
        _ => {
            return Err(format!(
                "the listen address {raw:?} is not an IP address (use 127.0.0.1 for this \
                 computer only, 0.0.0.0 for every network interface)"
            ))
        }
    };
    if !(ip.is_loopback() || ip.is_unspecified()) {
        return Err(format!(
            "the listen address {ip} is neither loopback nor unspecified: use 127.0.0.1 (this \
             computer only) or 0.0.0.0 (every network interface, {ip} included)"
        ));
    }
    Ok(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_object_means_defaults() {
        assert_eq!(
            DesktopSettings::parse("{}").unwrap(),
            DesktopSettings::default()
        );
    }

    #[test]
    fn reads_listen_and_issuer_and_ignores_unknown_keys() {
        let settings = DesktopSettings::parse(
            r#"{"listen": "127.0.0.1:7555", "issuer": "https://id.example", "theme": "dark"}"#,
        )
        .unwrap();
        assert_eq!(settings.listen, Some("127.0.0.1:7555".parse().unwrap()));
        assert_eq!(settings.issuer.as_deref(), Some("https://id.example"));
    }

    #[test]
    fn rejects_a_listen_value_without_port() {
        assert!(DesktopSettings::parse(r#"{"listen": "127.0.0.1"}"#).is_err());
    }

    #[test]
    fn missing_file_means_defaults() {
        let dir = std::env::temp_dir().join(format!("tessera-settings-{}", std::process::id()));
        assert_eq!(
            DesktopSettings::load(&dir).unwrap(),
            DesktopSettings::default()
        );
    }

    fn settings(listen: &str, issuer: Option<&str>) -> DesktopSettings {
        DesktopSettings {
            listen: Some(listen.parse().unwrap()),
            issuer: issuer.map(String::from),
            insecure_http: false,
        }
    }

    #[test]
    fn requested_settings_default_to_loopback_and_derived_issuer() {
        assert_eq!(
            requested(None, 7471, None, false).unwrap(),
            settings("127.0.0.1:7471", None)
        );
        assert_eq!(
            requested(Some("  "), 7471, Some(""), false).unwrap(),
            settings("127.0.0.1:7471", None)
        );
    }

    #[test]
    fn requested_settings_accept_loopback_and_unspecified_addresses() {
        for (raw, expected) in [
            ("127.0.0.1", "127.0.0.1:8080"),
            ("0.0.0.0", "0.0.0.0:8080"),
            ("::1", "[::1]:8080"),
            ("[::]", "[::]:8080"),
            ("127.0.0.1:8080", "127.0.0.1:8080"),
            ("[::1]:8080", "[::1]:8080"),
        ] {
            // Every interface with the derived http issuer is plain http on the network.
            let insecure = raw.contains("0.0.0.0") || raw.contains("::]");
            assert_eq!(
                requested(Some(raw), 8080, None, insecure).unwrap().listen,
                Some(expected.parse().unwrap()),
                "{raw}"
            );
        }
    }

    #[test]
    fn requested_settings_refuse_bad_addresses_and_ports() {
        let error = requested(Some("192.168.1.20"), 8080, None, false).unwrap_err();
        assert!(error.contains("0.0.0.0"), "{error}");
        let error = requested(Some("127.0.0.1:9000"), 8080, None, false).unwrap_err();
        assert!(error.contains("9000") && error.contains("8080"), "{error}");
        let error = requested(Some("localhost"), 8080, None, false).unwrap_err();
        assert!(error.contains("not an IP address"), "{error}");
        for port in [0, -1, 65_536] {
            let error = requested(None, port, None, false).unwrap_err();
            assert!(error.contains("between 1 and 65535"), "{error}");
        }
    }

    #[test]
    fn requested_issuer_is_normalized_and_checked() {
        assert_eq!(
            requested(None, 7470, Some(" https://id.example.com/ "), false)
                .unwrap()
                .issuer
                .as_deref(),
            Some("https://id.example.com")
        );
        assert!(requested(None, 7470, Some("ftp://id.example.com"), false).is_err());
        // On loopback over http the issuer is the server itself: the ports must agree.
        let error = requested(None, 7471, Some("http://127.0.0.1:7470"), false).unwrap_err();
        assert!(error.contains("use http://127.0.0.1:7471"), "{error}");
        let error = requested(None, 7471, Some("http://localhost"), false).unwrap_err();
        assert!(error.contains("port 80"), "{error}");
        assert!(requested(None, 7471, Some("http://127.0.0.1:7471/"), false).is_ok());
        assert!(requested(Some("0.0.0.0"), 7471, Some("http://[::1]:7471"), false).is_ok());
        // Anything else may be a proxy in front of the server.
        assert!(requested(None, 7471, Some("https://127.0.0.1:8443"), false).is_ok());
        assert!(requested(None, 7470, Some("https://id.example.com/?x=1"), false).is_err());
    }

    #[test]
    fn a_plain_http_issuer_on_the_network_needs_the_insecure_flag() {
        for (listen, issuer) in [
            (None, Some("http://id.lan:7470")),
            (None, Some("http://192.168.1.20:7470")),
            (Some("0.0.0.0"), None),
            (Some("[::]"), None),
        ] {
            let error = requested(listen, 7470, issuer, false).unwrap_err();
            assert!(error.contains("insecure http issuer"), "{error}");
            let accepted = requested(listen, 7470, issuer, true).unwrap();
            assert!(accepted.insecure_http, "{listen:?} {issuer:?}");
        }
        // On loopback or https the flag changes nothing and is not kept.
        for issuer in [
            None,
            Some("https://id.example.com"),
            Some("http://localhost:7470"),
        ] {
            let settings = requested(None, 7470, issuer, true).unwrap();
            assert!(!settings.insecure_http, "{issuer:?}");
        }
        let text = DesktopSettings {
            insecure_http: true,
            ..settings("0.0.0.0:7470", Some("http://id.lan:7470"))
        }
        .merge_into(None);
        assert!(
            DesktopSettings::parse(&text).unwrap().insecure_http,
            "{text}"
        );
    }

    #[test]
    fn saving_keeps_unknown_keys_and_drops_a_cleared_issuer() {
        let old =
            r#"{"listen": "127.0.0.1:7470", "issuer": "https://old.example", "theme": "dark"}"#;
        let text = settings("0.0.0.0:7480", None).merge_into(Some(old));
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"listen": "0.0.0.0:7480", "theme": "dark"})
        );
        // A broken old file is replaced rather than kept.
        let text = settings("127.0.0.1:7481", Some("https://id.example")).merge_into(Some("{"));
        assert_eq!(
            DesktopSettings::parse(&text).unwrap(),
            settings("127.0.0.1:7481", Some("https://id.example"))
        );
    }

    #[test]
    fn the_close_notice_flag_is_kept_with_the_other_keys() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!close_notice_shown(dir.path()), "no file: not shown yet");
        mark_close_notice_shown(dir.path()).unwrap();
        assert!(close_notice_shown(dir.path()));

        std::fs::write(
            settings_path(dir.path()),
            r#"{"listen": "127.0.0.1:7493", "theme": "dark"}"#,
        )
        .unwrap();
        assert!(!close_notice_shown(dir.path()));
        mark_close_notice_shown(dir.path()).unwrap();
        assert!(close_notice_shown(dir.path()));
        assert_eq!(
            DesktopSettings::load(dir.path()).unwrap().listen,
            Some("127.0.0.1:7493".parse().unwrap())
        );
        // A later save of the address keeps the flag.
        settings("127.0.0.1:7494", None).save(dir.path()).unwrap();
        assert!(close_notice_shown(dir.path()));
    }

    #[test]
    fn a_broken_settings_file_is_not_replaced_for_the_notice() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(settings_path(dir.path()), "{\"listen\": ").unwrap();
        assert!(!close_notice_shown(dir.path()));
        assert!(mark_close_notice_shown(dir.path()).is_err());
        assert_eq!(
            std::fs::read_to_string(settings_path(dir.path())).unwrap(),
            "{\"listen\": "
        );
    }

    #[test]
    fn save_then_restore_puts_the_old_file_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = settings_path(dir.path());

        // No file before: restore removes the new one.
        let previous = settings("127.0.0.1:7490", None).save(dir.path()).unwrap();
        assert_eq!(
            DesktopSettings::load(dir.path()).unwrap(),
            settings("127.0.0.1:7490", None)
        );
        previous.restore().unwrap();
        assert!(!path.exists());

        // A file before: restore brings back its exact text.
        let old = "{\"listen\": \"127.0.0.1:7491\", \"extra\": 1}\n";
        std::fs::write(&path, old).unwrap();
        let previous = settings("127.0.0.1:7492", Some("https://id.example"))
            .save(dir.path())
            .unwrap();
        assert_eq!(
            DesktopSettings::load(dir.path()).unwrap(),
            settings("127.0.0.1:7492", Some("https://id.example"))
        );
        previous.restore().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), old);
    }
}
