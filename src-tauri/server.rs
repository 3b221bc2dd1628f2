//! Builds the axum router, binds the listener and runs until shut down.

use crate::config::{check_issuer_transport, normalize_issuer, ServeConfig};
use crate::error::StartError;
use crate::keys::KeyRing;
use crate::state::{AppState, Shared};
use crate::store::{now, Db};
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// Largest request body any endpoint accepts.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A started server; drop or `shutdown()` to stop it.
pub struct RunningServer {
    addr: SocketAddr,
    issuer: String,
    shutdown_tx: Option<oneshot::Sender<()>>,
    /// Ends open audit streams and background jobs, so shutdown need not wait for them.
    stopping_tx: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    /// The `--metrics-listen` server, when there is one (it stops with `stopping`).
    metrics_task: Option<JoinHandle<()>>,
    db: Db,
    state: Shared,
    /// Held while the server runs: one server per data dir ([`lock_data_dir`]).
    _data_dir_lock: std::fs::File,
}

impl RunningServer {
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    /// The state the handlers share (for in-process callers such as the desktop shell).
    pub fn state(&self) -> &Shared {
        &self.state
    }
    /// Stops accepting connections, lets in-flight requests finish (up to 10 s), closes the database.
    pub async fn shutdown(mut self) {
        let _ = self.stopping_tx.send(true);
        if let Some(tx) = self.shutdown_tx.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
        if let Some(task) = self.metrics_task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
        }
        self.db.close().await;
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.stopping_tx.send(true);
        if let Some(tx) = self.shutdown_tx.take() {
            let _ = tx.send(());
        }
    }
}

/// Opens the data dir and database, loads keys, binds and serves.
pub async fn start(cfg: ServeConfig) -> Result<RunningServer, StartError> {
    // Checked before anything is touched; a derived issuer has the listen address's host.
    let planned = match &cfg.issuer {
        Some(raw) => normalize_issuer(raw).map_err(StartError::Config)?,
        None => format!("http://{}", cfg.listen),
    };
    check_issuer_transport(&planned, cfg.insecure_http).map_err(StartError::Config)?;
    create_data_dir(&cfg)?;
    let data_dir_lock = lock_data_dir(&cfg)?;
    let db = Db::open(&cfg.data_dir, cfg.database_url.as_deref()).await?;
    let keys = KeyRing::load_or_create(&db, &cfg.data_dir, cfg.master_key_file.as_deref()).await?;
    ensure_console_client(&db).await?;
    crate::metrics::install();
    let (listener, addr) = bind(cfg.listen).await?;
    let metrics_listener = match cfg.metrics_listen {
        Some(at) => Some(bind(at).await?),
        None => None,
    };
    let issuer = match &cfg.issuer {
        Some(raw) => normalize_issuer(raw).map_err(StartError::Config)?,
        None => format!("http://{addr}"),
    };
    let hashing = crate::throttle::hashing::HashLimiter::new(cfg.protection.hash_concurrency)
        .map_err(|e| {
            StartError::Config(format!("cannot start the password hashing threads: {e}"))
        })?;
    let mail = crate::mail::Mail::from_env(&cfg.smtp).map_err(StartError::Config)?;
    let (stopping_tx, stopping) = watch::channel(false);
    let dpop = crate::oauth::dpop::Dpop::new(keys.kek(), cfg.protection.dpop_nonce);
    let state: Shared = Arc::new(AppState {
        dpop,
        db: db.clone(),
        keys,
        audit: crate::audit::AuditSink::start(db.clone()),
        clients: Default::default(),
        client_hints: Default::default(),
        client_jwks: Default::default(),
        secure_cookies: issuer.starts_with("https://"),
        console_loopback_port: cfg.console_on_loopback.then_some(addr.port()),
        issuer: issuer.clone(),
        listen: addr,
        data_dir: cfg.data_dir.clone(),
        started_at: now(),
        stopping,
        maintenance: Default::default(),
        hashing,
        trusted_proxies: cfg.protection.trusted_proxies.clone(),
        mail,
    });
    tokio::spawn(maintenance(state.clone()));
    tokio::spawn(crate::cluster::follow_changes(state.clone()));
    tokio::spawn(crate::mail::worker::run(state.clone()));
    let metrics_task = metrics_listener.map(|(listener, at)| {
        tracing::info!(addr = %at, "metrics on their own listener");
        serve_metrics(listener, state.clone())
    });
    let app = router(state.clone(), metrics_task.is_none());
    let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let serve = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = shutdown_rx.await;
        });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "server stopped with an error");
        }
    });
    tracing::info!(%addr, %issuer, "Tessera is serving");
    Ok(RunningServer {
        addr,
        issuer,
        shutdown_tx: Some(shutdown_tx),
        stopping_tx,
        task: Some(task),
        metrics_task,
        db,
        state,
        _data_dir_lock: data_dir_lock,
    })
}

