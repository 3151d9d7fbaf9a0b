//! `ims._ims._Emulator`: the emulator of `ims-emulator`, run in this process (on its own
//! threads, never touching the interpreter), for `ims.testing.Emulator`.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use ims_emulator::{Emulator as CoreEmulator, EmulatorConfig, Endpoint, Fault, ServerCertificate};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::MutexExt;
use pyo3::types::{PyDict, PyList};
use std::sync::Mutex;

/// A running emulator. Thread-safe; `shutdown()` stops it (also done when it is collected).
#[pyclass(frozen, module = "ims._ims", name = "_Emulator")]
pub struct Emulator {
    inner: Mutex<Option<CoreEmulator>>,
    url: String,
    host: String,
    region: String,
    /// The accepted permanent AK/SK (changed by `set_credentials`).
    keys: Mutex<(String, String)>,
    /// The CA's PEM when it serves HTTPS.
    ca_pem: Option<String>,
}

fn to_duration(name: &str, secs: f64) -> PyResult<Duration> {
    if secs.is_finite() && secs >= 0.0 {
        Duration::try_from_secs_f64(secs)
            .map_err(|_| PyValueError::new_err(format!("{name} is too large: {secs}")))
    } else {
        Err(PyValueError::new_err(format!(
            "{name} must be a number of seconds >= 0, got {secs}"
        )))
    }
}

fn parse_endpoint(name: &str) -> PyResult<Endpoint> {
    match name {
        "create" => Ok(Endpoint::Create),
        "job" => Ok(Endpoint::Job),
        "iam" => Ok(Endpoint::Iam),
        "metadata" => Ok(Endpoint::Metadata),
        other => Err(PyValueError::new_err(format!(
            "unknown endpoint {other:?}: use \"create\", \"job\", \"iam\" or \"metadata\""
        ))),
    }
}

fn parse_fault(name: &str, retry_after: u64, delay: f64) -> PyResult<Fault> {
    Ok(match name {
        "throttle" => Fault::Throttle {
            retry_after_secs: retry_after,
        },
        "internal_error" => Fault::InternalError,
        "unavailable" => Fault::Unavailable,
        "delay" => Fault::Delay(to_duration("delay", delay)?),
        "drop_before_handling" => Fault::DropBeforeHandling,
        "drop_after_handling" => Fault::DropAfterHandling,
        "truncated_body" => Fault::TruncatedBody,
        "wrong_content_type" => Fault::WrongContentType,
        "ak_locked" => Fault::AkLocked,
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown fault {other:?}: use \"throttle\", \"internal_error\", \"unavailable\", \
                 \"delay\", \"drop_before_handling\", \"drop_after_handling\", \
                 \"truncated_body\", \"wrong_content_type\" or \"ak_locked\""
            )));
        }
    })
}

fn id_set(list: Option<Vec<String>>) -> Option<HashSet<String>> {
    list.map(|l| l.into_iter().collect())
}

impl Emulator {
    /// Runs `f` on the running emulator (`RuntimeError` after `shutdown`).
    fn with<T>(&self, py: Python<'_>, f: impl FnOnce(&CoreEmulator) -> T) -> PyResult<T> {
        let guard = self
            .inner
            .lock_py_attached(py)
            .map_err(|_| PyRuntimeError::new_err("emulator state poisoned"))?;
        match guard.as_ref() {
            Some(emu) => Ok(f(emu)),
            None => Err(PyRuntimeError::new_err("the emulator is shut down")),
        }
    }
}

