//! Fleet imaging for Python: the report and event classes (`ims.FleetReport`,
//! `ims.FleetItem`, `ims.FleetDeletion`, `ims.FleetEvent`), and what both clients' `run_fleet`
//! share: the arguments read and checked (`FleetArgs::prepare`: manifest, journal, options,
//! before anything is sent) and the blocking door's observer (`BlockingObserver`).

use std::path::PathBuf;

use ims_core::client::Control;
use ims_core::fleet::{
    self, DeletionRecord, FleetObserver, ItemReport, Journal, JournalError, Manifest,
    ManifestErrors,
};
use ims_core::validate::Rule;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use serde_json::Value;

use crate::arguments::{self, WaitSecs, Whole, invalid};
use crate::errors;
use crate::images::{ImageQuota, repr_text};

/// One item of a fleet report. Immutable, comparable, picklable.
#[pyclass(frozen, eq, module = "ims", name = "FleetItem")]
#[derive(Clone, Debug, PartialEq)]
pub struct FleetItem {
    /// The item's key.
    #[pyo3(get)]
    pub key: String,
    /// Its manifest line (from 1).
    #[pyo3(get)]
    pub line: usize,
    /// `pending`, `sending`, `submitted`, `succeeded`, `failed`, `unknown` or `skipped`.
    #[pyo3(get)]
    pub state: String,
    /// Whether it had already succeeded before this run (nothing was done to it).
    #[pyo3(get)]
    pub already_done: bool,
    /// What the run did or would do: `create`, `wait`, `reconcile`, `follow`, `skip`.
    #[pyo3(get)]
    pub action: String,
    /// Its job, when known.
    #[pyo3(get)]
    pub job_id: Option<String>,
    /// Its image, when known.
    #[pyo3(get)]
    pub image_id: Option<String>,
    /// Seconds from its first start to its last record.
    #[pyo3(get)]
    pub duration: Option<f64>,
    /// The service's (`IMG.0029`) or this library's (`fleet.ambiguous`) code of its error.
    #[pyo3(get)]
    pub error_code: Option<String>,
    /// Why it failed, is unknown or was left unfinished.
    #[pyo3(get)]
    pub error_message: Option<String>,
}

impl FleetItem {
    fn from_core(i: &ItemReport) -> FleetItem {
        FleetItem {
            key: i.key.clone(),
            line: i.line,
            state: i.state.as_str().to_owned(),
            already_done: i.already_done,
            action: i.action.to_owned(),
            job_id: i.job_id.clone(),
            image_id: i.image_id.clone(),
            duration: i.duration.map(|d| d.as_secs_f64()),
            error_code: i.error.as_ref().and_then(|e| e.code.clone()),
            error_message: i.error.as_ref().map(|e| e.message.clone()),
        }
    }

    /// An item of core's JSON view (`FleetReport::item_json`).
    fn from_json(v: &Value) -> FleetItem {
        let text = |k: &str| v[k].as_str().map(str::to_owned);
        FleetItem {
            key: text("key").unwrap_or_default(),
            line: v["line"].as_u64().unwrap_or(0) as usize,
            state: text("state").unwrap_or_default(),
            already_done: v["already_done"].as_bool().unwrap_or(false),
            action: text("action").unwrap_or_default(),
            job_id: text("job_id"),
            image_id: text("image_id"),
            duration: v["duration_secs"].as_f64(),
            error_code: v["error"]["code"].as_str().map(str::to_owned),
            error_message: v["error"]["message"].as_str().map(str::to_owned),
        }
    }
}

