//! The panic boundary: every exported function runs its body inside `ffi_boundary!`.
//!
//!
//! * `ffi_boundary!({ ... })` for functions returning [`ims_result`]: the body returns
//!   `FfiResult<()>`; `Ok` clears the thread's last error and gives `IMS_OK`, `Err` records it
//!   and gives its code, a panic records `IMS_ERR_PANIC` with the panic message.
//! * `ffi_boundary!(fallback = VALUE; { ... })` for every other function (accessors, `_free`,
//!   `ims_version`, the `ims_last_error_*` family): the body returns the value directly and the
//!   last error is left alone, except that a panic is recorded as `IMS_ERR_PANIC` and `VALUE`
//!   is returned.
//!
//! A panic never crosses into C (that would abort the process).

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::{
    FfiError, FfiResult, IMS_ERR_PANIC, IMS_OK, clear_last_error, ims_result, set_last_error,
};

/// The message of a panic payload.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    let detail = if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "no message".to_owned()
    };
    format!("internal error (panic) in the ims library: {detail}")
}

/// The boundary of a result-returning function; see [`ffi_boundary!`].
pub(crate) fn run_result(f: impl FnOnce() -> FfiResult) -> ims_result {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => {
            clear_last_error();
            IMS_OK
        }
        Ok(Err(e)) => {
            let result = e.result;
            set_last_error(e);
            result
        }
        Err(payload) => {
            set_last_error(FfiError::new(
                IMS_ERR_PANIC,
                panic_message(payload.as_ref()),
            ));
            IMS_ERR_PANIC
        }
    }
}

/// The boundary of a value-returning function; see [`ffi_boundary!`].
pub(crate) fn run_value<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(payload) => {
            set_last_error(FfiError::new(
                IMS_ERR_PANIC,
                panic_message(payload.as_ref()),
            ));
            fallback
        }
    }
}

/// The one panic boundary of every exported function; see the module docs.
macro_rules! ffi_boundary {
    (fallback = $fallback:expr; $body:block) => {
        $crate::panic::run_value($fallback, || $body)
    };
    ($body:block) => {
        $crate::panic::run_result(|| -> $crate::error::FfiResult { $body })
    };
}

pub(crate) use ffi_boundary;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{IMS_ERR_NULL_ARGUMENT, last_error_value};

    fn message() -> String {
        last_error_value(|e| e.message.to_string_lossy().into_owned()).unwrap_or_default()
    }

    #[test]
    fn a_panic_becomes_ims_err_panic() {
        let r = ffi_boundary!({
            if message().is_empty() {
                panic!("boom {}", 42);
            }
            Ok(())
        });
        assert_eq!(r, IMS_ERR_PANIC);
        assert!(message().contains("boom 42"), "{}", message());
        let r = ffi_boundary!({ Ok(()) });
        assert_eq!(r, IMS_OK);
        assert_eq!(message(), "");
    }

    #[test]
    fn a_panic_in_a_value_function_gives_the_fallback() {
        let v: i32 = ffi_boundary!(fallback = -7; {
            if message().is_empty() {
                panic!("static message");
            }
            1
        });
        assert_eq!(v, -7);
        assert!(message().contains("static message"));
    }

    #[test]
    fn errors_keep_their_details() {
        let r = ffi_boundary!({ Err(FfiError::null("job_id")) });
        assert_eq!(r, IMS_ERR_NULL_ARGUMENT);
        assert_eq!(message(), "argument `job_id` is NULL");
    }
}