#[pymethods]
impl Emulator {
    /// Starts an emulator on `127.0.0.1` (an ephemeral port unless `port` is given). Defaults:
    /// the demo AK/SK and project, region `cn-north-4`, jobs of 3 s. `tls` serves HTTPS with a
    /// fresh CA; `tls_certificate` (`"valid"`, `"other-host"`, `"expired"`) implies it.
    #[new]
    #[pyo3(signature = (*, ak = None, sk = None, project_id = None, region = None, job_seconds = None, auth_token = None, port = 0, gateway_prefix = "APIGW", always_expired = false, date_override = None, retry_after_http_date = false, idle_close_ms = None, close_after_answer = false, echo_unredacted = false, tls = false, tls_certificate = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        ak: Option<String>,
        sk: Option<String>,
        project_id: Option<String>,
        region: Option<String>,
        job_seconds: Option<f64>,
        auth_token: Option<String>,
        port: u16,
        gateway_prefix: &str,
        always_expired: bool,
        date_override: Option<String>,
        retry_after_http_date: bool,
        idle_close_ms: Option<u64>,
        close_after_answer: bool,
        echo_unredacted: bool,
        tls: bool,
        tls_certificate: Option<&str>,
    ) -> PyResult<Emulator> {
        let mut cfg = EmulatorConfig::demo();
        cfg.listen = SocketAddr::from(([127, 0, 0, 1], port));
        match (ak, sk) {
            (Some(ak), Some(sk)) => {
                cfg.ak = ak;
                cfg.sk = sk;
            }
            (None, None) => {}
            _ => return Err(PyValueError::new_err("give ak and sk together")),
        }
        if let Some(p) = project_id {
            cfg.project_id = p;
        }
        if let Some(r) = region {
            cfg.region = r;
        }
        if let Some(s) = job_seconds {
            cfg.job_duration = to_duration("job_seconds", s)?;
        }
        cfg.auth_token = auth_token;
        cfg.gateway.prefix = gateway_prefix.parse().map_err(PyValueError::new_err)?;
        cfg.gateway.always_expired = always_expired;
        cfg.gateway.date_override = date_override;
        cfg.gateway.retry_after_http_date = retry_after_http_date;
        cfg.idle_close_ms = idle_close_ms;
        cfg.close_after_answer = close_after_answer;
        cfg.echo_unredacted = echo_unredacted;
        if tls || tls_certificate.is_some() {
            let kind = ServerCertificate::from_str(tls_certificate.unwrap_or("valid"))
                .map_err(PyValueError::new_err)?;
            cfg = cfg.with_tls(kind).map_err(|e| {
                PyRuntimeError::new_err(format!("cannot make the TLS certificates: {e}"))
            })?;
        }
        let keys = (cfg.ak.clone(), cfg.sk.clone());
        let region = cfg.region.clone();
        let emu = py
            .detach(|| CoreEmulator::start(cfg))
            .map_err(|e| PyRuntimeError::new_err(format!("cannot start the emulator: {e}")))?;
        Ok(Emulator {
            url: emu.url(),
            host: emu.host(),
            region,
            keys: Mutex::new(keys),
            ca_pem: emu.ca_pem().map(str::to_owned),
            inner: Mutex::new(Some(emu)),
        })
    }

    /// The base URL, `http://127.0.0.1:PORT` (`https://` with TLS).
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// The CA's certificate (PEM) that clients trust, or `None` without TLS.
    #[getter]
    fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// `127.0.0.1:PORT`.
    #[getter]
    fn host(&self) -> &str {
        &self.host
    }

    /// The accepted access key.
    #[getter]
    fn ak(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self
            .keys
            .lock_py_attached(py)
            .map_err(|_| PyRuntimeError::new_err("poisoned"))?
            .0
            .clone())
    }

    /// The accepted secret key (the emulator's own, not a real secret).
    #[getter]
    fn sk(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self
            .keys
            .lock_py_attached(py)
            .map_err(|_| PyRuntimeError::new_err("poisoned"))?
            .1
            .clone())
    }

    /// The project id.
    #[getter]
    fn project_id(&self, py: Python<'_>) -> PyResult<String> {
        self.with(py, |e| e.project_id())
    }

    /// The region.
    #[getter]
    fn region(&self) -> &str {
        &self.region
    }

    /// Whether it still runs.
    #[getter]
    fn running(&self, py: Python<'_>) -> bool {
        self.with(py, |_| ()).is_ok()
    }

    /// Counters and the request log: `{"create_accepted", "images_created", "connections",
    /// "requests_total", "requests": [{"method", "path", "status"}, ...]}`.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let stats = self.with(py, |e| e.stats())?;
        let d = PyDict::new(py);
        d.set_item("create_accepted", stats.create_accepted)?;
        d.set_item("images_created", stats.images_created)?;
        d.set_item("connections", stats.connections)?;
        d.set_item("requests_total", stats.requests_total)?;
        let log = PyList::empty(py);
        for r in &stats.requests {
            let entry = PyDict::new(py);
            entry.set_item("method", r.method.as_str())?;
            entry.set_item("path", r.path.as_str())?;
            entry.set_item("status", r.status)?;
            log.append(entry)?;
        }
        d.set_item("requests", log)?;
        Ok(d)
    }

    /// Zeroes the counters and empties the request log.
    fn reset_stats(&self, py: Python<'_>) -> PyResult<()> {
        self.with(py, |e| e.reset_stats())
    }

    /// Duration of the jobs created from now on (0: done at once).
    fn set_job_seconds(&self, py: Python<'_>, seconds: f64) -> PyResult<()> {
        let d = to_duration("seconds", seconds)?;
        self.with(py, |e| e.set_job_duration(d))
    }

    /// Shifts the emulator's clock by `secs` (signature expiry, `Date`, job times).
    fn set_clock_offset(&self, py: Python<'_>, secs: i64) -> PyResult<()> {
        self.with(py, |e| e.set_clock_offset(secs))
    }

    /// The next `n` jobs created end in FAIL, with this `error_code` and `fail_reason` when
    /// given (else the emulator's: `IMG.0010`, an in-progress-task reason).
    #[pyo3(signature = (n, error_code = None, fail_reason = None))]
    fn fail_next_jobs(
        &self,
        py: Python<'_>,
        n: u32,
        error_code: Option<String>,
        fail_reason: Option<String>,
    ) -> PyResult<()> {
        self.with(py, |e| {
            let faults = e.faults();
            if error_code.is_some() || fail_reason.is_some() {
                let default = ims_emulator::JobFailure::default();
                faults.set_job_failure(
                    error_code.unwrap_or(default.error_code),
                    fail_reason.unwrap_or(default.fail_reason),
                );
            }
            faults.fail_next_jobs(n);
        })
    }

    /// Other jobs end in FAIL with probability `rate` (0.0–1.0), drawn from `seed`.
    #[pyo3(signature = (rate, seed = 0))]
    fn set_job_fail_rate(&self, py: Python<'_>, rate: f64, seed: u64) -> PyResult<()> {
        self.with(py, |e| e.faults().set_job_fail_rate(rate, seed))
    }

    /// The next `n` requests to `endpoint` (`"create"`, `"job"`, `"iam"`, `"metadata"`) are
    /// answered 429 `APIGW.0308` with `Retry-After: retry_after`.
    #[pyo3(signature = (endpoint, n = 1, retry_after = 1))]
    fn throttle_next(
        &self,
        py: Python<'_>,
        endpoint: &str,
        n: u32,
        retry_after: u64,
    ) -> PyResult<()> {
        let ep = parse_endpoint(endpoint)?;
        self.with(py, |e| e.faults().throttle_next(ep, n, retry_after))
    }

    /// The next `n` requests to `endpoint` get `fault`: `"throttle"`, `"internal_error"`,
    /// `"unavailable"`, `"delay"` (by `delay` seconds), `"drop_before_handling"`,
    /// `"drop_after_handling"`, `"truncated_body"` or `"wrong_content_type"`.
    #[pyo3(signature = (endpoint, fault, n = 1, *, retry_after = 1, delay = 1.0))]
    fn inject(
        &self,
        py: Python<'_>,
        endpoint: &str,
        fault: &str,
        n: u32,
        retry_after: u64,
        delay: f64,
    ) -> PyResult<()> {
        let ep = parse_endpoint(endpoint)?;
        let f = parse_fault(fault, retry_after, delay)?;
        self.with(py, |e| e.faults().inject(ep, f, n))
    }

    /// How many injected faults still wait for `endpoint`.
    fn pending(&self, py: Python<'_>, endpoint: &str) -> PyResult<usize> {
        let ep = parse_endpoint(endpoint)?;
        self.with(py, |e| e.faults().pending(ep))
    }

    /// Every response waits `seconds` before it is sent (0: none).
    fn set_response_delay(&self, py: Python<'_>, seconds: f64) -> PyResult<()> {
        let d = to_duration("seconds", seconds)?;
        self.with(py, |e| e.faults().set_response_delay(d))
    }

    /// Closes keep-alive connections idle longer than `ms` milliseconds (`None`: kept open).
    #[pyo3(signature = (ms))]
    fn set_idle_close_ms(&self, py: Python<'_>, ms: Option<u64>) -> PyResult<()> {
        self.with(py, |e| e.set_idle_close_ms(ms))
    }

    /// Answers with `Connection: close` and closes each connection after its answer (or not).
    fn set_close_after_answer(&self, py: Python<'_>, on: bool) -> PyResult<()> {
        self.with(py, |e| e.set_close_after_answer(on))
    }

    /// Removes every fault (queues, delay, job failures).
    fn clear_faults(&self, py: Python<'_>) -> PyResult<()> {
        self.with(py, |e| e.faults().clear())
    }

    /// Replaces the accepted AK/SK (with a security token: temporary credentials).
    #[pyo3(signature = (ak, sk, security_token = None))]
    fn set_credentials(
        &self,
        py: Python<'_>,
        ak: String,
        sk: String,
        security_token: Option<String>,
    ) -> PyResult<()> {
        self.with(py, |e| {
            e.set_credentials(ak.clone(), sk.clone(), security_token)
        })?;
        *self
            .keys
            .lock_py_attached(py)
            .map_err(|_| PyRuntimeError::new_err("poisoned"))? = (ak, sk);
        Ok(())
    }

    /// Gateway error codes use the `"APIGW"` (default) or `"APIG"` prefix.
    fn set_gateway_prefix(&self, py: Python<'_>, prefix: &str) -> PyResult<()> {
        let p = prefix.parse().map_err(PyValueError::new_err)?;
        self.with(py, |e| e.set_gateway_prefix(p))
    }

    /// When true, every signed request is refused as "signature expired".
    fn set_always_expired(&self, py: Python<'_>, on: bool) -> PyResult<()> {
        self.with(py, |e| e.set_always_expired(on))
    }

    /// Every answer carries exactly this `Date` text (`None`: the emulator's clock).
    #[pyo3(signature = (date))]
    fn set_date_override(&self, py: Python<'_>, date: Option<String>) -> PyResult<()> {
        self.with(py, |e| e.set_date_override(date))
    }

    /// Throttling answers give `Retry-After` as an HTTP date (true) or in seconds (false).
    fn set_retry_after_http_date(&self, py: Python<'_>, on: bool) -> PyResult<()> {
        self.with(py, |e| e.set_retry_after_http_date(on))
    }

    /// Accepts `X-Auth-Token: token` (`None`: no token authentication).
    #[pyo3(signature = (token))]
    fn set_auth_token(&self, py: Python<'_>, token: Option<String>) -> PyResult<()> {
        self.with(py, |e| e.set_auth_token(token))
    }

    /// Known ECS ids (`None`: any); unknown ones are refused with `IMG.0005`.
    #[pyo3(signature = (ids))]
    fn set_known_instances(&self, py: Python<'_>, ids: Option<Vec<String>>) -> PyResult<()> {
        self.with(py, |e| e.set_known_instances(id_set(ids)))
    }

    /// Known CBR vault ids (`None`: any); unknown ones are refused with `IMG.0184`.
    #[pyo3(signature = (ids))]
    fn set_known_vaults(&self, py: Python<'_>, ids: Option<Vec<String>>) -> PyResult<()> {
        self.with(py, |e| e.set_known_vaults(id_set(ids)))
    }

    /// Known CBR backup ids (`None`: any); unknown ones are refused with `IMG.0020`.
    #[pyo3(signature = (ids))]
    fn set_known_backups(&self, py: Python<'_>, ids: Option<Vec<String>>) -> PyResult<()> {
        self.with(py, |e| e.set_known_backups(id_set(ids)))
    }

    /// Stops it and frees its port (in-flight requests get up to 1 s). Idempotent.
    fn shutdown(&self, py: Python<'_>) -> PyResult<()> {
        let taken = self
            .inner
            .lock_py_attached(py)
            .map_err(|_| PyRuntimeError::new_err("emulator state poisoned"))?
            .take();
        if let Some(emu) = taken {
            py.detach(|| emu.shutdown());
        }
        Ok(())
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let state = if self.running(py) {
            "running"
        } else {
            "stopped"
        };
        format!("_Emulator(url={:?}, {state})", self.url)
    }
}
