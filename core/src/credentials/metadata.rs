//! ECS instance metadata: the temporary AK/SK of the instance's agency, refreshed before expiry.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use super::{CredentialProvider, Credentials, CredentialsFuture};
use crate::client::http::{self, SendError};
use crate::env::{ENV_METADATA_ENDPOINT, EnvSource};
use crate::error::{Error, Result};
use crate::time::{now_unix, parse_http_date, parse_rfc3339};

/// The metadata service of every ECS.
pub const DEFAULT_METADATA_ENDPOINT: &str = "http://169.254.169.254";
/// Refresh when fewer than this many seconds of validity remain (40 minutes), or at half the
/// lifetime the credentials had when they arrived, whichever comes later.
pub const REFRESH_MARGIN_SECS: i64 = 40 * 60;
const TIMEOUT: Duration = Duration::from_secs(3);
/// Old credentials stand in for a failed refresh only while more than this many seconds of
/// them remain.
const STILL_VALID_SECS: i64 = 60;
/// After a failed refresh, the first wait before the service is asked again (seconds); it
/// doubles with every failure in a row, up to [`MAX_RETRY_SECS`].
const FIRST_RETRY_SECS: i64 = 5;
/// The longest wait between refreshes that fail (5 minutes).
const MAX_RETRY_SECS: i64 = 300;
/// The largest clock offset learned from the service's `Date` (±24 hours, as the gateway's
/// skew correction): a `Date` further away is not believed.
const MAX_OFFSET_SECS: i64 = crate::client::MAX_SKEW_CORRECTION_SECS;

/// Temporary credentials from the instance metadata service, cached until 40 minutes before
/// they expire (or half their lifetime, when they arrive with less than 80 minutes).
///
/// One async fetch serves both doors: [`CredentialProvider::credentials_async`] awaits it on
/// the caller's runtime, and [`CredentialProvider::credentials`] drives it on a thread and
/// runtime of its own, made for that refresh (so it works from any thread, inside
/// `spawn_blocking` and `block_in_place` too, and after `fork()`). Its HTTP client keeps no idle
/// connection, so no connection is ever shared across runtimes.
///
/// - One fetch for all: callers that arrive while a fetch is under way wait for it and take
///   its outcome (its credentials, or its error), instead of asking the service again one
///   after the other.
/// - A failed refresh while the cached credentials are still valid (for more than a minute)
///   answers with them, and so does every call after it until a backoff has passed (5 s,
///   doubling with each failure in a row, at most 5 minutes): a service that is down or slow
///   costs one timeout now and then, not one per call.
/// - Expiry is judged by the service's clock: `expires_at` is compared with the local clock
///   plus the offset learned from the metadata service (the `Date` of its answer minus the
///   local time it arrived, when within ±24 hours; none without a `Date`).
pub struct MetadataProvider {
    /// Everything the async fetch needs, shared: a fetch is a `'static` future of its own.
    state: Arc<State>,
}

/// What the fetches of one provider share.
struct State {
    base: String,
    /// Built on first use, so a chain that never reaches this step starts nothing.
    http: OnceLock<std::result::Result<reqwest::Client, String>>,
    /// Timeout of each exchange with the service (connect included).
    timeout: Duration,
    /// The local clock.
    clock: Clock,
    cache: Mutex<Cache>,
    /// Held while fetching, so that concurrent callers wait for one fetch instead of each
    /// asking the service.
    fetching: tokio::sync::Mutex<()>,
}

/// What the provider knows between calls.
#[derive(Default)]
struct Cache {
    /// The credentials of the last successful fetch.
    held: Option<Held>,
    /// Fetches that ended so far, well or not: a caller that saw this change while it waited
    /// for the fetch lock takes the outcome of the fetch that ended.
    fetches: u64,
    /// Why the last fetch failed; `None` when it succeeded.
    failure: Option<String>,
    /// Refreshes that failed in a row while `held` stood in.
    failures: u32,
    /// Local time before which no refresh is tried (after a failed one): `held` answers.
    retry_at: i64,
}

/// Credentials as fetched, with what is needed to judge them later.
struct Held {
    credentials: Credentials,
    /// Their expiry, by the service's clock.
    expires_at: i64,
    /// When to refresh them, by the service's clock.
    refresh_at: i64,
    /// The service's clock minus the local clock, learned from the answer's `Date`.
    offset: i64,
}

