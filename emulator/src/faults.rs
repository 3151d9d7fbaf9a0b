//! Fault injection: throttling, server errors, delays, dropped connections, truncated or
//! mislabelled bodies, and failing jobs. Set at start ([`FaultConfig`]) and while running
//! ([`FaultHandle`]); thread-safe.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

/// Which of the emulated APIs a fault is aimed at (one fault queue each). Named `Api`, not
/// `Endpoint`: `ims_core::endpoint::Endpoint` is a client's base URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    /// `POST /v1/cloudimages/wholeimages/action`.
    Create,
    /// Both job queries: `GET /v1/cloudimages/job/{id}` and `GET /v1/{project}/jobs/{id}`.
    Job,
    /// IAM `GET /v3/projects`.
    Iam,
    /// Instance metadata: the token `PUT` and the `securitykey` `GET`.
    Metadata,
    /// The image calls: `GET /v2/cloudimages`, the quota `GET`s and `DELETE /v2/images/{id}`.
    Images,
}

impl Api {
    /// Every API.
    pub const ALL: [Api; 5] = [Api::Create, Api::Job, Api::Iam, Api::Metadata, Api::Images];

    fn index(self) -> usize {
        match self {
            Api::Create => 0,
            Api::Job => 1,
            Api::Iam => 2,
            Api::Metadata => 3,
            Api::Images => 4,
        }
    }
}

/// One injected fault, applied to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 429 `APIGW.0308` with `Retry-After: <retry_after_secs>`; the request is not
    /// handled.
    Throttle {
        /// Value of the `Retry-After` header, in seconds.
        retry_after_secs: u64,
    },
    /// HTTP 401 `APIGW.0301` "AK access failed to reach the limit, forbidden" (the gateway
    /// locks an AK for 5 minutes after five failed authentications); the request is not
    /// handled.
    AkLocked,
    /// HTTP 500 `{"error": {"code": "IMG.0500", ...}}`; the request is not handled.
    InternalError,
    /// HTTP 503 `{"error": {"code": "IMG.0503", ...}}`; the request is not handled.
    Unavailable,
    /// The request is handled, then the response waits this long before it is sent.
    Delay(Duration),
    /// The connection is closed before the request is handled: nothing is created and no
    /// response byte is sent.
    DropBeforeHandling,
    /// The request is handled (a create DOES create the image and its job), then the
    /// connection is closed without a response byte.
    DropAfterHandling,
    /// The request is handled; the response announces its full `Content-Length` but only
    /// part of the body is sent before the connection is closed.
    TruncatedBody,
    /// The request is handled; the response body is replaced by an HTML page with
    /// `Content-Type: text/html` (status kept).
    WrongContentType,
}

/// What a failed job reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFailure {
    /// The job's `error_code`.
    pub error_code: String,
    /// The job's `fail_reason`.
    pub fail_reason: String,
}

impl Default for JobFailure {
    fn default() -> Self {
        JobFailure {
            error_code: "IMG.0010".to_owned(),
            fail_reason: "The ECS cannot be used to create an image because it has in-progress \
                          tasks."
                .to_owned(),
        }
    }
}

/// Faults injected from the start.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultConfig {
    /// `(api, fault, n)`: the next `n` requests to `api` get `fault` (queued in
    /// order).
    pub queued: Vec<(Api, Fault, u32)>,
    /// Every response to a known endpoint waits this long before it is sent.
    pub response_delay: Duration,
    /// The next this-many jobs created end in FAIL.
    pub fail_next_jobs: u32,
    /// Probability (0.0–1.0) that any other created job ends in FAIL.
    pub job_fail_rate: f64,
    /// Seed of the random generator behind `job_fail_rate`.
    pub seed: u64,
    /// What failed jobs report.
    pub job_failure: JobFailure,
    /// Probability (0.0–1.0) that a create with no queued fault is handled (image and job
    /// made) and then its connection closed without a response byte, as
    /// [`Fault::DropAfterHandling`] does; drawn from a generator seeded with `seed`.
    pub drop_after_create_rate: f64,
    /// Probability (0.0–1.0) that a create with no queued fault is answered 429 `APIGW.0308`
    /// (`Retry-After: throttle_retry_after_secs`) without being handled; drawn before
    /// `drop_after_create_rate`, from the same generator.
    pub throttle_rate: f64,
    /// The `Retry-After` (seconds) of the throttling `throttle_rate` draws.
    pub throttle_retry_after_secs: u64,
}

impl Default for FaultConfig {
    fn default() -> Self {
        FaultConfig {
            queued: Vec::new(),
            response_delay: Duration::ZERO,
            fail_next_jobs: 0,
            job_fail_rate: 0.0,
            seed: 0x1325_2024,
            job_failure: JobFailure::default(),
            drop_after_create_rate: 0.0,
            throttle_rate: 0.0,
            throttle_retry_after_secs: 1,
        }
    }
}

/// Offsets the seed of the create draws from the job-failure draws (two generators, so one
/// rate does not shift the other's draws).
const CREATE_SEED_SALT: u64 = 0x9E37_79B9_7F4A_7C15;

