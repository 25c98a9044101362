//! Accepting connections. Slow or idle clients must not use up the
//! process's file descriptors and starve everyone else (`/health`
//! included), so: at most `max_connections` are open at once (more wait in
//! the kernel's listen backlog, the server is never refused as a whole); a
//! request head must arrive within `header_read_timeout` of its first byte
//! (a half-sent request is cut off); and a connection with no request in
//! progress closes after `idle_timeout` without traffic (new or kept alive).
use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Well below the common 1,024 descriptors a process may open, which the
/// database, the logs and the embedded worker share.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// From the first byte of a request to the end of its head.
    pub header_read_timeout: Duration,
    /// How long a connection may sit with no request and no traffic.
    pub idle_timeout: Duration,
    /// Connections open at once; at least 1.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// Serves `app` until `shutdown` resolves, then stops accepting, closes
/// idle connections and waits for requests in progress.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let max = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let slots = Arc::new(Semaphore::new(max));
    let (stopping, stop) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        // A slot first: while every slot is taken, new connections wait in
        // the backlog instead of costing a descriptor each.
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = slots.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            },
        };
        tokio::spawn(connection(stream, peer, permit, app.clone(), limits, stop.clone()));
    }
    drop(listener);
    let _ = stopping.send(true);
    // Every connection holds a slot until it ends.
    let _all = slots.acquire_many(max as u32).await;
    Ok(())
}

/// Out of descriptors (or memory), accepting again at once would spin:
/// wait a moment for connections to close. A connection that failed
/// before it was accepted is simply skipped.
async fn accept_failed(error: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(error.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        return;
    }
    tracing::error!(%error, "accepting a connection failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    permit: OwnedSemaphorePermit,
    app: Router,
    limits: ConnectionLimits,
    mut stop: watch::Receiver<bool>,
) {
    let requests = Arc::new(Requests::default());
    let io = Watched::new(stream, permit, limits, requests.clone());
    let service = hyper::service::service_fn(move |mut request: axum::http::Request<Incoming>| {
        // The peer address lets the embedded worker's credential be
        // accepted from loopback only (see `jobs::embedded`).
        request.extensions_mut().insert(ConnectInfo(peer));
        let running = Running::start(requests.clone());
        let app = app.clone();
        async move {
            let response = app.oneshot(request).await;
            drop(running);
            response
        }
    });
    let conn = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, %peer, "connection ended");
            }
        }
        stopped = async { stop.wait_for(|stopping| *stopping).await.is_ok() } => {
            // Idle connections close now; a request in progress finishes
            // first (the caller's grace bounds how long).
            if stopped {
                conn.as_mut().graceful_shutdown();
            }
            let _ = conn.as_mut().await;
        }
    }
}

/// What the connection's requests are doing, shared by the service (which
/// sees them start and end) and the I/O (which keeps the deadlines).
#[derive(Default)]
struct Requests {
    started: AtomicUsize,
    in_progress: AtomicUsize,
    /// When the last one ended: the connection is idle from then.
    ended_at: Mutex<Option<Instant>>,
    /// The read that waited while a request ran, without a deadline: woken
    /// when the request ends, so the idle deadline starts.
    reader: Mutex<Option<Waker>>,
}

/// Counts one request as in progress until dropped (answered or cancelled).
struct Running(Arc<Requests>);

impl Running {
    fn start(requests: Arc<Requests>) -> Self {
        requests.started.fetch_add(1, Ordering::SeqCst);
        requests.in_progress.fetch_add(1, Ordering::SeqCst);
        Self(requests)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        *self.0.ended_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        self.0.in_progress.fetch_sub(1, Ordering::SeqCst);
        if let Some(reader) = self.0.reader.lock().unwrap_or_else(|e| e.into_inner()).take() {
            reader.wake();
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Between requests (or before the first): the idle timeout runs.
    Idle,
    /// A request's first bytes came; its head must be complete in time.
    Head { since: Instant },
}

/// The socket, with the deadlines of `ConnectionLimits` enforced on reads:
/// hyper reads whenever it waits for a request, so a read that would wait
/// past the deadline fails instead, and hyper closes the connection.
struct Watched {
    stream: TcpStream,
    /// Frees the connection's slot when hyper drops the I/O.
    _permit: OwnedSemaphorePermit,
    limits: ConnectionLimits,
    requests: Arc<Requests>,
    /// `Requests::started` when last looked at: a change means a head was read.
    seen: usize,
    phase: Phase,
    last_traffic: Instant,
    timer: Pin<Box<Sleep>>,
}

impl Watched {
    fn new(
        stream: TcpStream,
        permit: OwnedSemaphorePermit,
        limits: ConnectionLimits,
        requests: Arc<Requests>,
    ) -> Self {
        let now = Instant::now();
        Self {
            stream,
            _permit: permit,
            limits,
            requests,
            seen: 0,
            phase: Phase::Idle,
            last_traffic: now,
            timer: Box::pin(tokio::time::sleep_until(now + limits.idle_timeout)),
        }
    }

    fn catch_up(&mut self) {
        let started = self.requests.started.load(Ordering::SeqCst);
        if started != self.seen {
            self.seen = started;
            self.phase = Phase::Idle;
        }
    }

    fn on_bytes_read(&mut self) {
        self.catch_up();
        let now = Instant::now();
        if self.phase == Phase::Idle && self.requests.in_progress.load(Ordering::SeqCst) == 0 {
            self.phase = Phase::Head { since: now };
        }
        self.last_traffic = now;
    }

    /// The read would wait: fail if the connection is past its deadline,
    /// else wake up at the deadline to look again.
    fn wait_or_expire(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.catch_up();
        if self.requests.in_progress.load(Ordering::SeqCst) > 0 {
            // The handler runs; the request timeout bounds it.
            *self.requests.reader.lock().unwrap_or_else(|e| e.into_inner()) = Some(cx.waker().clone());
            // It may have ended meanwhile, before the waker was there to wake.
            if self.requests.in_progress.load(Ordering::SeqCst) > 0 {
                return Poll::Pending;
            }
        }
        let (deadline, what) = match self.phase {
            Phase::Head { since } => (since + self.limits.header_read_timeout, "request head"),
            Phase::Idle => {
                let ended = *self.requests.ended_at.lock().unwrap_or_else(|e| e.into_inner());
                let since = ended.map_or(self.last_traffic, |ended| ended.max(self.last_traffic));
                (since + self.limits.idle_timeout, "idle connection")
            }
        };
        if self.timer.deadline() != deadline {
            self.timer.as_mut().reset(deadline);
        }
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                tracing::debug!(what, "closing a connection past its deadline");
                Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, format!("{what} timed out"))))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.on_bytes_read();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => self.wait_or_expire(cx),
        }
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.stream).poll_write(cx, data);
        if let Poll::Ready(Ok(n)) = written
            && n > 0
        {
            // A slow reader of a long answer is not idle.
            self.last_traffic = Instant::now();
        }
        written
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = written
            && n > 0
        {
            self.last_traffic = Instant::now();
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
