//! `ims_job`: an immutable job document with its accessors.
//!
//! Every string an accessor returns is prepared when the handle is made and borrowed from it:
//! valid until `ims_job_free`, never freed by the caller, NULL when the document lacks the
//! field. Since nothing changes after creation, one handle may be read from several threads at
//! once; freeing it must not race with any read.

use std::ffi::{CString, c_char};

use ims_core::model::{Job, JobStatus};

use crate::args::free_box;
use crate::panic::ffi_boundary;
use crate::text::{c_string, opt_ptr};

/// The status of a job: one of the `IMS_JOB_*` constants. A fixed-width integer, not a C enum
/// (its size never depends on the compiler); a newer library may add states, which a program
/// should treat like `IMS_JOB_UNKNOWN`.
pub type ims_job_state = u32;

/// `INIT`: created, not yet running.
pub const IMS_JOB_INIT: ims_job_state = 0;
/// `RUNNING`.
pub const IMS_JOB_RUNNING: ims_job_state = 1;
/// `SUCCESS`: ended well (terminal); `ims_job_get_image_id` has the image.
pub const IMS_JOB_SUCCESS: ims_job_state = 2;
/// `FAIL`: ended badly (terminal); see `ims_job_get_error_code`/`_fail_reason`.
pub const IMS_JOB_FAIL: ims_job_state = 3;
/// Any other status text (see `ims_job_status_text`); not terminal.
pub const IMS_JOB_UNKNOWN: ims_job_state = 4;

/// The C status of a core status.
pub fn state_of_status(status: &JobStatus) -> ims_job_state {
    match status {
        JobStatus::Init => IMS_JOB_INIT,
        JobStatus::Running => IMS_JOB_RUNNING,
        JobStatus::Success => IMS_JOB_SUCCESS,
        JobStatus::Fail => IMS_JOB_FAIL,
        JobStatus::Unknown(_) => IMS_JOB_UNKNOWN,
    }
}

/// A job document (opaque). Made by `ims_job_status`, `ims_wait_job` and `ims_last_error_job`;
/// free with `ims_job_free`.
///
/// Thread safety: immutable; it may be read from several threads at once, and freed by one
/// thread once no other uses it.
pub struct ims_job {
    job: Job,
    state: ims_job_state,
    status: CString,
    id: CString,
    job_type: Option<CString>,
    image_id: Option<CString>,
    error_code: Option<CString>,
    fail_reason: Option<CString>,
    begin_time: Option<CString>,
    end_time: Option<CString>,
    json: CString,
}

impl ims_job {
    /// A handle holding `job`, its strings prepared.
    pub fn new(job: Job) -> ims_job {
        let opt = |s: Option<&str>| s.map(c_string);
        ims_job {
            state: state_of_status(&job.status),
            status: c_string(job.status.as_str()),
            id: c_string(&job.job_id),
            job_type: opt(job.job_type.as_deref()),
            image_id: opt(job.image_id()),
            error_code: opt(job.error_code.as_deref()),
            fail_reason: opt(job.fail_reason.as_deref()),
            begin_time: opt(job.begin_time.as_deref()),
            end_time: opt(job.end_time.as_deref()),
            json: c_string(&job.to_json()),
            job,
        }
    }

    /// `ims_job::new` on the heap, as a pointer for C.
    pub fn into_raw(job: Job) -> *mut ims_job {
        Box::into_raw(Box::new(ims_job::new(job)))
    }

    /// The job document.
    pub fn job(&self) -> &Job {
        &self.job
    }

    /// The status.
    pub fn state(&self) -> ims_job_state {
        self.state
    }

    /// The job id as C text.
    pub fn id_ptr(&self) -> *const c_char {
        self.id.as_ptr()
    }
}

/// Runs `f` on the handle, or gives `fallback` for NULL.
///
/// # Safety
///
/// `job` must be NULL or a live `ims_job` handle.
unsafe fn read<T>(job: *const ims_job, fallback: T, f: impl FnOnce(&ims_job) -> T) -> T {
    // SAFETY: by this function's contract a non-NULL `job` is a live handle, only read here.
    match unsafe { job.as_ref() } {
        Some(j) => f(j),
        None => fallback,
    }
}