#[pymethods]
impl FleetItem {
    /// An item from its fields (for tests and pickling).
    #[new]
    #[pyo3(signature = (
        key, line, state, already_done = false, action = String::from("create"), job_id = None,
        image_id = None, duration = None, error_code = None, error_message = None
    ),
    text_signature = "(key, line, state, already_done=False, action='create', job_id=None, image_id=None, duration=None, error_code=None, error_message=None)")]
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        key: String,
        line: usize,
        state: String,
        already_done: bool,
        action: String,
        job_id: Option<String>,
        image_id: Option<String>,
        duration: Option<f64>,
        error_code: Option<String>,
        error_message: Option<String>,
    ) -> FleetItem {
        FleetItem {
            key,
            line,
            state,
            already_done,
            action,
            job_id,
            image_id,
            duration,
            error_code,
            error_message,
        }
    }

    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> (
        Bound<'py, PyAny>,
        (
            String,
            usize,
            String,
            bool,
            String,
            Option<String>,
            Option<String>,
            Option<f64>,
            Option<String>,
            Option<String>,
        ),
    ) {
        let i = slf.get().clone();
        (
            slf.get_type().into_any(),
            (
                i.key,
                i.line,
                i.state,
                i.already_done,
                i.action,
                i.job_id,
                i.image_id,
                i.duration,
                i.error_code,
                i.error_message,
            ),
        )
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let mut out = format!(
            "FleetItem(key={}, line={}, state={}, action={}",
            repr_text(py, Some(&self.key))?,
            self.line,
            repr_text(py, Some(&self.state))?,
            repr_text(py, Some(&self.action))?,
        );
        if self.already_done {
            out.push_str(", already_done=True");
        }
        for (name, value) in [
            ("job_id", &self.job_id),
            ("image_id", &self.image_id),
            ("error_code", &self.error_code),
            ("error_message", &self.error_message),
        ] {
            if value.is_some() {
                out.push_str(&format!(", {name}={}", repr_text(py, value.as_deref())?));
            }
        }
        out.push(')');
        Ok(out)
    }
}

/// A retention deletion of a fleet report. Immutable, comparable, picklable.
#[pyclass(frozen, eq, module = "ims", name = "FleetDeletion")]
#[derive(Clone, Debug, PartialEq)]
pub struct FleetDeletion {
    /// The item whose older image it is.
    #[pyo3(get)]
    pub key: String,
    /// The image.
    #[pyo3(get)]
    pub image_id: String,
    /// The image's creation time, as listed.
    #[pyo3(get)]
    pub created_at: String,
    /// `planned` (a dry run's plan), `deleted` or `failed`.
    #[pyo3(get)]
    pub state: String,
    /// Why it failed.
    #[pyo3(get)]
    pub error: Option<String>,
}

impl FleetDeletion {
    fn from_core(d: &DeletionRecord) -> FleetDeletion {
        FleetDeletion {
            key: d.key.clone(),
            image_id: d.image_id.clone(),
            created_at: d.created_at.clone(),
            state: d.state.as_str().to_owned(),
            error: d.error.clone(),
        }
    }

    fn from_json(v: &Value) -> FleetDeletion {
        let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        FleetDeletion {
            key: text("key"),
            image_id: text("image_id"),
            created_at: text("created_at"),
            state: text("state"),
            error: v["error"].as_str().map(str::to_owned),
        }
    }
}

#[pymethods]
impl FleetDeletion {
    /// A deletion from its fields (for tests and pickling).
    #[new]
    #[pyo3(signature = (key, image_id, created_at, state, error = None))]
    fn py_new(
        key: String,
        image_id: String,
        created_at: String,
        state: String,
        error: Option<String>,
    ) -> FleetDeletion {
        FleetDeletion {
            key,
            image_id,
            created_at,
            state,
            error,
        }
    }

    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> (
        Bound<'py, PyAny>,
        (String, String, String, String, Option<String>),
    ) {
        let d = slf.get().clone();
        (
            slf.get_type().into_any(),
            (d.key, d.image_id, d.created_at, d.state, d.error),
        )
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "FleetDeletion(key={}, image_id={}, state={}, error={})",
            repr_text(py, Some(&self.key))?,
            repr_text(py, Some(&self.image_id))?,
            repr_text(py, Some(&self.state))?,
            repr_text(py, self.error.as_deref())?,
        ))
    }
}

/// A fleet run's report: one row per item and the worst outcome. Immutable, comparable,
/// picklable.
#[pyclass(frozen, eq, module = "ims", name = "FleetReport")]
#[derive(Clone, Debug, PartialEq)]
pub struct FleetReport {
    /// The fleet.
    #[pyo3(get)]
    pub fleet: String,
    /// The run.
    #[pyo3(get)]
    pub run: String,
    /// Whether it was a dry run (nothing sent, nothing written).
    #[pyo3(get)]
    pub dry_run: bool,
    /// Whether it was stopped (Ctrl-C, an `on_event` that raised): a rerun resumes it.
    #[pyo3(get)]
    pub stopped: bool,
    /// The worst outcome of any item: `succeeded`, `incomplete`, `failed` or `unknown`.
    #[pyo3(get)]
    pub outcome: String,
    /// One row per item, in manifest order.
    #[pyo3(get)]
    pub items: Vec<FleetItem>,
    /// Retention deletions (planned, on a dry run).
    #[pyo3(get)]
    pub deletions: Vec<FleetDeletion>,
    /// Durable journal writes made by this run.
    #[pyo3(get)]
    pub journal_writes: u64,
    /// Core's JSON view (`to_json()`).
    json: String,
}