#[derive(Debug)]
struct FaultState {
    queues: [VecDeque<Fault>; 5],
    response_delay: Duration,
    fail_next_jobs: u32,
    job_fail_rate: f64,
    rng: fastrand::Rng,
    job_failure: JobFailure,
    drop_after_create_rate: f64,
    throttle_rate: f64,
    throttle_retry_after_secs: u64,
    create_rng: fastrand::Rng,
}

/// A cloneable, thread-safe handle on a running emulator's faults.
#[derive(Debug, Clone)]
pub struct FaultHandle {
    inner: Arc<Mutex<FaultState>>,
}

impl FaultHandle {
    /// A handle holding `config`.
    pub fn new(config: &FaultConfig) -> Self {
        let handle = FaultHandle {
            inner: Arc::new(Mutex::new(FaultState {
                queues: Default::default(),
                response_delay: config.response_delay,
                fail_next_jobs: config.fail_next_jobs,
                job_fail_rate: sanitize_rate(config.job_fail_rate),
                rng: fastrand::Rng::with_seed(config.seed),
                job_failure: config.job_failure.clone(),
                drop_after_create_rate: sanitize_rate(config.drop_after_create_rate),
                throttle_rate: sanitize_rate(config.throttle_rate),
                throttle_retry_after_secs: config.throttle_retry_after_secs,
                create_rng: fastrand::Rng::with_seed(config.seed ^ CREATE_SEED_SALT),
            })),
        };
        for (api, fault, n) in &config.queued {
            handle.inject(*api, fault.clone(), *n);
        }
        handle
    }

    /// The next `times` requests to `api` get `fault` (after any already queued).
    pub fn inject(&self, api: Api, fault: Fault, times: u32) {
        let mut st = self.inner.lock();
        let q = &mut st.queues[api.index()];
        for _ in 0..times {
            q.push_back(fault.clone());
        }
    }

    /// The next `times` requests to `api` are throttled: 429 `APIGW.0308` with
    /// `Retry-After: retry_after_secs`.
    pub fn throttle_next(&self, api: Api, times: u32, retry_after_secs: u64) {
        self.inject(api, Fault::Throttle { retry_after_secs }, times);
    }

    /// How many faults are still queued for `api`.
    pub fn pending(&self, api: Api) -> usize {
        self.inner.lock().queues[api.index()].len()
    }

    /// Every response to a known endpoint waits `delay` before it is sent (zero: none).
    pub fn set_response_delay(&self, delay: Duration) {
        self.inner.lock().response_delay = delay;
    }

    /// The next `n` jobs created end in FAIL (replaces the previous count).
    pub fn fail_next_jobs(&self, n: u32) {
        self.inner.lock().fail_next_jobs = n;
    }

    /// Other jobs end in FAIL with probability `rate` (clamped to 0.0–1.0), drawn from a
    /// generator seeded with `seed`.
    pub fn set_job_fail_rate(&self, rate: f64, seed: u64) {
        let mut st = self.inner.lock();
        st.job_fail_rate = sanitize_rate(rate);
        st.rng = fastrand::Rng::with_seed(seed);
    }

    /// What failed jobs report from now on (jobs already created keep theirs).
    pub fn set_job_failure(&self, error_code: impl Into<String>, fail_reason: impl Into<String>) {
        self.inner.lock().job_failure = JobFailure {
            error_code: error_code.into(),
            fail_reason: fail_reason.into(),
        };
    }

    /// Creates with no queued fault are handled and then dropped without a response byte with
    /// probability `rate` (clamped to 0.0–1.0; the image and job ARE made), drawn from a
    /// generator seeded with `seed` (shared with [`FaultHandle::set_throttle_rate`]).
    pub fn set_drop_after_create_rate(&self, rate: f64, seed: u64) {
        let mut st = self.inner.lock();
        st.drop_after_create_rate = sanitize_rate(rate);
        st.create_rng = fastrand::Rng::with_seed(seed ^ CREATE_SEED_SALT);
    }

    /// Creates with no queued fault are answered 429 `APIGW.0308` with
    /// `Retry-After: retry_after_secs` (nothing made) with probability `rate` (clamped to
    /// 0.0–1.0), drawn from a generator seeded with `seed` (shared with
    /// [`FaultHandle::set_drop_after_create_rate`]).
    pub fn set_throttle_rate(&self, rate: f64, retry_after_secs: u64, seed: u64) {
        let mut st = self.inner.lock();
        st.throttle_rate = sanitize_rate(rate);
        st.throttle_retry_after_secs = retry_after_secs;
        st.create_rng = fastrand::Rng::with_seed(seed ^ CREATE_SEED_SALT);
    }

    /// The standing rate of creates dropped after handling.
    pub fn drop_after_create_rate(&self) -> f64 {
        self.inner.lock().drop_after_create_rate
    }

    /// The standing rate of throttled creates.
    pub fn throttle_rate(&self) -> f64 {
        self.inner.lock().throttle_rate
    }