/// Frees a job handle. NULL is accepted and ignored.
///
/// # Safety
///
/// `job` must be NULL or a handle from this library, not yet freed, that no other thread is
/// reading; the strings borrowed from it die with it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_job_free(job: *mut ims_job) {
    ffi_boundary!(fallback = (); {
        // SAFETY: forwarded contract.
        unsafe { free_box(job) }
    })
}

/// The job's status; `IMS_JOB_UNKNOWN` for a NULL handle.
///
/// # Safety
///
/// `job` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_job_get_state(job: *const ims_job) -> ims_job_state {
    ffi_boundary!(fallback = IMS_JOB_UNKNOWN; {
        // SAFETY: forwarded contract.
        unsafe { read(job, IMS_JOB_UNKNOWN, |j| j.state) }
    })
}

/// The status text of a job document, as the service wrote it (`"RUNNING"`, ...; `""` when
/// missing). Borrowed from the handle (valid until `ims_job_free`); NULL for a NULL handle.
/// (Not to be confused with `ims_job_status`, which asks the service for a job's document;
/// `ims_job_get_state` gives the status as an enum.)
///
/// # Safety
///
/// `job` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_job_status_text(job: *const ims_job) -> *const c_char {
    ffi_boundary!(fallback = std::ptr::null(); {
        // SAFETY: forwarded contract.
        unsafe { read(job, std::ptr::null(), |j| j.status.as_ptr()) }
    })
}

/// The job id (`""` when the document has none). Borrowed from the handle (valid until
/// `ims_job_free`); NULL for a NULL handle.
///
/// # Safety
///
/// `job` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_job_get_id(job: *const ims_job) -> *const c_char {
    ffi_boundary!(fallback = std::ptr::null(); {
        // SAFETY: forwarded contract.
        unsafe { read(job, std::ptr::null(), |j| j.id.as_ptr()) }
    })
}

/// The job type (e.g. `"imsCreateWholeImageByInstanceJob"`), or NULL when absent. Borrowed
/// from the handle (valid until `ims_job_free`).
///
/// # Safety
///
/// `job` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_job_get_type(job: *const ims_job) -> *const c_char {
    ffi_boundary!(fallback = std::ptr::null(); {
        // SAFETY: forwarded contract.
        unsafe { read(job, std::ptr::null(), |j| opt_ptr(&j.job_type)) }
    })
}

/// The created image's id (`entities.image_id`, else a sub-job's, else the first
/// `entities.results[*].image_id`), or NULL when absent. Borrowed from the handle (valid until
/// `ims_job_free`).
///
/// # Safety
///
/// `job` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_job_get_image_id(job: *const ims_job) -> *const c_char {
    ffi_boundary!(fallback = std::ptr::null(); {
        // SAFETY: forwarded contract.
        unsafe { read(job, std::ptr::null(), |j| opt_ptr(&j.image_id)) }
    })
}

/// Progress 0–100 (`entities.process_percent`); negative (-1.0) when the document has none or
/// the handle is NULL.
///
/// # Safety
///
/// `job` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_job_get_percent(job: *const ims_job) -> f64 {
    ffi_boundary!(fallback = -1.0; {
        // SAFETY: forwarded contract.
        unsafe { read(job, -1.0, |j| j.job.process_percent().unwrap_or(-1.0)) }
    })
}

/// The job's `error_code` (set on FAIL), or NULL. Borrowed from the handle (valid until
/// `ims_job_free`).
///
/// # Safety
///
/// `job` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_job_get_error_code(job: *const ims_job) -> *const c_char {
    ffi_boundary!(fallback = std::ptr::null(); {
        // SAFETY: forwarded contract.
        unsafe { read(job, std::ptr::null(), |j| opt_ptr(&j.error_code)) }
    })
}

