//! Blocking HTTP on the caller's thread: reqwest's async client driven by a small
//! current-thread tokio runtime that the caller's own thread runs.
//!
//! `reqwest::blocking` hands every request to a runtime thread and back, two context switches
//! per exchange; profiles of a create + poll cycle showed most client CPU in that hand-off.
//! Here the thread that calls runs the I/O itself. Several threads may call at once (tokio's
//! current-thread runtime lets one drive the I/O while the others wait for their responses).
//! Calling from inside an async runtime is refused with an error rather than a panic.

use reqwest::header::HeaderMap;

use super::config::ClientConfig;
use crate::error::Error;

/// A response read whole.
#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// Why an exchange failed.
#[derive(Debug)]
pub(crate) enum SendError {
    /// reqwest's error (connect, timeout, body).
    Http(reqwest::Error),
    /// The body was larger than the limit.
    TooLarge {
        status: u16,
        headers: HeaderMap,
        limit: u64,
    },
    /// Called from inside an async runtime, where blocking would stall it.
    InsideRuntime,
}

/// A reqwest client and the runtime that drives it.
pub(crate) struct BlockingHttp {
    client: reqwest::Client,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for BlockingHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlockingHttp")
    }
}

impl BlockingHttp {
    /// Builds the client and a current-thread runtime (no thread is started).
    pub(crate) fn new(builder: reqwest::ClientBuilder) -> Result<Self, String> {
        let client = builder.build().map_err(|e| crate::error::error_chain(&e))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the I/O runtime: {e}"))?;
        Ok(BlockingHttp {
            client,
            runtime: Some(runtime),
        })
    }

    /// Starts a request.
    pub(crate) fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        self.client.request(method, url)
    }

    /// Sends `request` and reads the whole body (at most `limit` bytes), on this thread.
    pub(crate) fn send(
        &self,
        request: reqwest::RequestBuilder,
        limit: u64,
    ) -> Result<Response, SendError> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(SendError::InsideRuntime);
        }
        let Some(runtime) = &self.runtime else {
            return Err(SendError::InsideRuntime);
        };
        runtime.block_on(async move {
            settle_idle_connections().await;
            let mut resp = request.send().await.map_err(SendError::Http)?;
            let status = resp.status().as_u16();
            let headers = std::mem::take(resp.headers_mut());
            if resp.content_length().is_some_and(|n| n > limit) {
                return Err(SendError::TooLarge {
                    status,
                    headers,
                    limit,
                });
            }
            let mut body = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(SendError::Http)? {
                body.extend_from_slice(&chunk);
                if body.len() as u64 > limit {
                    return Err(SendError::TooLarge {
                        status,
                        headers,
                        limit,
                    });
                }
            }
            Ok(Response {
                status,
                headers,
                body,
            })
        })
    }
}

/// Lets the runtime catch up with what happened while no call was driving it, before a
/// pooled connection is picked.
///
/// The runtime only runs during a call, so a pooled connection that the server closed
/// meanwhile (a balancer's idle timeout) still looks open: its connection task has not yet
/// read the FIN. Picking it would write the request onto a dead connection, and a POST that
/// was written can never be resent (it may have been processed). Yielding twice makes the
/// runtime poll its I/O driver (the first yield) and run the woken connection tasks (the
/// second), so such connections leave the pool first.
///
/// The race that remains (the FIN arrives after this, before the request is written) is
/// hyper's to handle: a request on a reused connection that closes before the request was
/// written is handed back and resent on a new connection (hyper-util's
/// `retry_canceled_requests`, on by default), for every method, since nothing was sent. A
/// request that was written is never resent here; for the create, the transport error says
/// it may have been processed. [`crate::client::DEFAULT_POOL_IDLE_TIMEOUT`] keeps connections
/// from reaching the usual idle limits of balancers in the first place.
async fn settle_idle_connections() {
    tokio::task::yield_now().await;
    tokio::task::yield_now().await;
}

impl Drop for BlockingHttp {
    fn drop(&mut self) {
        // Never blocks, so dropping a client inside an async context cannot panic.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// The HTTP client a [`super::Client`] with these settings uses: timeouts, connection pool, no
/// redirects, the proxy (explicit, else from the environment per host), and the trusted CAs.
pub(crate) fn for_config(config: &ClientConfig) -> crate::Result<BlockingHttp> {
    let mut http = reqwest::Client::builder()
        .connect_timeout(config.connect_timeout)
        .timeout(config.timeout)
        .pool_max_idle_per_host(8)
        .pool_idle_timeout(config.pool_idle_timeout)
        .tcp_nodelay(true)
        // A signed request must never be replayed elsewhere: redirects would carry the
        // security token to another host. A 3xx comes back as an API error instead.
        .redirect(reqwest::redirect::Policy::none())
        .https_only(false);
    match &config.proxy {
        Some(p) => {
            let proxy = reqwest::Proxy::all(p.as_str()).map_err(|e| {
                let known: Vec<&str> = crate::redact::userinfo(p.as_str())
                    .into_iter()
                    .flat_map(|u| [u, u.split_once(':').map_or(u, |(_, pw)| pw)])
                    .collect();
                Error::Config(format!(
                    "proxy {:?}: {}",
                    crate::redact::url_userinfo(p.as_str()),
                    crate::redact::scrub(&crate::error::error_chain(&e), &known)
                ))
            })?;
            http = http.proxy(proxy);
        }
        None => http = super::proxy::from_env(http, &config.env)?,
    }
    let mut roots = Vec::new();
    for pem in &config.ca_pems {
        roots.extend(super::tls::parse_pem(pem, "CA certificate")?);
    }
    for path in &config.ca_files {
        roots.extend(super::tls::read_pem_file(path, None)?);
    }
    // As with `requests`, an explicit CA wins over the bundle variables.
    if roots.is_empty() {
        roots.extend(super::tls::from_env(&config.env)?);
    }
    for der in &roots {
        let cert = reqwest::Certificate::from_der(der)
            .map_err(|e| Error::Config(format!("CA certificate: {e}")))?;
        http = http.add_root_certificate(cert);
    }
    BlockingHttp::new(http).map_err(|e| Error::Config(format!("cannot build the http client: {e}")))
}
