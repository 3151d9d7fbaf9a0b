//! The async runtime of `ims.AsyncClient`, one per process, and the bridge that hands the
//! results of its Rust futures to asyncio.
//!
//! [`Engine`]: a multi-thread tokio runtime of [`WORKER_THREADS`] worker and at most
//! [`MAX_BLOCKING_THREADS`] blocking threads, built with the first `AsyncClient` of a process.
//! A forked child (`os.fork()`, multiprocessing's `fork` start method) inherits the parent's
//! runtime without its threads: its first call builds a runtime of its own, and the parent's is
//! left untouched for good (never dropped: its drop would wait for threads that do not exist
//! in the child, and deregister the parent's sockets from the epoll instance both processes
//! share).
//!
//! [`future_into_py`]: an asyncio future of the running event loop, resolved with what a Rust
//! future gives. The Rust future runs on the worker, which never takes the GIL for it; its
//! value becomes a Python object (or exception) on a blocking-pool thread, which hands it to
//! the loop with `call_soon_threadsafe`. Cancelling the asyncio future (`task.cancel()`,
//! `asyncio.wait_for`) drops the Rust future on the worker at its next turn, without entering
//! Python. pyo3-async-runtimes did this before, but with one runtime per process, set once:
//! it could not give a forked child a runtime of its own.
//!
//! At interpreter exit, `quiesce_at_exit` keeps the blocking-pool threads out of Python while
//! it finalizes, through a `Gate` they pass to hand results over; `atexit` handlers that run
//! after it may still use a client.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::Poll;
use std::time::{Duration, Instant};

use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::{intern, wrap_pyfunction};
use tokio::sync::oneshot;

use crate::errors;

/// Worker threads of the async runtime: one. A wait is I/O and timers; the CPU of an exchange
/// (signing, a small JSON body) is a few microseconds, so one worker drives thousands of
/// concurrent waits. The worker does not take the GIL to hand results over (the blocking pool
/// does, below), so it does not stall behind the interpreter, and more workers would only add
/// threads: Python takes the results on one thread anyway.
pub const WORKER_THREADS: usize = 1;

/// The most threads of the runtime's blocking pool: two. Each result is handed to asyncio from
/// a blocking-pool thread (it takes the GIL there, not on the worker), and DNS lookups of host
/// names run there too; tokio's default (512) would start a thread per result under a burst of
/// completions. With two, one may wait for the GIL while the other serves a lookup. Idle ones
/// end after 10 s. At most 1 + 2 threads besides the interpreter's own.
pub const MAX_BLOCKING_THREADS: usize = 2;

/// How long the exit hook (and, after it, each result) waits for the blocking pool to leave
/// Python (see [`quiesce_at_exit`]).
const EXIT_WAIT: Duration = Duration::from_secs(2);

/// The async runtime of one process.
pub struct Engine {
    /// The process that built it.
    pid: u32,
    runtime: tokio::runtime::Runtime,
    /// What its blocking-pool threads may do in Python (see [`quiesce_at_exit`]).
    gate: Gate,
}

/// Whether the blocking-pool threads may enter Python to hand results over, and how many are
/// in there (or on their way in).
struct Gate {
    /// Shut by the exit hook, opened again by each call made after it.
    open: AtomicBool,
    /// Threads inside Python, or about to look at `open` and enter.
    inside: AtomicUsize,
}

/// The exit hook has run: `atexit` handlers are running (those registered before the first
/// `AsyncClient`), and the interpreter finalizes after them.
static EXITING: AtomicBool = AtomicBool::new(false);

impl Gate {
    /// Runs `enter` (which takes the GIL) unless the gate is shut. The count goes up before
    /// the gate is read (both sequentially consistent), so the exit hook, which shuts the gate
    /// and then reads the count, either sees this thread counted or this thread sees the gate
    /// shut.
    fn pass(&self, enter: impl FnOnce()) {
        self.inside.fetch_add(1, Ordering::SeqCst);
        if self.open.load(Ordering::SeqCst) {
            enter();
        }
        self.inside.fetch_sub(1, Ordering::SeqCst);
    }

    /// Waits (the GIL released by the caller) until no thread is inside, at most `limit`.
    fn settle(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while self.inside.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_micros(50));
        }
    }
}

/// The engine of this process (or, in a forked child before its first call, its parent's).
///
/// Locked only with the GIL held and never across Python code, so never contended: in
/// particular no thread holds it while `os.fork()` runs (which holds the GIL), and the child's
/// copy is never found locked.
static ENGINE: Mutex<Option<&'static Engine>> = Mutex::new(None);