async fn bind(at: SocketAddr) -> Result<(tokio::net::TcpListener, SocketAddr), StartError> {
    let error = |source| StartError::Bind {
        addr: at.to_string(),
        source,
    };
    let listener = tokio::net::TcpListener::bind(at).await.map_err(error)?;
    let addr = listener.local_addr().map_err(error)?;
    Ok((listener, addr))
}

/// `GET /metrics` alone on its listener (`--metrics-listen`); stops with the server.
fn serve_metrics(listener: tokio::net::TcpListener, state: Shared) -> JoinHandle<()> {
    let mut stopping = state.stopping.clone();
    let app = Router::new()
        .route("/metrics", get(crate::metrics::serve))
        .fallback(not_found)
        .with_state(state);
    tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = stopping.wait_for(|stop| *stop).await;
        });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "the metrics listener stopped with an error");
        }
    })
}

/// The built-in clients (console, account page) exist from the first start on (idempotent).
async fn ensure_console_client(db: &Db) -> Result<(), StartError> {
    let mut tx = db.begin().await?;
    crate::store::clients::ensure_builtin_clients(&mut tx, now()).await?;
    tx.commit().await?;
    Ok(())
}

/// How often the maintenance job runs when nothing wakes it.
const MAINTENANCE_EVERY: Duration = Duration::from_secs(3600);

/// Background job, at start and then hourly (or when woken): audit retention, scheduled
/// key rotation, pruning stale throttle counters (on one node of a cluster at a time), and
/// a key reload (drops expired keys, picks up rotations made elsewhere).
async fn maintenance(state: Shared) {
    let mut stopping = state.stopping.clone();
    loop {
        if *stopping.borrow() {
            return;
        }
        match state.db.cluster_job().await {
            Ok(Some(job)) => {
                cluster_maintenance(&state).await;
                if let Err(e) = job.finish().await {
                    tracing::error!(error = %e, "cannot end the maintenance job");
                }
            }
            Ok(None) => tracing::debug!("another node runs the maintenance job"),
            Err(e) => tracing::error!(error = %e, "cannot start the maintenance job"),
        }
        if let Err(e) = state.keys.reload(&state.db).await {
            tracing::error!(error = %e, "cannot reload signing keys");
        }
        state.audit.ring();
        tokio::select! {
            _ = stopping.changed() => return,
            _ = state.maintenance.notified() => {}
            _ = tokio::time::sleep(MAINTENANCE_EVERY) => {}
        }
    }
}

/// The maintenance steps that change the database: one node of a cluster at a time.
async fn cluster_maintenance(state: &Shared) {
    let settings = crate::store::settings::load(&state.db.read).await;
    match settings {
        Ok(s) => {
            if let Err(e) = crate::audit::prune_events(&state.db, s.audit_retention_days).await {
                tracing::error!(error = %e, "audit retention failed");
            }
        }
        Err(e) => tracing::error!(error = %e, "cannot read settings"),
    }
    match crate::keys::rotation::rotate_if_due(state).await {
        Ok(Some(kid)) => tracing::info!(%kid, "rotated the signing key on schedule"),
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, "scheduled key rotation failed"),
    }
    if let Err(e) = crate::store::throttles::prune(&state.db, now()).await {
        tracing::error!(error = %e, "cannot prune throttle counters");
    }
    if let Err(e) = crate::mail::prune(&state.db, now()).await {
        tracing::error!(error = %e, "cannot prune the email outbox");
    }
    if let Err(e) = crate::store::jtis::prune(&state.db, now()).await {
        tracing::error!(error = %e, "cannot prune used client assertion and DPoP ids");
    }
    if let Err(e) = crate::store::par::prune(&state.db, now()).await {
        tracing::error!(error = %e, "cannot prune pushed authorization requests");
    }
}

fn create_data_dir(cfg: &ServeConfig) -> Result<(), StartError> {
    let err = |source| StartError::DataDir {
        path: cfg.data_dir.display().to_string(),
        source,
    };
    std::fs::create_dir_all(&cfg.data_dir).map_err(err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&cfg.data_dir, std::fs::Permissions::from_mode(0o700))
            .map_err(err)?;
    }
    Ok(())
}

/// Name of the lock file in the data dir (it holds the running server's pid).
const LOCK_FILE: &str = "tessera.lock";

