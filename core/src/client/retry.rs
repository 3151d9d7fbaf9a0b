//! Retry policy and backoff: which failures are retried for which kind of call, and how long to
//! wait before the next attempt.

use std::time::Duration;

use crate::error::{ApiError, Error, Result, is_gateway_code};
use crate::validate::{Rule, ValidationErrors, Violation};

/// The most attempts a [`RetryPolicy`] may make (as the C door's `max_attempts`).
pub const MAX_ATTEMPTS: u32 = 100;
/// The longest `base_delay` or `max_delay` a [`RetryPolicy`] may have (366 days).
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(366 * 24 * 3600);

/// How one HTTP call is retried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// The first backoff; doubled per attempt, with full jitter.
    pub base_delay: Duration,
    /// No backoff (nor honoured `Retry-After`) is longer than this.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 4 attempts, 250 ms doubling up to 20 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// Checks every field, all violations at once, as [`Error::Validation`] naming the field:
    /// `max_attempts` from 1 to [`MAX_ATTEMPTS`], `base_delay` and `max_delay` at most
    /// [`MAX_RETRY_DELAY`]. [`crate::ClientBuilder::build`] calls it.
    pub fn validate(&self) -> Result<()> {
        let mut violations = Vec::new();
        if !(1..=MAX_ATTEMPTS).contains(&self.max_attempts) {
            violations.push(
                Violation::new(
                    "max_attempts",
                    Rule::Range,
                    format!("must be from 1 (never retry) to {MAX_ATTEMPTS}"),
                )
                .with_value(&self.max_attempts.to_string()),
            );
        }
        let days = MAX_RETRY_DELAY.as_secs() / 86_400;
        for (field, value) in [
            ("base_delay", self.base_delay),
            ("max_delay", self.max_delay),
        ] {
            if value > MAX_RETRY_DELAY {
                violations.push(
                    Violation::new(field, Rule::Range, format!("must be at most {days} days"))
                        .with_value(&format!("{value:?}")),
                );
            }
        }
        ValidationErrors::from_violations(violations).map_err(Error::Validation)
    }

    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The delay before attempt `attempt + 1` (`attempt` counts from 1): `Retry-After` when the
    /// server gave one, else a random delay up to `base * 2^(attempt-1)`, both capped.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(ra) = retry_after {
            return ra.min(self.max_delay);
        }
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let ceiling = exp.min(self.max_delay);
        // Full jitter, but never less than a quarter of the ceiling.
        let quarter = ceiling / 4;
        quarter + ceiling.saturating_sub(quarter).mul_f64(fastrand::f64())
    }
}

/// The seconds a `Retry-After` value asks for: delay-seconds (`120`) or an HTTP date
/// (IMF-fixdate, measured from `server_now`, the server's clock; a past date is 0). `None` when
/// it is neither. Capping is left to [`RetryPolicy::delay`], as for the seconds form.
pub(crate) fn retry_after_secs(value: &str, server_now: i64) -> Option<u64> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(secs);
    }
    let at = crate::time::parse_http_date(value)?;
    Some(u64::try_from(at.saturating_sub(server_now)).unwrap_or(0))
}

/// What a call may be retried on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Idempotency {
    /// A read: retried on connection errors, timeouts, 429 and 5xx.
    Safe,
    /// A create: retried only when it surely did not reach the service (connect failure) or
    /// the gateway throttled it (429 / APIGW.0308), so a retry can never create a second image.
    CreateOnce,
}

/// Who asks whether a failure is worth another try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Asker {
    /// One HTTP call, about to try again (its own attempts).
    Call(Idempotency),
    /// The waiter, about to poll again after a poll failed for good (its error budget).
    Waiter,
}

/// The transience rules, in one place: whether `err` may go away if the same thing is tried
/// again, as `asker` may try it.
///
/// - Never: a refused certificate, an authentication failure (the gateway locks an AK after
///   five), validation, configuration, credentials, signing, a failed job.
/// - A create ([`Idempotency::CreateOnce`]): only when it surely did not reach the service, or
///   the gateway throttled it, so a retry can never create a second image. A TLS failure
///   after the handshake is a transport error that may have reached it (`not_sent: false`).
/// - A read: connection errors, timeouts, 429 and 5xx.
/// - The waiter: as a read, and also an answer it could not understand (a truncated body).
pub(crate) fn may_retry(err: &Error, asker: Asker) -> bool {
    match err {
        Error::Transport { not_sent, .. } => match asker {
            Asker::Call(Idempotency::CreateOnce) => *not_sent,
            Asker::Call(Idempotency::Safe) | Asker::Waiter => true,
        },
        Error::Timeout(_) => asker != Asker::Call(Idempotency::CreateOnce),
        Error::InvalidResponse { .. } => asker == Asker::Waiter,
        Error::Api(api) if is_auth_failure(api) => false,
        Error::Api(api) => match asker {
            Asker::Call(Idempotency::CreateOnce) => is_throttled(err),
            Asker::Call(Idempotency::Safe) | Asker::Waiter => api.is_transient(),
        },
        _ => false,
    }
}

