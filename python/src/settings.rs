//! The keyword arguments of `ims.Client(...)` and `ims.Client.from_env(...)`: ONE table,
//! [`KEYWORDS`], each entry naming a keyword and how it changes core's [`ClientConfig`].
//!
//! A new client option is one field of `ClientConfig` (core), one line here, one line of the
//! stub's `_ClientSettings` and one of the class docstring (`tests/test_errors.py` checks that
//! the three lists agree).

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use ims_core::client::{ClientAuth, MAX_ATTEMPTS, MAX_POOL_IDLE_TIMEOUT, ProxyUrl, RetryPolicy};
use ims_core::sign::Algorithm;
use ims_core::{ClientConfig, Credentials, JobEndpoint};
use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyInt, PyString};

use crate::errors;

/// One keyword argument.
pub struct Keyword {
    /// The keyword, as callers spell it.
    pub name: &'static str,
    /// A credential keyword: `from_env` refuses it (its credentials come from the chain).
    pub credential: bool,
    /// Checks the value and writes it into the draft.
    apply: fn(&mut Draft, &Arg<'_, '_>) -> PyResult<()>,
}

/// A setting: written into core's config.
const fn setting(
    name: &'static str,
    apply: fn(&mut Draft, &Arg<'_, '_>) -> PyResult<()>,
) -> Keyword {
    Keyword {
        name,
        credential: false,
        apply,
    }
}

/// A credential: checked with the other credentials by [`Draft::finish`].
const fn credential(
    name: &'static str,
    apply: fn(&mut Draft, &Arg<'_, '_>) -> PyResult<()>,
) -> Keyword {
    Keyword {
        name,
        credential: true,
        apply,
    }
}

/// Every keyword of `Client(...)`, in the order `help(ims.Client)` lists them.
/// `from_env` takes the same ones but the credentials.
pub const KEYWORDS: &[Keyword] = &[
    setting("region", |d, a| set(&mut d.config.region, a.text()?)),
    setting("endpoint", |d, a| set(&mut d.config.endpoint, a.text()?)),
    credential("ak", |d, a| set(&mut d.ak, a.text()?)),
    credential("sk", |d, a| set(&mut d.sk, a.text()?)),
    // "" (or blanks) is no token, as in the C ABI and core's credentials, which drop it.
    credential("security_token", |d, a| {
        let token = a.text()?.filter(|t| !t.trim().is_empty());
        set(&mut d.security_token, token)
    }),
    credential("auth_token", |d, a| set(&mut d.auth_token, a.text()?)),
    setting("project_id", |d, a| {
        set(&mut d.config.project_id, a.text()?)
    }),
    setting("timeout", |d, a| set(&mut d.config.timeout, a.seconds()?)),
    setting("connect_timeout", |d, a| {
        set(&mut d.config.connect_timeout, a.seconds()?)
    }),
    setting("pool_idle_timeout", |d, a| {
        set(
            &mut d.config.pool_idle_timeout,
            a.seconds_up_to(MAX_POOL_IDLE_TIMEOUT)?,
        )
    }),
    setting("max_concurrent_requests", |d, a| {
        set(&mut d.config.max_concurrent_requests, a.max_concurrent()?)
    }),
    setting("allow_http", |d, a| {
        d.config.allow_http = a.flag()?;
        Ok(())
    }),
    setting("legacy_job_endpoint", |d, a| {
        if a.flag()? {
            d.config.job_endpoint = JobEndpoint::Legacy;
        }
        Ok(())
    }),
    setting("algorithm", |d, a| {
        set(&mut d.config.algorithm, a.algorithm()?)
    }),
    setting("user_agent_suffix", |d, a| {
        set(&mut d.config.user_agent_suffix, a.text()?)
    }),
    setting("max_attempts", |d, a| {
        set(&mut d.config.retry, a.max_attempts()?)
    }),
    setting("ca_pem", |d, a| {
        d.config.ca_pems.extend(a.pem()?);
        Ok(())
    }),
    setting("ca_file", |d, a| {
        d.config.ca_files.extend(a.path()?);
        Ok(())
    }),
    setting("proxy", |d, a| {
        set(&mut d.config.proxy, a.text()?.map(ProxyUrl::new))
    }),
];

/// Writes `value` into `field` when the keyword had one (`None` keeps the default).
fn set<T>(field: &mut T, value: Option<impl Into<T>>) -> PyResult<()> {
    if let Some(v) = value {
        *field = v.into();
    }
    Ok(())
}

/// Core's config being filled, with the credential keywords kept apart until they can be
/// checked together.
#[derive(Default)]
pub struct Draft {
    /// Every setting but the credentials.
    pub config: ClientConfig,
    ak: Option<String>,
    sk: Option<String>,
    security_token: Option<String>,
    auth_token: Option<String>,
}

