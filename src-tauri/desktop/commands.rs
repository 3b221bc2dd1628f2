//! The commands the console calls in the window, both from the bundled page
//! (tauri://localhost) and from the console the server hosts at
//! `http://127.0.0.1:PORT/console/` (allowed by `capabilities/console-remote.json`).
//! Results are JSON; errors are `{"message": "..."}`. Passwords and tokens are never logged.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use serde_json::json;
use tauri::State;
use tokio::io::AsyncWriteExt;

use crate::admin::{
    check_admin_token, check_fresh_superadmin, clean_name, validate_email, validate_password,
};
use crate::audit::{kind, Event};
use crate::crypto::hash_password;
use crate::domain::claims::AccessClaims;
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::users::{self, insert_user, NewUser};
use crate::store::{now, StoreError};

use super::server_slot::{loopback_if_unspecified, ServerSlot};
use super::settings::{requested, DesktopSettings};

/// Audit type of a change of the listen address or issuer from the console.
const SERVER_SETTINGS_CHANGED: &str = "admin.server_settings.changed";
/// The actor of events the desktop app records on its own (the first super-admin).
const DESKTOP_ACTOR: &str = "desktop";

#[derive(Debug, Serialize, PartialEq)]
pub struct CommandError {
    pub message: String,
}

impl From<String> for CommandError {
    fn from(message: String) -> Self {
        Self { message }
    }
}

impl From<&str> for CommandError {
    fn from(message: &str) -> Self {
        message.to_owned().into()
    }
}

impl From<ApiError> for CommandError {
    fn from(error: ApiError) -> Self {
        error.message.into()
    }
}

type CommandResult<T> = Result<T, CommandError>;

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// The server runs and no super-admin exists yet: the window shows the setup page.
    Setup,
    /// The server runs and has a super-admin: the window opens the console.
    Ready,
    /// The server does not run (or its database cannot be read); `error` says why.
    Error,
}

/// Where the window stands: what it should show and where the console is.
#[derive(Debug, PartialEq, Serialize)]
pub struct ConsoleContext {
    pub stage: Stage,
    /// The console on this computer (loopback even when the server listens on 0.0.0.0).
    pub console_url: String,
    pub issuer: String,
    pub listen: String,
    pub port: u16,
    pub error: Option<String>,
}

impl ConsoleContext {
    /// `superadmin`: whether one exists, or why the server cannot tell.
    fn new(issuer: String, listen: SocketAddr, superadmin: Result<bool, String>) -> Self {
        let (stage, error) = match superadmin {
            Ok(true) => (Stage::Ready, None),
            Ok(false) => (Stage::Setup, None),
            Err(error) => (Stage::Error, Some(error)),
        };
        Self {
            stage,
            console_url: format!("http://{}/console/", loopback_if_unspecified(listen)),
            issuer,
            listen: listen.to_string(),
            port: listen.port(),
            error,
        }
    }
}

/// `console_context` → `{"stage", "console_url", "issuer", "listen", "port", "error"}`.
#[tauri::command]
pub async fn console_context(
    webview: tauri::Webview,
    slot: State<'_, Arc<ServerSlot>>,
) -> CommandResult<ConsoleContext> {
    check_caller("console_context", &webview, &slot)?;
    Ok(context(&slot).await)
}

async fn context(slot: &ServerSlot) -> ConsoleContext {
    let snapshot = slot.snapshot();
    let superadmin = match snapshot.state {
        Ok(state) => superadmin_exists(&state)
            .await
            .map_err(|e| format!("cannot read the users of the database: {e}")),
        Err(error) => Err(error),
    };
    ConsoleContext::new(snapshot.issuer, snapshot.listen, superadmin)
}

async fn superadmin_exists(state: &AppState) -> Result<bool, StoreError> {
    users::superadmin_exists(&state.db.read).await
}

