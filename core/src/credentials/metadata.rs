//! ECS instance metadata: the temporary AK/SK of the instance's agency, refreshed before expiry.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use super::{CredentialProvider, Credentials, CredentialsFuture};
use crate::client::driver::Driver;
use crate::client::http::{self, SendError};
use crate::env::{ENV_METADATA_ENDPOINT, EnvSource};
use crate::error::{Error, Result};
use crate::time::{now_unix, parse_rfc3339};

/// The metadata service of every ECS.
pub const DEFAULT_METADATA_ENDPOINT: &str = "http://169.254.169.254";
/// Refresh when fewer than this many seconds of validity remain (40 minutes).
pub const REFRESH_MARGIN_SECS: i64 = 40 * 60;
const TIMEOUT: Duration = Duration::from_secs(3);

/// Temporary credentials from the instance metadata service, cached until 40 minutes before
/// they expire.
///
/// One async fetch serves both doors: [`CredentialProvider::credentials_async`] awaits it on
/// the caller's runtime, and [`CredentialProvider::credentials`] drives it on a runtime of its
/// own. Its HTTP client keeps no idle connection, so the two never share one across runtimes.
pub struct MetadataProvider {
    /// Everything the async fetch needs, shared: a fetch is a `'static` future of its own.
    state: Arc<State>,
    /// For [`CredentialProvider::credentials`] only, built on its first use.
    driver: OnceLock<Result<Driver>>,
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
    cache: Mutex<Option<(Credentials, i64)>>,
    /// Held while fetching, so that concurrent callers wait for one fetch instead of each
    /// asking the service.
    fetching: tokio::sync::Mutex<()>,
}

/// Where the local time comes from: the system clock, or one a test sets.
#[derive(Clone)]
enum Clock {
    System,
    #[cfg(test)]
    #[allow(dead_code, reason = "the tests that set it come next")]
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
                cache: Mutex::new(None),
                fetching: tokio::sync::Mutex::new(()),
            }),
            driver: OnceLock::new(),
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

    /// The cached credentials while they are valid beyond the refresh margin.
    fn fresh(&self) -> Option<Credentials> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .as_ref()
            .filter(|(_, expires)| expires.saturating_sub(self.clock.now()) > REFRESH_MARGIN_SECS)
            .map(|(c, _)| c.clone())
    }

    /// Fresh credentials, from the cache or (one caller at a time) from the service; when the
    /// service fails, the old ones while they are still valid.
    async fn get(self: Arc<Self>) -> Result<Credentials> {
        if let Some(c) = self.fresh() {
            return Ok(c);
        }
        let _one_fetch = self.fetching.lock().await;
        if let Some(c) = self.fresh() {
            return Ok(c);
        }
        let fetched = self.fetch().await;
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        match fetched {
            Ok((c, expires)) => {
                *cache = Some((c.clone(), expires));
                Ok(c)
            }
            // Still valid (inside the refresh margin): keep using the old ones for now.
            Err(e) => match cache.as_ref() {
                Some((c, expires)) if *expires > self.clock.now().saturating_add(60) => {
                    tracing::debug!(target: "ims", error = %e, "metadata refresh failed; old credentials still valid");
                    Ok(c.clone())
                }
                _ => Err(e),
            },
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

    async fn fetch(&self) -> Result<(Credentials, i64)> {
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
        tracing::debug!(target: "ims", expires_at = expires, "fetched temporary credentials from instance metadata");
        Ok((creds, expires))
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
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(self.state.fail(
                "credentials() was called inside an async runtime, where it would block: await credentials_async() instead".to_owned(),
            ));
        }
        match self.driver.get_or_init(Driver::new) {
            Ok(driver) => driver.block_on(Arc::clone(&self.state).get()),
            Err(e) => Err(self.state.fail(e.to_string())),
        }
    }
    fn credentials_async(&self) -> CredentialsFuture<'_> {
        Box::pin(Arc::clone(&self.state).get())
    }
    fn name(&self) -> &'static str {
        "instance metadata"
    }
}
