//! `ims._ims._Emulator`: the emulator of `ims-emulator`, run in this process (on its own
//! threads, never touching the interpreter), for `ims.testing.Emulator`.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use ims_emulator::{
    Api, Emulator as CoreEmulator, EmulatorConfig, Fault, ServerCertificate, Settings,
};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
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

fn parse_api(name: &str) -> PyResult<Api> {
    match name {
        "create" => Ok(Api::Create),
        "job" => Ok(Api::Job),
        "iam" => Ok(Api::Iam),
        "metadata" => Ok(Api::Metadata),
        "images" => Ok(Api::Images),
        other => Err(PyValueError::new_err(format!(
            "unknown endpoint {other:?}: use \"create\", \"job\", \"iam\", \"metadata\" or \
             \"images\""
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

/// The value of keyword `key`, converted, or a `TypeError` naming the keyword.
fn arg<'py, T: FromPyObjectOwned<'py>>(key: &str, value: &Bound<'py, PyAny>) -> PyResult<T> {
    value.extract::<T>().map_err(|e| {
        let e: PyErr = e.into();
        PyTypeError::new_err(format!("{key}: {}", e.value(value.py())))
    })
}

fn id_set(key: &str, value: &Bound<'_, PyAny>) -> PyResult<Option<HashSet<String>>> {
    Ok(arg::<Option<Vec<String>>>(key, value)?.map(|l| l.into_iter().collect()))
}

/// The standing create faults given as keywords (`drop_after_create_rate`, `throttle_rate`,
/// `fault_seed`): they live in the fault handle, not in `Settings`, so they are applied after
/// the settings were.
#[derive(Default)]
struct CreateFaults {
    drop_after: Option<f64>,
    throttle: Option<f64>,
    seed: Option<u64>,
}

impl CreateFaults {
    /// Applies them to a running emulator's faults (`fault_seed` reseeds the draws of the
    /// rates given with it; default 0).
    fn apply(&self, faults: &ims_emulator::FaultHandle) {
        let seed = self.seed.unwrap_or(0);
        if let Some(rate) = self.drop_after {
            faults.set_drop_after_create_rate(rate, seed);
        }
        if let Some(rate) = self.throttle {
            faults.set_throttle_rate(rate, 1, seed);
        }
    }

    /// Applies them to the faults an emulator starts with.
    fn apply_to_config(&self, cfg: &mut EmulatorConfig) {
        if let Some(seed) = self.seed {
            cfg.faults.seed = seed;
        }
        if let Some(rate) = self.drop_after {
            cfg.faults.drop_after_create_rate = rate;
        }
        if let Some(rate) = self.throttle {
            cfg.faults.throttle_rate = rate;
        }
    }
}

/// A rate keyword: a number from 0 to 1.
fn rate(key: &str, value: &Bound<'_, PyAny>) -> PyResult<f64> {
    let r: f64 = arg(key, value)?;
    if (0.0..=1.0).contains(&r) {
        Ok(r)
    } else {
        Err(PyValueError::new_err(format!(
            "{key} must be a number from 0 to 1, got {r}"
        )))
    }
}

/// Applies the emulator settings given as keywords (by `_Emulator(...)` and `update(...)`) to
/// `s`: the one list of the Python keyword names. `ak` and `sk` come together and replace the
/// credentials as a whole (`security_token` is `None` unless given with them).
fn apply_settings(s: &mut Settings, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<CreateFaults> {
    let mut faults = CreateFaults::default();
    let Some(kwargs) = kwargs else {
        return Ok(faults);
    };
    let mut keys: (Option<String>, Option<String>) = (None, None);
    let mut token: Option<Option<String>> = None;
    for (key, value) in kwargs.iter() {
        let key: String = key.extract()?;
        let v = &value;
        match key.as_str() {
            "ak" => keys.0 = Some(arg(&key, v)?),
            "sk" => keys.1 = Some(arg(&key, v)?),
            "security_token" => token = Some(arg(&key, v)?),
            "project_id" => s.project_id = arg(&key, v)?,
            "region" => s.region = arg(&key, v)?,
            "job_seconds" => s.job_duration = to_duration(&key, arg(&key, v)?)?,
            "auth_token" => s.auth_token = arg(&key, v)?,
            "gateway_prefix" => {
                let prefix: String = arg(&key, v)?;
                s.gateway.prefix = prefix.parse().map_err(PyValueError::new_err)?;
            }
            "always_expired" => s.gateway.always_expired = arg(&key, v)?,
            "signature_window_secs" => s.gateway.signature_window_secs = arg(&key, v)?,
            "date_override" => s.gateway.date_override = arg(&key, v)?,
            "retry_after_http_date" => s.gateway.retry_after_http_date = arg(&key, v)?,
            "idle_close_ms" => s.idle_close_ms = arg(&key, v)?,
            "close_after_answer" => s.close_after_answer = arg(&key, v)?,
            "echo_unredacted" => s.echo_unredacted = arg(&key, v)?,
            "metadata_enabled" => s.metadata_enabled = arg(&key, v)?,
            "known_instances" => s.known_instances = id_set(&key, v)?,
            "known_vaults" => s.known_vaults = id_set(&key, v)?,
            "known_backups" => s.known_backups = id_set(&key, v)?,
            "projects" => s.projects = arg(&key, v)?,
            "next_job_id" => s.next_job_id = arg(&key, v)?,
            "image_quota" => s.image_quota = arg(&key, v)?,
            "max_concurrent_jobs" => s.max_concurrent_jobs = arg(&key, v)?,
            "list_delay" => s.list_delay = to_duration(&key, arg(&key, v)?)?,
            "delete_delay" => s.delete_delay = to_duration(&key, arg(&key, v)?)?,
            "drop_after_create_rate" => faults.drop_after = Some(rate(&key, v)?),
            "throttle_rate" => faults.throttle = Some(rate(&key, v)?),
            "fault_seed" => faults.seed = Some(arg(&key, v)?),
            other => {
                return Err(PyTypeError::new_err(format!(
                    "unexpected keyword argument {other:?}"
                )));
            }
        }
    }
    match keys {
        (Some(ak), Some(sk)) => {
            s.ak = ak;
            s.sk = sk;
            s.security_token = token.flatten();
        }
        (None, None) => {
            if let Some(token) = token {
                s.security_token = token;
            }
        }
        _ => return Err(PyValueError::new_err("give ak and sk together")),
    }
    Ok(faults)
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
    /// Starts an emulator on `127.0.0.1` (an ephemeral port unless `port` is given), with the
    /// settings given as keywords (those of `update`; defaults: the demo AK/SK and project,
    /// region `cn-north-4`, jobs of 3 s). `tls` serves HTTPS with a fresh CA;
    /// `tls_certificate` (`"valid"`, `"other-host"`, `"expired"`) implies it.
    #[new]
    #[pyo3(signature = (*, port = 0, tls = false, tls_certificate = None, **settings))]
    fn new(
        py: Python<'_>,
        port: u16,
        tls: bool,
        tls_certificate: Option<&str>,
        settings: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Emulator> {
        let mut cfg = EmulatorConfig::demo();
        cfg.listen = SocketAddr::from(([127, 0, 0, 1], port));
        let faults = apply_settings(&mut cfg.settings, settings)?;
        faults.apply_to_config(&mut cfg);
        if tls || tls_certificate.is_some() {
            let kind = ServerCertificate::from_str(tls_certificate.unwrap_or("valid"))
                .map_err(PyValueError::new_err)?;
            cfg = cfg.with_tls(kind).map_err(|e| {
                PyRuntimeError::new_err(format!("cannot make the TLS certificates: {e}"))
            })?;
        }
        let emu = py
            .detach(|| CoreEmulator::start(cfg))
            .map_err(|e| PyRuntimeError::new_err(format!("cannot start the emulator: {e}")))?;
        Ok(Emulator {
            url: emu.url(),
            host: emu.host(),
            ca_pem: emu.ca_pem().map(str::to_owned),
            inner: Mutex::new(Some(emu)),
        })
    }

    /// Changes the settings while it runs: the same keywords as the constructor's settings
    /// (`ak` and `sk` together, `security_token`, `project_id`, `region`, `job_seconds`,
    /// `auth_token`, `gateway_prefix`, `always_expired`, `signature_window_secs`, `date_override`,
    /// `retry_after_http_date`, `idle_close_ms`, `close_after_answer`, `echo_unredacted`,
    /// `metadata_enabled`, `known_instances`, `known_vaults`, `known_backups`, `projects`,
    /// `next_job_id`, `image_quota`, `max_concurrent_jobs`, `list_delay`, `delete_delay`,
    /// `drop_after_create_rate`, `throttle_rate`, `fault_seed`). All are checked before any is
    /// applied.
    #[pyo3(signature = (**settings))]
    fn update(&self, py: Python<'_>, settings: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
        // Applied to a copy under the settings lock: all or nothing, and nothing the emulator
        // changes meanwhile (a consumed `next_job_id`) is written back.
        self.with(py, |e| {
            let faults = e.update(|s| {
                let mut next = s.clone();
                let faults = apply_settings(&mut next, settings)?;
                *s = next;
                Ok::<_, PyErr>(faults)
            })?;
            faults.apply(&e.faults());
            Ok(())
        })?
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
        self.with(py, |e| e.settings().ak)
    }

    /// The accepted secret key (the emulator's own, not a real secret).
    #[getter]
    fn sk(&self, py: Python<'_>) -> PyResult<String> {
        self.with(py, |e| e.settings().sk)
    }

    /// The project id.
    #[getter]
    fn project_id(&self, py: Python<'_>) -> PyResult<String> {
        self.with(py, |e| e.project_id())
    }

    /// The region.
    #[getter]
    fn region(&self, py: Python<'_>) -> PyResult<String> {
        self.with(py, |e| e.region())
    }

    /// Whether it still runs.
    #[getter]
    fn running(&self, py: Python<'_>) -> bool {
        self.with(py, |_| ()).is_ok()
    }

    /// Counters and the request log: `{"create_accepted", "images_created", "connections",
    /// "requests_total", "peak_running_jobs", "running_jobs", "requests": [{"method", "path",
    /// "status"}, ...]}`.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let stats = self.with(py, |e| e.stats())?;
        let d = PyDict::new(py);
        d.set_item("create_accepted", stats.create_accepted)?;
        d.set_item("images_created", stats.images_created)?;
        d.set_item("connections", stats.connections)?;
        d.set_item("requests_total", stats.requests_total)?;
        d.set_item("peak_running_jobs", stats.peak_running_jobs)?;
        d.set_item("running_jobs", stats.running_jobs)?;
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
        let ep = parse_api(endpoint)?;
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
        let ep = parse_api(endpoint)?;
        let f = parse_fault(fault, retry_after, delay)?;
        self.with(py, |e| e.faults().inject(ep, f, n))
    }

    /// How many injected faults still wait for `endpoint`.
    fn pending(&self, py: Python<'_>, endpoint: &str) -> PyResult<usize> {
        let ep = parse_api(endpoint)?;
        self.with(py, |e| e.faults().pending(ep))
    }

    /// Every response waits `seconds` before it is sent (0: none).
    fn set_response_delay(&self, py: Python<'_>, seconds: f64) -> PyResult<()> {
        let d = to_duration("seconds", seconds)?;
        self.with(py, |e| e.faults().set_response_delay(d))
    }

    /// The image limits and the standing create faults now: `{"image_quota",
    /// "max_concurrent_jobs", "list_delay", "delete_delay", "drop_after_create_rate",
    /// "throttle_rate"}` (delays in seconds).
    fn image_settings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let (s, faults) = self.with(py, |e| (e.settings(), e.faults()))?;
        let d = PyDict::new(py);
        d.set_item("image_quota", s.image_quota)?;
        d.set_item("max_concurrent_jobs", s.max_concurrent_jobs)?;
        d.set_item("list_delay", s.list_delay.as_secs_f64())?;
        d.set_item("delete_delay", s.delete_delay.as_secs_f64())?;
        d.set_item("drop_after_create_rate", faults.drop_after_create_rate())?;
        d.set_item("throttle_rate", faults.throttle_rate())?;
        Ok(d)
    }

    /// Removes every fault (queues, delay, job failures).
    fn clear_faults(&self, py: Python<'_>) -> PyResult<()> {
        self.with(py, |e| e.faults().clear())
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
