//! The `tessera` binary: `serve` (headless), `superadmin create`,
//! `admin-client create | rotate-secret | list`, `restore`, `master-key create`, `init`
//! (registers a development client with an issuer), and, in desktop builds with no
//! arguments, the window.

mod init;

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use tessera::config::{default_data_dir, Protection, ServeConfig, DEFAULT_LISTEN};
use tessera::throttle::client_ip::TrustedProxies;

/// mimalloc instead of glibc's malloc: every request allocates and frees many small
/// buffers across threads, and glibc's arenas spend a measurable share of a token's CPU
/// there (`bench/token.sh`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "tessera",
    version,
    about = "Self-hosted OpenID Connect / OAuth 2.1 identity provider"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the identity provider headless.
    Serve(ServeArgs),
    /// Manage super-admins.
    Superadmin {
        #[command(subcommand)]
        action: SuperadminAction,
    },
    /// Manage admin API clients (for scripts and CI).
    #[command(name = "admin-client")]
    AdminClient {
        #[command(subcommand)]
        action: AdminClientAction,
    },
    /// Restore an encrypted backup (`tessera-backup-*.tar.gz.age`) into a data dir.
    ///
    /// Asks for the backup's passphrase (on the terminal, without echo; or from standard
    /// input). The server must not be running on that data dir.
    Restore(RestoreArgs),
    /// The key-encryption key of a cluster (for `serve --master-key-file`).
    #[command(name = "master-key")]
    MasterKey {
        #[command(subcommand)]
        action: MasterKeyAction,
    },
    /// Register a development client with an issuer and write it to an env file.
    ///
    /// Registers a public client (PKCE) through the issuer's `/oauth/register` with an
    /// initial access token (make one in the console or with `POST /v1/registration-tokens`),
    /// then writes TESSERA_ISSUER, TESSERA_CLIENT_ID and TESSERA_REGISTRATION_ACCESS_TOKEN
    /// to the env file (mode 0600; its other lines are kept). Does nothing when the file
    /// already holds TESSERA_CLIENT_ID.
    Init(InitArgs),
}

#[derive(Args)]
struct InitArgs {
    /// The issuer URL, e.g. https://id.example.com.
    #[arg(long)]
    issuer: String,
    /// An initial access token. Prefer the environment variable: a flag's value shows in
    /// the process list.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "TESSERA_REGISTRATION_TOKEN",
        hide_env_values = true
    )]
    registration_token: String,
    /// The app's redirect URI, e.g. http://localhost:3000/callback.
    #[arg(long, value_name = "URI")]
    redirect_uri: String,
    /// The client's name, shown to users on the consent page.
    #[arg(long)]
    name: Option<String>,
    /// The env file to write.
    #[arg(long, value_name = "PATH", default_value = ".env.local")]
    env_file: PathBuf,
}

#[derive(Subcommand)]
enum MasterKeyAction {
    /// Write a new random 32-byte key to PATH (mode 0600); an existing file is never
    /// replaced. Give every node of a cluster a copy, then `serve --master-key-file PATH`.
    Create {
        /// The new key file.
        path: PathBuf,
    },
}

#[derive(Args)]
struct RestoreArgs {
    /// The backup file.
    file: PathBuf,
    #[command(flatten)]
    data_dir: DataDir,
    /// Replace tessera.db, master.key and settings.json of a data dir that is not empty.
    #[arg(long)]
    force: bool,
    /// Read the passphrase from standard input instead of asking on the terminal.
    #[arg(long)]
    passphrase_stdin: bool,
    /// For a server started with --master-key-file PATH: the backup's key must be the one
    /// in PATH (else nothing is restored), and master.key is not written into the data dir.
    #[arg(long, value_name = "PATH", env = "TESSERA_MASTER_KEY_FILE")]
    master_key_file: Option<PathBuf>,
}

#[derive(Args)]
struct DataDir {
    /// Data directory (database, keys). Default: the OS app-data dir.
    #[arg(long, env = "TESSERA_DATA_DIR")]
    data_dir: Option<PathBuf>,
}

impl DataDir {
    fn path(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(default_data_dir)
    }
}

/// The database of a one-shot command: the data dir's, or `--database-url`.
#[derive(Args)]
struct Database {
    #[command(flatten)]
    data_dir: DataDir,
    /// Database URL, as for `serve` (the cluster's database). Default: <data dir>/tessera.db.
    #[arg(long, env = "TESSERA_DATABASE_URL")]
    database_url: Option<String>,
}

