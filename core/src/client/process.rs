//! What a client keeps per process: its connection pool, its request slots and its project
//! lookup in progress, made anew in a child after `fork()`.
//!
//! A child inherits the parent's memory but not its threads: the pooled connections are the
//! parent's sockets (a request written on one would interleave with the parent's), a slot or a
//! lock held by one of the parent's tasks would stay held forever in the child. So the first
//! call in a child finds a pid that is not its own and builds all of it again. The parent's
//! objects are leaked in the child, never dropped: dropping a pooled connection would
//! deregister its socket from the epoll instance the child shares with the parent.

use std::any::Any;
use std::sync::{Arc, Mutex};

use super::config::ClientConfig;
use super::{Inner, http};
use crate::error::Result;

/// What a forked child inherited and must never drop, kept here for the life of the process:
/// still reachable, so leak checkers (valgrind, LeakSanitizer) see it as kept, not lost.
static INHERITED: Mutex<Vec<Box<dyn Any + Send>>> = Mutex::new(Vec::new());

/// Keeps `value` (something a forked child inherited from its parent) until the process ends,
/// without ever dropping it.
pub(crate) fn keep_forever<T: Send + 'static>(value: T) {
    INHERITED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(Box::new(value));
}

/// The per-process part of a client.
pub(crate) struct PerProcess {
    /// The process that built it.
    pid: u32,
    /// The HTTP client and its connection pool.
    pub http: reqwest::Client,
    /// One permit per exchange in flight ([`ClientConfig::max_concurrent_requests`]).
    pub in_flight: tokio::sync::Semaphore,
    /// Held by the one call that looks the project id up in IAM; the others wait for its
    /// answer instead of asking too.
    pub project_lookup: super::project::Lookup,
}

impl PerProcess {
    /// The state for these settings, in this process.
    pub(crate) fn new(config: &ClientConfig) -> Result<PerProcess> {
        Ok(PerProcess {
            pid: std::process::id(),
            http: http::for_config(config)?,
            in_flight: tokio::sync::Semaphore::new(config.max_concurrent_requests),
            project_lookup: super::project::Lookup::default(),
        })
    }
}

impl Drop for Inner {
    /// A client dropped in a forked child that never called it still holds its parent's
    /// state: kept for good, never dropped (see the module docs).
    fn drop(&mut self) {
        let current = self.process.get_mut().unwrap_or_else(|p| p.into_inner());
        if current.pid != std::process::id() {
            keep_forever(Arc::clone(current));
        }
    }
}

impl Inner {
    /// This process's state, built anew when the process is a forked child of the one that
    /// built the current one.
    pub(crate) fn process(&self) -> Result<Arc<PerProcess>> {
        let pid = std::process::id();
        let mut current = self.process.lock().unwrap_or_else(|p| p.into_inner());
        if current.pid != pid {
            let fresh = Arc::new(PerProcess::new(&self.config)?);
            tracing::debug!(target: "ims", pid, "new connection pool after fork");
            keep_forever(std::mem::replace(&mut *current, fresh));
        }
        Ok(Arc::clone(&current))
    }
}
