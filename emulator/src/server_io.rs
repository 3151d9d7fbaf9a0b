//! The byte stream of one accepted connection: plain TCP, or TLS whose handshake runs lazily on
//! the connection's own task (the first read or write drives it), so a slow or silent client
//! never holds up the accept loop.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::server::TlsStream;
use tokio_rustls::{Accept, TlsAcceptor};

use crate::stream::KillableStream;

/// One connection's stream, as hyper sees it.
pub(crate) enum ServerIo {
    /// Plain HTTP.
    Plain(KillableStream),
    /// TLS, handshake still running.
    Handshaking(Box<Accept<KillableStream>>),
    /// TLS, handshake done.
    Tls(Box<TlsStream<KillableStream>>),
    /// The handshake failed: every later read or write fails too.
    Failed,
}

impl ServerIo {
    /// Wraps `stream` in TLS when an acceptor is given.
    pub fn new(stream: KillableStream, tls: Option<&TlsAcceptor>) -> Self {
        match tls {
            Some(acceptor) => ServerIo::Handshaking(Box::new(acceptor.accept(stream))),
            None => ServerIo::Plain(stream),
        }
    }

    /// Drives the handshake until it is done (or failed).
    fn poll_handshake(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let ServerIo::Handshaking(accept) = self {
            match Pin::new(accept.as_mut()).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(stream)) => *self = ServerIo::Tls(Box::new(stream)),
                Poll::Ready(Err(e)) => {
                    *self = ServerIo::Failed;
                    return Poll::Ready(Err(e));
                }
            }
        }
        match self {
            ServerIo::Failed => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "the TLS handshake failed",
            ))),
            _ => Poll::Ready(Ok(())),
        }
    }
}

macro_rules! ready_or_return {
    ($e:expr) => {
        match $e {
            Poll::Ready(Ok(())) => {}
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        }
    };
}

impl AsyncRead for ServerIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready_or_return!(this.poll_handshake(cx));
        match this {
            ServerIo::Plain(s) => Pin::new(s).poll_read(cx, buf),
            ServerIo::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            _ => Poll::Ready(Ok(())),
        }
    }
}

impl AsyncWrite for ServerIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready_or_return!(this.poll_handshake(cx));
        match this {
            ServerIo::Plain(s) => Pin::new(s).poll_write(cx, buf),
            ServerIo::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            _ => Poll::Ready(Ok(0)),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready_or_return!(this.poll_handshake(cx));
        match this {
            ServerIo::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            ServerIo::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
            _ => Poll::Ready(Ok(0)),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            ServerIo::Plain(s) => s.is_write_vectored(),
            ServerIo::Tls(s) => s.is_write_vectored(),
            _ => false,
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready_or_return!(this.poll_handshake(cx));
        match this {
            ServerIo::Plain(s) => Pin::new(s).poll_flush(cx),
            ServerIo::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            _ => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ServerIo::Plain(s) => Pin::new(s).poll_shutdown(cx),
            ServerIo::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            // Nothing was said over TLS yet: there is nothing to close politely.
            _ => Poll::Ready(Ok(())),
        }
    }
}
