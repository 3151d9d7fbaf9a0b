//! The IMS clients: create a full-ECS image, query its job, wait for it.
//!
//! Two doors over one implementation: [`AsyncClient`] for tokio (await its futures), and the
//! blocking [`Client`], which drives the very same futures on the calling thread. The
//! transport, retries, clock-skew correction, project lookup and waiter exist once, as async
//! code on the shared `Inner`.
//!
//! Both are cheap to clone (one `Arc`), `Send + Sync`, and reuse their connections: share one
//! across threads or tasks rather than building many.

mod async_client;
mod blocking;
mod builder;
mod config;
pub(crate) mod http;
mod images;
pub(crate) mod io;
mod process;
mod project;
mod proxy;
mod response;
mod retry;
mod skew;
pub mod tls;
mod transport;
mod wait;

use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicI64};
use std::sync::{Arc, Mutex};

use reqwest::Method;

pub use crate::model::{JOB_ID_MAX_CHARS, JobId};
pub use async_client::AsyncClient;
pub use blocking::{Client, Interrupt};
pub use builder::ClientBuilder;
pub use config::{
    ClientAuth, ClientConfig, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_CONCURRENT_REQUESTS,
    DEFAULT_POOL_IDLE_TIMEOUT, DEFAULT_TIMEOUT, JobEndpoint, MAX_CONCURRENT_REQUESTS,
    MAX_POOL_IDLE_TIMEOUT, ProxyUrl,
};
pub use images::MAX_PAGES;
pub use retry::{MAX_ATTEMPTS, MAX_RETRY_DELAY, RetryPolicy};
pub use skew::MAX_SKEW_CORRECTION_SECS;
pub use wait::{
    Control, FIRST_POLL_BUDGET, MAX_BACKOFF, MAX_WAIT_DURATION, Progress, WaitObserver, WaitOptions,
};

use retry::Idempotency;
#[cfg(feature = "fleet")]
pub(crate) use retry::is_throttled as retry_is_throttled;
use transport::Call;

use crate::endpoint::{Endpoint, is_loopback_host};
use crate::error::{Error, Result};
use crate::model::job::RawDocument;
use crate::model::{Job, WholeImageRequest};
use crate::redact::KnownSecrets;
use crate::sign::{Algorithm, encode};

/// A request as it would be sent, with its secrets redacted (see [`Client::preview_create`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPreview {
    /// HTTP method.
    pub method: String,
    /// Full URL.
    pub url: String,
    /// Headers, secrets replaced by `<redacted>`.
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: String,
}

impl fmt::Display for RequestPreview {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} {}", self.method, self.url)?;
        for (k, v) in &self.headers {
            writeln!(f, "{k}: {v}")?;
        }
        writeln!(f)?;
        write!(f, "{}", self.body)
    }
}

/// The state both doors share: settings, the HTTP client, the project id once known and the
/// clock offset learned from the gateway. Every operation is an async method here.
pub(crate) struct Inner {
    /// What belongs to this process and never crosses a `fork()`: the connection pool, the
    /// request slots, the project lookup in progress ([`process::PerProcess`]).
    process: Mutex<Arc<process::PerProcess>>,
    /// The settings, to build [`Inner::process`] anew in a forked child.
    config: ClientConfig,
    endpoint: Endpoint,
    iam_endpoint: std::result::Result<Endpoint, String>,
    region: Option<String>,
    project_id: Mutex<Option<String>>,
    auth: ClientAuth,
    algorithm: Algorithm,
    user_agent: String,
    job_endpoint: JobEndpoint,
    retry: RetryPolicy,
    timeout: std::time::Duration,
    /// The proxy https requests are tunnelled through, as errors show it (user info redacted).
    tunnel_proxy: Option<String>,
    /// Seconds added to the local clock when signing (learned from the gateway's `Date`).
    clock_offset: AtomicI64,
    /// Until when creates wait: a throttled create pauses every create of this client for
    /// its `Retry-After` (or backoff), not only its own retry.
    creates_paused_until: Mutex<Option<std::time::Instant>>,
}

