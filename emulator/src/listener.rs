//! The TCP listener: counts accepted connections, lets a handler drop its connection (fault
//! injection) by making every later write on it fail, and closes keep-alive connections that
//! stay idle too long (the `idle_close_ms` switch), as load balancers do.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use std::future::Future;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use crate::state::AppState;

/// Per-connection information handed to the handlers (axum `ConnectInfo`).
#[derive(Debug, Clone)]
pub(crate) struct ConnMeta {
    /// The peer's address.
    #[allow(dead_code)]
    pub peer: SocketAddr,
    kill: Arc<AtomicBool>,
    busy: Arc<AtomicUsize>,
}

/// Marks its connection busy (a request in flight) until dropped.
pub(crate) struct BusyGuard(Arc<AtomicUsize>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The connection switches, changeable while the emulator runs.
#[derive(Debug, Default)]
pub(crate) struct ConnectionSwitches {
    /// Idle close after this many milliseconds; 0: off.
    idle_close_ms: AtomicU64,
    close_after_answer: AtomicBool,
}

impl ConnectionSwitches {
    pub fn new(idle_close_ms: Option<u64>, close_after_answer: bool) -> Self {
        let s = ConnectionSwitches::default();
        s.set_idle_close_ms(idle_close_ms);
        s.set_close_after_answer(close_after_answer);
        s
    }

    pub fn set_idle_close_ms(&self, ms: Option<u64>) {
        // 0 ms would close before any request can arrive: treat it as 1 ms.
        let v = ms.map_or(0, |ms| ms.max(1));
        self.idle_close_ms.store(v, Ordering::SeqCst);
    }

    pub fn idle_close(&self) -> Option<Duration> {
        match self.idle_close_ms.load(Ordering::SeqCst) {
            0 => None,
            ms => Some(Duration::from_millis(ms)),
        }
    }

    pub fn set_close_after_answer(&self, on: bool) {
        self.close_after_answer.store(on, Ordering::SeqCst);
    }

    pub fn close_after_answer(&self) -> bool {
        self.close_after_answer.load(Ordering::SeqCst)
    }
}

impl ConnMeta {
    /// The information of a request that came through no connection (driven in process, see
    /// [`crate::in_process`]): peer `127.0.0.1:0`, nothing to kill.
    pub fn detached() -> Self {
        ConnMeta {
            peer: SocketAddr::from(([127, 0, 0, 1], 0)),
            kill: Arc::new(AtomicBool::new(false)),
            busy: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Marks the connection busy until the guard is dropped: it is never idle-closed meanwhile.
    pub fn busy(&self) -> BusyGuard {
        self.busy.fetch_add(1, Ordering::SeqCst);
        BusyGuard(Arc::clone(&self.busy))
    }

    /// Makes every later read and write on this connection fail, so hyper closes it without
    /// sending anything more.
    pub fn kill(&self) {
        self.kill.store(true, Ordering::SeqCst);
    }
}

impl Connected<IncomingStream<'_, CountingListener>> for ConnMeta {
    fn connect_info(stream: IncomingStream<'_, CountingListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// A [`TcpListener`] that counts accepted connections in the emulator's statistics.
pub(crate) struct CountingListener {
    inner: TcpListener,
    state: Arc<AppState>,
}

impl CountingListener {
    pub fn new(inner: TcpListener, state: Arc<AppState>) -> Self {
        CountingListener { inner, state }
    }
}

impl axum::serve::Listener for CountingListener {
    type Io = KillableStream;
    type Addr = ConnMeta;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    self.state.stats.connection_accepted();
                    let kill = Arc::new(AtomicBool::new(false));
                    let busy = Arc::new(AtomicUsize::new(0));
                    let io = KillableStream {
                        inner: stream,
                        kill: Arc::clone(&kill),
                        busy: Arc::clone(&busy),
                        state: Arc::clone(&self.state),
                        last_activity: Instant::now(),
                        idle_timer: None,
                    };
                    return (io, ConnMeta { peer, kill, busy });
                }
                Err(e) if is_connection_error(&e) => continue,
                // Out of file descriptors and the like: wait a little instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(ConnMeta {
            peer: self.inner.local_addr()?,
            kill: Arc::new(AtomicBool::new(false)),
            busy: Arc::new(AtomicUsize::new(0)),
        })
    }
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// A [`TcpStream`] whose reads and writes fail once its connection was killed, and whose
/// reads end (EOF, so hyper closes the connection) once it stayed idle longer than the
/// `idle_close_ms` switch.
pub(crate) struct KillableStream {
    inner: TcpStream,
    kill: Arc<AtomicBool>,
    /// Requests in flight on this connection (set by the dispatcher).
    busy: Arc<AtomicUsize>,
    state: Arc<AppState>,
    /// The last byte read or written.
    last_activity: Instant,
    idle_timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl KillableStream {
    fn killed(&self) -> bool {
        self.kill.load(Ordering::SeqCst)
    }

    /// Whether the connection has been idle too long; if not yet, arms a timer that wakes
    /// the reader when it will have.
    fn poll_idle_expired(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(limit) = self.state.connections.idle_close() else {
            self.idle_timer = None;
            return false;
        };
        if self.busy.load(Ordering::SeqCst) > 0 {
            self.idle_timer = None;
            return false;
        }
        let deadline = tokio::time::Instant::from_std(self.last_activity) + limit;
        let timer = self
            .idle_timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        timer.as_mut().poll(cx).is_ready()
    }
}

fn aborted() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "connection dropped by fault injection",
    )
}

impl AsyncRead for KillableStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.killed() {
            return Poll::Ready(Err(aborted()));
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) if buf.filled().len() > before => {
                this.last_activity = Instant::now();
                Poll::Ready(Ok(()))
            }
            Poll::Pending if this.poll_idle_expired(cx) => {
                // End of stream: hyper closes the idle connection (FIN), as a balancer does.
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.killed() {
            return Poll::Ready(Err(aborted()));
        }
        this.last_activity = Instant::now();
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.killed() {
            return Poll::Ready(Err(aborted()));
        }
        this.last_activity = Instant::now();
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.killed() {
            return Poll::Ready(Err(aborted()));
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
