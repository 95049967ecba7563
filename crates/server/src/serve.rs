//! Serving connections within bounds. A client that opens a connection and sends nothing, or
//! sends its headers a byte at a time, or keeps an idle connection open, is cut off after
//! [`ServeLimits::header_timeout`]; the server holds at most
//! [`ServeLimits::max_connections`] connections at once. A connection beyond that is served
//! briefly (at most [`ServeLimits::max_busy`] of them, each given
//! [`ServeLimits::busy_header_timeout`]): `503 server_busy` (with `Retry-After`) on everything
//! but the health endpoints, which still answer. Beyond that too, a connection is answered
//! `503 server_busy` at once and closed, without waiting for its request: the file descriptors
//! the server holds stay bounded (the cap plus the busy ones), so a flood never exhausts them.
//! One client address holds at most [`ServeLimits::max_per_client`] connections (trusted
//! reverse proxies excepted), so one machine's flood leaves room for everyone else.

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeLimits {
    /// Connections served at once (each holds a file descriptor and a task).
    pub max_connections: usize,
    /// Time for a client to send a request's headers, counted from the connection's start or
    /// the end of its previous request (so also the longest an idle connection is kept).
    pub header_timeout: Duration,
    /// Connections one client address may hold; more are answered `503 server_busy` at once.
    pub max_per_client: usize,
    /// Connections beyond the cap served at once (health answered, the API `503`).
    pub max_busy: usize,
    /// The header timeout of a connection beyond the cap.
    pub busy_header_timeout: Duration,
    /// How long in-flight requests may finish after a shutdown signal.
    pub shutdown_grace: Duration,
    /// Addresses not limited per client (reverse proxies, whose connections carry many clients).
    pub unlimited_clients: Vec<std::net::IpAddr>,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            max_connections: 512,
            header_timeout: Duration::from_secs(15),
            max_per_client: 64,
            max_busy: 64,
            busy_header_timeout: Duration::from_millis(250),
            shutdown_grace: Duration::from_secs(30),
            unlimited_clients: Vec::new(),
        }
    }
}

/// Marks a request that came on a connection beyond the cap.
#[derive(Debug, Clone, Copy)]
pub struct OverCapacity;

/// Seconds a refused client is asked to wait.
const BUSY_RETRY_SECS: u64 = 5;

const BUSY_MESSAGE: &str = "the server is serving as many connections as it can; try again shortly";

/// `503 server_busy`, written as is on a connection beyond every bound (then closed).
fn busy_response() -> Vec<u8> {
    let body = serde_json::json!({ "code": "server_busy", "message": BUSY_MESSAGE }).to_string();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: {BUSY_RETRY_SECS}\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Middleware: on a connection beyond the cap, only the health endpoints are served.
pub async fn refuse_when_busy(req: Request, next: Next) -> Response {
    let busy = req.extensions().get::<OverCapacity>().is_some();
    if busy && !matches!(req.uri().path(), "/healthz" | "/readyz") {
        let mut e = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "server_busy", BUSY_MESSAGE);
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
    let busy_permits = Arc::new(Semaphore::new(limits.max_busy));
    let refusal = Arc::new(busy_response());
    let per_client: Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>> =
        Arc::default();
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
        let client = peer.ip();
        let counted = !limits.unlimited_clients.contains(&client);
        let within_client = !counted || {
            let mut open = per_client.lock().unwrap_or_else(|p| p.into_inner());
            let n = open.entry(client).or_insert(0);
            *n += 1;
            *n <= limits.max_per_client
        };
        let slot = ClientSlot { counted, client, open: per_client.clone() };
        let normal_permit = if within_client { permits.clone().try_acquire_owned().ok() } else { None };
        let (permit, over) = match normal_permit {
            Some(p) => (p, false),
            None => match busy_permits.clone().try_acquire_owned() {
                Ok(p) if within_client => (p, true),
                _ => {
                    // Beyond every bound: answered at once, never read from.
                    let refusal = refusal.clone();
                    tokio::spawn(async move {
                        use tokio::io::AsyncWriteExt;
                        let mut io = io;
                        let write = async {
                            io.write_all(&refusal).await?;
                            io.shutdown().await
                        };
                        let _ = tokio::time::timeout(Duration::from_millis(250), write).await;
                        drop(slot);
                    });
                    continue;
                }
            },
        };
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
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still running at the end of the shutdown grace period");
    }
}

/// One open connection of a client address, counted while it lives.
struct ClientSlot {
    counted: bool,
    client: std::net::IpAddr,
    open: Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>,
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        if !self.counted {
            return;
        }
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.client);
            }
        }
    }
}
