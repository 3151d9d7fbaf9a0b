//! One image-creation job of the emulator, and the phase it is in at a given instant (computed
//! from the elapsed time, never stored). A leaf: the state and the image store both read it.

use std::time::{Duration, Instant};

use crate::faults::JobFailure;

/// One image-creation job. Its status is computed from the elapsed time when queried.
#[derive(Debug)]
pub(crate) struct JobRecord {
    pub job_id: String,
    pub job_type: &'static str,
    pub image_name: String,
    pub image_id: String,
    pub created: Instant,
    /// Creation time by the emulator's clock, Unix milliseconds.
    pub begin_millis: i64,
    pub duration: Duration,
    pub failure: Option<JobFailure>,
}

/// Where a job is at a given instant (computed from the elapsed time, never stored).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum JobPhase {
    /// The first 10 % of the duration.
    Init,
    /// Running: the elapsed share of the duration (0.1 up to, not including, 1.0).
    Running(f64),
    /// Done, successfully.
    Success,
    /// Done, failed (a failure was injected for the job).
    Fail,
}

impl JobRecord {
    /// The phase at `now`: INIT for the first 10 % of the duration, then RUNNING until the
    /// duration has passed, then SUCCESS (or FAIL when a failure was set for the job).
    pub fn phase(&self, now: Instant) -> JobPhase {
        let elapsed = now.saturating_duration_since(self.created);
        if elapsed >= self.duration {
            if self.failure.is_some() {
                JobPhase::Fail
            } else {
                JobPhase::Success
            }
        } else {
            let ratio = elapsed.as_secs_f64() / self.duration.as_secs_f64();
            if ratio < 0.1 {
                JobPhase::Init
            } else {
                JobPhase::Running(ratio)
            }
        }
    }

    /// Whether the job still runs at `now` (INIT or RUNNING): what the concurrency limit counts.
    pub fn is_running(&self, now: Instant) -> bool {
        matches!(self.phase(now), JobPhase::Init | JobPhase::Running(_))
    }
}
