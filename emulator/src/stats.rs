//! What the emulator saw, for tests: counters and the request log (method, path, status —
//! never headers, bodies or secrets).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

/// The request log keeps at most this many entries (the oldest are dropped first).
pub const MAX_RECORDED_REQUESTS: usize = 100_000;

/// One request as the emulator answered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// The HTTP method.
    pub method: String,
    /// The path as received (no query string).
    pub path: String,
    /// The status answered; `0` when the connection was dropped without a response.
    pub status: u16,
}

/// A snapshot of the emulator's counters, from [`crate::Emulator::stats`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Create calls answered 200 (a create whose connection was then dropped is not counted).
    pub create_accepted: u64,
    /// Images (jobs) created, including those whose response was dropped.
    pub images_created: u64,
    /// TCP connections accepted.
    pub connections: u64,
    /// Requests received (all of them, even when the log below was cut).
    pub requests_total: u64,
    /// The most image-creation jobs ever seen running at once (INIT or RUNNING), counted
    /// each time a job starts: what a test asserts "never more than N at once" with.
    pub peak_running_jobs: u64,
    /// Image-creation jobs running now (when the snapshot was taken).
    pub running_jobs: u64,
    /// The last requests (at most [`MAX_RECORDED_REQUESTS`]), oldest first.
    pub requests: Vec<RequestRecord>,
}

impl Stats {
    /// How many logged requests had this method and path and got this status.
    pub fn count(&self, method: &str, path: &str, status: u16) -> usize {
        self.requests
            .iter()
            .filter(|r| r.method == method && r.path == path && r.status == status)
            .count()
    }
}

/// The live counters behind [`Stats`].
#[derive(Debug, Default)]
pub(crate) struct StatsRecorder {
    create_accepted: AtomicU64,
    images_created: AtomicU64,
    connections: AtomicU64,
    requests_total: AtomicU64,
    peak_running_jobs: AtomicU64,
    log: Mutex<VecDeque<RequestRecord>>,
}

impl StatsRecorder {
    pub(crate) fn connection_accepted(&self) {
        self.connections.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn image_created(&self) {
        self.images_created.fetch_add(1, Ordering::Relaxed);
    }

    /// A job started and `running` jobs now run (it included): raises the peak.
    pub(crate) fn jobs_running(&self, running: u64) {
        self.peak_running_jobs.fetch_max(running, Ordering::Relaxed);
    }

    pub(crate) fn create_accepted(&self) {
        self.create_accepted.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn request(&self, method: &str, path: &str, status: u16) {
        self.requests_total.fetch_add(1, Ordering::Relaxed);
        let record = RequestRecord {
            method: method.to_owned(),
            path: path.to_owned(),
            status,
        };
        let mut log = self.log.lock();
        if log.len() >= MAX_RECORDED_REQUESTS {
            log.pop_front();
        }
        log.push_back(record);
    }

    pub(crate) fn snapshot(&self) -> Stats {
        Stats {
            create_accepted: self.create_accepted.load(Ordering::Relaxed),
            images_created: self.images_created.load(Ordering::Relaxed),
            connections: self.connections.load(Ordering::Relaxed),
            requests_total: self.requests_total.load(Ordering::Relaxed),
            peak_running_jobs: self.peak_running_jobs.load(Ordering::Relaxed),
            running_jobs: 0,
            requests: self.log.lock().iter().cloned().collect(),
        }
    }

    pub(crate) fn reset(&self) {
        self.create_accepted.store(0, Ordering::Relaxed);
        self.images_created.store(0, Ordering::Relaxed);
        self.connections.store(0, Ordering::Relaxed);
        self.requests_total.store(0, Ordering::Relaxed);
        self.peak_running_jobs.store(0, Ordering::Relaxed);
        self.log.lock().clear();
    }
}