/// `complete_setup {email, password, name, issuer, port, listenAddress?, insecureHttp?}`: creates the
/// first super-admin (refused once one exists), writes settings.json and restarts the
/// server on the chosen address and issuer; returns the new `console_context`. When the
/// super-admin was created but the server cannot move, the context (on the old address)
/// carries the reason in `error`.
#[allow(clippy::too_many_arguments)]
#[tauri::command]
pub async fn complete_setup(
    webview: tauri::Webview,
    slot: State<'_, Arc<ServerSlot>>,
    email: String,
    password: String,
    name: Option<String>,
    issuer: Option<String>,
    port: i64,
    listen_address: Option<String>,
    insecure_http: Option<bool>,
) -> CommandResult<ConsoleContext> {
    check_caller("complete_setup", &webview, &slot)?;
    let settings = requested(
        listen_address.as_deref(),
        port,
        issuer.as_deref(),
        insecure_http == Some(true),
    )?;
    let account = NewSuperadmin::check(&email, password, name.as_deref())?;
    let state = slot.snapshot().state?;
    if superadmin_exists(&state).await.map_err(db_error)? {
        return Err(ALREADY_SET_UP.into());
    }
    // Refuse a taken port before anything is created.
    slot.check_available(listen_of(&settings)).await?;
    let id = account.create(&state).await?;
    tracing::info!(user = %id, "created the first super-admin");
    drop(state);
    let moved = slot.apply(&settings).await;
    let mut context = context(&slot).await;
    if let Err(error) = moved {
        context.error = Some(format!(
            "The super-admin was created, but the server settings were not changed: {error}"
        ));
    }
    Ok(context)
}

const ALREADY_SET_UP: &str =
    "Tessera is already set up (a super-admin exists): sign in to the console instead";

fn db_error(error: StoreError) -> CommandError {
    format!("cannot read the database: {error}").into()
}

fn listen_of(settings: &DesktopSettings) -> SocketAddr {
    settings
        .listen
        .expect("requested() always sets the listen address")
}

/// The first super-admin, checked and ready to be stored.
struct NewSuperadmin {
    email: String,
    password: String,
    name: Option<String>,
}

impl NewSuperadmin {
    /// The same rules as the admin API and `tessera superadmin create`.
    fn check(email: &str, password: String, name: Option<&str>) -> Result<Self, String> {
        let email = validate_email(email).map_err(|e| e.message)?;
        validate_password(&password).map_err(|e| e.message)?;
        let name = match name.map(str::trim) {
            None | Some("") => None,
            Some(name) => Some(clean_name("name", name).map_err(|e| e.message)?),
        };
        Ok(Self {
            email,
            password,
            name,
        })
    }

    /// Stores the super-admin unless one exists by then (checked in the same transaction,
    /// so two setups at once cannot both succeed); returns its id.
    async fn create(self, state: &AppState) -> Result<String, String> {
        let password = self.password;
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|_| "hashing the password failed".to_owned())?;
        let id = uuid::Uuid::now_v7().to_string();
        let stored = async {
            let mut tx = state.db.begin().await?;
            if users::superadmin_exists_in(&mut tx).await? {
                return Ok(false);
            }
            let user = NewUser {
                id: &id,
                email: &self.email,
                name: self.name.as_deref(),
                password_hash: &hash,
                is_superadmin: true,
                now: now(),
            };
            insert_user(&mut tx, &user).await?;
            Event::success(kind::SUPERADMIN_CREATED)
                .actor(DESKTOP_ACTOR)
                .subject(&id)
                .detail(json!({"email": self.email}))
                .write(&mut tx)
                .await?;
            tx.commit().await?;
            Ok::<_, crate::error::StoreError>(true)
        }
        .await
        .map_err(|e| format!("cannot create the super-admin: {e}"))?;
        if !stored {
            return Err(ALREADY_SET_UP.into());
        }
        Ok(id)
    }
}

/// `apply_server_settings {accessToken, listenAddress, port, issuer, insecureHttp?}`:
/// checks that the token is a super-admin's, writes settings.json, restarts the server in
/// place (on the old settings again if the new ones fail, with an error) and returns the
/// new `console_context`. A plain-http issuer on a network host (explicit, or derived from
/// an every-interface address) is refused unless `insecureHttp: true` says the user read
/// the warning.
#[tauri::command]
pub async fn apply_server_settings(
    webview: tauri::Webview,
    slot: State<'_, Arc<ServerSlot>>,
    access_token: String,
    listen_address: Option<String>,
    port: i64,
    issuer: Option<String>,
    insecure_http: Option<bool>,
) -> CommandResult<ConsoleContext> {
    check_caller("apply_server_settings", &webview, &slot)?;
    let state = slot.snapshot().state?;
    let claims = check_superadmin(&state, &access_token).await?;
    let settings = requested(
        listen_address.as_deref(),
        port,
        issuer.as_deref(),
        insecure_http == Some(true),
    )?;
    let before = json!({"listen": state.listen.to_string(), "issuer": state.issuer});
    drop(state);
    slot.apply(&settings).await?;
    let context = context(&slot).await;
    let after = json!({"listen": context.listen, "issuer": context.issuer});
    if after != before {
        tracing::info!(listen = %context.listen, issuer = %context.issuer, "server settings changed");
        if let Ok(state) = slot.snapshot().state {
            let event = Event::success(SERVER_SETTINGS_CHANGED)
                .actor(&claims.sub)
                .detail(json!({"before": before, "after": after}));
            if let Err(error) = record(&state, event).await {
                tracing::error!(%error, "cannot record the server settings change");
            }
        }
    }
    Ok(context)
}