impl Draft {
    /// Applies `kwargs` (`None` values keep the defaults). Like Python, every name is checked
    /// before any value: an unknown one (or, when `credentials` is false, a credential) is a
    /// `TypeError` "`{who}` got an unexpected keyword argument 'x'".
    pub fn apply(
        &mut self,
        who: &str,
        kwargs: Option<&Bound<'_, PyDict>>,
        credentials: bool,
    ) -> PyResult<()> {
        let Some(kwargs) = kwargs else { return Ok(()) };
        let mut found = Vec::with_capacity(kwargs.len());
        for (key, value) in kwargs.iter() {
            let name = key.cast::<PyString>()?.to_cow()?;
            let keyword = KEYWORDS
                .iter()
                .find(|k| k.name == name && (credentials || !k.credential))
                .ok_or_else(|| {
                    PyTypeError::new_err(format!(
                        "{who} got an unexpected keyword argument '{name}'"
                    ))
                })?;
            found.push((keyword, value));
        }
        for (keyword, value) in found {
            (keyword.apply)(
                self,
                &Arg {
                    name: keyword.name,
                    value: &value,
                },
            )?;
        }
        Ok(())
    }

    /// The config with its authentication, and where the credentials come from (`"explicit"`,
    /// `"token"` or `"chain"`, never the credentials themselves).
    pub fn finish(self, py: Python<'_>) -> PyResult<(ClientConfig, &'static str)> {
        let Draft {
            mut config,
            ak,
            sk,
            security_token,
            auth_token,
        } = self;
        let (auth, source) = match (ak, sk, auth_token) {
            (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => {
                return Err(errors::config_error(
                    py,
                    "give ak and sk, or auth_token, not both",
                ));
            }
            (Some(ak), Some(sk), None) => {
                let c = Credentials::new(ak, sk);
                let c = match security_token {
                    Some(t) => c.with_security_token(t),
                    None => c,
                };
                (Some(ClientAuth::credentials(c)), "explicit")
            }
            (Some(_), None, None) | (None, Some(_), None) => {
                return Err(errors::credentials_error(
                    py,
                    "ak and sk must be given together",
                ));
            }
            (None, None, _) if security_token.is_some() => {
                return Err(errors::credentials_error(
                    py,
                    "security_token needs ak and sk",
                ));
            }
            (None, None, Some(token)) => (Some(ClientAuth::token(token)), "token"),
            (None, None, None) => (None, "chain"),
        };
        config.auth = auth;
        Ok((config, source))
    }
}

/// One keyword argument's value, with its name for error messages (never its value: it may
/// be a secret).
struct Arg<'a, 'py> {
    name: &'static str,
    value: &'a Bound<'py, PyAny>,
}

impl Arg<'_, '_> {
    /// `TypeError`: "`name` must be `expected`, not `type`".
    fn type_error(&self, expected: &str) -> PyErr {
        let type_name = self
            .value
            .get_type()
            .name()
            .map_or_else(|_| "?".to_owned(), |n| n.to_string());
        PyTypeError::new_err(format!("{} must be {expected}, not {type_name}", self.name))
    }

    fn config_error(&self, message: String) -> PyErr {
        errors::config_error(self.value.py(), message)
    }

    /// `str` or `None`.
    fn text(&self) -> PyResult<Option<String>> {
        if self.value.is_none() {
            return Ok(None);
        }
        let s = self
            .value
            .cast::<PyString>()
            .map_err(|_| self.type_error("str or None"))?;
        Ok(Some(s.to_cow()?.into_owned()))
    }

    /// `bool`.
    fn flag(&self) -> PyResult<bool> {
        let b = self
            .value
            .cast::<PyBool>()
            .map_err(|_| self.type_error("a bool"))?;
        Ok(b.is_true())
    }

    /// A `TypeError` for `True`/`False` where a number is expected: `bool` is an `int` to
    /// Python, but `timeout=True` is a mistake, not one second.
    fn refuse_bool(&self, expected: &str) -> PyResult<()> {
        if self.value.is_instance_of::<PyBool>() {
            return Err(self.type_error(expected));
        }
        Ok(())
    }

    /// The value as a number of seconds, not yet judged, or `None`: a bool is a type error and
    /// an int beyond a float (`10**400`) is too large.
    fn raw_seconds(&self) -> PyResult<Option<f64>> {
        if self.value.is_none() {
            return Ok(None);
        }
        let expected = "a number of seconds or None";
        self.refuse_bool(expected)?;
        match self.value.extract() {
            Ok(secs) => Ok(Some(secs)),
            Err(e) if e.is_instance_of::<PyOverflowError>(self.value.py()) => {
                Err(self.config_error(format!("{} is too large", self.name)))
            }
            Err(_) => Err(self.type_error(expected)),
        }
    }

