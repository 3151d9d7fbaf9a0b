//! The waiter's observer: Python callbacks and Ctrl-C while `wait_job` runs without the GIL.

use std::time::Duration;

use ims_core::Error;
use ims_core::client::{Control, Interrupt, Progress, WaitObserver};
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
    /// The exception the callback raised on the final report (SUCCESS or FAIL): the job's own
    /// outcome wins, and this one is reported through `sys.unraisablehook`.
    pub final_error: Option<PyErr>,
}

impl<'a> PyObserver<'a> {
    /// An observer calling `on_progress(job)` after each poll, when given.
    pub fn new(on_progress: Option<&'a Py<PyAny>>) -> Self {
        PyObserver {
            on_progress,
            error: None,
            final_error: None,
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
            Err(e) if progress.status.is_terminal() => {
                self.final_error = Some(e);
                Control::Continue
            }
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

/// How often a blocking call checks for signals.
const SIGNAL_TICK: Duration = Duration::from_millis(100);

/// Runs `call` (without the GIL) with an [`Interrupt`] that runs the interpreter's signal
/// handlers every `SIGNAL_TICK` while the call is out: the first exception a handler raises
/// (Ctrl-C's `KeyboardInterrupt`) stops the call and is returned beside its result.
pub fn with_signals<T>(call: impl FnOnce(Interrupt<'_>) -> T) -> (T, Option<PyErr>) {
    let mut raised = None;
    let mut stop = || match Python::attach(|py| py.check_signals()) {
        Ok(()) => false,
        Err(e) => {
            raised.get_or_insert(e);
            true
        }
    };
    let result = call(Interrupt {
        every: SIGNAL_TICK,
        stop: &mut stop,
    });
    (result, raised)
}

/// The exception a signal handler raised during `operation`, with a note (and the attribute
/// `may_have_been_sent`) saying whether the request may have reached the service.
pub fn interrupted(py: Python<'_>, e: PyErr, operation: &str, may_have_been_sent: bool) -> PyErr {
    let value = e.value(py);
    let _ = value.setattr("may_have_been_sent", may_have_been_sent);
    let note = if may_have_been_sent {
        format!(
            "ims: {operation} was interrupted after its request was sent: the image may be on its way; look for it before creating it again"
        )
    } else {
        format!("ims: {operation} was interrupted before its request was sent: nothing was created")
    };
    if value.hasattr("add_note").unwrap_or(false) {
        let _ = value.call_method1("add_note", (note,));
    }
    e
}
