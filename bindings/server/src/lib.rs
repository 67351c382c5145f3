//! `fixbook-server`: the HTTP door onto the fixbook engine (`fixbook serve`).
//!
//! An axum application over one shared [`AppState`]: one router per resource
//! ([`routes`]), one error type turned into JSON responses ([`ApiError`]), API keys checked
//! by an extractor ([`auth::Auth`]), engine work on a bounded blocking pool that sheds load
//! ([`pool`]). Answers are the engine's own types, printed as the CLI prints them, so
//! `POST /v1/diagnose` returns the bytes `fixbook diagnose --json` prints for the same input.
//!
//! ```no_run
//! use std::sync::Arc;
//! use fixbook_server::{app, AppState, config::Config};
//!
//! # async fn run() -> std::io::Result<()> {
//! let config = Config::default();
//! let engine = Arc::new(fixbook::Engine::embedded().expect("embedded packs load"));
//! let state = AppState::new(engine, config.clone(), Default::default(), Default::default());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! axum::serve(listener, app(state)).await
//! # }
//! ```
//!
//! [`server::serve`] adds what a deployment needs around [`app`]: the listen-address policy,
//! signals (SIGTERM/ctrl-c graceful shutdown, SIGHUP reload) and `--watch`.

#![deny(missing_docs)]

pub mod api;
pub mod auth;
pub mod body;
pub mod config;
pub mod decode;
pub mod error;
pub mod metrics;
pub mod pool;
pub mod routes;
pub mod server;
pub mod state;
pub mod watch;
pub mod webhooks;
pub mod work;

use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::{RequestBodyDeadlineLayer, TimeoutLayer};
use tower_http::trace::TraceLayer;

pub use error::ApiError;
pub use state::AppState;

/// The application: every route, with the layers in force (outermost first): request id,
/// trace, compression, metrics, JSON errors, request timeout, body limit, body deadline,
/// panic catching.
pub fn app(state: AppState) -> Router {
    let limits = state.limits().clone();
    Router::new()
        .merge(routes::query::router())
        .merge(routes::catalog::router())
        .merge(routes::health::router())
        .merge(routes::admin::router())
        .merge(routes::openapi::router())
        .merge(routes::feedback::router())
        .merge(routes::webhooks::router())
        .merge(routes::page::router())
        .fallback(not_found)
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(RequestBodyDeadlineLayer::new(limits.body_timeout))
        .layer(RequestBodyLimitLayer::new(limits.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            limits.request_timeout,
        ))
        .layer(middleware::from_fn(error::json_errors))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!("no route {} (see GET /openapi.json)", uri.path()))
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a handler panicked");
    ApiError::internal("the server failed on this request; it has been logged").into_response()
}

/// Starts logging to standard error, filtered by `FIXBOOK_LOG` (default
/// `fixbook_server=info`; e.g. `FIXBOOK_LOG=debug,tower_http=debug` logs every request).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FIXBOOK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("fixbook_server=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
