//! `ims._ims._AsyncClient`: core's [`ims_core::AsyncClient`] for asyncio, the engine of
//! `ims.AsyncClient` (`ims/_aio.py`, whose `async def` methods await what this returns).
//!
//! Each call checks its arguments at once and returns an asyncio future ([`bridge`]) whose
//! Rust future runs on the tokio runtime of the process (one worker, started with the first
//! `AsyncClient`, and again in a forked child). Cancelling the asyncio future (`task.cancel()`,
//! `asyncio.wait_for`) drops the Rust future: the request in flight is abandoned, its
//! connection closed, and no timer is left behind. Results and core errors become Python
//! objects and exceptions (the blocking client's classes) only when they are handed to
//! asyncio, with the GIL, off the runtime's worker.
//!
//! A wait with `on_progress` is a [`Waiter`]: each `step()` drives core's waiter until it
//! reports a poll (or ends), and the Python side calls (and awaits) `on_progress` on its event
//! loop before the next `step()`. Core's waiter is not polled in between, so the next poll never
//! starts before the callback has returned; the rules (pacing, timeout, transient errors) stay
//! core's, written once.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Poll;

use ims_core::client::{Control, Progress, WaitObserver};
use ims_core::model::{Job as CoreJob, WholeImageRequest};
use ims_core::{Error, JobId};
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::{PyBaseException, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::aio_fleet::FleetRun;
use crate::bridge::{self, Engine};
use crate::client::{self, Client, DEFAULT_WAIT_TIMEOUT, Described, WaitSecs, Whole};
use crate::convert;
use crate::errors::{self, IntoPyResult};
use crate::fleet::FleetArgs;
use crate::images::{Image, ImageQuota, QueryArgs};
use crate::job::Job;
use crate::logs;
use crate::settings::{Draft, KEYWORDS};

/// A core result, turned into the Python value, or the exception of the blocking client's
/// classes, when the bridge hands it to asyncio (with the GIL, off the worker).
struct Outcome<T>(ims_core::Result<T>);

impl<'py, T: IntoPyObject<'py>> IntoPyObject<'py> for Outcome<T> {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.0 {
            Ok(value) => value.into_bound_py_any(py),
            Err(e) => Err(errors::to_py_err(py, &e)),
        }
    }
}

/// An asyncio future of the event loop running in this thread, resolved by `future` on the
/// runtime.
fn spawn<T>(
    py: Python<'_>,
    future: impl Future<Output = ims_core::Result<T>> + Send + 'static,
) -> PyResult<Bound<'_, PyAny>>
where
    T: for<'py> IntoPyObject<'py> + Send + 'static,
{
    bridge::future_into_py(py, async move { Outcome(future.await) })
}

/// The engine of `ims.AsyncClient`: the same settings as `ims.Client` (one keyword table),
/// each operation an asyncio future. Thread-safe; its connections live on the async runtime.
#[pyclass(frozen, module = "ims._ims", name = "_AsyncClient")]
pub struct AsyncClient {
    inner: ims_core::AsyncClient,
    described: Described,
}

impl AsyncClient {
    /// A client from the settings filled so far (the runtime started on the way).
    fn build(py: Python<'_>, draft: Draft) -> PyResult<AsyncClient> {
        let (config, described) = Described::finish(py, draft)?;
        Engine::get(py)?;
        let inner = py
            .detach(|| ims_core::AsyncClient::new(config))
            .into_py_result(py)?;
        Ok(AsyncClient { inner, described })
    }

    fn create<'py>(
        &self,
        py: Python<'py>,
        request: WholeImageRequest,
    ) -> PyResult<Bound<'py, PyAny>> {
        logs::sync_level(py);
        let client = self.inner.clone();
        spawn(py, async move {
            client
                .create_whole_image(&request)
                .await
                .map(|id| id.as_str().to_owned())
        })
    }
}

#[pymethods]
impl AsyncClient {
    /// The keywords of `ims.Client(...)`; an unknown one is a `TypeError` naming
    /// `AsyncClient()`.
    #[new]
    #[pyo3(signature = (**settings))]
    fn new(py: Python<'_>, settings: Option<&Bound<'_, PyDict>>) -> PyResult<AsyncClient> {
        let mut draft = Draft::default();
        draft.apply("AsyncClient()", settings, true)?;
        AsyncClient::build(py, draft)
    }

