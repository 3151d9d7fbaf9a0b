//! `ims.Client`: create full-ECS images, query and wait for their jobs.

use ims_core::JobId;
use ims_core::model::WholeImageRequest;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyMapping, PyString, PyTuple};

pub(crate) use crate::arguments::{DEFAULT_WAIT_TIMEOUT, WaitSecs, Whole, wait_options};
use crate::convert;
use crate::errors::{self, IntoPyResult};
use crate::fleet::{self, BlockingObserver, FleetArgs, FleetReport};
use crate::images::{Image, ImageQuota, QueryArgs};
use crate::job::Job;
use crate::logs;
use crate::observer::{PyObserver, interrupted, with_signals};
use crate::settings::{Draft, KEYWORDS};

/// An IMS client. Thread-safe: share one across threads (it keeps one connection pool).
///
/// Every blocking call (`create_whole_image`, `job_status`, `wait_job`) releases the GIL.
///
/// Every setting is a keyword argument (times in seconds; None keeps the default):
///
/// - ``region`` (e.g. "cn-north-4") or ``endpoint`` (an URL): one is required.
/// - ``ak`` and ``sk`` (with ``security_token`` for temporary credentials), or
///   ``auth_token`` (needs ``project_id``), or none of them for the default chain
///   (environment, profile file, instance metadata).
/// - ``project_id``: sent as X-Project-Id (default: asked from the credentials, then IAM).
/// - ``timeout`` (30 s), ``connect_timeout`` (10 s), ``pool_idle_timeout`` (50 s, at most
///   86400: how long an unused keep-alive connection is kept; keep it below the server's idle
///   timeout).
/// - ``max_concurrent_requests``: exchanges (and so connections) in flight at once, 1 to
///   65535 (default 32); calls beyond it wait for a slot before sending anything.
/// - ``allow_http``: plain http to hosts that are not loopback.
/// - ``legacy_job_endpoint``: query jobs at /v1/{project_id}/jobs/{job_id}.
/// - ``algorithm``: SDK-HMAC-SHA256 (default), SDK-HMAC-SM3 or V11-HMAC-SHA256.
/// - ``user_agent_suffix``: appended to the User-Agent.
/// - ``max_attempts``: tries per call, 1 (never retry) to 100.
/// - ``ca_pem`` (PEM text) and ``ca_file`` (a PEM file) add trusted CAs; without them the
///   first of IMS_CA_FILE, REQUESTS_CA_BUNDLE, SSL_CERT_FILE is read.
/// - ``proxy``: a proxy URL for every request (its user:password never shown).
///
/// Client.from_env(region=None, endpoint=None, **settings) takes the same settings but the
/// credentials.
#[pyclass(frozen, module = "ims", name = "Client")]
pub struct Client {
    inner: ims_core::Client,
    described: Described,
}

/// What `repr()` of a client shows besides its endpoint: never a secret.
pub(crate) struct Described {
    /// The region given, if any.
    pub region: Option<String>,
    /// The project id given, if any.
    pub project_id: Option<String>,
    /// `"explicit"`, `"token"` or `"chain"`: where the credentials come from (never the
    /// credentials themselves).
    pub credentials: &'static str,
}

impl Described {
    /// Core's config from the settings filled so far, and what `repr()` shows of it (the
    /// logging bridge installed on the way: both clients start here).
    pub(crate) fn finish(
        py: Python<'_>,
        draft: Draft,
    ) -> PyResult<(ims_core::ClientConfig, Described)> {
        logs::install(py);
        let (config, credentials) = draft.finish(py)?;
        let described = Described {
            region: config.region.clone(),
            project_id: config.project_id.clone(),
            credentials,
        };
        Ok((config, described))
    }

