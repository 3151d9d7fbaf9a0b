//! The waiter: polls a job until SUCCESS or FAIL, with a first delay, a growing interval with
//! jitter, an overall timeout, transient errors absorbed within a budget, progress reports and
//! cancellation.

use std::time::{Duration, Instant};

use super::retry::RetryPolicy;

use super::{Inner, JobId};
use crate::error::{Error, Result};
use crate::model::{Job, JobStatus};
use crate::validate::{Rule, ValidationErrors, Violation};

/// The longest duration [`WaitOptions::validate`] accepts for every field (366 days, as the C
/// door's `ims_wait_options`): beyond it, clock arithmetic could overflow.
pub const MAX_WAIT_DURATION: Duration = super::retry::MAX_RETRY_DELAY;
/// The largest [`WaitOptions::backoff`] accepted.
pub const MAX_BACKOFF: f64 = 100.0;

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
    /// Checks every field, all violations at once, as [`Error::Validation`] naming the field:
    /// `interval` and `tick` must be above zero; every duration (`first_delay`, `interval`,
    /// `max_interval`, `timeout`, `tick`) at most [`MAX_WAIT_DURATION`]; `backoff` a finite
    /// number from 1.0 to [`MAX_BACKOFF`]; `jitter` a finite number from 0.0 to 1.0.
    /// `max_interval` below `interval` is allowed (the interval is then fixed).
    ///
    /// [`Client::wait`](crate::Client::wait) calls it before anything is sent.
    pub fn validate(&self) -> Result<()> {
        let mut violations = Vec::new();
        let max_days = MAX_WAIT_DURATION.as_secs() / 86_400;
        let durations = [
            ("first_delay", self.first_delay, false),
            ("interval", self.interval, true),
            ("max_interval", self.max_interval, false),
            ("timeout", self.timeout, false),
            ("tick", self.tick, true),
        ];
        for (field, value, positive) in durations {
            if positive && value.is_zero() {
                violations.push(
                    Violation::new(field, Rule::Range, "must be greater than zero")
                        .with_value(&format!("{value:?}")),
                );
            } else if value > MAX_WAIT_DURATION {
                violations.push(
                    Violation::new(
                        field,
                        Rule::Range,
                        format!("must be at most {max_days} days"),
                    )
                    .with_value(&format!("{value:?}")),
                );
            }
        }
        if !(self.backoff.is_finite() && (1.0..=MAX_BACKOFF).contains(&self.backoff)) {
            violations.push(
                Violation::new(
                    "backoff",
                    Rule::Range,
                    format!("must be a number from 1.0 to {MAX_BACKOFF:.1}"),
                )
                .with_value(&self.backoff.to_string()),
            );
        }
        if !(self.jitter.is_finite() && (0.0..=1.0).contains(&self.jitter)) {
            violations.push(
                Violation::new("jitter", Rule::Range, "must be a number from 0.0 to 1.0")
                    .with_value(&self.jitter.to_string()),
            );
        }
        // Field order, as the struct declares them.
        let order = [
            "first_delay",
            "interval",
            "backoff",
            "max_interval",
            "jitter",
            "timeout",
            "tick",
        ];
        violations.sort_by_key(|v| order.iter().position(|f| *f == v.field));
        ValidationErrors::from_violations(violations).map_err(Error::Validation)
    }

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

    /// The sleep after poll number `poll` (counting from 1), before jitter. Never panics,
    /// whatever the fields hold (unchecked values are clamped).
    pub fn interval_after(&self, poll: u32) -> Duration {
        let factor = self.backoff.max(1.0).powi(
            i32::try_from(poll.saturating_sub(1))
                .unwrap_or(i32::MAX)
                .min(64),
        );
        // The cap is never below the interval; float rounding never lifts the result above it.
        let cap = self.max_interval.max(self.interval);
        let secs = (self.interval.as_secs_f64() * factor).min(cap.as_secs_f64());
        Duration::try_from_secs_f64(secs).map_or(cap, |d| d.min(cap))
    }

    /// `d` varied by up to `jitter`, up or down. Never panics: a jitter that is not a number
    /// counts as none, and a result beyond `Duration`'s range stays `d`.
    pub fn jittered(&self, d: Duration) -> Duration {
        let j = if self.jitter.is_nan() {
            0.0
        } else {
            self.jitter.clamp(0.0, 1.0)
        };
        if j == 0.0 {
            return d;
        }
        let factor = 1.0 + j * (2.0 * fastrand::f64() - 1.0);
        Duration::try_from_secs_f64(d.as_secs_f64() * factor).unwrap_or(d)
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
    /// Every [`WaitOptions::tick`] while sleeping (e.g. to check for Ctrl-C), when
    /// [`WaitObserver::wants_ticks`] says so.
    fn on_tick(&mut self, _elapsed: Duration) -> Control {
        Control::Continue
    }
    /// Whether the waiter should wake every tick to call [`WaitObserver::on_tick`] (default
    /// yes). An observer without `on_tick` says no, and its sleeps are one timer each: this is
    /// what lets thousands of async waits share a thread.
    fn wants_ticks(&self) -> bool {
        true
    }
}