    /// As `ims.Client.from_env(...)`.
    #[staticmethod]
    #[pyo3(signature = (region = None, endpoint = None, **settings))]
    fn _from_env(
        py: Python<'_>,
        region: Option<String>,
        endpoint: Option<String>,
        settings: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<AsyncClient> {
        let draft = client::from_env_draft("AsyncClient.from_env()", region, endpoint, settings)?;
        AsyncClient::build(py, draft)
    }

    /// The names of the keyword arguments (the one table `ims.Client` reads too).
    #[classattr]
    fn _keywords(py: Python<'_>) -> PyResult<Py<PyTuple>> {
        Ok(PyTuple::new(py, KEYWORDS.iter().map(|k| k.name))?.unbind())
    }

    /// The IMS endpoint in use.
    #[getter]
    fn endpoint(&self) -> &str {
        self.inner.endpoint()
    }

    /// `ims.Client.create_whole_image`'s arguments, checked now; the job id when awaited.
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
    fn create_whole_image<'py>(
        &self,
        py: Python<'py>,
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
    ) -> PyResult<Bound<'py, PyAny>> {
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
        self.create(py, request)
    }

    /// `ims.Client.create_whole_image_from_body`'s body, checked now; the job id when awaited.
    fn create_whole_image_from_body<'py>(
        &self,
        py: Python<'py>,
        body: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let value = convert::from_py(body)?;
        let request = WholeImageRequest::from_json_value_validated(value).into_py_result(py)?;
        self.create(py, request)
    }

    /// The job id checked now; the `ims.Job` when awaited.
    fn job_status<'py>(&self, py: Python<'py>, job_id: &str) -> PyResult<Bound<'py, PyAny>> {
        let id = JobId::new(job_id).into_py_result(py)?;
        logs::sync_level(py);
        let client = self.inner.clone();
        spawn(py, async move { client.job(&id).await.map(Job::new) })
    }

    /// A wait for `job_id` with `ims.Client.wait_job`'s options (checked now, before anything
    /// is sent). With `report`, each poll's job is handed out by `step()`.
    #[pyo3(
        signature = (job_id, *, timeout = DEFAULT_WAIT_TIMEOUT, interval = None, first_delay = None, report = false),
        text_signature = "($self, job_id, *, timeout=3600.0, interval=None, first_delay=None, report=False)"
    )]
    fn _wait(
        &self,
        py: Python<'_>,
        job_id: &str,
        timeout: WaitSecs,
        interval: Option<WaitSecs>,
        first_delay: Option<WaitSecs>,
        report: bool,
    ) -> PyResult<Waiter> {
        let id = JobId::new(job_id).into_py_result(py)?;
        let options = client::wait_options(py, timeout, interval, first_delay)?;
        logs::sync_level(py);
        let client = self.inner.clone();
        let reports = Arc::new(Mutex::new(VecDeque::new()));
        let job_id = id.as_str().to_owned();
        let future: WaitFuture = if report {
            let mut reporter = Reporter {
                reports: Arc::clone(&reports),
            };
            Box::pin(async move { client.wait_with(&id, &options, &mut reporter).await })
        } else {
            Box::pin(async move { client.wait(&id, &options).await })
        };
        Ok(Waiter {
            job_id,
            engine: Engine::get(py)?,
            state: Arc::new(Mutex::new(WaitState {
                future: Some(future),
                closed: false,
                result: None,
                last: None,
            })),
            reports,
        })
    }

    /// `ims.Client.list_images`' filters, checked now; the list of `ims.Image` when awaited.
    #[pyo3(signature = (
        *, tag = None, name = None, status = None, imagetype = None, whole_image = None,
        created_at = None, sort_key = None, sort_dir = None, page_size = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn list_images<'py>(
        &self,
        py: Python<'py>,
        tag: Option<String>,
        name: Option<String>,
        status: Option<String>,
        imagetype: Option<String>,
        whole_image: Option<bool>,
        created_at: Option<String>,
        sort_key: Option<String>,
        sort_dir: Option<String>,
        page_size: Option<Whole>,
    ) -> PyResult<Bound<'py, PyAny>> {
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
        let client = self.inner.clone();
        spawn(py, async move {
            let images = client.list_images(&query).await?;
            Ok(images.into_iter().map(Image::new).collect::<Vec<_>>())
        })
    }

    /// The `ims.ImageQuota` when awaited.
    fn image_quota<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        logs::sync_level(py);
        let client = self.inner.clone();
        spawn(py, async move {
            client.image_quota().await.map(ImageQuota::from)
        })
    }

    /// Deletes the image when awaited (see `ims.Client.delete_image`).
    #[pyo3(signature = (image_id, *, delete_backup = false))]
    fn delete_image<'py>(
        &self,
        py: Python<'py>,
        image_id: String,
        delete_backup: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        logs::sync_level(py);
        let client = self.inner.clone();
        spawn(py, async move {
            client.delete_image(&image_id, delete_backup).await
        })
    }

    /// `ims.Client.run_fleet`'s arguments (but `on_event`), checked now: the manifest read,
    /// the journal opened (and locked), the options built; then the run starts on the
    /// runtime. Private: `ims/_aio.py` drives the `_FleetRun`.
    #[pyo3(
        signature = (
            manifest = None, *, journal, run, manifest_text = None, fleet = None,
            parallel = Whole::Int(10), keep = None, delete_backup = false,
            reconcile_grace = WaitSecs::Secs(600.0), relist_interval = WaitSecs::Secs(10.0),
            dry_run = false, retry_failed = false, retry_unknown = false, allow_partial = false,
            timeout = None, interval = None
        ),
        text_signature = "($self, manifest=None, *, journal, run, manifest_text=None, fleet=None, parallel=10, keep=None, delete_backup=False, reconcile_grace=600.0, relist_interval=10.0, dry_run=False, retry_failed=False, retry_unknown=False, allow_partial=False, timeout=None, interval=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn _run_fleet(
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
    ) -> PyResult<FleetRun> {
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
        FleetRun::start(py, self.inner.clone(), prepared)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        self.described
            .repr(py, "AsyncClient", self.inner.endpoint())
    }
}

