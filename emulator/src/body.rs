//! Request bodies read with a size limit, and the broken response bodies of fault injection.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use http_body::Frame;
use http_body_util::BodyExt;

/// After a body passed the limit, up to this many bytes in all are still read (and thrown
/// away) so that the client can read the 413 answer; beyond that the connection is dropped.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

/// Why a request body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Longer than the limit.
    TooLarge,
    /// The client went away or sent a malformed body.
    Broken,
}

/// Reads a request body of at most `limit` bytes.
pub(crate) async fn read_limited(body: Body, limit: usize) -> Result<Bytes, BodyError> {
    let mut body = body;
    let mut buf: Vec<u8> = Vec::new();
    let mut seen: usize = 0;
    let mut too_large = false;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| BodyError::Broken)?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        seen = seen.saturating_add(data.len());
        if too_large || seen > limit {
            too_large = true;
            buf = Vec::new();
            if seen > DRAIN_LIMIT {
                break;
            }
            continue;
        }
        buf.extend_from_slice(&data);
    }
    if too_large {
        Err(BodyError::TooLarge)
    } else {
        Ok(Bytes::from(buf))
    }
}

/// How long a [`TruncatedBody`] waits after its first part, so that hyper flushes the head
/// and that part to the socket before the connection is cut.
const TRUNCATE_PAUSE: std::time::Duration = std::time::Duration::from_millis(50);

/// A response body that sends its first part and then fails, so the connection is cut before
/// the announced `Content-Length` is reached.
pub(crate) struct TruncatedBody {
    first: Option<Bytes>,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl TruncatedBody {
    /// Sends `first`, pauses briefly, then fails.
    pub fn new(first: Bytes) -> Self {
        TruncatedBody {
            first: Some(first),
            pause: None,
        }
    }
}

impl http_body::Body for TruncatedBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        if let Some(data) = self.first.take() {
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        let pause = self
            .pause
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(TRUNCATE_PAUSE)));
        match pause.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "body truncated by fault injection",
            )))),
        }
    }
}
