//! `ims-ffi`: the C ABI of `ims-core`, built as `libims.so` and `libims.a`, described by the
//! cbindgen-generated `include/ims.h`.
//!
//! Conventions (after rustls-ffi, the hyper C API and libgit2):
//!
//! * One prefix: `ims_` for functions and types, `IMS_` for constants.
//! * Opaque handles (`ims_client`, `ims_client_options`, `ims_request`, `ims_job`,
//!   `ims_fleet_options`, `ims_fleet_report`) with
//!   `_new`/`_free` pairs; every `_free` accepts NULL.
//! * Fallible calls return an [`ims_result`] (`IMS_OK` = 0); outputs go through trailing `*_out`
//!   parameters, written only on success. Details of a failure are in the thread's last error
//!   (`ims_last_error_message()` and friends).
//! * Every pointer is checked for NULL; every string argument must be valid UTF-8.
//! * Every exported body runs inside `ffi_boundary!` (module `panic`): a panic becomes
//!   `IMS_ERR_PANIC`, never an abort.
//! * No Rust-layout type crosses the boundary: `#[repr(C)]` structs, fixed-width integers (the
//!   results, states and algorithms are `int32_t`/`uint32_t` typedefs with constants, never C
//!   enums, whose width the compiler chooses), or pointers to private structs.
//! * Versioned structs (`ims_wait_options`) start with their `struct_size` and only ever grow at
//!   the end; the library reads and writes only the fields within the caller's size.

#![allow(non_camel_case_types)]
// The C ABI is unsafe by nature: every block carries a `// SAFETY:` comment.
#![allow(unsafe_code)]

#[cfg(panic = "abort")]
compile_error!(
    "ims-ffi needs unwinding panics: ffi_boundary! turns a panic into IMS_ERR_PANIC; do not \
     build it with panic = \"abort\""
);

// Declared in the order the header presents them (cbindgen follows it).
pub mod error;

pub mod last_error;

pub mod options;

pub mod client;

pub mod request;

pub mod job;

pub mod wait;

pub mod images;

pub mod fleet;

mod args;
mod panic;
mod text;

use std::ffi::c_char;

pub use client::ims_client;
pub use error::ims_result;
pub use fleet::event::{ims_fleet_event, ims_fleet_event_cb};
pub use fleet::options::ims_fleet_options;
pub use fleet::report::ims_fleet_report;
pub use job::{ims_job, ims_job_state};
pub use options::{ims_algorithm, ims_client_options};
pub use request::ims_request;
pub use wait::{ims_progress, ims_progress_cb, ims_wait_options};

use panic::ffi_boundary;

/// Major version of the library this header belongs to.
pub const IMS_VERSION_MAJOR: u32 = 0;
/// Minor version of the library this header belongs to.
pub const IMS_VERSION_MINOR: u32 = 1;
/// Patch version of the library this header belongs to.
pub const IMS_VERSION_PATCH: u32 = 0;

/// The library's version, `"MAJOR.MINOR.PATCH"`: a static string, never freed. Compare with
/// `IMS_VERSION_MAJOR`/`_MINOR`/`_PATCH` to check that the header matches the library loaded.
#[unsafe(no_mangle)]
pub extern "C" fn ims_version() -> *const c_char {
    ffi_boundary!(fallback = c"".as_ptr(); {
        const VERSION: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
            concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
        ) {
            Ok(v) => v,
            Err(_) => c"",
        };
        VERSION.as_ptr()
    })
}

/// Frees a string that this library returned as `char *` (job ids, JSON texts). NULL is
/// accepted and ignored.
///
/// # Safety
///
/// `s` must be NULL or a `char *` returned by this library, not yet freed; it must not be
/// used afterwards. Never pass the `const char *` of an accessor or of `ims_last_error_*`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_string_free(s: *mut c_char) {
    ffi_boundary!(fallback = (); {
        if !s.is_null() {
            // SAFETY: by this function's contract `s` came from `CString::into_raw` here.
            drop(unsafe { std::ffi::CString::from_raw(s) });
        }
    })
}

/// A stable lowercase name of a result code (`"ok"`, `"validation"`, `"api"`, ...; `"unknown"`
/// for a number that is not a code): a static string, never freed.
#[unsafe(no_mangle)]
pub extern "C" fn ims_result_str(result: ims_result) -> *const c_char {
    ffi_boundary!(fallback = c"unknown".as_ptr(); { error::result_name(result) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_constants_match_the_package() {
        let parse = |s: &str| s.parse::<u32>().unwrap_or(u32::MAX);
        assert_eq!(IMS_VERSION_MAJOR, parse(env!("CARGO_PKG_VERSION_MAJOR")));
        assert_eq!(IMS_VERSION_MINOR, parse(env!("CARGO_PKG_VERSION_MINOR")));
        assert_eq!(IMS_VERSION_PATCH, parse(env!("CARGO_PKG_VERSION_PATCH")));
        // SAFETY: ims_version returns a static NUL-terminated string.
        let v = unsafe { std::ffi::CStr::from_ptr(ims_version()) };
        assert_eq!(v.to_str().ok(), Some(env!("CARGO_PKG_VERSION")));
    }

    #[test]
    fn result_names() {
        // SAFETY: static NUL-terminated strings.
        let name = |r: i32| unsafe { std::ffi::CStr::from_ptr(ims_result_str(r)) };
        assert_eq!(name(0).to_str().ok(), Some("ok"));
        assert_eq!(name(9).to_str().ok(), Some("api"));
        assert_eq!(name(99).to_str().ok(), Some("unknown"));
        assert_eq!(name(-1).to_str().ok(), Some("unknown"));
    }
}