/// Core's waiter, boxed to live between `step()` calls.
type WaitFuture = Pin<Box<dyn Future<Output = ims_core::Result<CoreJob>> + Send>>;

/// Locks `m`; a lock poisoned by a panic still holds consistent data here (every critical
/// section only moves values in and out).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The observer of a reporting wait: queues each poll's job for `step()`.
struct Reporter {
    reports: Arc<Mutex<VecDeque<CoreJob>>>,
}

impl WaitObserver for Reporter {
    fn on_progress(&mut self, progress: &Progress<'_>) -> Control {
        lock(&self.reports).push_back(progress.job.clone());
        Control::Continue
    }

    /// No ticks: each sleep is one timer (cancellation comes from asyncio, not from polling).
    fn wants_ticks(&self) -> bool {
        false
    }
}

/// A wait's state, shared by the [`Waiter`] and its `step()` futures.
///
/// Its lock is held only to move values in and out, never while core's waiter is polled or
/// dropped: core logs while it works, and with the logger `ims` at DEBUG each record takes the
/// GIL (pyo3-log). The event loop's thread takes this lock with the GIL held (`cancel()`,
/// `close()`), so a worker polling under the lock while its logging waited for the GIL would
/// freeze both, and with them every `AsyncClient` call of the process (a `wait_for` timing out
/// as an answer arrived did it in about one run in three).
struct WaitState {
    /// Core's waiter, until it ends or the wait is closed; out of here while a `step()` polls it.
    future: Option<WaitFuture>,
    /// The wait was closed (or cancelled): a `step()` polling the waiter meanwhile drops it
    /// instead of putting it back.
    closed: bool,
    /// Its result, kept while the reports queued before it are handed out.
    result: Option<ims_core::Result<CoreJob>>,
    /// The last job handed out (`CancelledError.job`).
    last: Option<CoreJob>,
}

/// What one `step()` gives.
enum Step {
    /// A poll's job, for `on_progress`: `(False, job)`.
    Report(CoreJob),
    /// The end: `(True, job)`, or the wait's exception.
    Done(ims_core::Result<CoreJob>),
    /// The wait was closed or had already ended.
    Closed,
}

