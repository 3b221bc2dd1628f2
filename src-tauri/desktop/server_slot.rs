//! The IdP server inside the desktop process: started once before the window opens, asked
//! about by the status command, stopped when the app exits. A failed start is kept, with
//! its reason, so the window can show it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::config::ServeConfig;
use crate::server::RunningServer;

pub struct ServerSlot {
    issuer: String,
    listen: SocketAddr,
    running: Mutex<Option<RunningServer>>,
    start_error: Option<String>,
}

impl ServerSlot {
    pub async fn start(config: ServeConfig) -> Self {
        let issuer = expected_issuer(&config);
        let listen = config.listen;
        tracing::info!(data_dir = %config.data_dir.display(), %listen, "starting the server");
        match crate::server::start(config).await {
            Ok(server) => {
                tracing::info!("listening on http://{}", server.local_addr());
                Self {
                    issuer: server.issuer().to_owned(),
                    listen: server.local_addr(),
                    running: Mutex::new(Some(server)),
                    start_error: None,
                }
            }
            Err(error) => {
                tracing::error!(%error, "the server did not start");
                Self::not_started(issuer, listen, error.to_string())
            }
        }
    }

    /// For when the configuration itself is unusable (e.g. a broken settings.json).
    pub fn failed_config(defaults: &ServeConfig, error: String) -> Self {
        tracing::error!(%error, "the server was not started");
        Self::not_started(expected_issuer(defaults), defaults.listen, error)
    }

    fn not_started(issuer: String, listen: SocketAddr, error: String) -> Self {
        Self {
            issuer,
            listen,
            running: Mutex::new(None),
            start_error: Some(error),
        }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn port(&self) -> u16 {
        self.listen.port()
    }

    /// Where to reach the running server from this process, or why it is not running.
    pub fn reachable_address(&self) -> Result<SocketAddr, String> {
        if let Some(error) = &self.start_error {
            return Err(error.clone());
        }
        if self.lock_running().is_none() {
            return Err("the server has been stopped".to_owned());
        }
        Ok(loopback_if_unspecified(self.listen))
    }

    /// Stops the server if it runs; later calls do nothing.
    pub async fn shutdown(&self, grace: Duration) {
        let server = self.lock_running().take();
        if let Some(server) = server {
            tracing::info!("stopping the server");
            if tokio::time::timeout(grace, server.shutdown())
                .await
                .is_err()
            {
                tracing::warn!("the server did not stop within {grace:?}");
            }
        }
    }

    fn lock_running(&self) -> std::sync::MutexGuard<'_, Option<RunningServer>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The issuer the server will announce, for display when it could not start.
fn expected_issuer(config: &ServeConfig) -> String {
    config
        .issuer
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.listen))
}

/// A server bound to 0.0.0.0 / [::] is reached through the loopback address.
fn loopback_if_unspecified(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), addr.port())
        }
        _ => addr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unspecified_addresses_are_reached_on_loopback() {
        let any4: SocketAddr = "0.0.0.0:7470".parse().unwrap();
        let any6: SocketAddr = "[::]:7470".parse().unwrap();
        let fixed: SocketAddr = "192.0.2.1:7470".parse().unwrap();
        assert_eq!(
            loopback_if_unspecified(any4),
            "127.0.0.1:7470".parse().unwrap()
        );
        assert_eq!(loopback_if_unspecified(any6), "[::1]:7470".parse().unwrap());
        assert_eq!(loopback_if_unspecified(fixed), fixed);
    }
}