/// Locks `m`; a lock poisoned by a panic still holds consistent data here.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Engine {
    /// This process's engine, built on first use in the process: the first `AsyncClient`, or
    /// a forked child's first call. A failure to start it is a `ConfigError` (never a panic).
    /// The first engine of a program also registers `quiesce_at_exit` with `atexit` (a
    /// forked child inherits the registration).
    pub fn get(py: Python<'_>) -> PyResult<&'static Engine> {
        let pid = std::process::id();
        let mut current = lock(&ENGINE);
        if let Some(engine) = current.filter(|engine| engine.pid == pid) {
            return Ok(engine);
        }
        // No Python code runs between the check and the store (the GIL is held all along),
        // so no other thread can build one meanwhile.
        let built = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKER_THREADS)
            .max_blocking_threads(MAX_BLOCKING_THREADS)
            .thread_name("ims-async")
            .enable_all()
            .build();
        let runtime = match built {
            Ok(runtime) => runtime,
            Err(e) => {
                drop(current);
                return Err(errors::config_error(
                    py,
                    format!("cannot start the async runtime: {e}"),
                ));
            }
        };
        // Leaked: the engine lives as long as the process. A parent's engine found here (a
        // forked child) is forgotten, not dropped (see the module's documentation).
        let gate = Gate {
            open: AtomicBool::new(true),
            inside: AtomicUsize::new(0),
        };
        let engine: &'static Engine = Box::leak(Box::new(Engine { pid, runtime, gate }));
        let first = current.replace(engine).is_none();
        drop(current);
        if first {
            let hook = wrap_pyfunction!(quiesce_at_exit, py)?;
            py.import("atexit")?.call_method1("register", (hook,))?;
        }
        Ok(engine)
    }

    /// This process's engine if it has one (never builds it).
    fn here() -> Option<&'static Engine> {
        let engine = (*lock(&ENGINE))?;
        engine.is_here().then_some(engine)
    }

    /// Whether this engine belongs to this process (false in a forked child).
    pub fn is_here(&self) -> bool {
        self.pid == std::process::id()
    }

    /// Runs `future` as a task of this runtime (it goes on whether or not anyone awaits it);
    /// the handle aborts it.
    pub fn spawn<F>(&self, future: F) -> tokio::task::JoinHandle<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.runtime.spawn(future)
    }

    /// Drops `value` with this runtime entered (what core's futures need to close their
    /// sockets and timers), or, in a forked child, leaks it: its sockets and timers belong to
    /// the parent's runtime, which the child must not touch.
    pub fn dispose<T>(&self, value: T) {
        if self.is_here() {
            let _entered = self.runtime.enter();
            drop(value);
        } else {
            std::mem::forget(value);
        }
    }
}

/// Runs at interpreter exit (`atexit`, before finalization): keeps the runtime's threads out of
/// Python when the interpreter finalizes, while `atexit` handlers that run after it may still
/// use an `AsyncClient`.
///
/// Each result is handed to asyncio from a blocking-pool thread, and `call_soon_threadsafe`
/// releases the GIL while it wakes the event loop. When the loop has already run the callback
/// and the program ends, that thread wakes up in a finalizing interpreter, which ends it with
/// `pthread_exit`; unwinding a thread that Rust started aborts the process (or crashed it in
/// CPython's teardown). `tests/test_async.py::
/// test_the_interpreter_exits_cleanly_right_after_gathered_calls` saw this in about one exit in
/// five.
///
/// So the hook shuts the [`Gate`] (no thread enters Python to hand a result over) and waits,
/// GIL released, at most [`EXIT_WAIT`], until every thread inside has left. A result that
/// comes later is dropped, as the process is ending.
///
/// `atexit` runs its handlers last registered first, and the hook is registered with the first
/// `AsyncClient`: handlers registered before it run after it, and may use a client (it used to
/// park the threads for good, and such a handler then waited forever). A call made after the
/// hook opens the gate again, and each of its results, once set on its future, waits (GIL
/// released) for the threads to leave Python before the handler resumes: when the last handler
/// returns, none is in there. (A call left running by such a handler, never awaited, may still
/// hand its result over as the interpreter finalizes; nothing awaits it.)
#[pyfunction]
fn quiesce_at_exit(py: Python<'_>) {
    EXITING.store(true, Ordering::SeqCst);
    let Some(engine) = Engine::here() else {
        return;
    };
    engine.gate.open.store(false, Ordering::SeqCst);
    py.detach(|| engine.gate.settle(EXIT_WAIT));
}

