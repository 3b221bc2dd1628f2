//! The IdP server inside the desktop process: started before the window opens, asked about
//! by the commands, restarted in place when the user changes its address or issuer, stopped
//! when the app exits. A failed start is kept, with its reason, so the window can show it.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::config::ServeConfig;
use crate::server::RunningServer;
use crate::state::Shared;

use super::settings::DesktopSettings;

/// How long a restart waits for the old server's in-flight requests.
const RESTART_GRACE: Duration = Duration::from_secs(10);
/// Why there is no server while a restart is under way.
pub const RESTARTING: &str = "the server is restarting";
/// Why there is no server once the app has stopped it.
pub const STOPPED: &str = "the server has been stopped";

pub struct ServerSlot {
    current: Mutex<Current>,
    /// Held for a whole change (settings file + restart), so two never interleave.
    changing: tokio::sync::Mutex<()>,
    /// Every port the server has listened on in this process: the console pages the
    /// window may show (one on an old port calls the commands until it moves on).
    served_ports: Mutex<BTreeSet<u16>>,
    /// Bumped whenever the server starts, stops or fails (the tray follows it).
    changes: tokio::sync::watch::Sender<()>,
}

struct Current {
    /// The configuration the server runs with (or failed to start with).
    config: ServeConfig,
    issuer: String,
    listen: SocketAddr,
    running: Option<RunningServer>,
    error: Option<String>,
}

/// What the commands need to know about the server at one moment.
pub struct Snapshot {
    pub issuer: String,
    pub listen: SocketAddr,
    /// The running server's state, or why there is none.
    pub state: Result<Shared, String>,
}

impl ServerSlot {
    pub async fn start(config: ServeConfig) -> Self {
        let current = match launch(config.clone()).await {
            Ok(server) => Current::running(config, server),
            Err(error) => Current::failed(config, error),
        };
        Self::new(current)
    }

    /// For when the configuration itself is unusable (e.g. a broken settings.json).
    pub fn failed_config(defaults: &ServeConfig, error: String) -> Self {
        tracing::error!(%error, "the server was not started");
        Self::new(Current::failed(defaults.clone(), error))
    }

    fn new(current: Current) -> Self {
        let port = current.running.as_ref().map(|s| s.local_addr().port());
        Self {
            current: Mutex::new(current),
            changing: tokio::sync::Mutex::new(()),
            served_ports: Mutex::new(port.into_iter().collect()),
            changes: tokio::sync::watch::Sender::new(()),
        }
    }

    /// Wakes up whenever the server's state or address changes.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<()> {
        self.changes.subscribe()
    }

    fn set(&self, current: Current) {
        if let Some(server) = &current.running {
            self.served_ports
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(server.local_addr().port());
        }
        *self.lock() = current;
        self.changes.send_replace(());
    }

    /// Takes the running server out of the slot, `why` standing in for it until the next
    /// [`Self::set`].
    fn take(&self, why: &str) -> Option<RunningServer> {
        let server = {
            let mut current = self.lock();
            current.error = Some(why.to_owned());
            current.running.take()
        };
        self.changes.send_replace(());
        server
    }

    /// Whether the server has listened on `port` since the app started.
    pub fn has_served(&self, port: u16) -> bool {
        self.served_ports
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&port)
    }

    pub fn issuer(&self) -> String {
        self.lock().issuer.clone()
    }

    pub fn port(&self) -> u16 {
        self.lock().listen.port()
    }

    pub fn data_dir(&self) -> std::path::PathBuf {
        self.lock().config.data_dir.clone()
    }

    pub fn snapshot(&self) -> Snapshot {
        let current = self.lock();
        let state = match (&current.running, &current.error) {
            (Some(server), _) => Ok(server.state().clone()),
            (None, Some(error)) => Err(error.clone()),
            (None, None) => Err("the server is not running".to_owned()),
        };
        Snapshot {
            issuer: current.issuer.clone(),
            listen: current.listen,
            state,
        }
    }

    /// Where to reach the running server from this process, or why it is not running.
    pub fn reachable_address(&self) -> Result<SocketAddr, String> {
        let snapshot = self.snapshot();
        snapshot
            .state
            .map(|_| loopback_if_unspecified(snapshot.listen))
    }

    /// Saves `settings` to settings.json and restarts the server with them, in place (same
    /// data dir). When the server cannot start with them, it is started again with the
    /// settings it had, settings.json is put back, and the error says why.
    pub async fn apply(&self, settings: &DesktopSettings) -> Result<(), String> {
        let _change = self.changing.lock().await;
        let old = self.lock().config.clone();
        let new = ServeConfig {
            listen: settings.listen.unwrap_or(old.listen),
            issuer: settings.issuer.clone(),
            insecure_http: settings.insecure_http,
            ..old.clone()
        };
        // A port someone else holds is refused before the running server is touched.
        self.check_available(new.listen).await?;
        let previous = settings.save(&new.data_dir)?;
        if let Err(error) = self.restart(new, old).await {
            if let Err(restore) = previous.restore() {
                tracing::error!(error = %restore, "cannot put the old settings.json back");
            }
            return Err(error);
        }
        Ok(())
    }

    /// Fails when the server could not move to `listen` because something else holds the
    /// port (or the address is not this computer's); its own port counts as available.
    pub async fn check_available(&self, listen: SocketAddr) -> Result<(), String> {
        let running_port = self.lock().running.as_ref().map(|s| s.local_addr().port());
        if running_port == Some(listen.port()) {
            return Ok(());
        }
        check_bindable(listen).await
    }

    /// Stops the server and starts it with `new`; if that fails, starts it with `old` again.
    async fn restart(&self, new: ServeConfig, old: ServeConfig) -> Result<(), String> {
        if let Some(server) = self.take(RESTARTING) {
            stop(server, RESTART_GRACE).await;
        }
        let error = match launch(new.clone()).await {
            Ok(server) => {
                self.set(Current::running(new, server));
                return Ok(());
            }
            Err(error) => error,
        };
        let back = match launch(old.clone()).await {
            Ok(server) => {
                let back = server.local_addr();
                self.set(Current::running(old, server));
                format!("it runs on {back} again")
            }
            Err(again) => {
                let message =
                    format!("it did not start with its previous settings either: {again}");
                self.set(Current::failed(old, again));
                message
            }
        };
        Err(format!(
            "the server could not start on {}: {error}; {back}",
            new.listen
        ))
    }

    /// Stops the server if it runs (after a restart under way); later calls do nothing.
    pub async fn shutdown(&self, grace: Duration) {
        let _change = self.changing.lock().await;
        if let Some(server) = self.take(STOPPED) {
            stop(server, grace).await;
        }
    }

    fn lock(&self) -> MutexGuard<'_, Current> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Current {
    fn running(config: ServeConfig, server: RunningServer) -> Self {
        Self {
            config,
            issuer: server.issuer().to_owned(),
            listen: server.local_addr(),
            running: Some(server),
            error: None,
        }
    }

    fn failed(config: ServeConfig, error: String) -> Self {
        Self {
            issuer: expected_issuer(&config),
            listen: config.listen,
            config,
            running: None,
            error: Some(error),
        }
    }
}

