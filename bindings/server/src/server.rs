//! Running the service: the listen-address policy, the first line on standard output,
//! signals and graceful shutdown.

use std::future::Future;
use std::io::Write as _;
use std::path::PathBuf;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use crate::state::AppState;

/// What `fixbook serve` runs.
#[derive(Debug)]
pub struct ServeOptions {
    /// `HOST:PORT` to listen on.
    pub listen: String,
    /// Allow a non-loopback address without API keys.
    pub allow_open_network: bool,
    /// Folders to watch for changes (empty: no watching).
    pub watch: Vec<PathBuf>,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A bad or refused listen address.
    #[error("{0}")]
    Listen(String),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// Another start-up problem (signals, watching, the runtime).
    #[error("{0}")]
    Other(String),
}

/// Binds the listen address, refusing a non-loopback one when no key is configured unless
/// `allow_open_network` says otherwise.
pub async fn bind(
    listen: &str,
    keys_configured: bool,
    allow_open_network: bool,
) -> Result<TcpListener, ServeError> {
    let addrs = crate::config::resolve_listen(listen)
        .await
        .map_err(ServeError::Listen)?;
    let open = addrs.iter().any(|a| !a.ip().is_loopback());
    if open && !keys_configured && !allow_open_network {
        return Err(ServeError::Listen(format!(
            "refusing to listen on {listen}: it is not a loopback address and no API key is \
             configured, so anyone on the network could query and reload this server. Add \
             [[keys]] to the config file, or pass --allow-open-network if that is really meant"
        )));
    }
    let mut last = None;
    for a in &addrs {
        match TcpListener::bind(a).await {
            Ok(l) => return Ok(l),
            Err(e) => last = Some(e),
        }
    }
    Err(ServeError::Bind {
        addr: listen.to_owned(),
        source: last.unwrap_or_else(|| std::io::Error::other("no address")),
    })
}

/// Serves `state` on `listener` until `shutdown` resolves, then stops accepting (the
/// listener is closed), lets the requests in flight finish (at most
/// `limits.shutdown_grace`) and returns.
///
/// Each connection is served by hyper's HTTP/1 server with a timer, so a client that sends
/// its request head too slowly is cut off after `limits.header_timeout` (axum's own `serve`
/// cannot set that timeout).
pub async fn run(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.limits().clone();
    let app = crate::app(state.clone());
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!("connection closed: {e}");
            }
        });
    }
    drop(listener);
    state.set_draining();
    tracing::info!("shutting down: no new connections, finishing requests in flight");
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still open after the shutdown grace period; closing them");
    }
    Ok(())
}

/// An accept that failed: a connection reset before it was accepted is nothing; running out
/// of file descriptors is waited out briefly rather than spun on.
async fn accept_failed(e: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::warn!("accept failed: {e}");
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
}

/// A future that resolves on SIGTERM or ctrl-c (SIGINT).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Reloads on every SIGHUP, for the life of the process.
fn spawn_sighup_reload(state: AppState) -> Result<(), ServeError> {
    #[cfg(unix)]
    {
        let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
            .map_err(|e| ServeError::Other(format!("cannot handle SIGHUP: {e}")))?;
        tokio::spawn(async move {
            while hup.recv().await.is_some() {
                state.reload("sighup").await;
            }
        });
    }
    #[cfg(not(unix))]
    let _ = state;
    Ok(())
}

/// Everything `fixbook serve` does once the engine is loaded: bind, print
/// `listening on http://HOST:PORT` as the first line of standard output, reload on SIGHUP
/// (and on changes with `--watch`), stop gracefully on SIGTERM or ctrl-c.
pub async fn serve(state: AppState, opts: ServeOptions) -> Result<(), ServeError> {
    let listener = bind(
        &opts.listen,
        !state.keys().is_empty(),
        opts.allow_open_network,
    )
    .await?;
    let local = listener
        .local_addr()
        .map_err(|e| ServeError::Other(e.to_string()))?;
    spawn_sighup_reload(state.clone())?;
    let _watcher = if opts.watch.is_empty() {
        None
    } else {
        let w = crate::watch::watch(state.clone(), &opts.watch).map_err(ServeError::Other)?;
        if w.dirs.is_empty() {
            tracing::warn!("--watch: none of the pack folders exists; nothing is watched");
        }
        Some(w)
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on http://{local}");
        let _ = out.flush();
    }
    tracing::info!(%local, keys = !state.keys().is_empty(), "serving");
    run(state, listener, shutdown_signal())
        .await
        .map_err(|e| ServeError::Other(format!("server failed: {e}")))
}

/// Builds a multi-threaded runtime for the server and runs [`serve`] on it. Engine work runs
/// on the runtime's blocking pool, sized to the concurrency limit.
pub fn serve_blocking(state: AppState, opts: ServeOptions) -> Result<(), ServeError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(state.limits().max_concurrency + 4)
        .thread_name("fixbook-server")
        .build()
        .map_err(|e| ServeError::Other(format!("cannot start the runtime: {e}")))?;
    rt.block_on(serve(state, opts))
}