impl<F: FnMut(&Progress<'_>) -> Control> WaitObserver for F {
    fn on_progress(&mut self, progress: &Progress<'_>) -> Control {
        self(progress)
    }
    fn wants_ticks(&self) -> bool {
        false
    }
}

/// An observer that only waits.
pub(crate) struct Silent;

impl WaitObserver for Silent {
    fn on_progress(&mut self, _: &Progress<'_>) -> Control {
        Control::Continue
    }
    fn wants_ticks(&self) -> bool {
        false
    }
}

/// The waiter's rules, once for both doors, without I/O: when to poll, how long a poll may
/// take, and what each poll's result means (pacing, the error budget, the deadline,
/// cancellation). The async door runs its steps on the caller's task
/// ([`Inner::wait_with`]); the blocking door sleeps and calls the observer on the caller's
/// thread and hands each poll to the I/O runtime ([`super::Client::wait_with`]).
///
/// The timeout is a deadline for the whole wait: sleeps end by it, and a poll (with its slot
/// queue, credential and project lookups, attempts and backoffs) is cut when it passes. The
/// last sleep ends a little before the deadline (a tenth of the timeout, at most 1 s), so that
/// the last poll has time to be answered. Every wait polls at least once: the first poll has at
/// least [`FIRST_POLL_BUDGET`], whatever the timeout (a timeout of 0 means "check once").
pub(crate) struct Waiter<'a> {
    job_id: &'a JobId,
    options: &'a WaitOptions,
    retry: &'a RetryPolicy,
    start: Instant,
    deadline: Instant,
    /// The latest time a poll starts: the deadline less the reserve for its answer.
    last_start: Instant,
    last: Option<Job>,
    polls: u32,
    transient: u32,
    next_sleep: Duration,
}

/// The least time the first poll of a wait has, whatever its timeout: a wait always asks once.
pub const FIRST_POLL_BUDGET: Duration = Duration::from_secs(1);

/// The waiter's next step.
pub(crate) enum Next {
    /// Sleep until then, and poll.
    PollAt(Instant),
    /// Sleep until then (the deadline), and give up with [`Waiter::timed_out`].
    TimeOutAt(Instant),
}

/// What a poll's result means for the wait.
pub(crate) enum Verdict {
    /// Poll again after the next sleep.
    Again,
    /// The wait is over, with this result (boxed: a job document is large).
    Over(Box<Result<Job>>),
}