/// The job's `fail_reason` (set on FAIL), or NULL. Borrowed from the handle (valid until
/// `ims_job_free`).
///
/// # Safety
///
/// `job` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_job_get_fail_reason(job: *const ims_job) -> *const c_char {
    ffi_boundary!(fallback = std::ptr::null(); {
        // SAFETY: forwarded contract.
        unsafe { read(job, std::ptr::null(), |j| opt_ptr(&j.fail_reason)) }
    })
}

/// The job's `begin_time` as the service wrote it (opaque text), or NULL. Borrowed from the
/// handle (valid until `ims_job_free`).
///
/// # Safety
///
/// `job` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_job_get_begin_time(job: *const ims_job) -> *const c_char {
    ffi_boundary!(fallback = std::ptr::null(); {
        // SAFETY: forwarded contract.
        unsafe { read(job, std::ptr::null(), |j| opt_ptr(&j.begin_time)) }
    })
}

/// The job's `end_time` as the service wrote it (opaque text), or NULL. Borrowed from the
/// handle (valid until `ims_job_free`).
///
/// # Safety
///
/// `job` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_job_get_end_time(job: *const ims_job) -> *const c_char {
    ffi_boundary!(fallback = std::ptr::null(); {
        // SAFETY: forwarded contract.
        unsafe { read(job, std::ptr::null(), |j| opt_ptr(&j.end_time)) }
    })
}

/// The whole job document as JSON text, exactly as the service sent it. Borrowed from the
/// handle (valid until `ims_job_free`); NULL for a NULL handle.
///
/// # Safety
///
/// `job` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_job_get_json(job: *const ims_job) -> *const c_char {
    ffi_boundary!(fallback = std::ptr::null(); {
        // SAFETY: forwarded contract.
        unsafe { read(job, std::ptr::null(), |j| j.json.as_ptr()) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    fn text(p: *const c_char) -> Option<String> {
        // SAFETY: accessor results are NULL or NUL-terminated strings owned by a live handle.
        unsafe {
            p.as_ref()
                .map(|_| CStr::from_ptr(p).to_string_lossy().into_owned())
        }
    }

    #[test]
    fn accessors_read_the_document() {
        let job = Job::from_json(
            r#"{"job_id":"j1","job_type":"t","status":"FAIL","error_code":"IMG.0010",
                "fail_reason":"no","begin_time":"b","entities":{"process_percent":"42",
                "image_id":"img"}}"#,
        )
        .unwrap_or_default();
        let h = ims_job::into_raw(job);
        // SAFETY: `h` is a live handle until the free at the end.
        unsafe {
            assert_eq!(ims_job_get_state(h), IMS_JOB_FAIL);
            assert_eq!(text(ims_job_status_text(h)).as_deref(), Some("FAIL"));
            assert_eq!(text(ims_job_get_id(h)).as_deref(), Some("j1"));
            assert_eq!(text(ims_job_get_type(h)).as_deref(), Some("t"));
            assert_eq!(text(ims_job_get_image_id(h)).as_deref(), Some("img"));
            assert_eq!(ims_job_get_percent(h), 42.0);
            assert_eq!(text(ims_job_get_error_code(h)).as_deref(), Some("IMG.0010"));
            assert_eq!(text(ims_job_get_fail_reason(h)).as_deref(), Some("no"));
            assert_eq!(text(ims_job_get_begin_time(h)).as_deref(), Some("b"));
            assert_eq!(text(ims_job_get_end_time(h)), None);
            assert!(
                text(ims_job_get_json(h))
                    .unwrap_or_default()
                    .contains("IMG.0010")
            );
            ims_job_free(h);
        }
    }

    #[test]
    fn null_handles_give_defaults() {
        let null = std::ptr::null();
        // SAFETY: NULL is allowed everywhere.
        unsafe {
            assert_eq!(ims_job_get_state(null), IMS_JOB_UNKNOWN);
            assert!(ims_job_get_id(null).is_null());
            assert!(ims_job_get_json(null).is_null());
            assert_eq!(ims_job_get_percent(null), -1.0);
            ims_job_free(std::ptr::null_mut());
        }
    }
}