/// Whether the gateway throttled the call (429, or APIGW.0308 under any status).
pub(crate) fn is_throttled(err: &Error) -> bool {
    err.api()
        .is_some_and(|api| api.status == 429 || is_gateway_code(api.code.as_deref(), "0308"))
}

/// A failed authentication (signature, token, lock): 0301, 0307, or HTTP 401.
fn is_auth_failure(api: &ApiError) -> bool {
    let code = api.code.as_deref();
    api.status == 401 || is_gateway_code(code, "0301") || is_gateway_code(code, "0307")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, code: Option<&str>) -> Error {
        Error::Api(Box::new(ApiError {
            status,
            code: code.map(str::to_owned),
            message: String::new(),
            request_id: None,
            hint: None,
            signed_request: None,
            retry_after: None,
        }))
    }

    fn transport(not_sent: bool) -> Error {
        Error::Transport {
            message: String::new(),
            not_sent,
            source: None,
        }
    }

    #[test]
    fn the_transience_table() {
        const CREATE: Asker = Asker::Call(Idempotency::CreateOnce);
        const READ: Asker = Asker::Call(Idempotency::Safe);
        const WAIT: Asker = Asker::Waiter;
        let invalid = || Error::InvalidResponse {
            status: 200,
            message: String::new(),
            request_id: None,
        };
        let tls = || Error::Tls {
            message: String::new(),
            source: None,
        };
        // (error, [create, read, waiter])
        let table: Vec<(Error, [bool; 3])> = vec![
            (transport(true), [true, true, true]),
            (transport(false), [false, true, true]),
            (Error::Timeout(Duration::from_secs(1)), [false, true, true]),
            (tls(), [false, false, false]),
            (invalid(), [false, false, true]),
            (api(429, Some("APIGW.0308")), [true, true, true]),
            (api(429, None), [true, true, true]),
            (api(400, Some("APIG.0308")), [true, true, true]),
            (api(500, Some("IMG.0500")), [false, true, true]),
            (api(502, None), [false, true, true]),
            (api(503, None), [false, true, true]),
            (api(504, None), [false, true, true]),
            (api(501, None), [false, false, false]),
            (api(400, Some("IMG.0001")), [false, false, false]),
            (api(404, Some("IMG.0404")), [false, false, false]),
            (api(401, Some("APIGW.0301")), [false, false, false]),
            (api(401, Some("APIGW.0307")), [false, false, false]),
            (api(403, Some("APIG.0301")), [false, false, false]),
            (api(401, None), [false, false, false]),
            (Error::Config(String::new()), [false, false, false]),
            (Error::Credentials(String::new()), [false, false, false]),
        ];
        for (err, expected) in &table {
            for (asker, want) in [CREATE, READ, WAIT].iter().zip(expected) {
                assert_eq!(may_retry(err, *asker), *want, "{err:?} asked by {asker:?}");
            }
        }
    }

    #[test]
    fn retry_after_both_forms() {
        let now = 1_795_687_200; // Thu, 26 Nov 2026 10:00:00 GMT
        assert_eq!(retry_after_secs(" 7 ", now), Some(7));
        assert_eq!(
            retry_after_secs("Thu, 26 Nov 2026 10:00:30 GMT", now),
            Some(30)
        );
        assert_eq!(
            retry_after_secs("Thu, 26 Nov 2026 09:00:00 GMT", now),
            Some(0)
        );
        assert_eq!(
            retry_after_secs("Sat, 01 Jan 10000 00:00:00 GMT", i64::MIN),
            Some(u64::try_from(i64::MAX).unwrap_or(0))
        );
        assert_eq!(retry_after_secs("soon", now), None);
        assert_eq!(retry_after_secs("-5", now), None);
    }

    #[test]
    fn delays_grow_and_are_capped() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        for _ in 0..100 {
            let d1 = p.delay(1, None);
            assert!(
                d1 >= Duration::from_millis(25) && d1 <= Duration::from_millis(100),
                "{d1:?}"
            );
            let d5 = p.delay(5, None);
            assert!(
                d5 >= Duration::from_millis(250) && d5 <= Duration::from_secs(1),
                "{d5:?}"
            );
            assert!(p.delay(40, None) <= Duration::from_secs(1));
        }
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(7))),
            Duration::from_secs(1)
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_millis(300))),
            Duration::from_millis(300)
        );
    }
}
