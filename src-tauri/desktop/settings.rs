//! `<data dir>/settings.json`: what the desktop app lets the user change about the server
//! (`{"listen": "127.0.0.1:7470", "issuer": "http://127.0.0.1:7470"}`, both optional).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub const SETTINGS_FILE: &str = "settings.json";

#[derive(Debug, Default, Deserialize, PartialEq)]
pub struct DesktopSettings {
    pub listen: Option<SocketAddr>,
    pub issuer: Option<String>,
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
}

pub fn settings_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SETTINGS_FILE)
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
}