    /// `{class}(endpoint='...', region=..., project_id=..., credentials='...')`.
    pub(crate) fn repr(&self, py: Python<'_>, class: &str, endpoint: &str) -> PyResult<String> {
        let text = |s: &str| -> PyResult<String> {
            Ok(PyString::new(py, s).repr()?.to_cow()?.into_owned())
        };
        let opt = |s: &Option<String>| -> PyResult<String> {
            match s {
                Some(s) => text(s),
                None => Ok("None".to_owned()),
            }
        };
        Ok(format!(
            "{class}(endpoint={}, region={}, project_id={}, credentials={})",
            text(endpoint)?,
            opt(&self.region)?,
            opt(&self.project_id)?,
            text(self.credentials)?
        ))
    }
}

/// The settings of `from_env`: `region` and `endpoint` default to `IMS_REGION` and
/// `IMS_ENDPOINT`, credential keywords are refused (`who` names the caller in the message).
pub(crate) fn from_env_draft(
    who: &str,
    region: Option<String>,
    endpoint: Option<String>,
    settings: Option<&Bound<'_, PyDict>>,
) -> PyResult<Draft> {
    let var = |name: &str| {
        std::env::var(name)
            .ok()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let mut draft = Draft::default();
    draft.apply(who, settings, false)?;
    draft.config.region = region.or_else(|| var("IMS_REGION"));
    draft.config.endpoint = endpoint.or_else(|| var("IMS_ENDPOINT"));
    Ok(draft)
}

/// `on_progress` is `None` or callable (checked before anything is sent).
pub(crate) fn check_callable(py: Python<'_>, on_progress: Option<&Py<PyAny>>) -> PyResult<()> {
    match on_progress {
        Some(cb) if !cb.bind(py).is_callable() => {
            Err(PyTypeError::new_err("on_progress must be callable"))
        }
        _ => Ok(()),
    }
}

impl Client {
    /// A client from the settings filled so far (the GIL released while core builds it).
    fn build(py: Python<'_>, draft: Draft) -> PyResult<Client> {
        let (config, described) = Described::finish(py, draft)?;
        let inner = py
            .detach(|| ims_core::Client::new(config))
            .into_py_result(py)?;
        Ok(Client { inner, described })
    }

    /// The request body built from `create_whole_image`'s keyword arguments, checked by core.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn request_from_kwargs(
        py: Python<'_>,
        name: String,
        instance_id: Option<String>,
        vault_id: Option<String>,
        backup_id: Option<String>,
        description: Option<String>,
        tags: Option<&Bound<'_, PyAny>>,
        legacy_tags: Option<&Bound<'_, PyAny>>,
        min_ram: Option<Whole>,
        max_ram: Option<Whole>,
        enterprise_project_id: Option<String>,
    ) -> PyResult<WholeImageRequest> {
        let min_ram = Whole::get(min_ram, "min_ram")?;
        let max_ram = Whole::get(max_ram, "max_ram")?;
        // Core's builder: the source rule (`Source::from_ids`) and every other rule, reported in
        // the same words as for JSON and the CLI.
        let mut b = WholeImageRequest::builder(name).source_ids(
            instance_id.as_deref(),
            vault_id.as_deref(),
            backup_id.as_deref(),
        );
        if let Some(d) = description.filter(|d| !d.is_empty()) {
            b = b.description(d);
        }
        if let Some(e) = enterprise_project_id.filter(|e| !e.is_empty()) {
            b = b.enterprise_project_id(e);
        }
        if let Some(tags) = tags {
            let mapping = tags.cast::<PyMapping>().map_err(|_| {
                PyTypeError::new_err("tags must be a mapping of str to str (key -> value)")
            })?;
            for item in mapping.items()?.iter() {
                let (k, v): (String, String) = item.extract().map_err(|_| {
                    PyTypeError::new_err("tags must be a mapping of str to str (key -> value)")
                })?;
                b = b.tag(k, v);
            }
        }
        if let Some(legacy) = legacy_tags {
            if legacy.is_instance_of::<PyString>() {
                return Err(PyTypeError::new_err(
                    "legacy_tags must be a list of \"key.value\" strings, not a str",
                ));
            }
            let list: Vec<String> = legacy.extract().map_err(|_| {
                PyTypeError::new_err("legacy_tags must be a list of \"key.value\" strings")
            })?;
            for tag in list {
                b = b.legacy_tag(tag);
            }
        }
        if let Some(v) = min_ram {
            b = b.min_ram(v);
        }
        if let Some(v) = max_ram {
            b = b.max_ram(v);
        }
        b.build().into_py_result(py)
    }

    fn create(&self, py: Python<'_>, request: &WholeImageRequest) -> PyResult<String> {
        logs::sync_level(py);
        let client = &self.inner;
        let (result, raised) = py.detach(|| {
            with_signals(|interrupt| client.create_whole_image_interruptible(request, interrupt))
        });
        if let Some(e) = raised {
            let sent = matches!(
                result,
                Err(ims_core::Error::Interrupted {
                    may_have_been_sent: true,
                    ..
                })
            );
            return Err(interrupted(py, e, "create_whole_image", sent));
        }
        result.map(|id| id.as_str().to_owned()).into_py_result(py)
    }
}

