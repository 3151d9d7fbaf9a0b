//! The one error type of the crate.
//!
//! Every failure is an [`Error`]; [`Error::kind`] gives a flat [`ErrorKind`] that callers (and
//! the C and Python bindings) can match on without caring about the payload. `Display` is one
//! lowercase sentence that names the service code and the request id when there is one. No
//! secret (SK, security token, Authorization) is ever part of an error.

use std::fmt;
use std::time::Duration;

use crate::model::Job;
use crate::validate::ValidationErrors;

/// The flat classification of an [`Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request broke a documented rule; nothing was sent.
    Validation,
    /// No usable credentials, or a credential provider failed.
    Credentials,
    /// The client configuration is wrong (endpoint, region, project, TLS, proxy).
    Config,
    /// The request could not be signed (bad header name or value, bad URL).
    Signing,
    /// The connection failed, was dropped, or the body could not be read.
    Transport,
    /// One HTTP exchange took longer than the configured timeout.
    Timeout,
    /// The service (or its API gateway) answered with an error.
    Api,
    /// The service answered something this client cannot understand.
    InvalidResponse,
    /// The job ended in `FAIL`.
    JobFailed,
    /// The waiter gave up before the job ended.
    WaitTimeout,
    /// The caller cancelled the wait, or interrupted a blocking call.
    Cancelled,
}

impl ErrorKind {
    /// A stable lowercase name (`"validation"`, `"api"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Validation => "validation",
            ErrorKind::Credentials => "credentials",
            ErrorKind::Config => "config",
            ErrorKind::Signing => "signing",
            ErrorKind::Transport => "transport",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Api => "api",
            ErrorKind::InvalidResponse => "invalid_response",
            ErrorKind::JobFailed => "job_failed",
            ErrorKind::WaitTimeout => "wait_timeout",
            ErrorKind::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error answered by the service or its API gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status code.
    pub status: u16,
    /// Service code (`IMG.0024`, `APIGW.0301`), when the body carried one.
    pub code: Option<String>,
    /// The service's message (or a short snippet of a non-JSON body).
    pub message: String,
    /// `X-Request-Id` of the response (or the body's `request_id`).
    pub request_id: Option<String>,
    /// A hint from this client (what it signed, a clock offset, a missing project id).
    pub hint: Option<String>,
    /// When the gateway rejected the signature (APIGW.0301): the canonical request this client
    /// signed, with the security token redacted, to compare with the one the gateway echoes.
    pub signed_request: Option<String>,
    /// The response's `Retry-After`, when it had one this client understood (the waiter
    /// sleeps at least this long before its next poll).
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// Whether retrying the same request later may succeed (throttling and 5xx).
    pub fn is_transient(&self) -> bool {
        self.status == 429
            || is_gateway_code(self.code.as_deref(), "0308")
            || matches!(self.status, 500 | 502 | 503 | 504)
    }
}

/// Whether `code` is the API gateway's code `number` (`"0301"`) under either prefix the gateway
/// uses: `APIGW.` or `APIG.`.
pub(crate) fn is_gateway_code(code: Option<&str>, number: &str) -> bool {
    code.and_then(|c| c.strip_prefix("APIGW.").or_else(|| c.strip_prefix("APIG."))) == Some(number)
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "service answered http {}", self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message.trim_end_matches('.'))?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

