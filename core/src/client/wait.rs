//! The waiter: polls a job until SUCCESS or FAIL, with a first delay, a growing interval with
//! jitter, an overall timeout, transient errors absorbed within a budget, progress reports and
//! cancellation.

use std::time::{Duration, Instant};

use super::{Client, JobId};
use crate::error::{Error, Result};
use crate::model::{Job, JobStatus};

/// How to wait for a job.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WaitOptions {
    /// Before the first poll (default 10 s: a full-ECS image takes minutes).
    pub first_delay: Duration,
    /// Between the first polls (default 10 s).
    pub interval: Duration,
    /// The interval grows by this factor after each poll (default 1.5; 1.0 keeps it fixed).
    pub backoff: f64,
    /// Cap of the interval (default 60 s).
    pub max_interval: Duration,
    /// Each sleep is varied by up to this fraction, up or down (default 0.1).
    pub jitter: f64,
    /// Overall limit (default 60 minutes; the peers' 20 minutes is too short for full-ECS images).
    pub timeout: Duration,
    /// Consecutive transient errors (429, 5xx, connection errors, timeouts) absorbed before the
    /// wait gives up with the last of them (default 10).
    pub transient_error_budget: u32,
    /// How often a sleeping waiter checks for cancellation (default 100 ms).
    pub tick: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            first_delay: Duration::from_secs(10),
            interval: Duration::from_secs(10),
            backoff: 1.5,
            max_interval: Duration::from_secs(60),
            jitter: 0.1,
            timeout: Duration::from_secs(60 * 60),
            transient_error_budget: 10,
            tick: Duration::from_millis(100),
        }
    }
}

impl WaitOptions {
    /// Polls every `interval` from the start, without growth or jitter (handy in tests).
    pub fn fixed(interval: Duration, timeout: Duration) -> Self {
        WaitOptions {
            first_delay: Duration::ZERO,
            interval,
            backoff: 1.0,
            max_interval: interval,
            jitter: 0.0,
            timeout,
            ..Self::default()
        }
    }

    /// The sleep after poll number `poll` (counting from 1), before jitter.
    pub fn interval_after(&self, poll: u32) -> Duration {
        let factor = self.backoff.max(1.0).powi(
            i32::try_from(poll.saturating_sub(1))
                .unwrap_or(i32::MAX)
                .min(64),
        );
        let secs = (self.interval.as_secs_f64() * factor).min(
            self.max_interval
                .as_secs_f64()
                .max(self.interval.as_secs_f64()),
        );
        Duration::try_from_secs_f64(secs).unwrap_or(self.max_interval)
    }

    fn jittered(&self, d: Duration) -> Duration {
        let j = self.jitter.clamp(0.0, 1.0);
        if j == 0.0 {
            return d;
        }
        d.mul_f64(1.0 + j * (2.0 * fastrand::f64() - 1.0))
    }
}

/// One progress report.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// The job polled.
    pub job: &'a Job,
    /// Its status.
    pub status: &'a JobStatus,
    /// `entities.process_percent`, when the service gave one.
    pub percent: Option<f64>,
    /// Time since the wait began.
    pub elapsed: Duration,
    /// Number of successful polls so far.
    pub polls: u32,
}

/// What the observer wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Keep waiting.
    Continue,
    /// Stop now with [`Error::Cancelled`].
    Cancel,
}

/// Sees the wait: each poll's result, each transient error, and ticks while sleeping.
pub trait WaitObserver {
    /// After each successful poll.
    fn on_progress(&mut self, progress: &Progress<'_>) -> Control;
    /// After a transient error that the wait absorbed.
    fn on_retry(&mut self, _error: &Error, _elapsed: Duration) -> Control {
        Control::Continue
    }
    /// Every [`WaitOptions::tick`] while sleeping (e.g. to check for Ctrl-C).
    fn on_tick(&mut self, _elapsed: Duration) -> Control {
        Control::Continue
    }
}

impl<F: FnMut(&Progress<'_>) -> Control> WaitObserver for F {
    fn on_progress(&mut self, progress: &Progress<'_>) -> Control {
        self(progress)
    }
}

/// An observer that only waits.
struct Silent;

impl WaitObserver for Silent {
    fn on_progress(&mut self, _: &Progress<'_>) -> Control {
        Control::Continue
    }
}

impl Client {
    /// Waits for the job to end. SUCCESS returns the job ([`Job::image_id`] has the image);
    /// FAIL returns [`Error::JobFailed`]; the timeout returns [`Error::WaitTimeout`] with the last
    /// job seen.
    pub fn wait(&self, job_id: &JobId, options: &WaitOptions) -> Result<Job> {
        self.wait_with(job_id, options, &mut Silent)
    }

