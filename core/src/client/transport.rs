//! One logical call: sign afresh, send, read, and retry by the call's idempotency. Clock skew
//! reported by the gateway is corrected once, within ±24 h (see [`super::skew`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::Method;

use super::http;
use super::response::RawResponse;
use super::retry::{self, Asker, Idempotency, is_throttled, retry_after_secs};
use super::skew;
use super::{ClientAuth, Inner};
use crate::credentials::Credentials;
use crate::endpoint::Endpoint;
use crate::error::{ApiError, Error, Result, is_gateway_code};
use crate::redact::KnownSecrets;
use crate::sign::{self, SdkDate, SignableRequest, SigningParams};
use crate::time::{now_unix, parse_http_date};

/// Bodies larger than this are not read (16 MiB).
const MAX_BODY: u64 = 16 << 20;

/// What to send.
pub(crate) struct Call<'a> {
    pub method: Method,
    pub endpoint: &'a Endpoint,
    /// Wire path (percent-encoded), below the endpoint's base path.
    pub path: String,
    pub query: &'a [(&'a str, &'a str)],
    pub body: Option<&'a [u8]>,
    pub project_id: Option<&'a str>,
    pub service: &'static str,
    pub idempotency: Idempotency,
    /// Set when an attempt starts sending (the request may then have reached the service).
    pub sending: Option<&'a AtomicBool>,
}

impl Inner {
    /// Sends `call` until it succeeds (2xx) or fails for good: each attempt takes a request
    /// slot, then is signed afresh (so a call that queued for a slot never sends a signature
    /// dated before its wait); an expired signature may correct the clock once
    /// ([`Inner::correct_skew`]); what is retried is [`retry::may_retry`]'s decision alone.
    ///
    /// Cancel-safe: dropping the future stops the call between two awaits; nothing it holds
    /// outlives it, and a connection with an exchange half done is closed, never pooled.
    pub(crate) async fn execute(&self, call: &Call<'_>) -> Result<RawResponse> {
        let mut attempt = 0u32;
        let mut skew_corrected = false;
        let process = self.process()?;
        loop {
            attempt += 1;
            if call.idempotency == Idempotency::CreateOnce {
                self.creates_paused().await;
            }
            let creds = self.credentials().await?;
            // Never closed, so acquiring only waits; a failure would be a bug, reported as one.
            let slot = process
                .in_flight
                .acquire()
                .await
                .map_err(|e| Error::Config(format!("request slots: {e}")))?;
            let prepared = self.prepare(call, creds.as_ref())?;
            let started = Instant::now();
            if let Some(sending) = call.sending {
                sending.store(true, Ordering::Relaxed);
            }
            let outcome = self.send_once(&process.http, call, &prepared).await;
            drop(slot);
            let elapsed_ms = started.elapsed().as_millis() as u64;
            let err = match outcome {
                Ok(resp) => {
                    tracing::debug!(target: "ims", method = %call.method, path = %call.path, status = resp.status, request_id = resp.request_id.as_deref().unwrap_or(""), elapsed_ms, attempt, "response");
                    if (200..300).contains(&resp.status) {
                        return Ok(resp);
                    }
                    let mut api = scrubbed_api_error(&resp, &prepared, creds.as_ref());
                    if self.correct_skew(&mut api, resp.date.as_deref(), &prepared, skew_corrected)
                    {
                        skew_corrected = true;
                        continue;
                    }
                    annotate_api_error(&mut api, call, &prepared);
                    Error::Api(Box::new(api))
                }
                Err(err) => {
                    tracing::debug!(target: "ims", method = %call.method, path = %call.path, error = %err, elapsed_ms, attempt, "request failed");
                    err
                }
            };
            if attempt < self.retry.max_attempts
                && retry::may_retry(&err, Asker::Call(call.idempotency))
            {
                let delay = self
                    .retry
                    .delay(attempt, err.api().and_then(|api| api.retry_after));
                if call.idempotency == Idempotency::CreateOnce && is_throttled(&err) {
                    self.pause_creates(delay);
                }
                tracing::debug!(target: "ims", delay_ms = delay.as_millis() as u64, "transient error; retrying");
                tokio::time::sleep(delay).await;
                continue;
            }
            return Err(err);
        }
    }

