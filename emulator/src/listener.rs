//! The TCP listener: counts accepted connections, and hands each one's kill switch and busy
//! count to its handlers (the stream itself is in `stream.rs`, its TLS in `server_io.rs`).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;

use tokio::net::TcpListener;

use tokio_rustls::TlsAcceptor;

use crate::server_io::ServerIo;
use crate::state::AppState;
use crate::stream::KillableStream;

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
/// With TLS on, each accepted stream is wrapped in a lazily handshaking [`ServerIo`].
pub(crate) struct CountingListener {
    inner: TcpListener,
    state: Arc<AppState>,
    tls: Option<TlsAcceptor>,
}

impl CountingListener {
    pub fn new(inner: TcpListener, state: Arc<AppState>) -> Self {
        let tls = state.tls.as_ref().map(|t| t.acceptor().clone());
        CountingListener { inner, state, tls }
    }
}

impl axum::serve::Listener for CountingListener {
    type Io = ServerIo;
    type Addr = ConnMeta;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    self.state.stats.connection_accepted();
                    let kill = Arc::new(AtomicBool::new(false));
                    let busy = Arc::new(AtomicUsize::new(0));
                    let io = KillableStream::new(
                        stream,
                        Arc::clone(&kill),
                        Arc::clone(&busy),
                        Arc::clone(&self.state),
                    );
                    let io = ServerIo::new(io, self.tls.as_ref());
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