/// `asyncio.get_running_loop`, looked up once.
static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// [`resolve`] as a Python callable, made once.
static RESOLVE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// An asyncio future of the event loop running in this thread (`RuntimeError` when none runs),
/// resolved with what `future` gives, run on this process's runtime. Cancelling the asyncio
/// future drops `future` at the worker's next turn.
pub fn future_into_py<'py, F, T>(py: Python<'py>, future: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = T> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let engine = Engine::get(py)?;
    let get_running_loop = GET_RUNNING_LOOP.get_or_try_init(py, || {
        py.import("asyncio")?
            .getattr("get_running_loop")
            .map(Bound::unbind)
    })?;
    let event_loop = get_running_loop.bind(py).call0()?;
    let py_future = event_loop.call_method0(intern!(py, "create_future"))?;
    let (cancel, cancelled) = oneshot::channel();
    py_future.call_method1(
        intern!(py, "add_done_callback"),
        (CancelOnDone {
            cancel: Some(cancel),
        },),
    )?;
    if EXITING.load(Ordering::Relaxed) {
        // A call from an `atexit` handler that runs after the exit hook: its result must
        // reach it (see `quiesce_at_exit`).
        engine.gate.open.store(true, Ordering::SeqCst);
    }
    let target = (event_loop.unbind(), py_future.clone().unbind());
    engine.runtime.spawn(async move {
        let mut future = pin!(future);
        let mut cancelled = cancelled;
        let outcome = std::future::poll_fn(|cx| {
            // Cancelled (or the callback gone with its future): nobody awaits the value.
            if Pin::new(&mut cancelled).poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
                Ok(Poll::Ready(value)) => Poll::Ready(Some(Ok(value))),
                Ok(Poll::Pending) => Poll::Pending,
                Err(_) => Poll::Ready(Some(Err(()))),
            }
        })
        .await;
        // The Python objects of a cancelled call are released without the GIL (pyo3 defers
        // the decrements to the next thread that holds it).
        if let Some(outcome) = outcome {
            let hand = move || engine.gate.pass(|| hand_off(target, outcome));
            drop(tokio::task::spawn_blocking(hand));
        }
    });
    Ok(py_future)
}

/// On a blocking-pool thread: turns `outcome` into Python (with the GIL) and has the loop
/// resolve its future. Nothing is done once the interpreter is finalizing.
fn hand_off<T>((event_loop, future): (Py<PyAny>, Py<PyAny>), outcome: Result<T, ()>)
where
    T: for<'a> IntoPyObject<'a>,
{
    Python::try_attach(|py| {
        let (ok, value) = match outcome.map(|value| value.into_py_any(py)) {
            Ok(Ok(value)) => (true, value),
            Ok(Err(e)) => (false, e.into_value(py).into_any()),
            // No payload shown: a panic's message is not this library's to show.
            Err(()) => (
                false,
                PyRuntimeError::new_err("ims: internal error (a Rust future panicked)")
                    .into_value(py)
                    .into_any(),
            ),
        };
        let resolve = RESOLVE.get_or_try_init(py, || {
            wrap_pyfunction!(resolve, py).map(|f| f.into_any().unbind())
        });
        if let Ok(resolve) = resolve {
            // A closed loop refuses (RuntimeError): nobody is left to take the value.
            let _ = event_loop.bind(py).call_method1(
                intern!(py, "call_soon_threadsafe"),
                (resolve, future, ok, value),
            );
        }
    });
}

/// On the event loop: sets the future's result (or exception), unless it was cancelled
/// meanwhile. After the exit hook, then waits for the thread that handed it over to leave
/// Python (see [`quiesce_at_exit`]).
#[pyfunction]
fn resolve(future: &Bound<'_, PyAny>, ok: bool, value: &Bound<'_, PyAny>) -> PyResult<()> {
    let py = future.py();
    if !future.call_method0(intern!(py, "cancelled"))?.is_truthy()? {
        let set = if ok {
            intern!(py, "set_result")
        } else {
            intern!(py, "set_exception")
        };
        future.call_method1(set, (value,))?;
    }
    if let Some(engine) = EXITING.load(Ordering::Relaxed).then(Engine::here).flatten() {
        py.detach(|| engine.gate.settle(EXIT_WAIT));
    }
    Ok(())
}

/// The done-callback of a bridged future: when it is done (cancelled, or resolved, when the
/// Rust future is over anyway), the Rust future is told to stop.
#[pyclass(module = "ims._ims", name = "_CancelOnDone")]
struct CancelOnDone {
    cancel: Option<oneshot::Sender<()>>,
}

#[pymethods]
impl CancelOnDone {
    fn __call__(&mut self, _future: &Bound<'_, PyAny>) {
        if let Some(cancel) = self.cancel.take() {
            let _ = cancel.send(());
        }
    }
}
