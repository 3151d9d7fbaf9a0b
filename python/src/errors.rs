//! `ims_core::Error` → the Python exceptions of `ims/_errors.py`.
//!
//! | core kind | exception | attributes |
//! |---|---|---|
//! | `Validation` | `ValidationError` (also a `ValueError`) | `errors`: `[(field, rule, message)]` |
//! | `Credentials` | `CredentialsError` | |
//! | `Config` | `ConfigError` | |
//! | `Signing` | `SigningError` | |
//! | `Transport`, `Timeout` | `TransportError` | `timeout`, `not_sent` |
//! | `Api` | `ApiError` | `status`, `code`, `message`, `request_id`, `hint`, `signed_request` |
//! | `InvalidResponse` | `InvalidResponseError` | `status`, `message`, `request_id` |
//! | `JobFailed` | `JobFailedError` | `job_id`, `job` |
//! | `WaitTimeout` | `WaitTimeoutError` | `job_id`, `elapsed`, `job` (last seen, or `None`) |
//! | `Cancelled` | `CancelledError` | `job_id`, `job` (last seen, or `None`) |
//!
//!
//! A fleet run's [`ims_core::fleet::FleetError`] ([`fleet_to_py_err`]):
//!
//! | core kind | exception | attributes |
//! |---|---|---|
//! | `Manifest` | `ManifestError` (also a `ValueError`) | `errors`: `[(line, message)]` |
//! | `Options` | `ValidationError` | `errors`: `[(field, rule, message)]` |
//! | `Journal(Locked)` | `JournalLockedError` | `path`, `reason` |
//! | `Journal(Corrupt / OtherFleet / Io)` | `JournalError` | `path`, `reason` |
//! | `Quota` | `QuotaError` | `needed`, `used`, `quota`, `remaining` |
//! | `Service(e)` | `e`'s own exception, as above | |
//!
//! Every exception's `str()` is core's one-sentence `Display`, and its `kind` is core's
//! `ErrorKind::as_str()`. Every one pickles with its attributes (`ImsError.__reduce__`, and
//! `ims.Job`'s own).

use ims_core::Error;
use ims_core::fleet::{FleetError, JournalError};
use ims_core::validate::ValidationErrors;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyModule, PyTuple};

use crate::job::Job;

static ERRORS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// The module `ims._errors`, imported once.
fn errors_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    ERRORS
        .get_or_try_init(py, || py.import("ims._errors").map(Bound::unbind))
        .map(|m| m.bind(py))
}

/// Instantiates `ims.<class>(message, **kwargs)` as a `PyErr`.
fn raise(py: Python<'_>, class: &str, message: String, kwargs: &Bound<'_, PyDict>) -> PyErr {
    let made = errors_module(py).and_then(|m| {
        let cls = m.getattr(class)?;
        cls.call((message,), Some(kwargs))
    });
    match made {
        Ok(instance) => PyErr::from_value(instance),
        Err(e) => e,
    }
}

/// A `ConfigError` with this message (for arguments the binding itself refuses).
pub fn config_error(py: Python<'_>, message: impl Into<String>) -> PyErr {
    raise(py, "ConfigError", message.into(), &PyDict::new(py))
}

/// A `CredentialsError` with this message.
pub fn credentials_error(py: Python<'_>, message: impl Into<String>) -> PyErr {
    raise(py, "CredentialsError", message.into(), &PyDict::new(py))
}

/// `[(field, rule, message), ...]`.
fn violations<'py>(py: Python<'py>, errors: &ValidationErrors) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for v in errors {
        list.append(PyTuple::new(
            py,
            [v.field.as_str(), v.rule.as_str(), v.message.as_str()],
        )?)?;
    }
    Ok(list)
}

fn job_object(py: Python<'_>, job: Option<&ims_core::model::Job>) -> PyResult<Py<PyAny>> {
    match job {
        Some(j) => Ok(Py::new(py, Job::new(j.clone()))?.into_any()),
        None => Ok(py.None()),
    }
}