impl Held {
    /// The service's time when the local clock reads `local`.
    fn service_now(&self, local: i64) -> i64 {
        local.saturating_add(self.offset)
    }

    /// Before their refresh time.
    fn is_fresh(&self, local: i64) -> bool {
        self.service_now(local) < self.refresh_at
    }

    /// Valid for more than [`STILL_VALID_SECS`].
    fn is_still_valid(&self, local: i64) -> bool {
        self.service_now(local) < self.expires_at.saturating_sub(STILL_VALID_SECS)
    }
}

impl Cache {
    /// The held credentials when they answer without asking the service: fresh, or still
    /// valid while a failed refresh's backoff runs.
    fn answer(&self, local: i64) -> Option<Credentials> {
        let held = self.held.as_ref()?;
        (held.is_fresh(local) || (local < self.retry_at && held.is_still_valid(local)))
            .then(|| held.credentials.clone())
    }

    /// The outcome of the last fetch, for the callers that waited for it: its credentials, or
    /// when it failed the held ones while still valid, else its error.
    fn last_outcome(&self, local: i64) -> std::result::Result<Credentials, String> {
        let held = self.held.as_ref();
        match &self.failure {
            None => held
                .map(|h| h.credentials.clone())
                .ok_or_else(|| "no credentials".to_owned()),
            Some(why) => held
                .filter(|h| h.is_still_valid(local))
                .map(|h| h.credentials.clone())
                .ok_or_else(|| why.clone()),
        }
    }
}

/// Where the local time comes from: the system clock, or one a test sets.
#[derive(Clone)]
enum Clock {
    System,
    #[cfg(test)]
    Manual(Arc<std::sync::atomic::AtomicI64>),
}

impl Clock {
    /// Unix seconds now.
    fn now(&self) -> i64 {
        match self {
            Clock::System => now_unix(),
            #[cfg(test)]
            Clock::Manual(t) => t.load(std::sync::atomic::Ordering::SeqCst),
        }
    }
}

impl std::fmt::Debug for MetadataProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetadataProvider")
            .field("base", &self.state.base)
            .finish_non_exhaustive()
    }
}

impl MetadataProvider {
    /// A provider asking the metadata service at `base` (e.g. `http://169.254.169.254`).
    pub fn new(base: impl Into<String>) -> Self {
        Self::with(base, Clock::System, TIMEOUT)
    }

