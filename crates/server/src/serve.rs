//! Serving connections within bounds. A client that opens a connection and sends nothing, or
//! sends its headers a byte at a time, or keeps an idle connection open, is cut off after
//! [`ServeLimits::header_timeout`]; the server holds at most
//! [`ServeLimits::max_connections`] connections at once, and a connection beyond that is
//! answered `503 server_busy` (with `Retry-After`) on everything but the health endpoints, so
//! a flood of connections never stops the server from saying how it is.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::serve::Listener;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::error::ApiError;

/// Bounds on the connections the server holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// Connections served at once (each holds a file descriptor and a task).
    pub max_connections: usize,
    /// Time for a client to send a request's headers, counted from the connection's start or
    /// the end of its previous request (so also the longest an idle connection is kept).
    pub header_timeout: Duration,
    /// The same for a connection beyond the cap, which is only told to come back later.
    pub busy_header_timeout: Duration,
    /// How long in-flight requests may finish after a shutdown signal.
    pub shutdown_grace: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            max_connections: 512,
            header_timeout: Duration::from_secs(15),
            busy_header_timeout: Duration::from_secs(2),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// Marks a request that came on a connection beyond the cap.
#[derive(Debug, Clone, Copy)]
pub struct OverCapacity;

/// Seconds a refused client is asked to wait.
const BUSY_RETRY_SECS: u64 = 5;

/// Middleware: on a connection beyond the cap, only the health endpoints are served.
pub async fn refuse_when_busy(req: Request, next: Next) -> Response {
    let busy = req.extensions().get::<OverCapacity>().is_some();
    if busy && !matches!(req.uri().path(), "/healthz" | "/readyz") {
        let mut e = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_busy",
            "the server is serving as many connections as it can; try again shortly",
        );
        e.retry_after = Some(BUSY_RETRY_SECS);
        let mut response = e.into_response();
        response.headers_mut().insert(axum::http::header::CONNECTION, "close".parse().expect("header value"));
        return response;
    }
    next.run(req).await
}

/// Serve `router` on `listener` within `limits` until `shutdown` completes, then let in-flight
/// requests finish (for at most [`ServeLimits::shutdown_grace`]).
pub async fn serve<L>(
    mut listener: L,
    router: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()>,
) where
    L: Listener<Addr = SocketAddr>,
{
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let builder = |timeout: Duration| {
        let mut b = hyper::server::conn::http1::Builder::new();
        b.timer(TokioTimer::new()).header_read_timeout(timeout).keep_alive(true);
        b
    };
    let (normal, busy) = (builder(limits.header_timeout), builder(limits.busy_header_timeout));
    tokio::pin!(shutdown);
    loop {
        let (io, peer) = tokio::select! {
            c = listener.accept() => c,
            () = &mut shutdown => break,
        };
        let permit = permits.clone().try_acquire_owned().ok();
        let over = permit.is_none();
        if over {
            tracing::warn!(%peer, limit = limits.max_connections, "connection beyond the cap: answered busy");
        }
        let router = router.clone();
        let service = tower::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            if over {
                req.extensions_mut().insert(OverCapacity);
            }
            router.clone().oneshot(req.map(axum::body::Body::new))
        });
        let conn = if over { &busy } else { &normal }
            .serve_connection(TokioIo::new(io), TowerToHyperService::new(service));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still running at the end of the shutdown grace period");
    }
}
