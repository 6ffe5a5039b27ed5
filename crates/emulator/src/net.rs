//! Serving a router on a socket: our own hyper accept loop ([`serve`])
//! rather than `axum::serve`, so that a `reset` fault can close the TCP
//! connection without writing any response bytes (the client sees a
//! transport error, not an HTTP status); and [`Background`], a router
//! served in a task until stopped.
//!
//! How: the gate marks the response with [`ResetConnection`]; the per-
//! connection service turns that into a service error, on which hyper's
//! HTTP/1 server drops the connection without answering.

use crate::control::faults::ResetConnection;
use axum::body::Body;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

/// How long in-flight requests get after a stop signal.
const DRAIN: Duration = Duration::from_secs(2);

#[derive(Debug)]
struct InjectedReset;

impl std::fmt::Display for InjectedReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("injected connection reset")
    }
}

impl std::error::Error for InjectedReset {}

/// Serves `router` on `listener` until `shutdown` resolves, then drains.
///
/// Connections are served with upgrades (a channel's connectUri is a
/// WebSocket on this listener). hyper-util's `GracefulShutdown` does not take
/// upgradeable connections, so each connection task watches a stop signal
/// and shuts its connection down gracefully itself; the tasks sit in a
/// `JoinSet` that the accept loop reaps, so draining waits for them.
pub async fn serve(listener: TcpListener, router: Router, shutdown: impl Future<Output = ()>) {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).keep_alive(true);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        while tasks.try_join_next().is_some() {}
        let (stream, _) = tokio::select! {
            res = listener.accept() => match res {
                Ok(conn) => conn,
                Err(e) => {
                    // e.g. EMFILE under a benchmark: back off instead of spinning.
                    eprintln!("genesys-emulator: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let router = router.clone();
            async move {
                let resp = router
                    .oneshot(req.map(Body::new))
                    .await
                    .unwrap_or_else(|e| match e {});
                if resp.extensions().get::<ResetConnection>().is_some() {
                    Err(InjectedReset)
                } else {
                    Ok(resp)
                }
            }
        });
        let conn = builder
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        let mut stop = stop_rx.clone();
        tasks.spawn(async move {
            tokio::pin!(conn);
            // Errors here are client disconnects and injected resets.
            let stopping = tokio::select! {
                _ = conn.as_mut() => false,
                r = stop.wait_for(|s| *s) => r.is_ok(),
            };
            if stopping {
                conn.as_mut().graceful_shutdown();
                let _ = conn.await;
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(DRAIN, async { while tasks.join_next().await.is_some() {} }).await;
    tasks.abort_all();
}

/// A router served on a socket in a background task until stopped: an org,
/// or what [`crate::spawn`] starts.
pub struct Background {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Background {
    /// Binds `addr` (port 0 picks a free port) and serves `router` in a task.
    pub async fn start(addr: SocketAddr, router: Router) -> std::io::Result<Background> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, router, async {
            let _ = rx.await;
        }));
        Ok(Background {
            addr,
            stop: Some(tx),
            task,
        })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, then waits for the drain.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}
