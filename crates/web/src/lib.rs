//! The web system of 明镜: an axum server with server-rendered Chinese pages.
//!
//! The caller binds the listener and passes it to [`run`], so the binary, its subcommands and the tests (which bind
//! port 0 and read the real port back from the listener) all start the same app:
//!
//! ```no_run
//! # async fn start() -> anyhow::Result<()> {
//! use mingjing_web::{AppState, Config, router, run, shutdown_signal};
//! let config = Config::default();
//! let store = mingjing_storage::Store::connect(config.database_url.expose_secret()).await?;
//! let listener = tokio::net::TcpListener::bind(config.bind).await?;
//! run(listener, router(AppState::new(config, store)), shutdown_signal()).await?;
//! # Ok(())
//! # }
//! ```

pub mod accounts;
pub mod appraisal;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod campaigns;
pub mod clock;
pub mod config;
pub mod copy_index;
pub mod csrf;
pub mod download;
pub mod error;
pub mod highlight;
pub mod home;
pub mod materials;
pub mod meeting;
pub mod middleware;
pub mod observability;
pub mod opinions;
pub mod orgs;
pub mod pages;
pub mod prep;
pub mod rectification;
pub mod references;
pub mod reports;
pub mod roster;
pub mod scope;
pub mod security;
pub mod statistics;
pub mod study;
pub mod superior;
pub mod talks;
pub mod upload;

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::routing::{get, post};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use mingjing_storage::Store;
use tokio::net::TcpListener;
use tower::ServiceExt;

pub use auth::{CurrentUser, PasswordPolicy, Passwords, hash_password, require_csrf, verify_password};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Config, ConfigError, ConfigLayer, DatabaseUrl, LoadedConfig, LogFormat, MetricsToken};
pub use error::AppError;
pub use middleware::{RequestId, apply_layers};
pub use scope::{Scope, can_read_material, can_see_org};

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    /// Every "now" of a request comes from here, so tests can move time.
    pub clock: Arc<dyn Clock>,
    /// Password hashing, bounded in how many run at once.
    pub passwords: Passwords,
    /// Each campaign's copy index, refreshed from the database before every review.
    pub indexes: copy_index::Indexes,
    /// Submitted versions as a reviewer sees them, marked once and kept.
    pub reviewed: materials::ReviewedVersions,
    /// The public opinion forms' rate limits and used form ids, in memory only.
    pub opinion_gate: opinions::OpinionGate,
    /// Each open ballot round's ballots, in memory until the round closes (see appraisal::boxes).
    pub ballot_boxes: appraisal::BallotBoxes,
}

impl AppState {
    /// The state of a real server: the system clock and the default bound on concurrent password hashes.
    pub fn new(config: Config, store: Store) -> Self {
        Self::with_clock(config, store, Arc::new(SystemClock))
    }

    /// The state with another clock, for tests.
    pub fn with_clock(config: Config, store: Store, clock: Arc<dyn Clock>) -> Self {
        // Installed before the first request so that no count is lost.
        observability::handle();
        Self {
            config: Arc::new(config),
            store,
            clock,
            passwords: Passwords::default(),
            indexes: Default::default(),
            reviewed: Default::default(),
            opinion_gate: Default::default(),
            ballot_boxes: Default::default(),
        }
    }
}

/// Every route, wrapped in the middleware stack.
pub fn router(state: AppState) -> Router {
    let config = Arc::clone(&state.config);
    let routes = Router::new()
        .route("/", get(home::home))
        .route("/healthz", get(pages::healthz))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/password", get(auth::change_password_page).post(auth::change_password))
        .route(
            auth::second_factor::TOTP_PATH,
            get(auth::second_factor::code_form).post(auth::second_factor::submit_code),
        )
        .route(
            auth::second_factor::ENROL_PATH,
            get(auth::second_factor::enrol_form).post(auth::second_factor::confirm_enrol),
        )
        .route("/audit", get(audit::audit_log))
        .route("/static/{version}/{file}", get(assets::serve))
        .merge(materials::routes())
        .merge(meeting::routes())
        .merge(references::routes())
        .merge(orgs::routes())
        .merge(roster::routes())
        .merge(accounts::routes())
        .merge(campaigns::routes())
        .merge(study::routes())
        .merge(talks::routes())
        .merge(opinions::routes())
        .merge(appraisal::routes())
        .merge(observability::routes())
        .merge(reports::routes())
        .merge(rectification::routes())
        .merge(statistics::routes())
        .merge(security::routes())
        .fallback(pages::not_found)
        .with_state(state);
    apply_layers(routes, &config)
}

/// How long a client may take to send a request's headers before its connection is closed (a slow-headers client
/// would otherwise hold a connection and its task forever; the request timeout only starts once headers are in).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` completes, then lets requests in flight finish.
pub async fn run(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    run_with_header_timeout(listener, app, shutdown, HEADER_READ_TIMEOUT).await
}

/// [`run`] with another limit on reading a request's headers.
pub async fn run_with_header_timeout(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    header_read_timeout: Duration,
) -> io::Result<()> {
    tracing::info!(address = %listener.local_addr()?, "listening");
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    // Out of file descriptors or a connection reset before accept: back off briefly, keep serving.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(app.clone().map_request(move |mut request: Request<Incoming>| {
            // The peer address is kept for the audit log ("from where").
            request.extensions_mut().insert(ConnectInfo(peer));
            request.map(Body::new)
        }));
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(error = %error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Completes on Ctrl-C or, on Unix, SIGTERM (what systemd and container runtimes send).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