impl Inner {
    /// The `Debug` of a client door named `name`: where it points and how it signs, never a
    /// secret.
    fn debug_as(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(name)
            .field("endpoint", &self.endpoint.as_str())
            .field("region", &self.region)
            .field("auth", &self.auth)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl Inner {
    /// The shared state for these settings. Fails on a bad endpoint, region, proxy,
    /// certificate or retry policy; credentials are looked up lazily, on the first call.
    fn new(config: ClientConfig) -> Result<Inner> {
        let b = config;
        b.retry.validate()?;
        if !(1..=MAX_CONCURRENT_REQUESTS).contains(&b.max_concurrent_requests) {
            return Err(Error::Config(format!(
                "max_concurrent_requests {}: must be from 1 to {MAX_CONCURRENT_REQUESTS}",
                b.max_concurrent_requests
            )));
        }
        // hyper-util's pool adds it to an `Instant` in its clean-up task: checked here, so that
        // an absurd value is an error naming it, not a panic inside that task.
        if b.pool_idle_timeout.is_zero() || b.pool_idle_timeout > MAX_POOL_IDLE_TIMEOUT {
            return Err(Error::Config(format!(
                "pool_idle_timeout {:?}: must be greater than zero and at most 24 hours",
                b.pool_idle_timeout
            )));
        }
        // The region becomes part of hosts and of the signing scope: check it before any
        // URL is built.
        if let Some(region) = &b.region {
            crate::endpoint::check_region(region)?;
        }
        let endpoint = match (&b.endpoint, &b.region) {
            (Some(url), _) => Endpoint::parse(url, b.allow_http)?,
            (None, Some(region)) => Endpoint::for_region(region, &b.env, b.allow_http)?,
            (None, None) => {
                return Err(Error::Config(
                    "no endpoint: give a region (e.g. cn-north-4) or an endpoint url".to_owned(),
                ));
            }
        };
        let region = b.region.clone().or_else(|| region_of_host(endpoint.host()));
        let iam_endpoint = match (&b.iam_endpoint, &region) {
            (Some(url), _) => Endpoint::parse(url, b.allow_http).map_err(|e| e.to_string()),
            (None, Some(r)) => {
                Endpoint::iam_for_region(r, &b.env, b.allow_http).map_err(|e| e.to_string())
            }
            (None, None) => Err("no IAM endpoint (no region known)".to_owned()),
        };
        let process = process::PerProcess::new(&b)?;
        let user_agent = match &b.user_agent_suffix {
            Some(s) if !s.trim().is_empty() => {
                format!("ims/{} {}", env!("CARGO_PKG_VERSION"), s.trim())
            }
            _ => format!("ims/{}", env!("CARGO_PKG_VERSION")),
        };
        if user_agent.chars().any(char::is_control) {
            return Err(Error::Config(
                "user agent suffix holds control characters".to_owned(),
            ));
        }
        let auth = b.resolved_auth();
        let project_id = b
            .project_id
            .clone()
            .filter(|p| !p.trim().is_empty())
            .map(|p| p.trim().to_owned());
        Ok(Inner {
            process: Mutex::new(Arc::new(process)),
            config: b.clone(),
            endpoint,
            iam_endpoint,
            region,
            project_id: Mutex::new(project_id),
            auth,
            algorithm: b.algorithm,
            user_agent,
            job_endpoint: b.job_endpoint,
            retry: b.retry,
            timeout: b.timeout,
            tunnel_proxy: proxy::tunnel_proxy_shown(&b),
            clock_offset: AtomicI64::new(0),
            creates_paused_until: Mutex::new(None),
        })
    }

    /// Seconds currently added to the local clock when signing.
    fn clock_offset_secs(&self) -> i64 {
        self.clock_offset.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Validates, then `POST /v1/cloudimages/wholeimages/action` (see
    /// [`AsyncClient::create_whole_image`]). `sending` is set when an attempt starts sending.
    async fn create_whole_image(
        &self,
        request: &WholeImageRequest,
        sending: Option<&AtomicBool>,
    ) -> Result<JobId> {
        request.validate()?;
        let body = request.to_json_vec();
        let project = self.project_id().await?;
        let mut call = self.create_call(&body, &project);
        call.sending = sending;
        let resp = self.execute(&call).await?;
        // What the answer shows in an error is scrubbed of this client's secrets, looked up
        // only then.
        let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&resp.body) else {
            return Err(response::not_json(&resp, &self.known_secrets().await));
        };
        let id = doc
            .get("job_id")
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty());
        if let Some(Ok(id)) = id.map(JobId::new) {
            return Ok(id);
        }
        let known = self.known_secrets().await;
        Err(Error::InvalidResponse {
            status: resp.status,
            message: match id {
                // The image exists: an id our rules refuse is the service's oddity, not the
                // caller's, so it is reported with the whole answer for the caller to act on.
                Some(_) => format!(
                    "the job_id in the answer is not one safe path segment (the image may exist); answer: {}",
                    response::raw_text(&resp.body, &known)
                ),
                None => format!("no job_id in {}", response::snippet(&resp.body, &known)),
            },
            request_id: resp.request_id.clone(),
        })
    }

    /// What the create would send, secrets redacted (see [`AsyncClient::preview_create`]).
    async fn preview_create(&self, request: &WholeImageRequest) -> Result<RequestPreview> {
        request.validate()?;
        let body = request.to_json_vec();
        let project = self
            .project_id_if_known()
            .unwrap_or_else(|| "<looked up in IAM when sent>".to_owned());
        let call = self.create_call(&body, &project);
        let creds = self.credentials().await?;
        let mut prepared = self.prepare(&call, creds.as_ref())?;
        let headers = std::mem::take(&mut prepared.headers)
            .into_iter()
            .map(|(k, mut v)| {
                let secret = ["authorization", "x-security-token", "x-auth-token"]
                    .iter()
                    .any(|s| k.eq_ignore_ascii_case(s));
                if secret {
                    zeroize::Zeroize::zeroize(&mut v);
                    v.push_str("<redacted>");
                }
                (k, v)
            })
            .collect();
        Ok(RequestPreview {
            method: "POST".to_owned(),
            url: prepared.url.as_str().to_owned(),
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }

    /// Queries a job through the given endpoint.
    async fn job_via(&self, job_id: &JobId, which: JobEndpoint) -> Result<Job> {
        let project = self.project_id().await?;
        let id = encode::encode(job_id.as_str());
        let api_path = match which {
            JobEndpoint::Progress => format!("/v1/cloudimages/job/{id}"),
            JobEndpoint::Legacy => format!("/v1/{}/jobs/{id}", encode::encode(&project)),
        };
        let call = Call {
            method: Method::GET,
            endpoint: &self.endpoint,
            path: self.endpoint.path(&api_path),
            query: &[],
            body: None,
            project_id: Some(&project),
            service: "ims",
            idempotency: Idempotency::Safe,
            sending: None,
        };
        let resp = self.execute(&call).await?;
        let known = self.known_secrets().await;
        read_job_body_scrubbed(resp.status, &resp.body, resp.request_id.as_deref(), &known)
    }
}

/// Reads a job answer's body exactly as [`Client::job`] does: a job document, else
/// [`Error::InvalidResponse`] (with `status`, `request_id` and a short snippet of the body).
/// Secrets the server wrote into it (token values after their names, however escaped) are
/// scrubbed from the document, [`Job::raw`](crate::model::Job::raw) included, and from the
/// snippet; the client also scrubs its own SK and tokens.
///
/// Any bytes give one of the two, in at most 8 times the body's size plus 64 KiB of heap
/// ([`crate::model::job::READ_BYTES_PER_BYTE`], [`crate::model::job::READ_ALLOWANCE`]: the
/// document is read straight from the text, never into a whole `Value` tree). Public so
/// that the fuzzer (`fuzz/`) drives the very function the client calls.
pub fn read_job_body(status: u16, body: &[u8], request_id: Option<&str>) -> Result<Job> {
    read_job_body_scrubbed(status, body, request_id, &KnownSecrets::default())
}

/// [`read_job_body`], scrubbing `known` too.
fn read_job_body_scrubbed(
    status: u16,
    body: &[u8],
    request_id: Option<&str>,
    known: &KnownSecrets,
) -> Result<Job> {
    let parsed = std::str::from_utf8(body).ok().map(|text| {
        let scrubbed = known.scrub_cow(text);
        let job = match Job::from_json(&scrubbed) {
            Err(_) if matches!(scrubbed, Cow::Owned(_)) => {
                // What was scrubbed broke the JSON (a secret's name before a number): the
                // document as received, every text of it scrubbed, without the raw text.
                Job::from_json(text).map(|mut job| {
                    job.scrub_texts(&|t| known.scrub(t));
                    job.raw = RawDocument::default();
                    job
                })
            }
            read => read,
        };
        (text, job)
    });
    match parsed {
        Some((_, Ok(job))) => Ok(job),
        Some((text, Err(e))) => {
            let what = if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() {
                "a job document"
            } else {
                "a JSON body"
            };
            Err(Error::InvalidResponse {
                status,
                message: format!(
                    "expected {what}, got: {} ({e})",
                    response::snippet(body, known)
                ),
                request_id: request_id.map(str::to_owned),
            })
        }
        None => Err(Error::InvalidResponse {
            status,
            message: format!(
                "expected a JSON body, got: {}",
                response::snippet(body, known)
            ),
            request_id: request_id.map(str::to_owned),
        }),
    }
}

impl Inner {
    /// The create call: `POST /v1/cloudimages/wholeimages/action`, retried only when surely
    /// not processed.
    fn create_call<'a>(&'a self, body: &'a [u8], project: &'a str) -> Call<'a> {
        Call {
            method: Method::POST,
            endpoint: &self.endpoint,
            path: self.endpoint.path("/v1/cloudimages/wholeimages/action"),
            query: &[],
            body: Some(body),
            project_id: Some(project),
            service: "ims",
            idempotency: Idempotency::CreateOnce,
            sending: None,
        }
    }
}

/// `ims.{region}.myhuaweicloud.com` → `region` (for the V11 scope and the IAM lookup).
fn region_of_host(host: &str) -> Option<String> {
    if is_loopback_host(host.rsplit_once(':').map_or(host, |(h, _)| h)) {
        return None;
    }
    let rest = host.strip_prefix("ims.")?;
    let (region, _) = rest.split_once('.')?;
    crate::endpoint::check_region(region).ok()?;
    Some(region.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_are_send_sync_clone() {
        fn check<T: Send + Sync + Clone + 'static>() {}
        check::<Client>();
        check::<AsyncClient>();
    }

    #[test]
    fn job_ids_are_checked() {
        assert!(JobId::new("4010a32b5f909853015f90aaa24b0015").is_ok());
        assert!(JobId::new("").is_err());
        assert!(JobId::new("a b").is_err());
        assert!(JobId::new("a\u{0}").is_err());
    }

    /// A job document that scrubbing would break (a secret's name before a number) is still
    /// read, every text of it scrubbed, and shown in its clean shape instead of as received.
    #[test]
    fn a_job_document_that_scrubbing_would_break_is_read_and_scrubbed() {
        let body = br#"{"job_id":"j1","status":"FAIL","fail_reason":"x-auth-token: abc123secret","entities":{"error":"X-Auth-Token=sub0secret","sub_jobs_result":[{"job_id":"s1","status":"FAIL","fail_reason":"x-auth-token=sub1secret"}]},"signature":12345}"#;
        let job = read_job_body(200, body, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(job.job_id, "j1");
        assert_eq!(job.fail_reason.as_deref(), Some("x-auth-token: <redacted>"));
        assert_eq!(job.entities.sub_jobs_result.len(), 1);
        let json = job.to_json();
        serde_json::from_str::<serde_json::Value>(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
        for text in [json, format!("{job:?}")] {
            for secret in ["abc123secret", "sub0secret", "sub1secret", "12345"] {
                assert!(!text.contains(secret), "{secret}: {text}");
            }
        }
        // A document scrubbing leaves whole keeps its text, scrubbed where it stood.
        let body = br#"{"job_id":"j2","status":"FAIL","fail_reason":"x-auth-token: abc123secret"}"#;
        let job = read_job_body(200, body, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            job.raw.as_str(),
            r#"{"job_id":"j2","status":"FAIL","fail_reason":"x-auth-token: <redacted>"}"#
        );
    }

    #[test]
    fn region_from_host() {
        assert_eq!(
            region_of_host("ims.cn-north-4.myhuaweicloud.com").as_deref(),
            Some("cn-north-4")
        );
        assert_eq!(region_of_host("127.0.0.1:80"), None);
    }

    #[test]
    fn each_door_debugs_under_its_own_name() {
        let b = Client::builder()
            .region("cn-north-4")
            .auth_token("SECRET-TOKEN");
        let blocking = format!("{:?}", b.clone().build().unwrap_or_else(|e| panic!("{e}")));
        let asynchronous = format!("{:?}", b.build_async().unwrap_or_else(|e| panic!("{e}")));
        assert!(blocking.starts_with("Client {"), "{blocking}");
        assert!(asynchronous.starts_with("AsyncClient {"), "{asynchronous}");
        assert!(!asynchronous.contains("SECRET-TOKEN"), "{asynchronous}");
    }

    #[test]
    fn debug_hides_token() {
        let c = Client::builder()
            .region("cn-north-4")
            .auth_token("SECRET-TOKEN")
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!format!("{c:?}").contains("SECRET-TOKEN"));
    }
}
