//! Arguments as the Python doors take them: seconds (`WaitSecs`) and ints that are not bools
//! (`Whole`), checked into the waiter's options, and the `ValidationError` of one argument.
//! A leaf: the client, fleet and image modules all read their arguments through it.

use std::time::Duration;

use ims_core::WaitOptions;
use ims_core::validate::{Rule, ValidationErrors, Violation};
use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt};

use crate::errors;

/// The longest timeout, interval or first delay the waiter accepts: 366 days (as the C ABI and
/// the CLI).
const MAX_WAIT_SECS: f64 = ims_core::client::MAX_WAIT_DURATION.as_secs_f64();

/// A number of seconds as `wait_job` takes it (`timeout`, `interval`, `first_delay`), read
/// without judging it: [`wait_secs`] refuses what is wrong, naming the argument (an extractor
/// cannot: pyo3 adds the name as a note, which `str(error)` does not show).
#[derive(Clone, Copy, Debug)]
pub(crate) enum WaitSecs {
    /// An `int` or a `float` (or anything with `__float__`).
    Secs(f64),
    /// An `int` beyond the range of a float (`10**400`): out of range, not an `OverflowError`.
    Huge,
    /// `True` or `False`: an `int` to Python, but not a number of seconds.
    Bool,
}

impl<'a, 'py> FromPyObject<'a, 'py> for WaitSecs {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if obj.is_instance_of::<PyBool>() {
            return Ok(WaitSecs::Bool);
        }
        match obj.extract::<f64>() {
            Ok(secs) => Ok(WaitSecs::Secs(secs)),
            Err(e)
                if obj.is_instance_of::<PyInt>()
                    && e.is_instance_of::<PyOverflowError>(obj.py()) =>
            {
                Ok(WaitSecs::Huge)
            }
            Err(e) => Err(e),
        }
    }
}

/// `wait_job`'s default `timeout`: one hour.
pub(crate) const DEFAULT_WAIT_TIMEOUT: WaitSecs = WaitSecs::Secs(3600.0);

/// An `int` argument that is not a `bool` (`min_ram`, `max_ram`): read as [`WaitSecs`] is, so
/// that [`Whole::get`] can name the argument.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Whole {
    /// An `int`.
    Int(i64),
    /// `True` or `False`.
    Bool,
}

impl<'a, 'py> FromPyObject<'a, 'py> for Whole {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if obj.is_instance_of::<PyBool>() {
            return Ok(Whole::Bool);
        }
        obj.extract::<i64>().map(Whole::Int)
    }
}

impl Whole {
    /// The int, or a `TypeError` naming `name` for a bool.
    pub(crate) fn get(value: Option<Whole>, name: &str) -> PyResult<Option<i64>> {
        match value {
            None => Ok(None),
            Some(Whole::Int(n)) => Ok(Some(n)),
            Some(Whole::Bool) => Err(PyTypeError::new_err(format!(
                "{name} must be an int or None, not bool"
            ))),
        }
    }
}

/// Seconds for the waiter's argument `name`: finite, ≥ 0 (> 0 unless `zero_ok`; a value that
/// rounds to 0 ns counts as 0) and at most [`MAX_WAIT_SECS`]; otherwise an `ims.ValidationError`
/// (a `ValueError`) naming `name`, raised before anything is sent. A bool is a `TypeError`.
pub(crate) fn wait_secs(
    py: Python<'_>,
    name: &str,
    value: WaitSecs,
    zero_ok: bool,
) -> PyResult<Duration> {
    let (secs, shown) = match value {
        WaitSecs::Secs(secs) => (secs, secs.to_string()),
        WaitSecs::Huge => (
            f64::INFINITY,
            "an int beyond the range of a float".to_owned(),
        ),
        WaitSecs::Bool => {
            return Err(PyTypeError::new_err(format!(
                "{name} must be a number of seconds, not bool"
            )));
        }
    };
    let accepted = (0.0..=MAX_WAIT_SECS)
        .contains(&secs)
        .then(|| Duration::try_from_secs_f64(secs).ok())
        .flatten()
        .filter(|d| zero_ok || !d.is_zero());
    accepted.ok_or_else(|| {
        let bound = if zero_ok { ">= 0" } else { "> 0" };
        let message = format!(
            "must be a number of seconds {bound} and at most {MAX_WAIT_SECS} (366 days), got {shown}"
        );
        let violation = Violation::new(name, Rule::Range, message.clone());
        match ValidationErrors::from_violations(vec![violation]) {
            Err(e) => errors::to_py_err(py, &ims_core::Error::Validation(e)),
            Ok(()) => PyValueError::new_err(format!("{name} {message}")),
        }
    })
}

/// The waiter's options from `wait_job`'s arguments, every one checked before anything is sent.
pub(crate) fn wait_options(
    py: Python<'_>,
    timeout: WaitSecs,
    interval: Option<WaitSecs>,
    first_delay: Option<WaitSecs>,
) -> PyResult<WaitOptions> {
    let mut options = WaitOptions {
        timeout: wait_secs(py, "timeout", timeout, true)?,
        ..WaitOptions::default()
    };
    if let Some(i) = interval {
        options.interval = wait_secs(py, "interval", i, false)?;
        options.first_delay = options.interval;
        options.max_interval = options.max_interval.max(options.interval);
    }
    if let Some(d) = first_delay {
        options.first_delay = wait_secs(py, "first_delay", d, true)?;
    }
    // Core's rules are the last word (the same check `Client::wait` makes before sending).
    options.validate().map_err(|e| errors::to_py_err(py, &e))?;
    Ok(options)
}

/// A `ValidationError` for one argument.
pub(crate) fn invalid(py: Python<'_>, field: &str, rule: Rule, message: String) -> PyErr {
    match ValidationErrors::from_violations(vec![Violation::new(field, rule, message.clone())]) {
        Err(e) => errors::to_py_err(py, &ims_core::Error::Validation(e)),
        Ok(()) => pyo3::exceptions::PyValueError::new_err(format!("{field}: {message}")),
    }
}
