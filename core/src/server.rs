//! Serving the app on a listener until shutdown.

use std::future::Future;
use std::net::SocketAddr;

use crate::state::AppState;

/// Serves [`crate::http::router::app`] on `listener` until `shutdown` completes, then drains in-flight
/// requests. Meanwhile plugin metering is flushed every few seconds (and once more at the end),
/// and active plugin roll-outs are judged (`ils_publishing::rollout::watch`).
pub async fn run(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let metering = state.plugins.metering().clone();
    let flusher = tokio::spawn(metering.clone().run());
    let every = state.plugins.config().rollout_check_every;
    let watcher =
        tokio::spawn(ils_publishing::rollout::watch(state.db.clone(), state.plugins.clone(), every));
    let app = crate::http::router::app(state).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    flusher.abort();
    watcher.abort();
    if let Err(error) = metering.flush().await {
        tracing::warn!(%error, "plugin metering not flushed at shutdown");
    }
    served
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
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
    tracing::info!("shutting down");
}