async fn launch(config: ServeConfig) -> Result<RunningServer, String> {
    let listen = config.listen;
    tracing::info!(data_dir = %config.data_dir.display(), %listen, "starting the server");
    match crate::server::start(config).await {
        Ok(server) => {
            tracing::info!("listening on http://{}", server.local_addr());
            Ok(server)
        }
        Err(error) => {
            tracing::error!(%error, "the server did not start");
            Err(error.to_string())
        }
    }
}

async fn stop(server: RunningServer, grace: Duration) {
    tracing::info!("stopping the server");
    if tokio::time::timeout(grace, server.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("the server did not stop within {grace:?}");
    }
}

/// Fails when nothing can listen on `addr` now (taken, or not an address of this computer).
async fn check_bindable(addr: SocketAddr) -> Result<(), String> {
    match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => {
            drop(listener);
            Ok(())
        }
        Err(error) => Err(format!(
            "cannot listen on {addr}: {error}; the server keeps running with its current settings"
        )),
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
pub fn loopback_if_unspecified(addr: SocketAddr) -> SocketAddr {
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

    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    fn config(data_dir: &std::path::Path, port: u16) -> ServeConfig {
        ServeConfig {
            data_dir: data_dir.to_owned(),
            listen: SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port),
            issuer: None,
            database_url: None,
            master_key_file: None,
            insecure_http: false,
            console_on_loopback: true,
            protection: Default::default(),
            metrics_listen: None,
            smtp: Default::default(),
        }
    }

    fn settings(port: u16, issuer: Option<&str>) -> DesktopSettings {
        DesktopSettings {
            listen: Some(SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port)),
            issuer: issuer.map(String::from),
            insecure_http: false,
        }
    }

    /// Whether something accepts TCP connections on the port now.
    async fn answers(port: u16) -> bool {
        tokio::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn subscribers_hear_of_every_restart_and_the_stop() {
        let dir = tempfile::tempdir().unwrap();
        let slot = ServerSlot::start(config(dir.path(), free_port())).await;
        let mut changes = slot.subscribe();
        assert!(!changes.has_changed().unwrap());

        let new_port = free_port();
        slot.apply(&settings(new_port, None)).await.unwrap();
        assert!(changes.has_changed().unwrap(), "no word of the restart");
        changes.mark_unchanged();
        assert_eq!(slot.snapshot().listen.port(), new_port);

        slot.shutdown(Duration::from_secs(5)).await;
        assert!(changes.has_changed().unwrap(), "no word of the stop");
        assert_eq!(slot.snapshot().state.err().as_deref(), Some(STOPPED));
    }

    #[tokio::test]
    async fn apply_moves_the_server_and_saves_the_settings() {
        let dir = tempfile::tempdir().unwrap();
        let (old_port, new_port) = (free_port(), free_port());
        let slot = ServerSlot::start(config(dir.path(), old_port)).await;
        assert_eq!(slot.port(), old_port);
        let state = slot.snapshot().state.unwrap();

        slot.apply(&settings(new_port, Some("https://id.example.com/")))
            .await
            .unwrap();

        assert_eq!(slot.port(), new_port);
        assert!(slot.has_served(old_port) && slot.has_served(new_port));
        assert!(!slot.has_served(free_port()));
        assert_eq!(slot.issuer(), "https://id.example.com");
        assert!(answers(new_port).await);
        assert!(!answers(old_port).await, "the old server still listens");
        let new_state = slot.snapshot().state.unwrap();
        assert!(!Shared::ptr_eq(&state, &new_state), "not restarted");
        assert_eq!(new_state.data_dir, dir.path());
        assert_eq!(
            DesktopSettings::load(dir.path()).unwrap(),
            settings(new_port, Some("https://id.example.com/"))
        );
        slot.shutdown(Duration::from_secs(5)).await;
        assert!(slot.snapshot().state.is_err());
    }

    #[tokio::test]
    async fn the_same_settings_restart_the_server_on_its_port() {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let slot = ServerSlot::start(config(dir.path(), port)).await;
        let state = slot.snapshot().state.unwrap();

        slot.apply(&settings(port, None)).await.unwrap();

        let new_state = slot.snapshot().state.unwrap();
        assert!(!Shared::ptr_eq(&state, &new_state), "not restarted");
        assert_eq!(slot.port(), port);
        assert!(answers(port).await);
        assert_eq!(
            DesktopSettings::load(dir.path()).unwrap(),
            settings(port, None)
        );
        slot.shutdown(Duration::from_secs(5)).await;
    }

    #[tokio::test]
    async fn a_taken_port_is_refused_and_the_server_keeps_running() {
        let dir = tempfile::tempdir().unwrap();
        let old_port = free_port();
        let slot = ServerSlot::start(config(dir.path(), old_port)).await;
        let state = slot.snapshot().state.unwrap();
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let taken_port = taken.local_addr().unwrap().port();

        let error = slot.apply(&settings(taken_port, None)).await.unwrap_err();

        assert!(error.contains(&taken_port.to_string()), "{error}");
        assert_eq!(slot.port(), old_port);
        assert!(Shared::ptr_eq(&state, &slot.snapshot().state.unwrap()));
        assert!(answers(old_port).await);
        assert!(!super::super::settings::settings_path(dir.path()).exists());
        slot.shutdown(Duration::from_secs(5)).await;
    }

    #[tokio::test]
    async fn a_failed_restart_falls_back_to_the_old_settings() {
        let dir = tempfile::tempdir().unwrap();
        let (old_port, new_port) = (free_port(), free_port());
        std::fs::create_dir_all(dir.path()).unwrap();
        let old_file = format!("{{\"listen\": \"127.0.0.1:{old_port}\"}}\n");
        std::fs::write(super::super::settings::settings_path(dir.path()), &old_file).unwrap();
        let slot = ServerSlot::start(config(dir.path(), old_port)).await;
        let old = slot.lock().config.clone();
        // Binds fine (so it gets past the check), but the issuer makes the start fail.
        let new = ServeConfig {
            listen: SocketAddr::new(Ipv4Addr::LOCALHOST.into(), new_port),
            issuer: Some("not a url".into()),
            ..old.clone()
        };

        let error = slot.restart(new, old).await.unwrap_err();

        assert!(
            error.contains(&format!("runs on 127.0.0.1:{old_port} again")),
            "{error}"
        );
        assert_eq!(slot.port(), old_port);
        assert!(slot.snapshot().state.is_ok());
        assert!(answers(old_port).await);
        assert!(!answers(new_port).await);

        // Through apply, settings.json is put back as it was.
        let error = slot
            .apply(&settings(new_port, Some("not a url")))
            .await
            .unwrap_err();
        assert!(error.contains("again"), "{error}");
        assert_eq!(
            std::fs::read_to_string(super::super::settings::settings_path(dir.path())).unwrap(),
            old_file
        );
        slot.shutdown(Duration::from_secs(5)).await;
    }

    #[tokio::test]
    async fn a_slot_that_never_started_can_be_started_by_apply() {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let slot = ServerSlot::failed_config(&config(dir.path(), port), "broken".into());
        assert_eq!(slot.snapshot().state.err().as_deref(), Some("broken"));
        assert_eq!(slot.reachable_address().unwrap_err(), "broken");

        slot.apply(&settings(port, None)).await.unwrap();

        assert_eq!(
            slot.reachable_address().unwrap(),
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port)
        );
        slot.shutdown(Duration::from_secs(5)).await;
    }
}