    /// [`Client::wait`], reporting to `observer` (a closure `FnMut(&Progress) -> Control` works).
    pub fn wait_with(
        &self,
        job_id: &JobId,
        options: &WaitOptions,
        observer: &mut dyn WaitObserver,
    ) -> Result<Job> {
        let start = Instant::now();
        let mut last: Option<Job> = None;
        let mut polls = 0u32;
        let mut transient = 0u32;
        let mut next_sleep = options.first_delay;
        loop {
            let cancelled = |last: &Option<Job>| Error::Cancelled {
                job_id: job_id.to_string(),
                last: last.clone().map(Box::new),
            };
            let remaining = options.timeout.saturating_sub(start.elapsed());
            if remaining.is_zero() && (polls > 0 || transient > 0) {
                return Err(Error::WaitTimeout {
                    job_id: job_id.to_string(),
                    elapsed: start.elapsed(),
                    last: last.map(Box::new),
                });
            }
            if sleep_ticking(next_sleep.min(remaining), options.tick, start, observer)
                == Control::Cancel
            {
                return Err(cancelled(&last));
            }
            match self.job(job_id) {
                Ok(job) => {
                    transient = 0;
                    polls += 1;
                    let progress = Progress {
                        job: &job,
                        status: &job.status,
                        percent: job.process_percent(),
                        elapsed: start.elapsed(),
                        polls,
                    };
                    let control = observer.on_progress(&progress);
                    match job.status {
                        JobStatus::Success => return Ok(job),
                        JobStatus::Fail => return Err(Error::JobFailed { job: Box::new(job) }),
                        _ => {}
                    }
                    last = Some(job);
                    if control == Control::Cancel {
                        return Err(cancelled(&last));
                    }
                    next_sleep = options.jittered(options.interval_after(polls));
                }
                Err(e) if is_transient(&e) && transient < options.transient_error_budget => {
                    transient += 1;
                    tracing::debug!(target: "ims", job_id = %job_id, error = %e, transient, "transient error while waiting");
                    if observer.on_retry(&e, start.elapsed()) == Control::Cancel {
                        return Err(cancelled(&last));
                    }
                    let retry_after = match &e {
                        Error::Api(api) if api.status == 429 => Some(options.interval),
                        _ => None,
                    };
                    next_sleep = retry_after.unwrap_or_else(|| {
                        options.jittered(options.interval_after(polls.max(1) + transient))
                    });
                }
                Err(e) => return Err(e),
            }
        }
    }
}

fn is_transient(e: &Error) -> bool {
    match e {
        Error::Transport { .. } | Error::Timeout(_) | Error::InvalidResponse { .. } => true,
        Error::Api(api) => api.is_transient(),
        _ => false,
    }
}

/// Sleeps `total`, calling `on_tick` every `tick`; stops early on cancel.
fn sleep_ticking(
    total: Duration,
    tick: Duration,
    start: Instant,
    observer: &mut dyn WaitObserver,
) -> Control {
    // A huge total (e.g. `Duration::MAX` from a caller) must not overflow the clock: cap it.
    let end = Instant::now() + total.min(Duration::from_secs(100 * 365 * 86_400));
    let tick = tick.max(Duration::from_millis(1));
    loop {
        if observer.on_tick(start.elapsed()) == Control::Cancel {
            return Control::Cancel;
        }
        let now = Instant::now();
        if now >= end {
            return Control::Continue;
        }
        std::thread::sleep((end - now).min(tick));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_grows_to_the_cap() {
        let o = WaitOptions {
            interval: Duration::from_secs(10),
            backoff: 2.0,
            max_interval: Duration::from_secs(60),
            ..WaitOptions::default()
        };
        let got: Vec<u64> = (1..=6).map(|p| o.interval_after(p).as_secs()).collect();
        assert_eq!(got, vec![10, 20, 40, 60, 60, 60]);
        let fixed = WaitOptions::fixed(Duration::from_millis(5), Duration::from_secs(1));
        assert_eq!(fixed.interval_after(50), Duration::from_millis(5));
    }

    #[test]
    fn jitter_stays_within_bounds() {
        let o = WaitOptions {
            jitter: 0.2,
            ..WaitOptions::default()
        };
        for _ in 0..200 {
            let d = o.jittered(Duration::from_secs(10));
            assert!(
                d >= Duration::from_secs(8) && d <= Duration::from_secs(12),
                "{d:?}"
            );
        }
    }
}