impl<'a> Waiter<'a> {
    /// A wait starting now; [`Error::Validation`] for options that break
    /// [`WaitOptions::validate`].
    pub(crate) fn new(
        inner: &'a Inner,
        job_id: &'a JobId,
        options: &'a WaitOptions,
    ) -> Result<Waiter<'a>> {
        options.validate()?;
        let start = Instant::now();
        // Validated: the timeout is at most a year, so neither overflows.
        let deadline = start.checked_add(options.timeout).unwrap_or(start);
        let reserve = (options.timeout / 10).min(Duration::from_secs(1));
        Ok(Waiter {
            job_id,
            options,
            retry: &inner.retry,
            start,
            deadline,
            last_start: deadline.checked_sub(reserve).unwrap_or(deadline),
            last: None,
            polls: 0,
            transient: 0,
            next_sleep: options.first_delay,
        })
    }

    /// When the wait began.
    pub(crate) fn start(&self) -> Instant {
        self.start
    }

    /// When the poll starting now is cut: the deadline, except that the first poll of a wait
    /// has at least [`FIRST_POLL_BUDGET`] (a wait with a tiny timeout still asks once).
    pub(crate) fn poll_deadline(&self) -> Instant {
        let tried = self.polls > 0 || self.transient > 0;
        if tried {
            return self.deadline;
        }
        let now = Instant::now();
        now.checked_add(FIRST_POLL_BUDGET)
            .map_or(self.deadline, |floor| floor.max(self.deadline))
    }

    /// What comes next: a poll at some time, or (when no poll fits before the deadline any
    /// more) the end of the wait at the deadline, so that a wait that times out has always
    /// waited its whole timeout.
    pub(crate) fn next(&self) -> Next {
        let now = Instant::now();
        let tried = self.polls > 0 || self.transient > 0;
        // Every wait asks at least once, even with a timeout of 0 ("check once").
        if tried && (now >= self.deadline || now >= self.last_start) {
            return Next::TimeOutAt(self.deadline);
        }
        let scheduled = now.checked_add(self.next_sleep).unwrap_or(self.last_start);
        Next::PollAt(scheduled.min(self.last_start).max(now))
    }

    /// The error of a wait whose deadline passed.
    pub(crate) fn timed_out(&self) -> Error {
        Error::WaitTimeout {
            job_id: self.job_id.to_string(),
            elapsed: self.start.elapsed(),
            last: self.last.clone().map(Box::new),
        }
    }

    /// The error of a wait the observer cancelled.
    pub(crate) fn cancelled(&self) -> Error {
        Error::Cancelled {
            job_id: self.job_id.to_string(),
            last: self.last.clone().map(Box::new),
        }
    }

    /// Takes a poll's result: reports it to `observer` and says whether to poll again. The
    /// job's own outcome wins over the observer's answer: a final poll (SUCCESS or FAIL) ends
    /// the wait with that outcome even when the observer cancels on it.
    pub(crate) fn after_poll<O: WaitObserver + ?Sized>(
        &mut self,
        result: Result<Job>,
        observer: &mut O,
    ) -> Verdict {
        match result {
            Ok(job) => {
                self.transient = 0;
                self.polls += 1;
                let progress = Progress {
                    job: &job,
                    status: &job.status,
                    percent: job.process_percent(),
                    elapsed: self.start.elapsed(),
                    polls: self.polls,
                };
                let control = observer.on_progress(&progress);
                match job.status {
                    JobStatus::Success => return Verdict::Over(Box::new(Ok(job))),
                    JobStatus::Fail => {
                        return Verdict::Over(Box::new(Err(Error::JobFailed {
                            job: Box::new(job),
                        })));
                    }
                    _ => {}
                }
                self.last = Some(job);
                if control == Control::Cancel {
                    return Verdict::Over(Box::new(Err(self.cancelled())));
                }
                self.next_sleep = self
                    .options
                    .jittered(self.options.interval_after(self.polls));
                Verdict::Again
            }
            Err(e) if is_transient(&e) && self.transient < self.options.transient_error_budget => {
                self.transient += 1;
                tracing::debug!(target: "ims", job_id = %self.job_id, error = %e, transient = self.transient, "transient error while waiting");
                if observer.on_retry(&e, self.start.elapsed()) == Control::Cancel {
                    return Verdict::Over(Box::new(Err(self.cancelled())));
                }
                // At least the client's retry backoff (or the server's `Retry-After`, capped
                // as for any retry), and never less than the poll schedule.
                let retry_after = e.api().and_then(|api| api.retry_after);
                let backoff = self.retry.delay(self.transient, retry_after);
                let schedule = self.options.jittered(
                    self.options
                        .interval_after(self.polls.max(1).saturating_add(self.transient)),
                );
                self.next_sleep = schedule.max(backoff);
                Verdict::Again
            }
            Err(e) => Verdict::Over(Box::new(Err(e))),
        }
    }
}

impl Inner {
    /// The async door's waiter: [`Waiter`]'s steps on the caller's task (see
    /// [`super::AsyncClient::wait`]). Generic over the observer so that the future is `Send`
    /// exactly when the observer is.
    pub(crate) async fn wait_with<O: WaitObserver + ?Sized>(
        &self,
        job_id: &JobId,
        options: &WaitOptions,
        observer: &mut O,
    ) -> Result<Job> {
        let mut waiter = Waiter::new(self, job_id, options)?;
        loop {
            let (at, give_up) = match waiter.next() {
                Next::PollAt(at) => (at, false),
                Next::TimeOutAt(at) => (at, true),
            };
            if sleep_ticking(at, options.tick, waiter.start(), observer).await == Control::Cancel {
                return Err(waiter.cancelled());
            }
            if give_up {
                return Err(waiter.timed_out());
            }
            let poll = self.job_via(job_id, self.job_endpoint);
            let result = match tokio::time::timeout_at(waiter.poll_deadline().into(), poll).await {
                Ok(result) => result,
                Err(_) => return Err(waiter.timed_out()),
            };
            if let Verdict::Over(result) = waiter.after_poll(result, observer) {
                return *result;
            }
        }
    }
}