impl FleetReport {
    /// The Python report of a core one.
    pub fn from_core(r: &fleet::FleetReport) -> FleetReport {
        FleetReport {
            fleet: r.fleet.clone(),
            run: r.run.clone(),
            dry_run: r.dry_run,
            stopped: r.stopped,
            outcome: r.outcome.as_str().to_owned(),
            items: r.items.iter().map(FleetItem::from_core).collect(),
            deletions: r.deletions.iter().map(FleetDeletion::from_core).collect(),
            journal_writes: r.journal_writes,
            json: r.to_json(),
        }
    }
}

#[pymethods]
impl FleetReport {
    /// The report read back from `to_json()`'s text (how it pickles). Raises `ValueError` for
    /// text that is not such a document.
    #[staticmethod]
    fn _from_json(text: &str) -> PyResult<FleetReport> {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
        if !v.is_object() {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "a fleet report is a JSON object",
            ));
        }
        let text_of = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        let list = |k: &str| v[k].as_array().cloned().unwrap_or_default();
        Ok(FleetReport {
            fleet: text_of("fleet"),
            run: text_of("run"),
            dry_run: v["dry_run"].as_bool().unwrap_or(false),
            stopped: v["stopped"].as_bool().unwrap_or(false),
            outcome: text_of("outcome"),
            items: list("items").iter().map(FleetItem::from_json).collect(),
            deletions: list("deletions")
                .iter()
                .map(FleetDeletion::from_json)
                .collect(),
            journal_writes: v["journal_writes"].as_u64().unwrap_or(0),
            json: text.to_owned(),
        })
    }

    /// The whole report as one JSON document (what `ims fleet run --output json` sums up):
    /// fleet, run, counts per state, deletions, outcome, and an `items` array.
    fn to_json(&self) -> &str {
        &self.json
    }

    /// How many items are in `state` (`succeeded`, `failed`, ...).
    fn count(&self, state: &str) -> usize {
        self.items.iter().filter(|i| i.state == state).count()
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let rebuild = slf.get_type().getattr("_from_json")?;
        Ok((rebuild, (slf.get().json.clone(),)))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "FleetReport(fleet={}, run={}, outcome={}, items={}, deletions={}, dry_run={}, stopped={})",
            repr_text(py, Some(&self.fleet))?,
            repr_text(py, Some(&self.run))?,
            repr_text(py, Some(&self.outcome))?,
            self.items.len(),
            self.deletions.len(),
            if self.dry_run { "True" } else { "False" },
            if self.stopped { "True" } else { "False" },
        ))
    }
}

/// Something that happened in a fleet run, as `on_event` receives it. `kind` says what; the
/// other fields are `None` unless that kind fills them:
///
/// - `started`: `items`, `to_create`, `quota` (an `ImageQuota`, or `None`).
/// - `item`: `key`, `state` (the item's new state, already in the journal), `job_id`,
///   `image_id`, `error_code`, `error_message`.
/// - `progress`: `key`, `status` (the job's), `percent`.
/// - `reconciling`: `key`, `since_intent` (seconds since the create's recorded intent).
/// - `deletion`: `key`, `image_id`, `state` (`planned`, `deleted`, `failed`), `error_message`.
/// - `stopping`: nothing (no new create is sent; creates already sent are recorded).
#[pyclass(frozen, eq, module = "ims", name = "FleetEvent")]
#[derive(Clone, Debug, PartialEq)]
pub struct FleetEvent {
    /// `started`, `item`, `progress`, `reconciling`, `deletion` or `stopping`.
    #[pyo3(get)]
    pub kind: String,
    /// The item's key.
    #[pyo3(get)]
    pub key: Option<String>,
    /// The item's new state, or the deletion's.
    #[pyo3(get)]
    pub state: Option<String>,
    /// The item's job.
    #[pyo3(get)]
    pub job_id: Option<String>,
    /// The item's image, or the image deleted.
    #[pyo3(get)]
    pub image_id: Option<String>,
    /// The job's (or adopted image's) status.
    #[pyo3(get)]
    pub status: Option<String>,
    /// `process_percent`, when given.
    #[pyo3(get)]
    pub percent: Option<f64>,
    /// The error's code.
    #[pyo3(get)]
    pub error_code: Option<String>,
    /// The error's message.
    #[pyo3(get)]
    pub error_message: Option<String>,
    /// Items in the manifest.
    #[pyo3(get)]
    pub items: Option<usize>,
    /// Items that may be created in this run.
    #[pyo3(get)]
    pub to_create: Option<usize>,
    /// The quota read before the first create.
    #[pyo3(get)]
    pub quota: Option<ImageQuota>,
    /// Seconds since the create's recorded intent.
    #[pyo3(get)]
    pub since_intent: Option<f64>,
}

