//! `ims_last_error_*`: what C reads of the thread's last error. The pointers they return are
//! borrowed from it, until the next call on the same thread that returns an `ims_result`.

use std::ffi::c_char;

use crate::args::Out;
use crate::error::{IMS_ERR_NULL_ARGUMENT, IMS_ERR_PANIC, IMS_OK, ims_result, last_error_value};
use crate::job::ims_job;
use crate::panic::ffi_boundary;
use crate::text::opt_ptr;

/// The code of the last error on this thread; `IMS_OK` when the most recent call that returns
/// an `ims_result` succeeded (or none was made yet).
#[unsafe(no_mangle)]
pub extern "C" fn ims_last_error_kind() -> ims_result {
    ffi_boundary!(fallback = IMS_ERR_PANIC; {
        last_error_value(|e| e.result).unwrap_or(IMS_OK)
    })
}

/// The message of the last error on this thread: one lowercase sentence, with the service
/// code and request id when there are some (a validation error lists every violation with its
/// field path). Never NULL: `""` when there is no error. Borrowed: do not free; valid until
/// the next call on this thread that returns an `ims_result`.
#[unsafe(no_mangle)]
pub extern "C" fn ims_last_error_message() -> *const c_char {
    ffi_boundary!(fallback = c"".as_ptr(); {
        last_error_value(|e| e.message.as_ptr()).unwrap_or(c"".as_ptr())
    })
}

/// The HTTP status of the response behind the last error (`IMS_ERR_API`,
/// `IMS_ERR_INVALID_RESPONSE`), or 0.
#[unsafe(no_mangle)]
pub extern "C" fn ims_last_error_status() -> u16 {
    ffi_boundary!(fallback = 0; { last_error_value(|e| e.status).unwrap_or(0) })
}

/// The service code of the last error (`"IMG.0029"`, `"APIGW.0301"`; for `IMS_ERR_JOB_FAILED`
/// the job's `error_code`), or NULL. Borrowed, like `ims_last_error_message()`.
#[unsafe(no_mangle)]
pub extern "C" fn ims_last_error_code() -> *const c_char {
    ffi_boundary!(fallback = std::ptr::null(); {
        last_error_value(|e| opt_ptr(&e.code)).unwrap_or(std::ptr::null())
    })
}

/// The request id (`X-Request-Id`) of the response behind the last error, or NULL. Borrowed,
/// like `ims_last_error_message()`.
#[unsafe(no_mangle)]
pub extern "C" fn ims_last_error_request_id() -> *const c_char {
    ffi_boundary!(fallback = std::ptr::null(); {
        last_error_value(|e| opt_ptr(&e.request_id)).unwrap_or(std::ptr::null())
    })
}

/// The job document carried by the last error: the failed job (`IMS_ERR_JOB_FAILED`), or the
/// last job seen before `IMS_ERR_WAIT_TIMEOUT` / `IMS_ERR_CANCELLED`. Writes a NEW handle to
/// `*job_out` (free it with `ims_job_free`), or NULL when the last error carries no job.
///
/// Unlike every other call returning an `ims_result`, this one never changes the last error
/// (not even when `job_out` is NULL, which gives `IMS_ERR_NULL_ARGUMENT`).
///
/// # Safety
///
/// `job_out` must be NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_last_error_job(job_out: *mut *mut ims_job) -> ims_result {
    ffi_boundary!(fallback = IMS_ERR_PANIC; {
        let Ok(out) = Out::new(job_out, "job_out") else {
            return IMS_ERR_NULL_ARGUMENT;
        };
        let job = last_error_value(|e| e.job.clone()).flatten();
        let handle = job.map_or(std::ptr::null_mut(), ims_job::into_raw);
        // SAFETY: `job_out` was checked for NULL and is valid for a write by contract.
        unsafe { out.write(handle) };
        IMS_OK
    })
}