    /// Holds every create of this client back until `delay` from now (a throttled create
    /// pauses all of them, not only its own retry).
    fn pause_creates(&self, delay: std::time::Duration) {
        let until = Instant::now() + delay;
        let mut paused = self
            .creates_paused_until
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if paused.is_none_or(|t| t < until) {
            *paused = Some(until);
        }
    }

    /// Returns once creates are no longer paused ([`Inner::pause_creates`]).
    async fn creates_paused(&self) {
        loop {
            let until = *self
                .creates_paused_until
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            match until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t.into()).await,
                _ => return,
            }
        }
    }

    /// After a "signature expired" answer: whether the clock offset was corrected (the caller
    /// then retries, once per call). Otherwise the hint says how far off the clock is.
    fn correct_skew(
        &self,
        api: &mut ApiError,
        server_date: Option<&str>,
        prepared: &Prepared,
        already_corrected: bool,
    ) -> bool {
        if !is_signature_error(api) || is_ak_locked(api) || !is_expired(api) {
            return false;
        }
        match skew::judge(
            server_date,
            now_unix(),
            prepared.clock_offset,
            already_corrected,
        ) {
            skew::Verdict::Correct(skew) => {
                tracing::debug!(target: "ims", skew_secs = skew, signed_offset_secs = prepared.clock_offset, "signature expired; correcting for the server's clock and retrying once");
                self.clock_offset.store(skew, Ordering::Relaxed);
                true
            }
            skew::Verdict::Hint(hint) => {
                api.hint = Some(hint);
                false
            }
        }
    }

    /// The credentials to sign the next attempt with (none for token authentication).
    pub(crate) async fn credentials(&self) -> Result<Option<Credentials>> {
        match &self.auth {
            ClientAuth::AkSk(provider) => crate::credentials::ask(provider).await.map(Some),
            ClientAuth::Token(_) => Ok(None),
        }
    }

    /// Headers and URI for one attempt, signed with a fresh date and `creds` (from
    /// [`Inner::credentials`]).
    pub(crate) fn prepare(&self, call: &Call<'_>, creds: Option<&Credentials>) -> Result<Prepared> {
        let mut headers: Vec<(&str, &str)> = Vec::with_capacity(6);
        if call.body.is_some() || call.method == Method::GET {
            headers.push(("Content-Type", "application/json;charset=utf-8"));
        }
        headers.push(("User-Agent", &self.user_agent));
        if let Some(p) = call.project_id {
            headers.push(("X-Project-Id", p));
        }
        match (&self.auth, creds) {
            (ClientAuth::AkSk(_), Some(creds)) => {
                let clock_offset = self.clock_offset.load(Ordering::Relaxed);
                let now = now_unix().saturating_add(clock_offset);
                let params = SigningParams {
                    credentials: creds,
                    algorithm: self.algorithm,
                    date: SdkDate::from_unix(now)?,
                    region: self.region.as_deref(),
                    service: Some(call.service),
                };
                let req = SignableRequest {
                    method: call.method.as_str(),
                    host: call.endpoint.host(),
                    path: &call.path,
                    query: call.query,
                    headers: &headers,
                    body: call.body.unwrap_or_default(),
                };
                let signed = sign::sign_request(&req, &params)?;
                let mut all: Vec<(String, String)> = Vec::with_capacity(headers.len() + 5);
                all.extend(signed.headers().map(|(k, v)| (k.to_owned(), v.to_owned())));
                all.push(("Authorization".to_owned(), signed.authorization));
                Ok(Prepared {
                    url: call
                        .endpoint
                        .request_url(&call.path, signed.canonical.query()),
                    headers: all,
                    canonical: Some(signed.canonical),
                    clock_offset,
                })
            }
            (ClientAuth::AkSk(_), None) => {
                Err(Error::Credentials("no credentials to sign with".to_owned()))
            }
            (ClientAuth::Token(token), _) => {
                let mut all: Vec<(String, String)> = headers
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect();
                all.push(("X-Auth-Token".to_owned(), token.to_string()));
                let mut q = String::new();
                sign::encode::canonical_query(call.query, &mut q);
                Ok(Prepared {
                    url: call.endpoint.request_url(&call.path, &q),
                    headers: all,
                    canonical: None,
                    clock_offset: self.clock_offset.load(Ordering::Relaxed),
                })
            }
        }
    }

    async fn send_once(
        &self,
        http: &reqwest::Client,
        call: &Call<'_>,
        prepared: &Prepared,
    ) -> Result<RawResponse> {
        let mut rb = http.request(call.method.clone(), prepared.url.clone());
        for (k, v) in &prepared.headers {
            if !k.eq_ignore_ascii_case("host") {
                rb = rb.header(k.as_str(), v.as_str());
            }
        }
        if let Some(body) = call.body {
            rb = rb.body(body.to_vec());
        }
        let resp = match http::send(rb, MAX_BODY).await {
            Ok(resp) => resp,
            Err(http::SendError::Http(e)) => {
                return Err(transport_error(
                    e,
                    self.timeout,
                    self.tunnel_proxy.as_deref(),
                ));
            }
            Err(http::SendError::TooLarge {
                status,
                headers,
                limit,
            }) => {
                return Err(Error::InvalidResponse {
                    status,
                    message: format!("body larger than {limit} bytes"),
                    request_id: header(&headers, "x-request-id"),
                });
            }
        };
        let status = resp.status;
        let request_id = header(&resp.headers, "x-request-id");
        let date = header(&resp.headers, "date");
        // A date-form Retry-After is measured against the server's own Date when it sent one.
        let server_now = date
            .as_deref()
            .and_then(parse_http_date)
            .unwrap_or_else(|| {
                now_unix().saturating_add(self.clock_offset.load(Ordering::Relaxed))
            });
        let retry_after =
            header(&resp.headers, "retry-after").and_then(|v| retry_after_secs(&v, server_now));
        let body = resp.body;
        Ok(RawResponse {
            status,
            request_id,
            date,
            retry_after,
            body,
        })
    }
}