fn build(py: Python<'_>, err: &Error) -> PyResult<PyErr> {
    let message = err.to_string();
    let kw = PyDict::new(py);
    let class = match err {
        Error::Validation(v) => {
            kw.set_item("errors", violations(py, v)?)?;
            "ValidationError"
        }
        Error::Credentials(_) => "CredentialsError",
        Error::Config(_) => "ConfigError",
        Error::Signing(_) => "SigningError",
        Error::Transport { not_sent, .. } => {
            kw.set_item("not_sent", *not_sent)?;
            "TransportError"
        }
        // A refused certificate: nothing was sent.
        Error::Tls { .. } => {
            kw.set_item("not_sent", true)?;
            "TransportError"
        }
        Error::Timeout(_) => {
            kw.set_item("timeout", true)?;
            "TransportError"
        }
        Error::Api(api) => {
            kw.set_item("status", api.status)?;
            kw.set_item("code", api.code.as_deref())?;
            kw.set_item("message", api.message.as_str())?;
            kw.set_item("request_id", api.request_id.as_deref())?;
            kw.set_item("hint", api.hint.as_deref())?;
            kw.set_item("signed_request", api.signed_request.as_deref())?;
            "ApiError"
        }
        Error::InvalidResponse {
            status,
            message: what,
            request_id,
        } => {
            kw.set_item("status", *status)?;
            kw.set_item("message", what.as_str())?;
            kw.set_item("request_id", request_id.as_deref())?;
            "InvalidResponseError"
        }
        Error::JobFailed { job } => {
            kw.set_item("job_id", job.job_id.as_str())?;
            kw.set_item("job", job_object(py, Some(job))?)?;
            "JobFailedError"
        }
        Error::WaitTimeout {
            job_id,
            elapsed,
            last,
        } => {
            kw.set_item("job_id", job_id.as_str())?;
            kw.set_item("elapsed", elapsed.as_secs_f64())?;
            kw.set_item("job", job_object(py, last.as_deref())?)?;
            "WaitTimeoutError"
        }
        Error::Cancelled { job_id, last } => {
            kw.set_item("job_id", job_id.as_str())?;
            kw.set_item("job", job_object(py, last.as_deref())?)?;
            "CancelledError"
        }
        // `Error` is non-exhaustive: a kind added to core later is still an `ImsError`.
        _ => "ImsError",
    };
    kw.set_item("kind", err.kind().as_str())?;
    Ok(raise(py, class, message, &kw))
}

/// The Python exception for a core error.
pub fn to_py_err(py: Python<'_>, err: &Error) -> PyErr {
    build(py, err).unwrap_or_else(|e| e)
}

/// `Result<T, ims_core::Error>` → `PyResult<T>`.
pub trait IntoPyResult<T> {
    /// Converts the error with [`to_py_err`].
    fn into_py_result(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, Error> {
    fn into_py_result(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py_err(py, &e))
    }
}

impl<T> IntoPyResult<T> for Result<T, ValidationErrors> {
    fn into_py_result(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py_err(py, &Error::Validation(e)))
    }
}

fn build_fleet(py: Python<'_>, err: &FleetError) -> PyResult<PyErr> {
    let message = err.to_string();
    let kw = PyDict::new(py);
    let class = match err {
        FleetError::Service(e) => return Ok(to_py_err(py, e)),
        FleetError::Manifest(m) => {
            let list = PyList::empty(py);
            for e in &m.errors {
                list.append((e.line, e.message.as_str()))?;
            }
            kw.set_item("errors", list)?;
            "ManifestError"
        }
        FleetError::Options(text) => {
            // Core joins "field: rule: message" with "; ".
            let list = PyList::empty(py);
            for part in text.split("; ") {
                let mut pieces = part.splitn(3, ": ");
                let (field, rule, rest) = (pieces.next(), pieces.next(), pieces.next());
                match (field, rule, rest) {
                    (Some(f), Some(r), Some(m)) => list.append((f, r, m))?,
                    _ => list.append(("options", "rule", part))?,
                }
            }
            kw.set_item("errors", list)?;
            kw.set_item("kind", "validation")?;
            return Ok(raise(py, "ValidationError", message, &kw));
        }
        FleetError::Journal(j) => {
            let (class, kind, path, reason) = match j {
                JournalError::Locked { path } => (
                    "JournalLockedError",
                    "journal_locked",
                    path,
                    "held by another process".to_owned(),
                ),
                JournalError::Corrupt { path, reason } => {
                    ("JournalError", "journal_corrupt", path, reason.clone())
                }
                JournalError::OtherFleet {
                    path,
                    journal_fleet,
                    ..
                } => (
                    "JournalError",
                    "journal_other_fleet",
                    path,
                    format!("belongs to fleet {journal_fleet:?}"),
                ),
                JournalError::Io { path, reason } => {
                    ("JournalError", "journal_io", path, reason.clone())
                }
            };
            kw.set_item("path", path.to_string_lossy())?;
            kw.set_item("reason", reason)?;
            kw.set_item("kind", kind)?;
            return Ok(raise(py, class, message, &kw));
        }
        FleetError::Quota { needed, quota } => {
            kw.set_item("needed", *needed)?;
            kw.set_item("used", quota.used)?;
            kw.set_item("quota", quota.quota)?;
            "QuotaError"
        }
    };
    Ok(raise(py, class, message, &kw))
}

/// The Python exception for a fleet run's error (see the module's table).
pub fn fleet_to_py_err(py: Python<'_>, err: &FleetError) -> PyErr {
    build_fleet(py, err).unwrap_or_else(|e| e)
}