async fn record(state: &AppState, event: Event) -> Result<(), StoreError> {
    let mut tx = state.db.begin().await?;
    event.write(&mut tx).await?;
    tx.commit().await
}

#[derive(Debug, Serialize)]
pub struct SavedBackup {
    pub path: String,
    pub bytes: u64,
}

/// `save_backup {accessToken, path, passphrase}`: checks that the token is a super-admin's
/// who signed in within the last 10 minutes (as `POST /v1/backup` does) and writes the
/// backup (tar.gz of the database snapshot, master.key, settings.json, encrypted with
/// `passphrase` in the age format, 12 to 1024 characters) to `path`, an absolute file
/// path or `~/...` (or a folder, which gets the backup's own file name,
/// `tessera-backup-YYYYMMDD-HHMMSS.tar.gz.age`). It never overwrites a file, and only its
/// owner can read it.
#[tauri::command]
pub async fn save_backup(
    webview: tauri::Webview,
    slot: State<'_, Arc<ServerSlot>>,
    access_token: String,
    path: String,
    passphrase: String,
) -> CommandResult<SavedBackup> {
    check_caller("save_backup", &webview, &slot)?;
    let state = slot.snapshot().state?;
    let claims = check_fresh_superadmin(&state, access_token.trim()).await?;
    crate::backup::check_passphrase(&passphrase)?;
    let target = backup_target(&path)?;
    let (name, bytes) = crate::backup::create_as(
        &state,
        &claims.sub,
        &RequestMeta::default(),
        passphrase.into(),
    )
    .await?;
    let target = if target.is_dir() {
        target.join(name)
    } else {
        target
    };
    write_new_private_file(&target, &bytes).await?;
    tracing::info!(path = %target.display(), bytes = bytes.len(), "backup saved");
    Ok(SavedBackup {
        path: target.display().to_string(),
        bytes: bytes.len() as u64,
    })
}

/// An absolute path (`~/` is the home folder) whose folder exists.
fn backup_target(raw: &str) -> Result<PathBuf, String> {
    backup_target_in(raw, dirs::home_dir())
}

fn backup_target_in(raw: &str, home: Option<PathBuf>) -> Result<PathBuf, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("choose where to save the backup".into());
    }
    let path = match (raw.strip_prefix("~/").or((raw == "~").then_some("")), home) {
        (Some(rest), Some(home)) => home.join(rest),
        (Some(_), None) => {
            return Err("cannot tell where your home folder is: use a full path".into())
        }
        (None, _) => PathBuf::from(raw),
    };
    if !path.is_absolute() {
        return Err(format!(
            "the backup path must be absolute (like ~/tessera-backup.tar.gz or /media/usb/tessera-backup.tar.gz), not {raw:?}"
        ));
    }
    if path.is_dir() {
        return Ok(path);
    }
    if path.exists() {
        return Err(already_exists(&path));
    }
    match path.parent() {
        Some(parent) if parent.is_dir() => Ok(path),
        Some(parent) => Err(format!("the folder {} does not exist", parent.display())),
        None => Err(format!("{raw:?} is not a file path")),
    }
}

fn already_exists(path: &Path) -> String {
    format!(
        "{} already exists: choose another file name (backups never overwrite a file)",
        path.display()
    )
}

async fn write_new_private_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => already_exists(path),
        _ => format!("cannot create {}: {e}", path.display()),
    })?;
    let written = async {
        file.write_all(bytes).await?;
        file.sync_all().await
    }
    .await;
    if let Err(e) = written {
        drop(file);
        let _ = tokio::fs::remove_file(path).await;
        return Err(format!("cannot write {}: {e}", path.display()));
    }
    Ok(())
}