impl FleetEvent {
    fn empty(kind: &str) -> FleetEvent {
        FleetEvent {
            kind: kind.to_owned(),
            key: None,
            state: None,
            job_id: None,
            image_id: None,
            status: None,
            percent: None,
            error_code: None,
            error_message: None,
            items: None,
            to_create: None,
            quota: None,
            since_intent: None,
        }
    }

    /// The Python event of a core one.
    pub fn from_core(e: &fleet::FleetEvent) -> FleetEvent {
        use fleet::FleetEvent as E;
        match e {
            E::Started {
                items,
                to_create,
                quota,
            } => FleetEvent {
                items: Some(*items),
                to_create: Some(*to_create),
                quota: quota.map(ImageQuota::from),
                ..FleetEvent::empty("started")
            },
            E::Item {
                key,
                state,
                job_id,
                image_id,
                error,
            } => FleetEvent {
                key: Some(key.clone()),
                state: Some(state.as_str().to_owned()),
                job_id: job_id.clone(),
                image_id: image_id.clone(),
                error_code: error.as_ref().and_then(|e| e.code.clone()),
                error_message: error.as_ref().map(|e| e.message.clone()),
                ..FleetEvent::empty("item")
            },
            E::Progress {
                key,
                status,
                percent,
            } => FleetEvent {
                key: Some(key.clone()),
                status: Some(status.clone()),
                percent: *percent,
                ..FleetEvent::empty("progress")
            },
            E::Reconciling { key, since_intent } => FleetEvent {
                key: Some(key.clone()),
                since_intent: Some(since_intent.as_secs_f64()),
                ..FleetEvent::empty("reconciling")
            },
            E::Deletion {
                key,
                image_id,
                state,
                error,
            } => FleetEvent {
                key: Some(key.clone()),
                image_id: Some(image_id.clone()),
                state: Some(state.as_str().to_owned()),
                error_message: error.clone(),
                ..FleetEvent::empty("deletion")
            },
            E::Stopping => FleetEvent::empty("stopping"),
        }
    }
}