    /// A provider with this clock and exchange timeout.
    fn with(base: impl Into<String>, clock: Clock, timeout: Duration) -> Self {
        MetadataProvider {
            state: Arc::new(State {
                base: base.into().trim_end_matches('/').to_owned(),
                http: OnceLock::new(),
                timeout,
                clock,
                cache: Mutex::new(Cache::default()),
                fetching: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// The base URL from `IMS_METADATA_ENDPOINT`, else [`DEFAULT_METADATA_ENDPOINT`].
    pub fn from_env(env: &EnvSource) -> Self {
        Self::new(
            env.get(ENV_METADATA_ENDPOINT)
                .unwrap_or_else(|| DEFAULT_METADATA_ENDPOINT.to_owned()),
        )
    }
}

impl State {
    fn fail(&self, what: String) -> Error {
        Error::Credentials(format!("instance metadata at {}: {what}", self.base))
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached credentials when they answer without asking the service (see
    /// [`Cache::answer`]).
    fn fresh(&self) -> Option<Credentials> {
        self.cache().answer(self.clock.now())
    }

    /// Credentials from the cache, else from the service: one fetch at a time, whose outcome
    /// every caller that waited for it takes; when it fails, the old ones while they are still
    /// valid, and no new fetch until a backoff has passed.
    async fn get(self: Arc<Self>) -> Result<Credentials> {
        let seen = {
            let cache = self.cache();
            if let Some(c) = cache.answer(self.clock.now()) {
                return Ok(c);
            }
            cache.fetches
        };
        let _one_fetch = self.fetching.lock().await;
        {
            let cache = self.cache();
            let now = self.clock.now();
            if cache.fetches != seen {
                // A fetch ended while this caller waited: its outcome is this caller's too.
                return cache.last_outcome(now).map_err(Error::Credentials);
            }
            if let Some(c) = cache.answer(now) {
                return Ok(c);
            }
        }
        let fetched = self.fetch().await;
        let now = self.clock.now();
        let mut cache = self.cache();
        cache.fetches = cache.fetches.wrapping_add(1);
        match fetched {
            Ok(held) => {
                let c = held.credentials.clone();
                cache.held = Some(held);
                cache.failure = None;
                cache.failures = 0;
                cache.retry_at = i64::MIN;
                Ok(c)
            }
            Err(e) => {
                cache.failure = Some(match &e {
                    Error::Credentials(why) => why.clone(),
                    other => other.to_string(),
                });
                let Some(old) = cache
                    .held
                    .as_ref()
                    .filter(|h| h.is_still_valid(now))
                    .map(|h| h.credentials.clone())
                else {
                    return Err(e);
                };
                // Still valid: they answer until the backoff has passed.
                cache.failures = cache.failures.saturating_add(1);
                let wait = FIRST_RETRY_SECS
                    .saturating_mul(1 << cache.failures.saturating_sub(1).min(16))
                    .min(MAX_RETRY_SECS);
                cache.retry_at = now.saturating_add(wait);
                tracing::debug!(target: "ims", error = %e, retry_in_secs = wait, "metadata refresh failed; old credentials still valid");
                Ok(old)
            }
        }
    }

    async fn send(&self, rb: reqwest::RequestBuilder) -> Result<http::Response> {
        match http::send(rb, 1 << 20).await {
            Ok(r) if (300..400).contains(&r.status) => Err(self.fail(format!(
                "answered a redirect (http {}), which is not followed",
                r.status
            ))),
            Ok(r) => Ok(r),
            Err(SendError::Http(e)) => Err(self.fail(format!("unreachable ({})", short(&e)))),
            Err(SendError::TooLarge { .. }) => {
                Err(self.fail("answer larger than 1 MiB".to_owned()))
            }
        }
    }

    /// Asks the service for credentials, and judges them by its clock.
    async fn fetch(&self) -> Result<Held> {
        let http = self
            .http
            .get_or_init(|| {
                reqwest::Client::builder()
                    .timeout(self.timeout)
                    .connect_timeout(self.timeout)
                    // The answer holds an SK and a token: it must come from the metadata
                    // address itself, never from wherever a redirect points.
                    .redirect(reqwest::redirect::Policy::none())
                    .no_proxy()
                    // No connection outlives its runtime: each fetch may run on another.
                    .pool_max_idle_per_host(0)
                    .build()
                    .map_err(|e| crate::error::error_chain(&e))
            })
            .as_ref()
            .map_err(|e| self.fail(e.clone()))?;
        // Session token first (404/405/503 mean the service has none: go on without).
        let token_rb = http
            .request(
                reqwest::Method::PUT,
                format!("{}/meta-data/latest/api/token", self.base),
            )
            .header("X-Metadata-Token-Ttl-Seconds", "21600");
        let token = match self.send(token_rb).await? {
            r if (200..300).contains(&r.status) => {
                Some(String::from_utf8_lossy(&r.body).trim().to_owned())
            }
            r if matches!(r.status, 404 | 405 | 503) => None,
            r => return Err(self.fail(format!("token request answered http {}", r.status))),
        };
        let mut req = http.request(
            reqwest::Method::GET,
            format!("{}/openstack/latest/securitykey", self.base),
        );
        if let Some(t) = &token {
            req = req.header("X-Metadata-Token", t.as_str());
        }
        let resp = self.send(req).await?;
        let local = self.clock.now();
        if resp.status != 200 {
            return Err(self.fail(format!("securitykey answered http {}", resp.status)));
        }
        let doc: serde_json::Value = serde_json::from_slice(&resp.body)
            .map_err(|e| self.fail(format!("securitykey body: {e}")))?;
        let c = &doc["credential"];
        let field = |k: &str| c[k].as_str().filter(|s| !s.is_empty()).map(str::to_owned);
        let (Some(ak), Some(sk)) = (field("access"), field("secret")) else {
            return Err(self.fail("securitykey body lacks credential.access/secret".to_owned()));
        };
        let expires = field("expires_at")
            .and_then(|e| parse_rfc3339(&e))
            .ok_or_else(|| {
                self.fail("securitykey body lacks a valid credential.expires_at".to_owned())
            })?;
        let mut creds = Credentials::new(ak, sk);
        if let Some(t) = field("securitytoken") {
            creds = creds.with_security_token(t);
        }
        // The service's clock, from its `Date`: expiry is its time, not the local clock's.
        let offset = resp
            .headers
            .get(reqwest::header::DATE)
            .and_then(|d| d.to_str().ok())
            .and_then(parse_http_date)
            .and_then(|date| date.checked_sub(local))
            .filter(|o| o.abs() <= MAX_OFFSET_SECS)
            .unwrap_or(0);
        // Refreshed `REFRESH_MARGIN_SECS` before expiry, or at half their lifetime when they
        // arrive with less than twice that: never on every call.
        let lifetime = expires.saturating_sub(local.saturating_add(offset)).max(0);
        let refresh_at = expires.saturating_sub(REFRESH_MARGIN_SECS.min(lifetime / 2));
        tracing::debug!(target: "ims", expires_at = expires, lifetime, clock_offset = offset, "fetched temporary credentials from instance metadata");
        Ok(Held {
            credentials: creds,
            expires_at: expires,
            refresh_at,
            offset,
        })
    }
}

fn short(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "connection failed".to_owned()
    } else {
        e.to_string()
    }
}

impl CredentialProvider for MetadataProvider {
    fn credentials(&self) -> Result<Credentials> {
        if let Some(c) = self.state.fresh() {
            return Ok(c);
        }
        // A thread of its own, never in any runtime's context, with a runtime made for this
        // refresh: refreshes are rare (about once an hour), nothing survives them, and it works
        // from any thread (inside spawn_blocking or a runtime's own thread, after
        // fork()).
        let state = &self.state;
        std::thread::scope(|scope| {
            let refresh = scope.spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| state.fail(format!("cannot start a runtime: {e}")))?
                    .block_on(Arc::clone(state).get())
            });
            refresh
                .join()
                .unwrap_or_else(|_| Err(state.fail("the refresh panicked".to_owned())))
        })
    }
    fn credentials_async(&self) -> CredentialsFuture<'_> {
        Box::pin(Arc::clone(&self.state).get())
    }
    fn answers_at_once(&self) -> bool {
        true
    }
    fn name(&self) -> &'static str {
        "instance metadata"
    }
}