/// [`api_error`](super::response::api_error), scrubbed of every secret this attempt carried
/// ([`attempt_secrets`]) wherever the server echoed it.
fn scrubbed_api_error(
    resp: &RawResponse,
    prepared: &Prepared,
    creds: Option<&Credentials>,
) -> ApiError {
    super::response::api_error(resp, &attempt_secrets(prepared, creds))
}

/// The secrets one attempt carried: its security token, auth token and signature (from the
/// headers it sent), and the SK of `creds`.
fn attempt_secrets(prepared: &Prepared, creds: Option<&Credentials>) -> KnownSecrets {
    let mut known = KnownSecrets::default();
    for (name, value) in &prepared.headers {
        if name.eq_ignore_ascii_case("authorization") {
            if let Some((_, signature)) = value.rsplit_once("Signature=") {
                known.push(signature.trim());
            }
        } else if name.eq_ignore_ascii_case("x-security-token")
            || name.eq_ignore_ascii_case("x-auth-token")
        {
            known.push(value);
        }
    }
    if let Some(creds) = creds {
        push_credentials(&mut known, creds);
    }
    known
}

/// The SK and security token of `creds`.
fn push_credentials(known: &mut KnownSecrets, creds: &Credentials) {
    known.push(creds.secret_key());
    if let Some(token) = creds.security_token() {
        known.push(token);
    }
}

impl Inner {
    /// The secrets of this client a server text is scrubbed of once a call is over (the
    /// attempt's own, with its signature, went with it): the SK and security token of the
    /// current credentials, or the auth token. A provider that fails now adds nothing (the
    /// generic token patterns still apply).
    pub(crate) async fn known_secrets(&self) -> KnownSecrets {
        let mut known = KnownSecrets::default();
        match &self.auth {
            ClientAuth::AkSk(_) => {
                if let Ok(Some(creds)) = self.credentials().await {
                    push_credentials(&mut known, &creds);
                }
            }
            ClientAuth::Token(token) => known.push(token),
        }
        known
    }
}