impl<'py> IntoPyObject<'py> for Step {
    type Target = PyTuple;
    type Output = Bound<'py, PyTuple>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let (done, job) = match self {
            Step::Report(job) => (false, job),
            Step::Done(Ok(job)) => (true, job),
            Step::Done(Err(e)) => return Err(errors::to_py_err(py, &e)),
            Step::Closed => return Err(PyRuntimeError::new_err("this wait is over")),
        };
        (done, Job::new(job)).into_pyobject(py)
    }
}

/// One wait of `ims.AsyncClient.wait_job`. Private: `ims/_aio.py` drives it.
#[pyclass(frozen, module = "ims._ims", name = "_Waiter")]
pub struct Waiter {
    job_id: String,
    /// The runtime of the process that started the wait, on which core's waiter is dropped
    /// (leaked in a forked child).
    engine: &'static Engine,
    state: Arc<Mutex<WaitState>>,
    reports: Arc<Mutex<VecDeque<CoreJob>>>,
}

impl Waiter {
    /// Closes the wait and drops core's waiter (and the request it may have in flight) on the
    /// runtime, outside the state's lock. A `step()` polling it meanwhile drops it when its poll
    /// returns.
    fn drop_future(&self) {
        let taken = {
            let mut st = lock(&self.state);
            st.closed = true;
            st.future.take()
        };
        self.engine.dispose(taken);
    }
}

/// The next queued report, remembered as the last job handed out.
fn next_report(st: &mut WaitState, reports: &Mutex<VecDeque<CoreJob>>) -> Option<CoreJob> {
    let job = lock(reports).pop_front()?;
    st.last = Some(job.clone());
    Some(job)
}

#[pymethods]
impl Waiter {
    /// Awaits the next report `(False, job)` or the end `(True, job)`; the wait's exception
    /// (`JobFailedError`, `WaitTimeoutError`, ...) is raised at its end. Cancelling it stops
    /// driving the waiter; `close()` then drops it.
    fn step<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let state = Arc::clone(&self.state);
        let reports = Arc::clone(&self.reports);
        let engine = self.engine;
        bridge::future_into_py(py, async move {
            std::future::poll_fn(move |cx| {
                // Core's waiter once it has ended: declared before the guard, so dropped after
                // it, outside the lock (see `WaitState`).
                let mut _spent = None;
                let mut st = lock(&state);
                if let Some(job) = next_report(&mut st, &reports) {
                    return Poll::Ready(Step::Report(job));
                }
                if st.result.is_none() {
                    let Some(mut future) = st.future.take() else {
                        return Poll::Ready(Step::Closed);
                    };
                    // Polled (and dropped) without the lock: see `WaitState`.
                    drop(st);
                    let polled = future.as_mut().poll(cx);
                    st = lock(&state);
                    match polled {
                        Poll::Ready(result) => {
                            st.result = Some(result);
                            _spent = Some(future);
                        }
                        Poll::Pending if st.closed => {
                            drop(st);
                            engine.dispose(future);
                            return Poll::Ready(Step::Closed);
                        }
                        Poll::Pending => st.future = Some(future),
                    }
                }
                // A poll reported before the end (the last one, or one whose sleep began):
                // hand it out first; the waiter is not polled again until the next step().
                if let Some(job) = next_report(&mut st, &reports) {
                    return Poll::Ready(Step::Report(job));
                }
                match st.result.take() {
                    Some(result) => Poll::Ready(Step::Done(result)),
                    None => Poll::Pending,
                }
            })
            .await
        })
    }

    /// Stops the wait because `on_progress` returned `False`: the `CancelledError` to raise
    /// (with the last job handed out), or `None` when the wait has already ended (its result
    /// is the next `step()`, as the blocking client returns a job that ended anyway).
    fn cancel<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBaseException>> {
        let last = {
            let st = lock(&self.state);
            if st.result.is_some() || !lock(&self.reports).is_empty() {
                return None;
            }
            st.last.clone()
        };
        self.drop_future();
        let error = Error::Cancelled {
            job_id: self.job_id.clone(),
            last: last.map(Box::new),
        };
        Some(errors::to_py_err(py, &error).into_value(py).into_bound(py))
    }

    /// Ends the wait: core's waiter is dropped, with any request in flight. Idempotent.
    fn close(&self) {
        self.drop_future();
        let result = lock(&self.state).result.take();
        let reports = std::mem::take(&mut *lock(&self.reports));
        drop((result, reports));
    }
}
