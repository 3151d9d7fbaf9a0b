//! `ims._ims`: the native module of the `ims` Python package.
//!
//! It translates and nothing more: Python arguments become `ims-core` values, core errors
//! become the exceptions defined in `ims/_errors.py`, job documents become [`job::Job`]. The
//! rules, the signing and the polling all stay in `ims-core`.
//!
//! * [`client::Client`]: `ims.Client` (create, query, wait; blocking calls release the GIL).
//! * [`aio::AsyncClient`]: `ims._ims._AsyncClient`, the engine of `ims.AsyncClient` (asyncio),
//!   on a tokio runtime of one worker per process ([`bridge`], which hands results to asyncio).
//! * [`job::Job`]: `ims.Job`, an immutable job document.
//! * [`images`]: `ims.Image` and `ims.ImageQuota` (`list_images`, `image_quota`).
//! * [`fleet`]: `ims.FleetReport`, `ims.FleetItem`, `ims.FleetDeletion`, `ims.FleetEvent`,
//!   and what both clients' `run_fleet` share; [`aio_fleet`]: the async run.
//! * [`emulator::Emulator`]: `ims._ims._Emulator`, the in-process emulator behind
//!   `ims.testing.Emulator`.
//! * [`errors`]: the mapping of `ims_core::Error` to Python exceptions.
//! * [`logs`]: core's `tracing` debug events forwarded to Python's `logging` (logger `ims`).

// pyo3 glue: the macros expand to unsafe code (the one place besides ffi/ that may hold it).
#![allow(unsafe_code)]

use pyo3::prelude::*;

pub mod aio;
pub mod aio_fleet;
pub mod arguments;
pub mod bridge;
pub mod client;
pub mod convert;
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod errors;
pub mod fleet;
pub mod images;
pub mod job;
pub mod logs;
pub mod observer;
pub mod settings;

/// The module `ims._ims`.
#[pymodule]
fn _ims(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<client::Client>()?;
    m.add_class::<aio::AsyncClient>()?;
    m.add_class::<aio::Waiter>()?;
    m.add_class::<job::Job>()?;
    m.add_class::<images::Image>()?;
    m.add_class::<images::ImageQuota>()?;
    m.add_class::<fleet::FleetReport>()?;
    m.add_class::<fleet::FleetItem>()?;
    m.add_class::<fleet::FleetDeletion>()?;
    m.add_class::<fleet::FleetEvent>()?;
    m.add_class::<aio_fleet::FleetRun>()?;
    #[cfg(feature = "emulator")]
    m.add_class::<emulator::Emulator>()?;
    Ok(())
}
