//! The web system of 明镜: an axum server with server-rendered Chinese pages.
//!
//! The caller binds the listener and passes it to [`run`], so the binary, its subcommands and the tests (which bind
//! port 0 and read the real port back from the listener) all start the same app:
//!
//! ```no_run
//! # async fn start() -> std::io::Result<()> {
//! use mingjing_web::{AppState, Config, router, run, shutdown_signal};
//! let config = Config::default();
//! let listener = tokio::net::TcpListener::bind(config.bind).await?;
//! run(listener, router(AppState::new(config)), shutdown_signal()).await
//! # }
//! ```

pub mod assets;
pub mod config;
pub mod csrf;
pub mod error;
pub mod middleware;
pub mod pages;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;

pub use config::{Config, ConfigError, ConfigLayer, DatabaseUrl, LoadedConfig, LogFormat};
pub use error::AppError;
pub use middleware::{RequestId, apply_layers};

/// What every handler can reach. The store and the session lookup join the configuration when storage lands.
#[derive(Debug, Clone)]
pub struct AppState {
    pub config: Arc<Config>,
}

impl AppState {
    pub fn new(config: Config) -> Self {
        Self { config: Arc::new(config) }
    }
}

/// Every route, wrapped in the middleware stack.
pub fn router(state: AppState) -> Router {
    let config = Arc::clone(&state.config);
    let routes = Router::new()
        .route("/", get(pages::home))
        .route("/healthz", get(pages::healthz))
        .route("/login", get(pages::login_page))
        .route("/static/{version}/{file}", get(assets::serve))
        .fallback(pages::not_found)
        .with_state(state);
    apply_layers(routes, &config)
}

/// Serves `app` on `listener` until `shutdown` completes, then lets requests in flight finish.
pub async fn run(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    tracing::info!(address = %listener.local_addr()?, "listening");
    // The peer address is kept for the audit log ("from where").
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
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