/// A header's value as text, when present and visible ASCII.
fn header(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// A signed (or token-authenticated) attempt, ready to send.
pub(crate) struct Prepared {
    /// Built on the endpoint's parsed URL: only the path and query are parsed per request.
    pub url: url::Url,
    pub headers: Vec<(String, String)>,
    /// The canonical request this attempt signed (none for token authentication), for the hint
    /// of a "signature mismatch" answer.
    pub canonical: Option<sign::CanonicalText>,
    /// The clock offset (seconds) this attempt was signed with: a later "expired" answer is
    /// judged against it, not against an offset another thread stored since.
    pub clock_offset: i64,
}

impl Drop for Prepared {
    /// The header values hold this attempt's only owned copies of the security token, the
    /// auth token and the signature: wipe them.
    fn drop(&mut self) {
        for (_, value) in &mut self.headers {
            zeroize::Zeroize::zeroize(value);
        }
    }
}

/// The hint of the gateway's AK lock ("AK access failed to reach the limit, forbidden").
const AK_LOCKED_HINT: &str = "the gateway locked this AK for 5 minutes after five failed authentications: wait 5 minutes before the next call, and check the AK/SK first";

/// The hints of an API error this client can explain: a locked AK, a signature mismatch (what
/// this client signed, to compare with the gateway's echo), a missing project id. An expired
/// signature got its hint from [`Inner::correct_skew`].
fn annotate_api_error(api: &mut ApiError, call: &Call<'_>, prepared: &Prepared) {
    if is_signature_error(api) {
        if is_ak_locked(api) {
            api.hint = Some(AK_LOCKED_HINT.to_owned());
        } else if !is_expired(api)
            && let Some(signed) = &prepared.canonical
        {
            api.hint = Some(format!(
                "this client signed {} {} with headers {} (see ApiError::signed_request); check the AK/SK",
                call.method,
                signed.uri(),
                signed.signed_headers()
            ));
            api.signed_request = Some(signed.redacted());
        }
    } else if api.code.as_deref() == Some("IMG.0104")
        || (api.status == 400 && api.message.contains("project"))
    {
        api.hint.get_or_insert_with(|| {
            "set the project id explicitly (project_id / HUAWEICLOUD_SDK_PROJECT_ID)".to_owned()
        });
    }
}

fn is_signature_error(api: &ApiError) -> bool {
    is_gateway_code(api.code.as_deref(), "0301")
}

fn is_ak_locked(api: &ApiError) -> bool {
    api.message
        .to_ascii_lowercase()
        .contains("ak access failed to reach the limit")
}

fn is_expired(api: &ApiError) -> bool {
    let m = api.message.to_ascii_lowercase();
    m.contains("expire")
}

/// A reqwest failure as an [`Error`]. A failure while connecting (TCP, a proxy's tunnel, the
/// TLS handshake) comes before the request was written: marked as never sent, a refused
/// handshake as [`Error::Tls`], a proxy's refusal naming the proxy (`tunnel_proxy`, user info
/// redacted), the host and the status when known. Any later failure, a TLS one included (a
/// record that does not decrypt, a fatal alert while the answer is read), may come after the
/// service received the request: [`Error::Transport`] with `not_sent: false`, so a create is
/// never sent again (see [`retry::may_retry`]).
fn transport_error(e: reqwest::Error, timeout: Duration, tunnel_proxy: Option<&str>) -> Error {
    if e.is_timeout() && !e.is_connect() {
        return Error::Timeout(timeout);
    }
    let tls = super::tls::find(&e).map(|tls| (super::tls::handshake_words(tls), tls.to_string()));
    if e.is_connect() {
        if let Some((words, _)) = tls {
            return Error::Tls {
                message: format!("cannot connect securely: {words}"),
                source: Some(Box::new(e)),
            };
        }
        if let Some(words) = super::proxy::tunnel_failure(&e, tunnel_proxy) {
            return Error::Transport {
                message: format!("cannot connect: {words}"),
                not_sent: true,
                source: Some(Box::new(e)),
            };
        }
    }
    let what = if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "connection broke while reading the response"
    } else {
        "request failed"
    };
    // The causes only: reqwest's own text repeats the URL, which the caller knows.
    let message = match (tls, std::error::Error::source(&e)) {
        (Some((_, tls)), _) => format!(
            "{what}: the TLS connection failed after it was set up, while the request was sent or its answer read ({tls}); the request may have been processed"
        ),
        (None, Some(cause)) => format!("{what}: {}", crate::error::error_chain(cause)),
        (None, None) => what.to_owned(),
    };
    Error::Transport {
        message,
        not_sent: e.is_connect(),
        source: Some(Box::new(e)),
    }
}
