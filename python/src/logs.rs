//! Core's debug events → Python's `logging`.
//!
//! `ims-core` logs with `tracing` (target `ims`, debug level, never a secret). No `tracing`
//! subscriber is installed in a Python process, so with the `tracing` crate's `log` feature each
//! event becomes a `log` record (message plus `key=value` fields), and `pyo3-log` hands the
//! records of target `ims` to the Python logger `ims`. Other Rust targets (reqwest, hyper) are
//! dropped on the Rust side without touching the interpreter.
//!
//! The bridge is installed on the first `Client` (importing `logging` at `import ims` would
//! cost more than the rest of the import). Logger levels are not cached: each record asks
//! `logging.getLogger("ims").isEnabledFor(...)`, so `setLevel` takes effect at once.

use log::LevelFilter;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

/// Whether the bridge is installed (a `PyOnceLock`, not a `std::sync::Once`: a thread waiting
/// for it must not hold the GIL that the installing thread may need back).
static INSTALLED: PyOnceLock<bool> = PyOnceLock::new();

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
