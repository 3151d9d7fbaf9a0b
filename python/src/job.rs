//! `ims.Job`: an immutable job document.

use std::hash::{Hash, Hasher};

use ims_core::model::{Job as CoreJob, JobStatus};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyAny, PyString};

use crate::convert;

/// The members of `ims.JobStatus` (defined in `ims/_status.py`), in the order
/// INIT, RUNNING, SUCCESS, FAIL, UNKNOWN.
static STATUSES: PyOnceLock<[Py<PyAny>; 5]> = PyOnceLock::new();

fn status_member<'py>(py: Python<'py>, status: &JobStatus) -> PyResult<Bound<'py, PyAny>> {
    let members = STATUSES.get_or_try_init(py, || -> PyResult<[Py<PyAny>; 5]> {
        let class = py.import("ims._status")?.getattr("JobStatus")?;
        let get = |name: &str| class.getattr(name).map(Bound::unbind);
        Ok([
            get("INIT")?,
            get("RUNNING")?,
            get("SUCCESS")?,
            get("FAIL")?,
            get("UNKNOWN")?,
        ])
    })?;
    let index = match status {
        JobStatus::Init => 0,
        JobStatus::Running => 1,
        JobStatus::Success => 2,
        JobStatus::Fail => 3,
        JobStatus::Unknown(_) => 4,
    };
    Ok(members[index].bind(py).clone())
}

/// An asynchronous job document, as `job_status` and `wait_job` return it. Immutable.
///
/// `status` is an `ims.JobStatus` (a `str` enum, so `job.status == "SUCCESS"` holds); a status
/// the client does not know reads as `JobStatus.UNKNOWN` (the raw text stays in `to_dict()`).
///
/// Hashable, consistently with `==`: equal jobs are the same document, and the hash is the
/// document's (so jobs go in sets and dict keys, as the stub lets type checkers accept). Pickles
/// (and copies) to an equal job.
#[pyclass(frozen, eq, module = "ims", name = "Job")]
#[derive(PartialEq)]
pub struct Job {
    inner: CoreJob,
}

impl Job {
    /// Wraps a core job document.
    pub fn new(inner: CoreJob) -> Self {
        Job { inner }
    }

    /// The core job document.
    pub fn inner(&self) -> &CoreJob {
        &self.inner
    }
}

fn repr_of(py: Python<'_>, value: Option<&str>) -> PyResult<String> {
    match value {
        Some(v) => Ok(PyString::new(py, v).repr()?.to_cow()?.into_owned()),
        None => Ok("None".to_owned()),
    }
}

#[pymethods]
impl Job {
    /// Reads a job document from a dict (the JSON the service returns); unknown keys are kept
    /// in `to_dict()` and otherwise ignored. Raises `ValueError` when `doc` is not a mapping.
    #[staticmethod]
    fn from_dict(doc: &Bound<'_, PyAny>) -> PyResult<Job> {
        let value = convert::from_py(doc)?;
        CoreJob::from_value(value)
            .map(Job::new)
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// The job read back from its document's JSON text, as `__reduce__` hands it to pickle.
    /// Private: the one way back for pickle and copy.
    #[staticmethod]
    fn _from_json(text: &str) -> PyResult<Job> {
        CoreJob::from_json(text)
            .map(Job::new)
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// Pickles as the document as received (`Job._from_json(text)`): the copy is equal, every
    /// field and `to_dict()` alike.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let rebuild = slf.get_type().getattr("_from_json")?;
        Ok((rebuild, (slf.get().inner.to_json(),)))
    }

    /// The job id.
    #[getter]
    fn job_id(&self) -> &str {
        &self.inner.job_id
    }

    /// The job type, e.g. `imsCreateWholeImageByInstanceJob`.
    #[getter]
    fn job_type(&self) -> Option<&str> {
        self.inner.job_type.as_deref()
    }

    /// The status, an `ims.JobStatus`.
    #[getter]
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        status_member(py, &self.inner.status)
    }

    /// Whether the job has ended (SUCCESS or FAIL).
    #[getter]
    fn is_terminal(&self) -> bool {
        self.inner.is_terminal()
    }

    /// The image created: `entities.image_id`, else the first sub-job's or result's.
    #[getter]
    fn image_id(&self) -> Option<&str> {
        self.inner.image_id()
    }

    /// The image name (`entities.image_name`).
    #[getter]
    fn image_name(&self) -> Option<&str> {
        self.inner.entities.image_name.as_deref()
    }

    /// Progress 0–100 (`entities.process_percent`), when reported.
    #[getter]
    fn process_percent(&self) -> Option<f64> {
        self.inner.process_percent()
    }

    /// The error code of a failed job (e.g. `IMG.0010`).
    #[getter]
    fn error_code(&self) -> Option<&str> {
        self.inner.error_code.as_deref()
    }

    /// The failure reason of a failed job.
    #[getter]
    fn fail_reason(&self) -> Option<&str> {
        self.inner.fail_reason.as_deref()
    }

    /// Start time, as the service wrote it (its format varies).
    #[getter]
    fn begin_time(&self) -> Option<&str> {
        self.inner.begin_time.as_deref()
    }

    /// End time, as the service wrote it.
    #[getter]
    fn end_time(&self) -> Option<&str> {
        self.inner.end_time.as_deref()
    }

    /// The whole document as received, as a new dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        if !self.inner.raw.is_empty() {
            convert::to_py(py, &self.inner.raw.to_value())
        } else {
            let value = serde_json::to_value(&self.inner).unwrap_or(serde_json::Value::Null);
            convert::to_py(py, &value)
        }
    }

    /// The hash of the job id and the document as received: `==` compares every field and
    /// that document, so equal jobs hash alike.
    fn __hash__(&self) -> u64 {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.inner.job_id.hash(&mut hasher);
        self.inner.raw.as_str().hash(&mut hasher);
        hasher.finish()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let j = &self.inner;
        let mut out = format!(
            "Job(job_id={}, status={}",
            repr_of(py, Some(&j.job_id))?,
            repr_of(py, Some(j.status.as_str()))?
        );
        if let Some(p) = j.process_percent() {
            out.push_str(&format!(", process_percent={p:?}"));
        }
        if let Some(id) = j.image_id() {
            out.push_str(&format!(", image_id={}", repr_of(py, Some(id))?));
        }
        if j.error_code.is_some() || j.fail_reason.is_some() {
            out.push_str(&format!(
                ", error_code={}, fail_reason={}",
                repr_of(py, j.error_code.as_deref())?,
                repr_of(py, j.fail_reason.as_deref())?
            ));
        }
        out.push(')');
        Ok(out)
    }
}