/// Takes the data dir for this server alone: an exclusive lock on `tessera.lock`, held
/// until the server is dropped (the OS lets go of it when the process ends, however it
/// ends). A second server on the same data dir — another `tessera serve`, or a second
/// desktop app where its single-instance check could not run — stops here, before it
/// opens the database or binds a port. CLI commands (`superadmin create`, …) do not take it.
fn lock_data_dir(cfg: &ServeConfig) -> Result<std::fs::File, StartError> {
    use std::io::{Read, Seek, Write};
    let path = cfg.data_dir.join(LOCK_FILE);
    let err = |source| StartError::DataDir {
        path: path.display().to_string(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(err)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let pid = holder.trim();
            return Err(StartError::InUse {
                path: cfg.data_dir.display().to_string(),
                pid: if pid.chars().all(|c| c.is_ascii_digit()) && !pid.is_empty() {
                    format!(" (process {pid})")
                } else {
                    String::new()
                },
            });
        }
        Err(std::fs::TryLockError::Error(source)) => return Err(err(source)),
    }
    file.set_len(0).map_err(err)?;
    file.rewind().map_err(err)?;
    writeln!(file, "{}", std::process::id()).map_err(err)?;
    Ok(file)
}

/// Every route of the server; `GET /metrics` too when `with_metrics` (else it is on its
/// own listener). The layers every answer goes through wrap the routed service once:
/// `Router::layer` would wrap each route, a boxed clone per layer on every request.
pub fn router(state: Shared, with_metrics: bool) -> Router {
    let hsts = state
        .secure_cookies
        .then(|| HeaderValue::from_static("max-age=31536000"));
    let layers = tower::ServiceBuilder::new()
        // Outermost: every answer has an id, a panic's too, and the span below has it.
        .layer(axum::middleware::from_fn::<_, (Request,)>(
            crate::request_id::middleware,
        ))
        // Every answer counted and timed, a panic's too (route template from `tag_route`).
        .layer(axum::middleware::from_fn::<_, (Request,)>(
            crate::metrics::track,
        ))
        .layer(CatchPanicLayer::custom(panicked))
        // HSTS only where the issuer is https: on an http issuer the header would be
        // ignored at best, and would lock a mistyped https:// host out at worst.
        .layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            move |_: &_| hsts.clone(),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // Path only: query strings can carry id_token_hint, codes and state.
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                tracing::info_span!(
                    "request",
                    method = %req.method(),
                    path = %req.uri().path(),
                    request_id = %crate::request_id::of(req),
                )
            }),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
    Router::new().fallback_service(layers.service(routes(state, with_metrics)))
}

fn routes(state: Shared, with_metrics: bool) -> Router {
    let mut routes = Router::new();
    if with_metrics {
        routes = routes.route("/metrics", get(crate::metrics::serve));
    }
    routes
        .route("/health", get(health))
        .route("/health/ready", get(ready))
        .merge(crate::oauth::routes(&state))
        .merge(crate::pages::routes())
        .nest(
            "/v1",
            crate::admin::routes()
                .route_layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    crate::admin::idempotency::middleware,
                ))
                // After the idempotency layer, so not under it: no token answer is stored.
                .merge(crate::auth_api::routes(state.clone())),
        )
        .merge(crate::console::routes())
        .route_layer(axum::middleware::from_fn(crate::metrics::tag_route))
        .fallback(not_found)
        .with_state(state)
}

fn panicked(_: Box<dyn std::any::Any + Send>) -> Response {
    tracing::error!("a request handler panicked");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({"error": "server_error", "error_description": "internal error"})),
    )
        .into_response()
}

async fn health(axum::extract::State(s): axum::extract::State<Shared>) -> Json<serde_json::Value> {
    Json(json!({
        "status": "ok",
        "issuer": s.issuer,
        "listen": s.listen.to_string(),
        "version": env!("CARGO_PKG_VERSION"),
        "started_at": s.started_at,
    }))
}

/// How long readiness waits for the database.
const READY_DB_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /health/ready`: 200 when this node can serve (database reachable, signing key
/// loaded, not shutting down), else 503 naming what is not, so a load balancer moves on.
async fn ready(axum::extract::State(s): axum::extract::State<Shared>) -> Response {
    let database = match tokio::time::timeout(READY_DB_TIMEOUT, s.db.ping()).await {
        Ok(Ok(())) => "ok",
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness: the database did not answer");
            "unreachable"
        }
        Err(_) => "timeout",
    };
    let keys = if s.keys.active_kid().is_empty() {
        "missing"
    } else {
        "ok"
    };
    let stopping = *s.stopping.borrow();
    let is_ready = database == "ok" && keys == "ok" && !stopping;
    let status = if is_ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if is_ready { "ready" } else if stopping { "stopping" } else { "not_ready" },
        "checks": {"database": database, "signing_key": keys},
    });
    (status, Json(body)).into_response()
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": "not_found", "error_description": "no such endpoint"})),
    )
        .into_response()
}
