//! One connection's byte stream: writes and reads fail once a handler killed the connection
//! (fault injection), and reads end once it stayed idle longer than the `idle_close_ms`
//! setting (as load balancers do).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::state::AppState;

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
    /// Wraps an accepted stream: `kill` and `busy` are shared with the connection's handlers.
    pub(crate) fn new(
        inner: TcpStream,
        kill: Arc<AtomicBool>,
        busy: Arc<AtomicUsize>,
        state: Arc<AppState>,
    ) -> Self {
        KillableStream {
            inner,
            kill,
            busy,
            state,
            last_activity: Instant::now(),
            idle_timer: None,
        }
    }

    fn killed(&self) -> bool {
        self.kill.load(Ordering::SeqCst)
    }

    /// Whether the connection has been idle too long; if not yet, arms a timer that wakes
    /// the reader when it will have.
    fn poll_idle_expired(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(limit) = self.state.settings().idle_close() else {
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