    /// Removes every fault: queues emptied, no delay, no job failures, no create rates.
    pub fn clear(&self) {
        let mut st = self.inner.lock();
        for q in &mut st.queues {
            q.clear();
        }
        st.response_delay = Duration::ZERO;
        st.fail_next_jobs = 0;
        st.job_fail_rate = 0.0;
        st.drop_after_create_rate = 0.0;
        st.throttle_rate = 0.0;
    }

    /// Takes the next queued fault for `api`, with the standing response delay; with none
    /// queued, a create may draw a standing one (throttle, then drop after handling).
    pub(crate) fn take(&self, api: Api) -> (Option<Fault>, Duration) {
        let mut st = self.inner.lock();
        let mut fault = st.queues[api.index()].pop_front();
        if fault.is_none() && api == Api::Create {
            if st.throttle_rate > 0.0 && st.create_rng.f64() < st.throttle_rate {
                fault = Some(Fault::Throttle {
                    retry_after_secs: st.throttle_retry_after_secs,
                });
            } else if st.drop_after_create_rate > 0.0
                && st.create_rng.f64() < st.drop_after_create_rate
            {
                fault = Some(Fault::DropAfterHandling);
            }
        }
        (fault, st.response_delay)
    }

    /// Decides, for a job being created, whether it will fail and how.
    pub(crate) fn decide_job_failure(&self) -> Option<JobFailure> {
        let mut st = self.inner.lock();
        if st.fail_next_jobs > 0 {
            st.fail_next_jobs -= 1;
            return Some(st.job_failure.clone());
        }
        if st.job_fail_rate > 0.0 && st.rng.f64() < st.job_fail_rate {
            return Some(st.job_failure.clone());
        }
        None
    }
}

fn sanitize_rate(rate: f64) -> f64 {
    if rate.is_nan() {
        0.0
    } else {
        rate.clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queues_per_api_in_order() {
        let h = FaultHandle::new(&FaultConfig::default());
        h.throttle_next(Api::Create, 2, 1);
        h.inject(Api::Create, Fault::InternalError, 1);
        assert_eq!(h.pending(Api::Create), 3);
        assert_eq!(h.pending(Api::Job), 0);
        assert!(matches!(
            h.take(Api::Create).0,
            Some(Fault::Throttle { .. })
        ));
        assert!(matches!(
            h.take(Api::Create).0,
            Some(Fault::Throttle { .. })
        ));
        assert_eq!(h.take(Api::Create).0, Some(Fault::InternalError));
        assert_eq!(h.take(Api::Create).0, None);
    }

    #[test]
    fn job_failures_count_and_rate() {
        let h = FaultHandle::new(&FaultConfig {
            fail_next_jobs: 2,
            ..FaultConfig::default()
        });
        assert!(h.decide_job_failure().is_some());
        assert!(h.decide_job_failure().is_some());
        assert!(h.decide_job_failure().is_none());
        h.set_job_fail_rate(1.0, 7);
        assert!(h.decide_job_failure().is_some());
        h.set_job_fail_rate(0.5, 7);
        let a: Vec<bool> = (0..32).map(|_| h.decide_job_failure().is_some()).collect();
        h.set_job_fail_rate(0.5, 7);
        let b: Vec<bool> = (0..32).map(|_| h.decide_job_failure().is_some()).collect();
        assert_eq!(a, b, "same seed, same draws");
        assert!(a.contains(&true) && a.contains(&false));
        h.set_job_fail_rate(f64::NAN, 1);
        assert!(h.decide_job_failure().is_none());
    }

    #[test]
    fn standing_create_faults_by_rate_behind_the_queue() {
        let h = FaultHandle::new(&FaultConfig {
            drop_after_create_rate: 1.0,
            ..FaultConfig::default()
        });
        h.inject(Api::Create, Fault::InternalError, 1);
        assert_eq!(h.take(Api::Create).0, Some(Fault::InternalError));
        assert_eq!(h.take(Api::Create).0, Some(Fault::DropAfterHandling));
        assert_eq!(h.take(Api::Job).0, None, "only creates draw");
        h.set_throttle_rate(1.0, 7, 3);
        assert_eq!(
            h.take(Api::Create).0,
            Some(Fault::Throttle {
                retry_after_secs: 7
            })
        );
        h.set_throttle_rate(0.0, 1, 3);
        h.set_drop_after_create_rate(0.5, 11);
        let a: Vec<bool> = (0..32).map(|_| h.take(Api::Create).0.is_some()).collect();
        h.set_drop_after_create_rate(0.5, 11);
        let b: Vec<bool> = (0..32).map(|_| h.take(Api::Create).0.is_some()).collect();
        assert_eq!(a, b, "same seed, same draws");
        assert!(a.contains(&true) && a.contains(&false));
        h.clear();
        assert_eq!(h.take(Api::Create).0, None);
        assert_eq!((h.drop_after_create_rate(), h.throttle_rate()), (0.0, 0.0));
    }
}
