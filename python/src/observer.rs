//! The waiter's observer: Python callbacks and Ctrl-C while `wait_job` runs without the GIL.

use std::time::Duration;

use ims_core::Error;
use ims_core::client::{Control, Progress, WaitObserver};
use pyo3::prelude::*;

use crate::job::Job;

/// Reports each poll to an optional Python callable, and checks for signals (Ctrl-C) on every
/// tick of the waiter's sleep. The first Python exception (from the callback or a signal
/// handler) cancels the wait and is kept in [`PyObserver::error`], to be raised instead of the
/// core's `Cancelled`.
pub struct PyObserver<'a> {
    on_progress: Option<&'a Py<PyAny>>,
    /// The exception that stopped the wait.
    pub error: Option<PyErr>,
}

impl<'a> PyObserver<'a> {
    /// An observer calling `on_progress(job)` after each poll, when given.
    pub fn new(on_progress: Option<&'a Py<PyAny>>) -> Self {
        PyObserver {
            on_progress,
            error: None,
        }
    }

    fn fail(&mut self, e: PyErr) -> Control {
        if self.error.is_none() {
            self.error = Some(e);
        }
        Control::Cancel
    }

    /// Runs the interpreter's signal handlers (only effective on the main thread); a handler
    /// that raises (the default SIGINT handler raises `KeyboardInterrupt`) cancels the wait.
    fn check_signals(&mut self) -> Control {
        match Python::attach(|py| py.check_signals()) {
            Ok(()) => Control::Continue,
            Err(e) => self.fail(e),
        }
    }
}

impl WaitObserver for PyObserver<'_> {
    fn on_progress(&mut self, progress: &Progress<'_>) -> Control {
        if self.check_signals() == Control::Cancel {
            return Control::Cancel;
        }
        let Some(callback) = self.on_progress else {
            return Control::Continue;
        };
        let result = Python::attach(|py| -> PyResult<bool> {
            let job = Py::new(py, Job::new(progress.job.clone()))?;
            let answer = callback.bind(py).call1((job,))?;
            // Only `False` itself cancels: `None` (no return statement) keeps waiting.
            Ok(answer.is(&*pyo3::types::PyBool::new(py, false)))
        });
        match result {
            Ok(true) => Control::Cancel,
            Ok(false) => Control::Continue,
            Err(e) => self.fail(e),
        }
    }

    fn on_retry(&mut self, _error: &Error, _elapsed: Duration) -> Control {
        self.check_signals()
    }

    fn on_tick(&mut self, _elapsed: Duration) -> Control {
        self.check_signals()
    }
}