impl Database {
    /// What `tessera::cli` takes; `dir` is [`DataDir::path`] of this one.
    fn at<'a>(&'a self, dir: &'a std::path::Path) -> tessera::cli::Database<'a> {
        tessera::cli::Database {
            data_dir: dir,
            url: self.database_url.as_deref(),
        }
    }
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    data_dir: DataDir,
    /// Address and port to listen on.
    #[arg(long, env = "TESSERA_LISTEN", default_value = DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Public issuer URL. Default: http://<listen address>.
    #[arg(long, env = "TESSERA_ISSUER")]
    issuer: Option<String>,
    /// Database URL: postgres://USER:PASS@HOST:PORT/DB (several nodes on one database) or
    /// sqlite:PATH. Default: <data dir>/tessera.db.
    #[arg(long, env = "TESSERA_DATABASE_URL")]
    database_url: Option<String>,
    /// The key-encryption key sealing the signing keys: a file of exactly 32 random bytes
    /// (make one with `tessera master-key create PATH`), read at start, never created.
    /// Every node of a cluster needs the same one. Default: <data dir>/master.key,
    /// created on the first start.
    #[arg(long, value_name = "PATH", env = "TESSERA_MASTER_KEY_FILE")]
    master_key_file: Option<PathBuf>,
    /// Allow a plain http:// issuer on a host other than this computer (tokens and
    /// cookies then cross the network unencrypted; a warning is logged).
    #[arg(long, env = "TESSERA_INSECURE_HTTP", value_parser = clap::builder::BoolishValueParser::new())]
    insecure_http: bool,
    /// Log format on stderr.
    #[arg(long, env = "TESSERA_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human)]
    log_format: LogFormat,
    /// A reverse proxy (IP or CIDR range) whose X-Forwarded-For names the client IP.
    /// Repeatable; the env var takes a comma-separated list. Default: none (the TCP peer
    /// is the client and X-Forwarded-For is ignored).
    #[arg(
        long = "trusted-proxy",
        value_name = "ADDR",
        env = "TESSERA_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = TrustedProxies::parse_one
    )]
    trusted_proxy: Vec<ipnet::IpNet>,
    /// Password hashes (argon2id, 19 MiB each) run at once. Default: the number of cores.
    #[arg(
        long,
        value_name = "N",
        env = "TESSERA_HASH_CONCURRENCY",
        value_parser = clap::value_parser!(u16).range(1..=1024)
    )]
    hash_concurrency: Option<u16>,
    /// Serve GET /metrics (Prometheus) on this address instead of the public port, which
    /// then answers 404 there.
    #[arg(long, value_name = "ADDR", env = "TESSERA_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
    /// Require a server-provided nonce in every DPoP proof (RFC 9449 §8, §9): clients
    /// first get `use_dpop_nonce` and a `DPoP-Nonce` header, and retry with it.
    #[arg(long, env = "TESSERA_DPOP_NONCE")]
    dpop_nonce: bool,
    /// SMTP server for password-reset, verification and invitation emails:
    /// `smtps://user:pass@host:465`, `smtp://user:pass@host:587?tls=required`, or
    /// `smtp://host:25` for a local relay. Set, it overrides the console's setting. Prefer
    /// the environment variable: a flag's value shows in the process list.
    #[arg(
        long,
        value_name = "URL",
        env = "TESSERA_SMTP_URL",
        hide_env_values = true
    )]
    smtp_url: Option<String>,
    /// The sender of those emails, e.g. `Tessera <no-reply@example.com>`.
    #[arg(long, value_name = "ADDRESS", env = "TESSERA_SMTP_FROM")]
    smtp_from: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Human,
    Json,
}

#[derive(Subcommand)]
enum SuperadminAction {
    /// Create a super-admin; the password is read from standard input.
    Create {
        #[arg(long)]
        email: String,
        /// Read the password from standard input (required: never pass it as a flag).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[command(flatten)]
        db: Database,
    },
}

