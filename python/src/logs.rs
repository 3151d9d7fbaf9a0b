//! Core's debug events → Python's `logging`.
//!
//! `ims-core` logs with `tracing` (target `ims`, debug level, never a secret). No `tracing`
//! subscriber is installed in a Python process, so with the `tracing` crate's `log` feature each
//! event becomes a `log` record (message plus `key=value` fields), and `pyo3-log` hands the
//! records of target `ims` to the Python logger `ims`. Other Rust targets (reqwest, hyper) are
//! dropped on the Rust side without touching the interpreter.
//!
//! The bridge is installed on the first `Client` (importing `logging` at `import ims` would
//! cost more than the rest of the import). Each client call starts with [`sync_level`] (the GIL
//! is held there anyway): it asks `logging.getLogger("ims").isEnabledFor(DEBUG)` once and sets
//! the `log` crate's max level to match, so while the logger is off (the usual case) core's
//! events stop in Rust, before anything takes the GIL again; while it is on, each record still
//! asks the logger (levels are not cached), as before. A `setLevel` takes effect at the next
//! client call.

use log::LevelFilter;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

/// Whether the bridge is installed (a `PyOnceLock`, not a `std::sync::Once`: a thread waiting
/// for it must not hold the GIL that the installing thread may need back).
static INSTALLED: PyOnceLock<bool> = PyOnceLock::new();

/// `logging.getLogger("ims")`, looked up once.
static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Python's `logging.DEBUG`.
const DEBUG: u8 = 10;

/// Matches the `log` crate's max level to whether the logger `ims` takes debug records now:
/// [`LevelFilter::Off`] when it does not, so that core's events cost nothing on the way. Called
/// at the start of every client call; does nothing before [`install`] succeeded, and when the
/// logger cannot be asked leaves records on (the bridge then decides, as before).
pub fn sync_level(py: Python<'_>) {
    if INSTALLED.get(py) != Some(&true) {
        return;
    }
    let enabled = LOGGER
        .get_or_try_init(py, || {
            py.import("logging")?
                .call_method1("getLogger", ("ims",))
                .map(Bound::unbind)
        })
        .and_then(|logger| {
            logger
                .bind(py)
                .call_method1("isEnabledFor", (DEBUG,))?
                .is_truthy()
        })
        .unwrap_or(true);
    log::set_max_level(if enabled {
        LevelFilter::Debug
    } else {
        LevelFilter::Off
    });
}

/// Installs the bridge once per process (later calls do nothing). A failure (another `log`
/// logger already installed in this module) leaves logging off, silently.
pub fn install(py: Python<'_>) {
    INSTALLED.get_or_init(py, || {
        match pyo3_log::Logger::new(py, pyo3_log::Caching::Loggers) {
            Ok(logger) => logger
                .filter(LevelFilter::Off)
                .filter_target("ims".to_owned(), LevelFilter::Debug)
                .install()
                .is_ok(),
            Err(_) => false,
        }
    });
}