#[pymethods]
impl FleetEvent {
    /// An event from its fields (for tests and pickling).
    #[new]
    #[pyo3(signature = (
        kind, *, key = None, state = None, job_id = None, image_id = None, status = None,
        percent = None, error_code = None, error_message = None, items = None,
        to_create = None, quota = None, since_intent = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        kind: String,
        key: Option<String>,
        state: Option<String>,
        job_id: Option<String>,
        image_id: Option<String>,
        status: Option<String>,
        percent: Option<f64>,
        error_code: Option<String>,
        error_message: Option<String>,
        items: Option<usize>,
        to_create: Option<usize>,
        quota: Option<Bound<'_, ImageQuota>>,
        since_intent: Option<f64>,
    ) -> FleetEvent {
        let quota = quota.map(|q| *q.get());
        FleetEvent {
            kind,
            key,
            state,
            job_id,
            image_id,
            status,
            percent,
            error_code,
            error_message,
            items,
            to_create,
            quota,
            since_intent,
        }
    }

    /// Pickles through `copyreg`'s keyword-less path: the kind, then the fields as state.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let e = slf.get().clone();
        let kwargs = pyo3::types::PyDict::new(py);
        kwargs.set_item("key", e.key)?;
        kwargs.set_item("state", e.state)?;
        kwargs.set_item("job_id", e.job_id)?;
        kwargs.set_item("image_id", e.image_id)?;
        kwargs.set_item("status", e.status)?;
        kwargs.set_item("percent", e.percent)?;
        kwargs.set_item("error_code", e.error_code)?;
        kwargs.set_item("error_message", e.error_message)?;
        kwargs.set_item("items", e.items)?;
        kwargs.set_item("to_create", e.to_create)?;
        kwargs.set_item("quota", e.quota)?;
        kwargs.set_item("since_intent", e.since_intent)?;
        // functools.partial(FleetEvent, **fields) called with the kind.
        let partial = py
            .import("functools")?
            .getattr("partial")?
            .call((slf.get_type(),), Some(&kwargs))?;
        (partial, (e.kind,)).into_pyobject(py).map(Bound::into_any)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let mut out = format!("FleetEvent(kind={}", repr_text(py, Some(&self.kind))?);
        for (name, value) in [
            ("key", &self.key),
            ("state", &self.state),
            ("job_id", &self.job_id),
            ("image_id", &self.image_id),
            ("status", &self.status),
            ("error_code", &self.error_code),
            ("error_message", &self.error_message),
        ] {
            if value.is_some() {
                out.push_str(&format!(", {name}={}", repr_text(py, value.as_deref())?));
            }
        }
        if let Some(p) = self.percent {
            out.push_str(&format!(", percent={p:?}"));
        }
        if let Some(n) = self.items {
            out.push_str(&format!(", items={n}"));
        }
        if let Some(n) = self.to_create {
            out.push_str(&format!(", to_create={n}"));
        }
        if let Some(q) = &self.quota {
            out.push_str(&format!(
                ", quota=ImageQuota(used={}, quota={})",
                q.used, q.quota
            ));
        }
        if let Some(s) = self.since_intent {
            out.push_str(&format!(", since_intent={s:?}"));
        }
        out.push(')');
        Ok(out)
    }
}

/// `run_fleet`'s arguments as given (both clients).
pub(crate) struct FleetArgs {
    pub manifest: Option<PathBuf>,
    pub manifest_text: Option<String>,
    pub journal: PathBuf,
    pub run: String,
    pub fleet: Option<String>,
    pub parallel: Whole,
    pub keep: Option<Whole>,
    pub delete_backup: bool,
    pub reconcile_grace: WaitSecs,
    pub relist_interval: WaitSecs,
    pub dry_run: bool,
    pub retry_failed: bool,
    pub retry_unknown: bool,
    pub allow_partial: bool,
    pub timeout: Option<WaitSecs>,
    pub interval: Option<WaitSecs>,
}

/// What a run needs, every argument checked and nothing sent yet.
pub(crate) struct Prepared {
    pub manifest: Manifest,
    pub journal: Box<dyn Journal>,
    pub options: fleet::FleetOptions,
}

/// An `int` argument as `u32`, or a `ValidationError` naming it.
fn count(py: Python<'_>, name: &str, value: Whole, low: u32, high: u32) -> PyResult<u32> {
    let n = Whole::get(Some(value), name)?.unwrap_or_default();
    u32::try_from(n)
        .ok()
        .filter(|n| (low..=high).contains(n))
        .ok_or_else(|| {
            invalid(
                py,
                name,
                Rule::Range,
                format!("must be from {low} to {high}, got {n}"),
            )
        })
}