/// The token must be a super-admin's (signed in to the console), not an admin client's.
pub(super) async fn check_superadmin(
    state: &AppState,
    token: &str,
) -> Result<AccessClaims, CommandError> {
    let token = token.trim();
    if token.is_empty() {
        return Err("an access token is required: sign in to the console again".into());
    }
    let claims = check_admin_token(state, token).await?;
    if claims.sub == claims.client_id {
        return Err("only a super-admin signed in to the console can do this".into());
    }
    Ok(claims)
}

/// Lets the bundled page and the pages of this app's own server call the commands. The
/// capability already limits remote pages to loopback hosts; this also refuses another
/// program's page on loopback (say a product's redirect URI opened in the window). Logs
/// which command ran for which page (scheme, host and port only; never the arguments:
/// they hold passwords and tokens).
pub fn check_caller(
    command: &str,
    webview: &tauri::Webview,
    slot: &ServerSlot,
) -> CommandResult<()> {
    let url = webview
        .url()
        .map_err(|e| format!("cannot tell which page called {command}: {e}"))?;
    let page = &url[..url::Position::BeforePath];
    if is_own_page(&url, |port| slot.has_served(port)) {
        tracing::debug!(command, page, "desktop command");
        Ok(())
    } else {
        tracing::warn!(
            command,
            page,
            "refused a desktop command from a page of another server"
        );
        Err(
            format!("{page} is not the Tessera console: it may not use the desktop commands")
                .into(),
        )
    }
}

