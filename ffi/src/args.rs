//! Pointer and string arguments from C: NULL checks that name the parameter, UTF-8 strings,
//! output pointers, and handles given back to be freed.
//!
//! Every helper checks for NULL first and names the parameter in the error; string arguments
//! must be valid UTF-8.

use std::ffi::{CStr, c_char};

use crate::error::{FfiError, FfiResult, IMS_ERR_INVALID_UTF8};

/// A required string argument.
///
/// # Safety
///
/// `p` must be NULL or point to a NUL-terminated string that stays valid and unchanged for `'a`.
pub(crate) unsafe fn str_arg<'a>(p: *const c_char, name: &str) -> FfiResult<&'a str> {
    if p.is_null() {
        return Err(FfiError::null(name));
    }
    // SAFETY: `p` is not NULL and, by this function's contract, NUL-terminated and valid for 'a.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str().map_err(|e| {
        FfiError::new(
            IMS_ERR_INVALID_UTF8,
            format!(
                "argument `{name}` is not valid UTF-8 (invalid byte at offset {})",
                e.valid_up_to()
            ),
        )
    })
}

/// An optional string argument: NULL reads as `None`.
///
/// # Safety
///
/// As [`str_arg`].
pub(crate) unsafe fn opt_str_arg<'a>(p: *const c_char, name: &str) -> FfiResult<Option<&'a str>> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded contract.
    unsafe { str_arg(p, name) }.map(Some)
}

/// A required shared handle argument.
///
/// # Safety
///
/// `p` must be NULL or point to a live `T` that is not mutated for `'a`.
pub(crate) unsafe fn ref_arg<'a, T>(p: *const T, name: &str) -> FfiResult<&'a T> {
    // SAFETY: by this function's contract a non-NULL `p` points to a live `T`.
    unsafe { p.as_ref() }.ok_or_else(|| FfiError::null(name))
}

/// A required exclusive handle argument.
///
/// # Safety
///
/// `p` must be NULL or point to a live `T` that nothing else uses for `'a`.
pub(crate) unsafe fn mut_arg<'a, T>(p: *mut T, name: &str) -> FfiResult<&'a mut T> {
    // SAFETY: by this function's contract a non-NULL `p` points to a live `T`, used only here.
    unsafe { p.as_mut() }.ok_or_else(|| FfiError::null(name))
}

/// An output parameter, checked for NULL before any work is done and written only at the end,
/// on success.
pub(crate) struct Out<T>(*mut T);

impl<T> Out<T> {
    /// Checks `p` for NULL.
    pub(crate) fn new(p: *mut T, name: &str) -> FfiResult<Out<T>> {
        if p.is_null() {
            Err(FfiError::null(name))
        } else {
            Ok(Out(p))
        }
    }

    /// Writes `value`.
    ///
    /// # Safety
    ///
    /// The pointer given to [`Out::new`] must be valid for a write of one `T` (it is never read,
    /// so it may point to uninitialized memory).
    pub(crate) unsafe fn write(self, value: T) {
        // SAFETY: not NULL (checked in `new`) and, by this function's contract, valid for writes.
        unsafe { self.0.write(value) }
    }
}

/// Takes back a heap handle created with `Box::into_raw` and drops it (NULL: nothing).
///
/// # Safety
///
/// `p` must be NULL or a pointer this library returned as a `T` handle, not yet freed.
pub(crate) unsafe fn free_box<T>(p: *mut T) {
    if !p.is_null() {
        // SAFETY: by this function's contract `p` came from `Box::into_raw` and is freed once.
        drop(unsafe { Box::from_raw(p) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_and_bad_utf8_are_named() {
        // SAFETY: NULL, and a NUL-terminated literal.
        let e = unsafe { str_arg(std::ptr::null(), "name") }.err();
        assert_eq!(
            e.map(|e| e.message.clone()).as_deref(),
            Some("argument `name` is NULL")
        );
        let bad = b"ab\xff\0";
        // SAFETY: NUL-terminated bytes that live for the whole call.
        let e = unsafe { str_arg(bad.as_ptr().cast(), "name") }.err();
        assert_eq!(e.map(|e| e.result), Some(IMS_ERR_INVALID_UTF8));
    }
}