#[cfg(test)]
mod tests {
    //! Against a stand-in metadata service on loopback whose clock is the test's: time moves
    //! only when a test moves it.

    use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
    use std::time::Instant;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::time::{format_http_date, format_rfc3339_micros};

    /// The exchange timeout of the providers here.
    const FAST: Duration = Duration::from_millis(500);
    /// 2026-11-26T10:00:00Z.
    const T0: i64 = 1_795_687_200;

    /// What the stand-in answers to `GET /openstack/latest/securitykey`.
    #[derive(Clone, Copy, Debug)]
    enum Answer {
        /// New credentials (`AK1`, `AK2`, ...) that expire `lifetime` seconds after the
        /// service's now.
        Credentials { lifetime: i64 },
        /// HTTP 500.
        Fail,
        /// Nothing, for longer than any timeout here.
        Stall,
    }

    /// A stand-in metadata service: no session token (404), credentials as [`Answer`] says,
    /// every answer with a `Date` of the test's clock plus `skew` seconds.
    struct Service {
        url: String,
        clock: Arc<AtomicI64>,
        skew: Arc<AtomicI64>,
        answer: Arc<Mutex<Answer>>,
        fetches: Arc<AtomicUsize>,
    }

    impl Service {
        fn start(answer: Answer) -> Service {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            listener.set_nonblocking(true).expect("nonblocking");
            let url = format!("http://{}", listener.local_addr().expect("addr"));
            let service = Service {
                url,
                clock: Arc::new(AtomicI64::new(T0)),
                skew: Arc::new(AtomicI64::new(0)),
                answer: Arc::new(Mutex::new(answer)),
                fetches: Arc::new(AtomicUsize::new(0)),
            };
            let (clock, skew, answer, fetches) = (
                Arc::clone(&service.clock),
                Arc::clone(&service.skew),
                Arc::clone(&service.answer),
                Arc::clone(&service.fetches),
            );
            let issued = Arc::new(AtomicUsize::new(0));
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                    loop {
                        let Ok((mut conn, _)) = listener.accept().await else {
                            continue;
                        };
                        let (clock, skew, answer, fetches, issued) = (
                            Arc::clone(&clock),
                            Arc::clone(&skew),
                            Arc::clone(&answer),
                            Arc::clone(&fetches),
                            Arc::clone(&issued),
                        );
                        tokio::spawn(async move {
                            let mut head = Vec::new();
                            let mut buf = [0u8; 1024];
                            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                                match conn.read(&mut buf).await {
                                    Ok(0) | Err(_) => return,
                                    Ok(n) => head.extend_from_slice(&buf[..n]),
                                }
                            }
                            let now = clock.load(Ordering::SeqCst) + skew.load(Ordering::SeqCst);
                            let date = format_http_date(now);
                            let (status, body) = if head.starts_with(b"PUT ") {
                                ("404 Not Found", String::new())
                            } else {
                                fetches.fetch_add(1, Ordering::SeqCst);
                                let answer = *answer.lock().expect("answer");
                                match answer {
                                    Answer::Credentials { lifetime } => {
                                        let n = issued.fetch_add(1, Ordering::SeqCst) + 1;
                                        let expires = format_rfc3339_micros(now + lifetime);
                                        (
                                            "200 OK",
                                            format!(
                                                r#"{{"credential":{{"access":"AK{n}","secret":"SK{n}","securitytoken":"TOKEN{n}","expires_at":"{expires}"}}}}"#
                                            ),
                                        )
                                    }
                                    Answer::Fail => ("500 Internal Server Error", String::new()),
                                    Answer::Stall => {
                                        tokio::time::sleep(Duration::from_secs(120)).await;
                                        return;
                                    }
                                }
                            };
                            let answer = format!(
                                "HTTP/1.1 {status}\r\nDate: {date}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                                body.len()
                            );
                            let _ = conn.write_all(answer.as_bytes()).await;
                        });
                    }
                });
            });
            service
        }

        /// A provider asking this service, on its clock, with the [`FAST`] timeout.
        fn provider(&self) -> Arc<MetadataProvider> {
            Arc::new(MetadataProvider::with(
                &self.url,
                Clock::Manual(Arc::clone(&self.clock)),
                FAST,
            ))
        }

        fn set(&self, answer: Answer) {
            *self.answer.lock().expect("answer") = answer;
        }

        /// Moves the local clock (and so the service's) on by `secs`.
        fn advance(&self, secs: i64) {
            self.clock.fetch_add(secs, Ordering::SeqCst);
        }

        /// `GET securitykey` requests received so far.
        fn fetches(&self) -> usize {
            self.fetches.load(Ordering::SeqCst)
        }
    }

    /// `n` calls of `credentials_async` at once; their results and how long they all took.
    async fn at_once(
        provider: &Arc<MetadataProvider>,
        n: usize,
    ) -> (Vec<Result<Credentials>>, Duration) {
        let started = Instant::now();
        let calls: Vec<_> = (0..n)
            .map(|_| {
                let p = Arc::clone(provider);
                tokio::spawn(async move { p.credentials_async().await })
            })
            .collect();
        let all = tokio::time::timeout(Duration::from_secs(10), async {
            let mut out = Vec::new();
            for c in calls {
                out.push(c.await.expect("the call's task ends"));
            }
            out
        })
        .await
        .unwrap_or_else(|_| {
            panic!("{n} concurrent calls not all answered within 10 s (one timeout is {FAST:?})")
        });
        (all, started.elapsed())
    }

    fn key(result: &Result<Credentials>) -> String {
        match result {
            Ok(c) => c.access_key().to_owned(),
            Err(e) => format!("error: {e}"),
        }
    }

    async fn key_now(provider: &MetadataProvider) -> String {
        key(&provider.credentials_async().await)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callers_share_one_fetch_of_a_stalling_service() {
        let service = Service::start(Answer::Stall);
        let provider = service.provider();
        let (all, took) = at_once(&provider, 100).await;
        for r in &all {
            assert!(key(r).contains("timed out"), "{}", key(r));
        }
        assert!(took < 5 * FAST, "100 callers took {took:?}");
        assert_eq!(service.fetches(), 1, "one fetch for all of them");
    }

    #[test]
    fn blocking_callers_share_one_fetch_too() {
        let service = Service::start(Answer::Stall);
        let provider = service.provider();
        let started = Instant::now();
        let threads: Vec<_> = (0..20)
            .map(|_| {
                let p = Arc::clone(&provider);
                std::thread::spawn(move || p.credentials())
            })
            .collect();
        for t in threads {
            let r = t.join().expect("thread");
            assert!(key(&r).contains("timed out"), "{}", key(&r));
        }
        let took = started.elapsed();
        assert!(took < 5 * FAST, "20 blocking callers took {took:?}");
        assert_eq!(service.fetches(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_refresh_answers_with_the_old_credentials_and_backs_off() {
        let service = Service::start(Answer::Credentials { lifetime: 2 * 3600 });
        let provider = service.provider();
        assert_eq!(key_now(&provider).await, "AK1");
        // 35 minutes left: inside the 40-minute margin, a refresh is due; the service stalls.
        service.advance(85 * 60);
        service.set(Answer::Stall);
        let (all, took) = at_once(&provider, 100).await;
        assert!(all.iter().all(|r| key(r) == "AK1"), "{:?}", key(&all[0]));
        assert!(took < 5 * FAST, "100 callers took {took:?}");
        assert_eq!(service.fetches(), 2, "one refresh for the 100");
        // Then the old ones at once, without asking again, to every door.
        let started = Instant::now();
        for _ in 0..100 {
            assert_eq!(key_now(&provider).await, "AK1");
        }
        let p = Arc::clone(&provider);
        let blocking = tokio::task::spawn_blocking(move || p.credentials())
            .await
            .expect("blocking call");
        assert_eq!(key(&blocking), "AK1");
        assert!(started.elapsed() < FAST, "{:?}", started.elapsed());
        assert_eq!(service.fetches(), 2);
        // A second failure (plain this time) once the backoff has passed: asked once more.
        service.set(Answer::Fail);
        service.advance(60);
        assert_eq!(key_now(&provider).await, "AK1");
        assert_eq!(key_now(&provider).await, "AK1");
        assert_eq!(service.fetches(), 3);
        // The service is back: its new credentials are taken after the (longer) backoff.
        service.set(Answer::Credentials { lifetime: 2 * 3600 });
        service.advance(5 * 60);
        assert_eq!(key_now(&provider).await, "AK2");
        assert_eq!(service.fetches(), 4);
        // Failing while the held ones are about to expire: the error, not them.
        service.set(Answer::Fail);
        service.advance(2 * 3600 - 30);
        let late = key_now(&provider).await;
        assert!(late.contains("http 500"), "{late}");
        assert_eq!(service.fetches(), 5);
    }

    #[tokio::test]
    async fn credentials_with_ten_minutes_left_are_fetched_once() {
        let service = Service::start(Answer::Credentials { lifetime: 600 });
        let provider = service.provider();
        for _ in 0..20 {
            assert_eq!(key_now(&provider).await, "AK1");
        }
        assert_eq!(service.fetches(), 1, "not once per call");
        // Refreshed at half their lifetime (5 minutes), not before.
        service.advance(299);
        assert_eq!(key_now(&provider).await, "AK1");
        assert_eq!(service.fetches(), 1);
        service.advance(2);
        assert_eq!(key_now(&provider).await, "AK2");
        assert_eq!(key_now(&provider).await, "AK2");
        assert_eq!(service.fetches(), 2);
    }

    #[tokio::test]
    async fn expiry_is_judged_by_the_service_clock() {
        // The service's clock two hours ahead: credentials for two hours by its clock (by the
        // local clock they would seem to last four).
        let ahead = Service::start(Answer::Credentials { lifetime: 2 * 3600 });
        ahead.skew.store(2 * 3600, Ordering::SeqCst);
        let provider = ahead.provider();
        assert_eq!(key_now(&provider).await, "AK1");
        ahead.advance(79 * 60);
        assert_eq!(key_now(&provider).await, "AK1", "41 minutes left");
        ahead.advance(2 * 60);
        assert_eq!(
            key_now(&provider).await,
            "AK2",
            "39 minutes left: refreshed"
        );
        assert_eq!(ahead.fetches(), 2);

        // Two hours behind: by the local clock they would seem expired on arrival.
        let behind = Service::start(Answer::Credentials { lifetime: 3600 });
        behind.skew.store(-2 * 3600, Ordering::SeqCst);
        let provider = behind.provider();
        for _ in 0..10 {
            assert_eq!(key_now(&provider).await, "AK1");
        }
        assert_eq!(behind.fetches(), 1, "fresh by the service's clock");
        // Refresh due at half their hour; it fails with 29 minutes left by the service's
        // clock: the old ones still do.
        behind.advance(31 * 60);
        behind.set(Answer::Fail);
        assert_eq!(key_now(&provider).await, "AK1");
        assert_eq!(behind.fetches(), 2);
    }
}