fn is_transient(e: &Error) -> bool {
    super::retry::may_retry(e, super::retry::Asker::Waiter)
}

/// Sleeps until `end` on a timer, calling `on_tick` every `tick` when the observer wants
/// ticks; stops early on cancel.
async fn sleep_ticking<O: WaitObserver + ?Sized>(
    end: Instant,
    tick: Duration,
    start: Instant,
    observer: &mut O,
) -> Control {
    if !observer.wants_ticks() {
        // No timer for a sleep of zero (a first poll at once): tokio's timer would still round
        // it up to its next millisecond tick, and park the runtime for it.
        if end <= Instant::now() {
            return Control::Continue;
        }
        tokio::time::sleep_until(end.into()).await;
        return Control::Continue;
    }
    let tick = tick.max(Duration::from_millis(1));
    loop {
        if observer.on_tick(start.elapsed()) == Control::Cancel {
            return Control::Cancel;
        }
        let now = Instant::now();
        if now >= end {
            return Control::Continue;
        }
        tokio::time::sleep((end - now).min(tick)).await;
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

    fn any_duration() -> impl proptest::strategy::Strategy<Value = Duration> {
        use proptest::prelude::*;
        prop_oneof![
            Just(Duration::ZERO),
            Just(Duration::MAX),
            (any::<u64>(), 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
            (0u64..10_000).prop_map(Duration::from_millis),
        ]
    }

    fn any_f64() -> impl proptest::strategy::Strategy<Value = f64> {
        use proptest::prelude::*;
        prop_oneof![
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(0.0),
            Just(-0.0),
            Just(f64::MAX),
            Just(f64::MIN_POSITIVE),
            any::<f64>(),
            -10.0f64..10.0,
        ]
    }

    proptest::proptest! {
        /// `interval_after` and `jittered` never panic, whatever the options hold (the doors
        /// validate, but a Rust caller may build any struct).
        #[test]
        fn pacing_never_panics(
            interval in any_duration(),
            max_interval in any_duration(),
            d in any_duration(),
            backoff in any_f64(),
            jitter in any_f64(),
            poll in proptest::prelude::any::<u32>(),
        ) {
            let o = WaitOptions { interval, max_interval, backoff, jitter, ..WaitOptions::default() };
            let after = o.interval_after(poll);
            proptest::prop_assert!(after <= interval.max(max_interval));
            let _ = o.jittered(d);
            let _ = o.jittered(after);
            let _ = o.validate();
        }

        /// With valid options, the jittered sleep stays within ±jitter of the interval.
        #[test]
        fn valid_options_pace_within_bounds(
            interval_ms in 1u64..100_000_000,
            max_ms in 0u64..100_000_000,
            backoff in 1.0f64..100.0,
            jitter in 0.0f64..=1.0,
            poll in 1u32..1000,
        ) {
            let o = WaitOptions {
                interval: Duration::from_millis(interval_ms),
                max_interval: Duration::from_millis(max_ms),
                backoff,
                jitter,
                ..WaitOptions::default()
            };
            proptest::prop_assert!(o.validate().is_ok());
            let base = o.interval_after(poll);
            proptest::prop_assert!(base >= o.interval.min(o.max_interval.max(o.interval)));
            let j = o.jittered(base).as_secs_f64();
            let b = base.as_secs_f64();
            proptest::prop_assert!(j >= b * (1.0 - jitter) - 1e-6 && j <= b * (1.0 + jitter) + 1e-6);
        }
    }

    /// A sleep of zero (a first poll at once) returns without a timer: tokio rounds a timer up
    /// to its next millisecond tick, which made every create + wait cycle of 0 s sleep 1 ms.
    /// With the clock paused, a timer would move it.
    #[test]
    fn a_sleep_of_zero_sets_no_timer() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("runtime");
        rt.block_on(async {
            let before = tokio::time::Instant::now();
            let control = sleep_ticking(
                Instant::now(),
                Duration::from_millis(100),
                Instant::now(),
                &mut Silent,
            )
            .await;
            assert_eq!(control, Control::Continue);
            assert_eq!(
                tokio::time::Instant::now(),
                before,
                "a zero sleep waited for the timer"
            );
        });
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