#[derive(Subcommand)]
enum AdminClientAction {
    /// Create an admin API client; prints its id and secret once, as JSON.
    Create {
        #[arg(long)]
        name: String,
        #[command(flatten)]
        db: Database,
    },
    /// Give an admin client a new secret; prints {"client_id","client_secret"} once.
    ///
    /// The old secret is refused for new token requests at once; a server already running
    /// on this data dir may keep the old client row cached for up to 2 seconds. Access
    /// tokens issued before the rotation stay valid until they expire.
    #[command(name = "rotate-secret")]
    RotateSecret {
        #[arg(long)]
        client_id: String,
        #[command(flatten)]
        db: Database,
    },
    /// List admin clients as JSON (ids, names, dates; never secrets).
    List {
        #[command(flatten)]
        db: Database,
    },
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("cannot start the async runtime")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Serve(args)) => serve(args),
        Some(Command::Superadmin {
            action:
                SuperadminAction::Create {
                    email,
                    password_stdin: _,
                    db,
                },
        }) => {
            let mut password = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut password) {
                return fail(&format!("cannot read the password from stdin: {e}"));
            }
            let password = password.trim_end_matches(['\n', '\r']);
            let dir = db.data_dir.path();
            print_json(runtime().block_on(tessera::cli::create_superadmin(
                db.at(&dir),
                &email,
                password,
            )))
        }
        Some(Command::AdminClient {
            action: AdminClientAction::Create { name, db },
        }) => {
            let dir = db.data_dir.path();
            print_json(runtime().block_on(tessera::cli::create_admin_client(db.at(&dir), &name)))
        }
        Some(Command::AdminClient {
            action: AdminClientAction::RotateSecret { client_id, db },
        }) => {
            let dir = db.data_dir.path();
            print_json(runtime().block_on(tessera::cli::rotate_admin_client_secret(
                db.at(&dir),
                &client_id,
            )))
        }
        Some(Command::AdminClient {
            action: AdminClientAction::List { db },
        }) => {
            let dir = db.data_dir.path();
            print_json(runtime().block_on(tessera::cli::list_admin_clients(db.at(&dir))))
        }
        Some(Command::Restore(args)) => {
            let from_stdin = args.passphrase_stdin;
            print_json(runtime().block_on(tessera::cli::restore(
                &args.file,
                &args.data_dir.path(),
                args.force,
                args.master_key_file.as_deref(),
                move || read_passphrase(from_stdin),
            )))
        }
        Some(Command::MasterKey {
            action: MasterKeyAction::Create { path },
        }) => print_json(tessera::cli::create_master_key(&path)),
        Some(Command::Init(args)) => init_client(args),
        None => desktop(),
    }
}

fn init_client(args: InitArgs) -> ExitCode {
    let args = init::InitArgs {
        issuer: args.issuer,
        registration_token: args.registration_token,
        redirect_uri: args.redirect_uri,
        name: args.name,
        env_file: args.env_file,
    };
    match runtime().block_on(init::run(&args)) {
        Ok(done) => {
            println!("{done}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

#[cfg(feature = "desktop")]
fn desktop() -> ExitCode {
    match tessera::desktop::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e.to_string()),
    }
}

#[cfg(not(feature = "desktop"))]
fn desktop() -> ExitCode {
    fail("this is the headless build: run `tessera serve` (see `tessera --help`)")
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::FAILURE
}

fn print_json(result: Result<serde_json::Value, String>) -> ExitCode {
    match result {
        Ok(v) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

/// The backup passphrase: from standard input when asked to or when it is not a
/// terminal (one line; the line break is not part of it), else typed without echo.
fn read_passphrase(from_stdin: bool) -> Result<age::secrecy::SecretString, String> {
    use std::io::IsTerminal;
    let raw = if from_stdin || !std::io::stdin().is_terminal() {
        let mut raw = String::new();
        std::io::stdin()
            .read_to_string(&mut raw)
            .map_err(|e| format!("cannot read the passphrase from stdin: {e}"))?;
        let end = raw.trim_end_matches(['\n', '\r']).len();
        raw.truncate(end);
        raw
    } else {
        rpassword::prompt_password("Backup passphrase: ")
            .map_err(|e| format!("cannot read the passphrase: {e}"))?
    };
    if raw.is_empty() {
        return Err("the passphrase is empty".into());
    }
    Ok(raw.into())
}

fn serve(args: ServeArgs) -> ExitCode {
    init_logging(args.log_format);
    let cfg = ServeConfig {
        data_dir: args.data_dir.path(),
        listen: args.listen,
        issuer: args.issuer,
        database_url: args.database_url,
        master_key_file: args.master_key_file,
        insecure_http: args.insecure_http,
        console_on_loopback: false,
        protection: Protection {
            trusted_proxies: TrustedProxies::new(args.trusted_proxy),
            hash_concurrency: args.hash_concurrency.map(usize::from),
            dpop_nonce: args.dpop_nonce,
        },
        metrics_listen: args.metrics_listen,
        smtp: tessera::mail::SmtpEnv {
            url: args.smtp_url,
            from: args.smtp_from,
        },
    };
    runtime().block_on(async move {
        // Handlers go in before the banner: a signal right after "listening on" must
        // still shut down cleanly.
        let shutdown = match shutdown_signal() {
            Ok(s) => s,
            Err(e) => return fail(&format!("cannot install signal handlers: {e}")),
        };
        let server = match tessera::server::start(cfg).await {
            Ok(s) => s,
            Err(e) => return fail(&e.to_string()),
        };
        println!("listening on http://{}", server.local_addr());
        let _ = std::io::stdout().flush();
        shutdown.await;
        tracing::info!("shutting down");
        server.shutdown().await;
        ExitCode::SUCCESS
    })
}

/// Registers SIGINT and SIGTERM now; the returned future resolves on either.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