impl FleetArgs {
    /// Reads the manifest (the file, or `manifest_text`), opens the journal (locked; a dry run
    /// reads it without the lock and never creates it) and builds the options: every argument
    /// is checked and nothing is sent. Slow parts run with the GIL released.
    pub(crate) fn prepare(self, py: Python<'_>) -> PyResult<Prepared> {
        let parallel = count(py, "parallel", self.parallel, 1, fleet::MAX_PARALLEL)?;
        let keep = match self.keep {
            None => None,
            Some(k) => Some(count(py, "keep", k, 1, u32::MAX)?),
        };
        let reconcile_grace =
            arguments::wait_secs(py, "reconcile_grace", self.reconcile_grace, true)?;
        let relist_interval =
            arguments::wait_secs(py, "relist_interval", self.relist_interval, false)?;
        let mut wait = fleet::FleetOptions::new("-", "-").wait;
        if self.timeout.is_some() || self.interval.is_some() {
            let timeout = self
                .timeout
                .unwrap_or(WaitSecs::Secs(wait.timeout.as_secs_f64()));
            wait = arguments::wait_options(py, timeout, self.interval, None)?;
        }
        let manifest_path = self.manifest.clone();
        let text = match (self.manifest, self.manifest_text) {
            (Some(_), Some(_)) => {
                return Err(PyTypeError::new_err(
                    "give manifest (a path) or manifest_text, not both",
                ));
            }
            (None, None) => {
                return Err(PyTypeError::new_err(
                    "run_fleet needs manifest (a path to a JSON Lines file) or manifest_text",
                ));
            }
            (None, Some(text)) => text,
            (Some(path), None) => py.detach(|| std::fs::read_to_string(&path))?,
        };
        let manifest = Manifest::parse(&text)
            .map_err(|e: ManifestErrors| errors::fleet_to_py_err(py, &e.into()))?;
        let dry_run = self.dry_run;
        let path = self.journal;
        let given = self.fleet.clone();
        // The fleet: as given, else the journal's, else the manifest file's stem (core's rule,
        // the CLI's and the C door's too).
        let opened = py.detach(|| {
            let journal = fleet::open_journal(&path, dry_run)?;
            let name =
                fleet::fleet_name(given.as_deref(), journal.as_ref(), manifest_path.as_deref())?;
            Ok::<_, JournalError>((journal, name))
        });
        let (journal, name) = opened.map_err(|e| errors::fleet_to_py_err(py, &e.into()))?;
        let Some(fleet_name) = name else {
            return Err(invalid(
                py,
                "fleet",
                Rule::Required,
                "is required when the manifest is given as text and the journal records no fleet"
                    .to_owned(),
            ));
        };
        let mut options = fleet::FleetOptions::new(fleet_name, self.run);
        options.parallel = parallel;
        options.keep = keep;
        options.delete_backup = self.delete_backup;
        options.reconcile_grace = reconcile_grace;
        options.relist_interval = relist_interval;
        options.dry_run = dry_run;
        options.retry_failed = self.retry_failed;
        options.retry_unknown = self.retry_unknown;
        options.allow_partial = self.allow_partial;
        options.wait = wait;
        options
            .validate()
            .map_err(|e| errors::fleet_to_py_err(py, &e))?;
        Ok(Prepared {
            manifest,
            journal,
            options,
        })
    }
}

/// `on_event` is `None` or callable (checked before anything is sent).
pub(crate) fn check_on_event(py: Python<'_>, on_event: Option<&Py<PyAny>>) -> PyResult<()> {
    match on_event {
        Some(cb) if !cb.bind(py).is_callable() => {
            Err(PyTypeError::new_err("on_event must be callable"))
        }
        _ => Ok(()),
    }
}

/// The blocking door's observer: called on the caller's thread (core's `run_blocking` hands
/// it events outside the runtime), it takes the GIL for `on_event` and, every tick, runs the
/// signal handlers. The first exception (from `on_event`, or Ctrl-C's `KeyboardInterrupt`)
/// stops the run gracefully and is kept in [`BlockingObserver::error`]; `on_event` is not
/// called again after it raised.
pub(crate) struct BlockingObserver<'a> {
    on_event: Option<&'a Py<PyAny>>,
    /// The exception that stopped the run.
    pub error: Option<PyErr>,
}

impl<'a> BlockingObserver<'a> {
    /// An observer calling `on_event(event)` for each event, when given.
    pub(crate) fn new(on_event: Option<&'a Py<PyAny>>) -> Self {
        BlockingObserver {
            on_event,
            error: None,
        }
    }

    fn fail(&mut self, e: PyErr) -> Control {
        self.error.get_or_insert(e);
        Control::Cancel
    }
}

impl FleetObserver for BlockingObserver<'_> {
    fn on_event(&mut self, event: &fleet::FleetEvent) -> Control {
        if self.error.is_some() {
            return Control::Cancel;
        }
        let Some(callback) = self.on_event else {
            return Control::Continue;
        };
        let called = Python::attach(|py| -> PyResult<()> {
            let event = Py::new(py, FleetEvent::from_core(event))?;
            callback.bind(py).call1((event,))?;
            Ok(())
        });
        match called {
            Ok(()) => Control::Continue,
            Err(e) => self.fail(e),
        }
    }

    fn on_tick(&mut self) -> Control {
        if self.error.is_some() {
            return Control::Cancel;
        }
        match Python::attach(|py| py.check_signals()) {
            Ok(()) => Control::Continue,
            Err(e) => self.fail(e),
        }
    }
}