fn is_own_page(url: &url::Url, has_served: impl Fn(u16) -> bool) -> bool {
    let loopback = match url.host() {
        Some(url::Host::Domain(domain)) => domain == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        // The bundled ui/dist (Linux, macOS) and its Windows form.
        "tauri" => true,
        "http" | "https" if url.host_str() == Some("tauri.localhost") => true,
        "http" => loopback && url.port_or_known_default().is_some_and(has_served),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(raw: &str) -> SocketAddr {
        raw.parse().unwrap()
    }

    #[test]
    fn context_stage_follows_the_superadmin_check() {
        let issuer = "http://127.0.0.1:7470".to_owned();
        let setup = ConsoleContext::new(issuer.clone(), addr("127.0.0.1:7470"), Ok(false));
        assert_eq!(
            serde_json::to_value(&setup).unwrap(),
            json!({"stage": "setup", "console_url": "http://127.0.0.1:7470/console/",
                   "issuer": "http://127.0.0.1:7470", "listen": "127.0.0.1:7470",
                   "port": 7470, "error": null})
        );
        let ready = ConsoleContext::new(issuer.clone(), addr("127.0.0.1:7470"), Ok(true));
        assert_eq!(ready.stage, Stage::Ready);
        let down = ConsoleContext::new(issuer, addr("127.0.0.1:7470"), Err("no db".into()));
        assert_eq!(down.stage, Stage::Error);
        assert_eq!(down.error.as_deref(), Some("no db"));
    }

    #[test]
    fn console_url_is_on_loopback() {
        let issuer = "https://id.example.com".to_owned();
        let any4 = ConsoleContext::new(issuer.clone(), addr("0.0.0.0:8080"), Ok(true));
        assert_eq!(any4.console_url, "http://127.0.0.1:8080/console/");
        assert_eq!(any4.listen, "0.0.0.0:8080");
        assert_eq!(any4.issuer, "https://id.example.com");
        let any6 = ConsoleContext::new(issuer, addr("[::]:8080"), Ok(true));
        assert_eq!(any6.console_url, "http://[::1]:8080/console/");
    }

    #[test]
    fn only_the_bundled_page_and_our_own_server_may_call() {
        let served = |port| port == 7470 || port == 7471;
        let own = |raw: &str| is_own_page(&url::Url::parse(raw).unwrap(), served);
        assert!(own("tauri://localhost/"));
        assert!(own("http://tauri.localhost/index.html"));
        assert!(own("http://127.0.0.1:7470/console/users"));
        assert!(own("http://localhost:7471/console/"));
        assert!(own("http://[::1]:7470/console/"));
        assert!(
            !own("http://127.0.0.1:3000/callback"),
            "a port we never served"
        );
        assert!(!own("http://192.0.2.1:7470/console/"), "not loopback");
        assert!(
            !own("https://127.0.0.1:7470/console/"),
            "we serve plain http"
        );
        assert!(!own("http://127.0.0.1/console/"), "port 80, never served");
        assert!(!own("file:///tmp/x.html"));
    }

    #[test]
    fn errors_serialize_as_message_objects() {
        assert_eq!(
            serde_json::to_value(CommandError::from("nope")).unwrap(),
            json!({"message": "nope"})
        );
        let api = ApiError::invalid_field("password", "must be at least 8 characters");
        assert_eq!(
            CommandError::from(api).message,
            "password: must be at least 8 characters"
        );
    }

    #[test]
    fn setup_checks_the_account_fields() {
        let ok =
            NewSuperadmin::check(" Admin@Example.com ", "long enough".into(), Some("  ")).unwrap();
        assert_eq!(ok.name, None);
        assert!(!ok.email.contains(' '));
        let named =
            NewSuperadmin::check("a@example.com", "long enough".into(), Some(" Ada ")).unwrap();
        assert_eq!(named.name.as_deref(), Some("Ada"));
        let error = NewSuperadmin::check("a@example.com", "short".into(), None)
            .err()
            .unwrap();
        assert!(error.starts_with("password"), "{error}");
        assert!(NewSuperadmin::check("not-an-email", "long enough".into(), None).is_err());
        assert!(
            NewSuperadmin::check("a@example.com", "long enough".into(), Some("a\u{7}")).is_err()
        );
    }

    #[tokio::test]
    async fn the_first_superadmin_is_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let config = crate::config::ServeConfig {
            data_dir: dir.path().to_owned(),
            listen: "127.0.0.1:0".parse().unwrap(),
            issuer: None,
            database_url: None,
            master_key_file: None,
            insecure_http: false,
            console_on_loopback: true,
            protection: Default::default(),
            metrics_listen: None,
            smtp: Default::default(),
        };
        let slot = ServerSlot::start(config).await;
        assert_eq!(context(&slot).await.stage, Stage::Setup);
        let state = slot.snapshot().state.unwrap();

        let account = NewSuperadmin::check("first@example.com", "long enough".into(), Some("Ada"));
        let id = account.unwrap().create(&state).await.unwrap();

        let user = crate::store::users::find_user(&state.db.read, &id)
            .await
            .unwrap()
            .unwrap();
        assert!(user.is_superadmin && user.is_active());
        assert_eq!(user.name.as_deref(), Some("Ada"));
        assert_ne!(user.password_hash, "long enough");
        assert_eq!(context(&slot).await.stage, Stage::Ready);
        let again = NewSuperadmin::check("second@example.com", "long enough".into(), None);
        let error = again.unwrap().create(&state).await.unwrap_err();
        assert_eq!(error, ALREADY_SET_UP);
        slot.shutdown(std::time::Duration::from_secs(5)).await;
        assert_eq!(context(&slot).await.stage, Stage::Error);
    }

    #[test]
    fn backup_paths_must_be_absolute_with_an_existing_folder() {
        let dir = tempfile::tempdir().unwrap();
        assert!(backup_target("backup.tar.gz")
            .unwrap_err()
            .contains("absolute"));
        let home = Some(dir.path().to_owned());
        assert_eq!(
            backup_target_in(" ~/b.tar.gz ", home.clone()).unwrap(),
            dir.path().join("b.tar.gz")
        );
        assert_eq!(backup_target_in("~", home).unwrap(), dir.path());
        assert!(backup_target_in("~/b.tar.gz", None)
            .unwrap_err()
            .contains("full path"));
        assert!(backup_target("  ").unwrap_err().contains("choose"));
        let missing = dir.path().join("missing").join("b.tar.gz");
        assert!(backup_target(missing.to_str().unwrap())
            .unwrap_err()
            .contains("does not exist"));
        let file = dir.path().join("b.tar.gz");
        assert_eq!(backup_target(file.to_str().unwrap()).unwrap(), file);
        std::fs::write(&file, b"old").unwrap();
        assert!(backup_target(file.to_str().unwrap())
            .unwrap_err()
            .contains("already exists"));
        assert_eq!(
            backup_target(dir.path().to_str().unwrap()).unwrap(),
            dir.path()
        );
    }

    #[tokio::test]
    async fn backups_are_private_and_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.tar.gz");
        write_new_private_file(&path, b"first").await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let error = write_new_private_file(&path, b"second").await.unwrap_err();
        assert!(error.contains("already exists"), "{error}");
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
    }
}