#[pymethods]
impl Client {
    /// A client: every setting is a keyword argument (see the class docstring).
    #[new]
    #[pyo3(signature = (**settings))]
    fn new(py: Python<'_>, settings: Option<&Bound<'_, PyDict>>) -> PyResult<Client> {
        let mut draft = Draft::default();
        draft.apply("Client()", settings, true)?;
        Client::build(py, draft)
    }

    /// A client whose credentials come from the default chain (`HUAWEICLOUD_SDK_AK`/`_SK`/
    /// `_SECURITY_TOKEN`, then the profile file, then instance metadata), with `region` and
    /// `endpoint` defaulting to `IMS_REGION` and `IMS_ENDPOINT`. Every other setting of
    /// `Client(...)` is a keyword argument here too; the credential ones are refused.
    #[staticmethod]
    #[pyo3(signature = (region = None, endpoint = None, **settings))]
    fn from_env(
        py: Python<'_>,
        region: Option<String>,
        endpoint: Option<String>,
        settings: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Client> {
        let draft = from_env_draft("Client.from_env()", region, endpoint, settings)?;
        Client::build(py, draft)
    }

    /// The names of the keyword arguments of `Client(...)`, in the order of the docstring.
    /// Private: for the test that keeps the docstring and the stub in step.
    #[classattr]
    fn _keywords(py: Python<'_>) -> PyResult<Py<PyTuple>> {
        Ok(PyTuple::new(py, KEYWORDS.iter().map(|k| k.name))?.unbind())
    }

    /// The IMS endpoint in use.
    #[getter]
    fn endpoint(&self) -> &str {
        self.inner.endpoint()
    }

    /// Creates a full-ECS image from an ECS (`instance_id` and `vault_id`) or from a CBR backup
    /// (`backup_id`) and returns the job id. `tags` maps keys to values (`image_tags`);
    /// `legacy_tags` is a list of `"key.value"` strings (`tags`); never both. Every documented
    /// rule is checked first: `ValidationError` (nothing sent) lists each violation.
    #[pyo3(signature = (
        *,
        name,
        instance_id = None,
        vault_id = None,
        backup_id = None,
        description = None,
        tags = None,
        legacy_tags = None,
        min_ram = None,
        max_ram = None,
        enterprise_project_id = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn create_whole_image(
        &self,
        py: Python<'_>,
        name: String,
        instance_id: Option<String>,
        vault_id: Option<String>,
        backup_id: Option<String>,
        description: Option<String>,
        tags: Option<&Bound<'_, PyAny>>,
        legacy_tags: Option<&Bound<'_, PyAny>>,
        min_ram: Option<Whole>,
        max_ram: Option<Whole>,
        enterprise_project_id: Option<String>,
    ) -> PyResult<String> {
        let request = Client::request_from_kwargs(
            py,
            name,
            instance_id,
            vault_id,
            backup_id,
            description,
            tags,
            legacy_tags,
            min_ram,
            max_ram,
            enterprise_project_id,
        )?;
        self.create(py, &request)
    }

    /// Creates a full-ECS image from the documented request body (a dict, as the API's JSON)
    /// and returns the job id. Unknown fields, wrong types and broken rules raise
    /// `ValidationError` with their paths (`image_tags[1].value`); values that JSON cannot
    /// hold raise `TypeError`.
    fn create_whole_image_from_body(
        &self,
        py: Python<'_>,
        body: &Bound<'_, PyAny>,
    ) -> PyResult<String> {
        let value = convert::from_py(body)?;
        let request = WholeImageRequest::from_json_value_validated(value).into_py_result(py)?;
        self.create(py, &request)
    }

    /// Queries a job once. Ctrl-C (`KeyboardInterrupt`) is answered within 100 ms.
    fn job_status(&self, py: Python<'_>, job_id: &str) -> PyResult<Job> {
        let id = JobId::new(job_id).into_py_result(py)?;
        logs::sync_level(py);
        let client = &self.inner;
        let (result, raised) =
            py.detach(|| with_signals(|interrupt| client.job_interruptible(&id, interrupt)));
        if let Some(e) = raised {
            return Err(e);
        }
        result.map(Job::new).into_py_result(py)
    }

    /// Waits for a job to end and returns it on SUCCESS.
    ///
    /// Polls after `first_delay` (default: `interval` when given, else 10 s), then every
    /// `interval` (default 10 s) growing ×1.5 up to 60 s, for at most `timeout` seconds.
    /// `on_progress(job)` is called after each poll: returning `False` cancels the wait
    /// (`CancelledError`); an exception it raises stops the wait and propagates, except on the
    /// final report (SUCCESS or FAIL), where the job's outcome wins and the exception goes to
    /// `sys.unraisablehook`. The callback runs on the waiting thread between polls, and may call
    /// this client or any other, block or take locks: no other thread's call waits for it.
    /// Ctrl-C (`KeyboardInterrupt`) is answered within one 100 ms tick, while the waiter sleeps
    /// and while a poll is out. Bad numbers (NaN, infinite, negative, an `interval` of 0,
    /// more than 366 days) raise `ValidationError` naming the argument; nothing is sent.
    ///
    /// Raises `JobFailedError` (`.job`) on FAIL, `WaitTimeoutError` (`.job`: the last seen, or
    /// `None`) when `timeout` passes.
    #[pyo3(
        signature = (job_id, *, timeout = DEFAULT_WAIT_TIMEOUT, interval = None, first_delay = None, on_progress = None),
        text_signature = "($self, job_id, *, timeout=3600.0, interval=None, first_delay=None, on_progress=None)"
    )]
    fn wait_job(
        &self,
        py: Python<'_>,
        job_id: &str,
        timeout: WaitSecs,
        interval: Option<WaitSecs>,
        first_delay: Option<WaitSecs>,
        on_progress: Option<Py<PyAny>>,
    ) -> PyResult<Job> {
        let id = JobId::new(job_id).into_py_result(py)?;
        let options = wait_options(py, timeout, interval, first_delay)?;
        check_callable(py, on_progress.as_ref())?;
        logs::sync_level(py);
        let client = &self.inner;
        let (result, raised, unraisable) = py.detach(|| {
            let mut observer = PyObserver::new(on_progress.as_ref());
            let result = client.wait_with(&id, &options, &mut observer);
            (result, observer.error, observer.final_error)
        });
        if let Some(e) = raised {
            return Err(e);
        }
        // The job's outcome wins over an exception its final report raised: the callback's
        // exception goes to sys.unraisablehook, as Python does for exceptions it cannot raise.
        if let Some(e) = unraisable {
            e.write_unraisable(py, on_progress.as_ref().map(|cb| cb.bind(py)));
        }
        result.map(Job::new).into_py_result(py)
    }

    /// Every image the filters select, read page after page to the end (`GET
    /// /v2/cloudimages`). `tag` is `"key=value"` (matched exactly); `status` one of `queued`,
    /// `saving`, `active`, `killed`, `deleted`; `imagetype` `gold`, `private`, `shared` or
    /// `market`; `created_at` an operator and a UTC time (`"gte:2026-12-01T00:00:00Z"`);
    /// `sort_dir` `asc` or `desc`; `page_size` 1 to 1000 (default 100). Bad filters raise
    /// `ValidationError` before anything is sent.
    #[pyo3(signature = (
        *, tag = None, name = None, status = None, imagetype = None, whole_image = None,
        created_at = None, sort_key = None, sort_dir = None, page_size = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn list_images(
        &self,
        py: Python<'_>,
        tag: Option<String>,
        name: Option<String>,
        status: Option<String>,
        imagetype: Option<String>,
        whole_image: Option<bool>,
        created_at: Option<String>,
        sort_key: Option<String>,
        sort_dir: Option<String>,
        page_size: Option<Whole>,
    ) -> PyResult<Vec<Image>> {
        let query = QueryArgs {
            tag,
            name,
            status,
            imagetype,
            whole_image,
            created_at,
            sort_key,
            sort_dir,
            page_size,
        }
        .query(py)?;
        logs::sync_level(py);
        let client = &self.inner;
        let images = py
            .detach(|| client.list_images(&query))
            .into_py_result(py)?;
        Ok(images.into_iter().map(Image::new).collect())
    }

    /// The region's private-image quota (`GET /v1/cloudimages/quota`).
    fn image_quota(&self, py: Python<'_>) -> PyResult<ImageQuota> {
        logs::sync_level(py);
        let client = &self.inner;
        let quota = py.detach(|| client.image_quota()).into_py_result(py)?;
        Ok(quota.into())
    }

    /// Deletes an image (`DELETE /v2/images/{image_id}`), and its CBR backup when
    /// `delete_backup`. The service answers at once; the image leaves the list a little later.
    #[pyo3(signature = (image_id, *, delete_backup = false))]
    fn delete_image(&self, py: Python<'_>, image_id: &str, delete_backup: bool) -> PyResult<()> {
        logs::sync_level(py);
        let client = &self.inner;
        py.detach(|| client.delete_image(image_id, delete_backup))
            .into_py_result(py)
    }

    /// Runs a fleet: one full-ECS image per item of `manifest` (a JSON Lines file: each line
    /// the create body of `create_whole_image_from_body`, plus an optional `key`; or give the
    /// text as `manifest_text`), recorded in the SQLite `journal` so that a crash or a rerun
    /// neither duplicates nor loses an image. Running the same `run` again resumes it.
    ///
    /// `fleet` defaults to the fleet the journal records, else the manifest file's stem.
    /// `parallel`: creation tasks at once (1 to 40). `keep`: retention, keep the newest `keep`
    /// images per item (with `delete_backup`, their backups go too). `reconcile_grace` and
    /// `relist_interval` (seconds): how long an item whose create's answer was lost is looked
    /// for before it is sent again, and how often. `dry_run`: plan only (nothing sent,
    /// nothing written). `retry_failed` / `retry_unknown`: send again the items that failed /
    /// are unknown. `allow_partial`: start even when the quota leaves too few images.
    /// `timeout` and `interval`: each job's wait (default 3 h, polls as `wait_job`).
    ///
    /// `on_event(event)` receives each `ims.FleetEvent` on this thread, with the GIL (events
    /// are handed over every 100 ms); it may call this client. The GIL is released meanwhile.
    /// Ctrl-C, or an exception raised by `on_event`, stops the run gracefully (no new create,
    /// jobs in flight left to run and recorded, a rerun resumes) and is then raised, with the
    /// report as its `fleet_report` attribute.
    ///
    /// Returns an `ims.FleetReport`. Raises before anything is sent: `ManifestError` (every
    /// problem with its line), `JournalLockedError` (another process runs on the journal),
    /// `JournalError`, `QuotaError`, `ValidationError` (bad options), or the quota call's error.
    #[pyo3(
        signature = (
            manifest = None, *, journal, run, manifest_text = None, fleet = None,
            parallel = Whole::Int(10), keep = None, delete_backup = false,
            reconcile_grace = WaitSecs::Secs(600.0), relist_interval = WaitSecs::Secs(10.0),
            dry_run = false, retry_failed = false, retry_unknown = false, allow_partial = false,
            timeout = None, interval = None, on_event = None
        ),
        text_signature = "($self, manifest=None, *, journal, run, manifest_text=None, fleet=None, parallel=10, keep=None, delete_backup=False, reconcile_grace=600.0, relist_interval=10.0, dry_run=False, retry_failed=False, retry_unknown=False, allow_partial=False, timeout=None, interval=None, on_event=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn run_fleet(
        &self,
        py: Python<'_>,
        manifest: Option<std::path::PathBuf>,
        journal: std::path::PathBuf,
        run: String,
        manifest_text: Option<String>,
        fleet: Option<String>,
        parallel: Whole,
        keep: Option<Whole>,
        delete_backup: bool,
        reconcile_grace: WaitSecs,
        relist_interval: WaitSecs,
        dry_run: bool,
        retry_failed: bool,
        retry_unknown: bool,
        allow_partial: bool,
        timeout: Option<WaitSecs>,
        interval: Option<WaitSecs>,
        on_event: Option<Py<PyAny>>,
    ) -> PyResult<FleetReport> {
        fleet::check_on_event(py, on_event.as_ref())?;
        let prepared = FleetArgs {
            manifest,
            manifest_text,
            journal,
            run,
            fleet,
            parallel,
            keep,
            delete_backup,
            reconcile_grace,
            relist_interval,
            dry_run,
            retry_failed,
            retry_unknown,
            allow_partial,
            timeout,
            interval,
        }
        .prepare(py)?;
        logs::sync_level(py);
        let client = &self.inner;
        let (result, raised) = py.detach(|| {
            let mut observer = BlockingObserver::new(on_event.as_ref());
            let result = ims_core::fleet::run_blocking(
                client,
                &prepared.manifest,
                prepared.journal,
                &prepared.options,
                &mut observer,
            );
            (result, observer.error)
        });
        match (result, raised) {
            (Ok(report), None) => Ok(FleetReport::from_core(&report)),
            (Ok(report), Some(e)) => {
                let report = Py::new(py, FleetReport::from_core(&report))?;
                let _ = e.value(py).setattr("fleet_report", report);
                Err(e)
            }
            (Err(_), Some(e)) => Err(e),
            (Err(e), None) => Err(errors::fleet_to_py_err(py, &e)),
        }
    }

    /// The waiter's options that `wait_job` would use with these arguments, as a dict of
    /// seconds (and `backoff`, `jitter`, `transient_error_budget`); raises what `wait_job`
    /// raises for bad ones. Private: for tests that pin the documented defaults.
    #[staticmethod]
    #[pyo3(
        signature = (*, timeout = DEFAULT_WAIT_TIMEOUT, interval = None, first_delay = None),
        text_signature = "(*, timeout=3600.0, interval=None, first_delay=None)"
    )]
    fn _wait_options<'py>(
        py: Python<'py>,
        timeout: WaitSecs,
        interval: Option<WaitSecs>,
        first_delay: Option<WaitSecs>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let o = wait_options(py, timeout, interval, first_delay)?;
        let d = PyDict::new(py);
        d.set_item("first_delay", o.first_delay.as_secs_f64())?;
        d.set_item("interval", o.interval.as_secs_f64())?;
        d.set_item("backoff", o.backoff)?;
        d.set_item("max_interval", o.max_interval.as_secs_f64())?;
        d.set_item("jitter", o.jitter)?;
        d.set_item("timeout", o.timeout.as_secs_f64())?;
        d.set_item("transient_error_budget", o.transient_error_budget)?;
        d.set_item("tick", o.tick.as_secs_f64())?;
        Ok(d)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        self.described.repr(py, "Client", self.inner.endpoint())
    }
}