/// Every failure of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request broke documented rules; nothing was sent.
    #[error(transparent)]
    Validation(#[from] ValidationErrors),
    /// No usable credentials.
    #[error("credentials: {0}")]
    Credentials(String),
    /// The configuration is wrong.
    #[error("configuration: {0}")]
    Config(String),
    /// The request could not be signed.
    #[error("cannot sign request: {0}")]
    Signing(#[from] crate::sign::SignError),
    /// The exchange failed below HTTP: the connection could not be made (a proxy that refused
    /// the tunnel is named, with the host and its status when known), or it broke. A TLS
    /// failure once the connection was set up (a record that does not decrypt, a fatal alert
    /// while the answer is read) is one of these, with `not_sent: false`: the request may have
    /// been processed.
    #[error("transport: {message}")]
    Transport {
        /// What failed, in one sentence.
        message: String,
        /// Whether the request surely never reached the service (a failure while connecting,
        /// before the request was written).
        not_sent: bool,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The TLS handshake failed, while connecting: the server's certificate is not trusted, is
    /// for another host, has expired, or the two sides share no protocol. Its [`Error::kind`]
    /// is [`ErrorKind::Transport`]; unlike other transport errors it is never retried (nothing
    /// was sent, and trying again cannot change the certificate). A TLS failure after the
    /// handshake is an [`Error::Transport`] that may have been processed, never this.
    #[error("transport: {message}")]
    Tls {
        /// What was refused, and what to do about it.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// One HTTP exchange timed out.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The service answered with an error.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// The service answered something unexpected.
    #[error("invalid response (http {status}{}): {message}", request_id.as_deref().map(|r| format!(", request id {r}")).unwrap_or_default())]
    InvalidResponse {
        /// HTTP status code.
        status: u16,
        /// What was wrong, with a short snippet of the body.
        message: String,
        /// `X-Request-Id`, when present.
        request_id: Option<String>,
    },
    /// The job ended in `FAIL`.
    #[error("job {} failed{}{}", job.job_id, job.error_code.as_deref().map(|c| format!(" with {c}")).unwrap_or_default(), job.fail_reason.as_deref().map(|r| format!(": {}", crate::redact::scrub(r, &[]))).unwrap_or_default())]
    JobFailed {
        /// The final job document.
        job: Box<Job>,
    },
    /// The waiter's overall timeout passed.
    #[error("gave up waiting for job {job_id} after {elapsed:?}{}", last.as_ref().map(|j| format!(" (last status {})", j.status)).unwrap_or_default())]
    WaitTimeout {
        /// The job waited for.
        job_id: String,
        /// Time spent waiting.
        elapsed: Duration,
        /// The last job document seen, if any.
        last: Option<Box<Job>>,
    },
    /// The caller cancelled the wait.
    #[error("wait for job {job_id} cancelled")]
    Cancelled {
        /// The job waited for.
        job_id: String,
        /// The last job document seen, if any.
        last: Option<Box<Job>>,
    },
    /// The caller stopped a blocking call before its answer came (see
    /// [`crate::client::Interrupt`]). Its [`Error::kind`] is [`ErrorKind::Cancelled`].
    #[error("{operation} interrupted before its answer came{}", if *may_have_been_sent { ": the request may have been sent and processed" } else { "; nothing was sent" })]
    Interrupted {
        /// What was stopped (`"create_whole_image"`, `"job"`, ...).
        operation: &'static str,
        /// Whether the request may have reached the service (for a create: an image may be
        /// on its way; look for it before creating it again).
        may_have_been_sent: bool,
    },
}

impl Error {
    /// The flat kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Validation(_) => ErrorKind::Validation,
            Error::Credentials(_) => ErrorKind::Credentials,
            Error::Config(_) => ErrorKind::Config,
            Error::Signing(_) => ErrorKind::Signing,
            Error::Transport { .. } | Error::Tls { .. } => ErrorKind::Transport,
            Error::Timeout(_) => ErrorKind::Timeout,
            Error::Api(_) => ErrorKind::Api,
            Error::InvalidResponse { .. } => ErrorKind::InvalidResponse,
            Error::JobFailed { .. } => ErrorKind::JobFailed,
            Error::WaitTimeout { .. } => ErrorKind::WaitTimeout,
            Error::Cancelled { .. } | Error::Interrupted { .. } => ErrorKind::Cancelled,
        }
    }

    /// A copy of this error for another caller that waited for the same outcome (a shared
    /// project lookup): every field but the underlying `source`, which cannot be copied.
    #[cfg(feature = "client")]
    pub(crate) fn shared_copy(&self) -> Error {
        match self {
            Error::Validation(v) => Error::Validation(v.clone()),
            Error::Credentials(m) => Error::Credentials(m.clone()),
            Error::Config(m) => Error::Config(m.clone()),
            Error::Signing(e) => Error::Signing(e.clone()),
            Error::Transport {
                message, not_sent, ..
            } => Error::Transport {
                message: message.clone(),
                not_sent: *not_sent,
                source: None,
            },
            Error::Tls { message, .. } => Error::Tls {
                message: message.clone(),
                source: None,
            },
            Error::Timeout(d) => Error::Timeout(*d),
            Error::Api(api) => Error::Api(api.clone()),
            Error::InvalidResponse {
                status,
                message,
                request_id,
            } => Error::InvalidResponse {
                status: *status,
                message: message.clone(),
                request_id: request_id.clone(),
            },
            Error::JobFailed { job } => Error::JobFailed { job: job.clone() },
            Error::WaitTimeout {
                job_id,
                elapsed,
                last,
            } => Error::WaitTimeout {
                job_id: job_id.clone(),
                elapsed: *elapsed,
                last: last.clone(),
            },
            Error::Cancelled { job_id, last } => Error::Cancelled {
                job_id: job_id.clone(),
                last: last.clone(),
            },
            Error::Interrupted {
                operation,
                may_have_been_sent,
            } => Error::Interrupted {
                operation,
                may_have_been_sent: *may_have_been_sent,
            },
        }
    }

    /// The API error, when the service answered with one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The request id of the response behind this error, when there was one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.request_id.as_deref(),
            Error::InvalidResponse { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The job document carried by this error (failed job, or the last seen before a timeout).
    pub fn job(&self) -> Option<&Job> {
        match self {
            Error::JobFailed { job } => Some(job),
            Error::WaitTimeout { last, .. } | Error::Cancelled { last, .. } => last.as_deref(),
            _ => None,
        }
    }
}

/// An error and its sources, joined with `: ` (reqwest hides the cause behind "builder error").
#[cfg_attr(not(feature = "client"), allow(dead_code))]
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