    /// A positive number of seconds (at least a nanosecond), or `None`.
    fn seconds(&self) -> PyResult<Option<Duration>> {
        let Some(secs) = self.raw_seconds()? else {
            return Ok(None);
        };
        if !(secs.is_finite() && secs > 0.0) {
            return Err(self.config_error(format!(
                "{} must be a positive number of seconds, got {secs}",
                self.name
            )));
        }
        match Duration::try_from_secs_f64(secs) {
            // Positive, but less than a nanosecond: it would be a timeout of zero.
            Ok(d) if d.is_zero() => Err(self.config_error(format!(
                "{} must be a positive number of seconds, got {secs} (less than a nanosecond)",
                self.name
            ))),
            Ok(d) => Ok(Some(d)),
            Err(_) => Err(self.config_error(format!("{} is too large: {secs}", self.name))),
        }
    }

    /// A number of seconds above zero and at most `max`, or `None`: a bool is refused and an
    /// int beyond a float is too large, as for [`Arg::seconds`]; any other number out of the
    /// range is a config error naming the keyword and the range.
    fn seconds_up_to(&self, max: Duration) -> PyResult<Option<Duration>> {
        let Some(secs) = self.raw_seconds()? else {
            return Ok(None);
        };
        let within = (secs.is_finite() && secs > 0.0)
            .then(|| Duration::try_from_secs_f64(secs).ok())
            .flatten()
            .filter(|d| !d.is_zero() && *d <= max);
        within.map(Some).ok_or_else(|| {
            self.config_error(format!(
                "{} must be a positive number of seconds up to {} ({} hours), got {secs}",
                self.name,
                max.as_secs(),
                max.as_secs() / 3600
            ))
        })
    }

    /// The signing algorithm's name, or `None`.
    fn algorithm(&self) -> PyResult<Option<Algorithm>> {
        let Some(a) = self.text()? else {
            return Ok(None);
        };
        Algorithm::from_str(&a).map(Some).map_err(|e| {
            self.config_error(format!(
                "algorithm {a:?}: {e} (use SDK-HMAC-SHA256, SDK-HMAC-SM3 or V11-HMAC-SHA256)"
            ))
        })
    }

    /// An attempt count from 1 (never retry) to core's limit ([`MAX_ATTEMPTS`]) as a retry
    /// policy, or `None`.
    fn max_attempts(&self) -> PyResult<Option<RetryPolicy>> {
        if self.value.is_none() {
            return Ok(None);
        }
        self.refuse_bool("an int or None")?;
        if !self.value.is_instance_of::<PyInt>() {
            return Err(self.type_error("an int or None"));
        }
        let out_of_range = || {
            // An int's text: never a secret.
            let shown = self
                .value
                .str()
                .map_or_else(|_| "?".to_owned(), |s| s.to_string());
            self.config_error(format!(
                "{} must be 1 (never retry) to {MAX_ATTEMPTS}, got {shown}",
                self.name
            ))
        };
        let max_attempts = self
            .value
            .extract::<u32>()
            .ok()
            .filter(|n| (1..=MAX_ATTEMPTS).contains(n))
            .ok_or_else(out_of_range)?;
        Ok(Some(RetryPolicy {
            max_attempts,
            ..RetryPolicy::default()
        }))
    }

    /// Exchanges in flight at once: an int from 1 to core's limit, or `None`.
    fn max_concurrent(&self) -> PyResult<Option<usize>> {
        if self.value.is_none() {
            return Ok(None);
        }
        let max = ims_core::client::MAX_CONCURRENT_REQUESTS;
        self.refuse_bool("an int or None")?;
        let Ok(n) = self.value.extract::<i64>() else {
            return Err(if self.value.is_instance_of::<PyInt>() {
                self.config_error(format!("{} must be 1 to {max}", self.name))
            } else {
                self.type_error("an int or None")
            });
        };
        match usize::try_from(n) {
            Ok(n) if (1..=max).contains(&n) => Ok(Some(n)),
            _ => Err(self.config_error(format!("{} must be 1 to {max}, got {n}", self.name))),
        }
    }

    /// PEM text as `str` or `bytes`, or `None`.
    fn pem(&self) -> PyResult<Option<Vec<u8>>> {
        if self.value.is_none() {
            return Ok(None);
        }
        if let Ok(s) = self.value.cast::<PyString>() {
            return Ok(Some(s.to_cow()?.as_bytes().to_vec()));
        }
        if let Ok(b) = self.value.cast::<PyBytes>() {
            return Ok(Some(b.as_bytes().to_vec()));
        }
        Err(PyTypeError::new_err(
            "ca_pem must be PEM text (str or bytes) holding one or more certificates",
        ))
    }

    /// A path (`str` or `os.PathLike`), or `None`.
    fn path(&self) -> PyResult<Option<PathBuf>> {
        if self.value.is_none() {
            return Ok(None);
        }
        self.value
            .extract::<PathBuf>()
            .map(Some)
            .map_err(|_| self.type_error("a path (str or os.PathLike) or None"))
    }
}
