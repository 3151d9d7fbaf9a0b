//! HTTP exchanges, written once as async code: reqwest's async client, a response read whole
//! within a size limit. [`super::AsyncClient`] awaits them on the caller's runtime; the blocking
//! [`super::Client`] drives the very same futures on its caller's thread ([`super::driver`]).

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
}

/// Sends `request` and reads the whole body (at most `limit` bytes).
///
/// Cancel-safe: dropping the future mid-exchange drops the request and its connection (hyper
/// never hands a connection with a half-read answer back to the pool), so the client stays
/// usable.
pub(crate) async fn send(
    request: reqwest::RequestBuilder,
    limit: u64,
) -> Result<Response, SendError> {
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
}

/// Lets the runtime catch up with what happened while no call was driving it, before a
/// pooled connection is picked.
///
/// The blocking client's runtime only runs during a call, so a pooled connection that the server closed
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

/// The HTTP client a client with these settings uses: timeouts, connection pool, no redirects,
/// the proxy (explicit, else from the environment per host), and the trusted CAs.
pub(crate) fn for_config(config: &ClientConfig) -> crate::Result<reqwest::Client> {
    let mut http = reqwest::Client::builder()
        .connect_timeout(config.connect_timeout)
        .timeout(config.timeout)
        // As many idle connections as exchanges may be in flight: a burst that needed them
        // finds them again, and the client never holds more. (A cap of 8 made async waits by
        // the hundred reconnect for most polls: core/tests/client_async.rs.)
        .pool_max_idle_per_host(config.max_concurrent_requests)
        .pool_idle_timeout(config.pool_idle_timeout)
        .tcp_nodelay(true)
        // A signed request must never be replayed elsewhere: redirects would carry the
        // security token to another host. A 3xx comes back as an API error instead.
        .redirect(reqwest::redirect::Policy::none())
        // Retries are this client's own (`retry.rs`). reqwest's policy only ever retries
        // HTTP/2 and HTTP/3 refusals, which this HTTP/1.1 client never sees, yet it would copy
        // every request (headers and body) in case it did.
        .retry(reqwest::retry::never().max_retries_per_request(0))
        .https_only(false);
    match &config.proxy {
        Some(p) => {
            let shown = crate::redact::url_userinfo(p.as_str());
            if crate::redact::userinfo_is_ambiguous(p.as_str()) {
                return Err(Error::Config(format!(
                    "proxy {shown:?}: {}",
                    super::proxy::AMBIGUOUS_USERINFO
                )));
            }
            let proxy = reqwest::Proxy::all(p.as_str()).map_err(|e| {
                // The user info and the password, as written and percent-decoded.
                let mut secrets: Vec<zeroize::Zeroizing<String>> = Vec::new();
                if let Some(info) = crate::redact::userinfo(p.as_str()) {
                    let password = info.split_once(':').map_or(info, |(_, pw)| pw);
                    for secret in [info, password] {
                        secrets.push(zeroize::Zeroizing::new(secret.to_owned()));
                        secrets.push(zeroize::Zeroizing::new(crate::redact::percent_decoded(
                            secret,
                        )));
                    }
                }
                let known: Vec<&str> = secrets.iter().map(|s| s.as_str()).collect();
                Error::Config(format!(
                    "proxy {shown:?}: {}",
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
    http.build().map_err(|e| {
        Error::Config(format!(
            "cannot build the http client: {}",
            crate::error::error_chain(&e)
        ))
    })
}
