//! The blocking door's engine: a current-thread tokio runtime that the calling thread runs
//! itself, driving the same async code [`super::AsyncClient`] awaits.
//!
//! `reqwest::blocking` hands every request to a runtime thread and back, two context switches
//! per exchange; profiles of a create + poll cycle showed most client CPU in that hand-off.
//! Here the thread that calls runs the I/O itself, and no thread is started. Several threads may
//! call at once (tokio's current-thread runtime lets one drive the I/O while the others wait for
//! their own futures). Calling from inside an async runtime is refused with an error naming
//! the async client, rather than a panic or a stalled runtime.

use std::future::Future;

use crate::error::{Error, Result};

/// What the blocking client says when it is called inside an async runtime.
pub(crate) const INSIDE_RUNTIME: &str = "the blocking Client was called inside an async runtime, where it would stall every task of that thread: use ims_core::AsyncClient (ClientBuilder::build_async) and await it, or call the blocking Client from spawn_blocking or a plain thread";

/// A current-thread runtime, shut down without blocking when dropped.
pub(crate) struct Driver {
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Driver")
    }
}

impl Driver {
    /// A runtime with I/O and timers, no thread started.
    pub(crate) fn new() -> Result<Driver> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Config(format!("cannot start the I/O runtime: {e}")))?;
        Ok(Driver {
            runtime: Some(runtime),
        })
    }

    /// Runs `future` to completion on this thread; [`Error::Config`] ([`INSIDE_RUNTIME`])
    /// when this thread is already inside an async runtime.
    pub(crate) fn block_on<T>(&self, future: impl Future<Output = Result<T>>) -> Result<T> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::Config(INSIDE_RUNTIME.to_owned()));
        }
        match &self.runtime {
            Some(rt) => rt.block_on(future),
            None => Err(Error::Config(INSIDE_RUNTIME.to_owned())),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Never blocks, so dropping a client inside an async context cannot panic.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
