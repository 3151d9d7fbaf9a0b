//! `ims.AsyncClient.run_fleet`'s engine: `_FleetRun`, core's [`ims_core::fleet::run`] as a
//! task of the process's runtime, its events queued for the event loop.
//!
//! `ims/_aio.py` awaits `step()` for the next batch of events (calling `on_event` with each)
//! until it gives the report. The run goes on while `on_event` runs: events only tell. `stop()`
//! asks core to stop gracefully (no new create; the journal stays consistent); `close()`
//! aborts the task, which drops core's future: an item whose create was on the wire stays
//! `sending` in the journal, and the next run reconciles it.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use ims_core::client::Control;
use ims_core::fleet::{self, FleetError, FleetObserver};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::bridge::{self, Engine};
use crate::errors;
use crate::fleet::{FleetEvent, FleetReport, Prepared};

/// Locks `m`; a lock poisoned by a panic still holds consistent data (values only move).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the task and the `step()` futures share.
struct Shared {
    /// Events not yet handed out, and the run's result once it ended.
    queue: Mutex<Queue>,
    /// Rung on every event and at the end.
    notify: Notify,
    /// Set by `stop()`: core is told to stop at its next event or tick.
    stop: AtomicBool,
}

#[derive(Default)]
struct Queue {
    events: VecDeque<fleet::FleetEvent>,
    result: Option<Result<fleet::FleetReport, FleetError>>,
    closed: bool,
}

/// Queues each event for `step()`; answers core's ticks with the stop switch.
struct Queuer(Arc<Shared>);

impl Queuer {
    fn control(&self) -> Control {
        if self.0.stop.load(Ordering::Relaxed) {
            Control::Cancel
        } else {
            Control::Continue
        }
    }
}

impl FleetObserver for Queuer {
    fn on_event(&mut self, event: &fleet::FleetEvent) -> Control {
        lock(&self.0.queue).events.push_back(event.clone());
        self.0.notify.notify_one();
        self.control()
    }

    fn on_tick(&mut self) -> Control {
        self.control()
    }
}

/// What one `step()` gives.
enum Step {
    /// `(False, [events])`.
    Events(Vec<fleet::FleetEvent>),
    /// `(True, report)`, or the run's exception.
    Done(Result<fleet::FleetReport, FleetError>),
    /// The run was closed.
    Closed,
}

impl<'py> IntoPyObject<'py> for Step {
    type Target = PyTuple;
    type Output = Bound<'py, PyTuple>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        match self {
            Step::Events(events) => {
                let list: Vec<FleetEvent> = events.iter().map(FleetEvent::from_core).collect();
                (false, list).into_pyobject(py)
            }
            Step::Done(Ok(report)) => (true, FleetReport::from_core(&report)).into_pyobject(py),
            Step::Done(Err(e)) => Err(errors::fleet_to_py_err(py, &e)),
            Step::Closed => Err(PyRuntimeError::new_err("this fleet run is over")),
        }
    }
}

/// One run of `ims.AsyncClient.run_fleet`. Private: `ims/_aio.py` drives it.
#[pyclass(frozen, module = "ims._ims", name = "_FleetRun")]
pub struct FleetRun {
    shared: Arc<Shared>,
    engine: &'static Engine,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl FleetRun {
    /// Starts the run on the runtime.
    pub(crate) fn start(
        py: Python<'_>,
        client: ims_core::AsyncClient,
        prepared: Prepared,
    ) -> PyResult<FleetRun> {
        let engine = Engine::get(py)?;
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            notify: Notify::new(),
            stop: AtomicBool::new(false),
        });
        let task_shared = Arc::clone(&shared);
        let task = engine.spawn(async move {
            let Prepared {
                manifest,
                journal,
                options,
            } = prepared;
            let mut observer = Queuer(Arc::clone(&task_shared));
            let result = fleet::run(&client, &manifest, journal, &options, &mut observer).await;
            lock(&task_shared.queue).result = Some(result);
            task_shared.notify.notify_one();
        });
        Ok(FleetRun {
            shared,
            engine,
            task: Mutex::new(Some(task)),
        })
    }

    fn abort(&self) {
        lock(&self.shared.queue).closed = true;
        self.shared.notify.notify_one();
        if let Some(task) = lock(&self.task).take()
            && self.engine.is_here()
        {
            task.abort();
        }
    }
}

impl Drop for FleetRun {
    fn drop(&mut self) {
        self.abort();
    }
}

#[pymethods]
impl FleetRun {
    /// Awaits the next events `(False, [FleetEvent, ...])` or the end `(True, FleetReport)`;
    /// the run's exception (`ManifestError`, `QuotaError`, ...) is raised at its end.
    fn step<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let shared = Arc::clone(&self.shared);
        bridge::future_into_py(py, async move {
            loop {
                {
                    let mut q = lock(&shared.queue);
                    if !q.events.is_empty() {
                        return Step::Events(q.events.drain(..).collect());
                    }
                    if let Some(result) = q.result.take() {
                        return Step::Done(result);
                    }
                    if q.closed {
                        return Step::Closed;
                    }
                }
                shared.notify.notified().await;
            }
        })
    }

    /// Asks the run to stop gracefully: no new create is sent, creates already sent are
    /// recorded, and the report comes from the next `step()`s.
    fn stop(&self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }

    /// Ends the run at once (the task is aborted, its future dropped). Idempotent.
    fn close(&self) {
        self.abort();
    }
}
