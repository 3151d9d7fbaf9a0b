//! Strings handed back to C: NUL-terminated copies and the pointers to them.

use std::ffi::{CString, c_char};

/// `s` as a C string; an interior NUL (which C cannot represent) becomes U+FFFD.
pub(crate) fn c_string(s: &str) -> CString {
    match CString::new(s) {
        Ok(c) => c,
        Err(_) => {
            let cleaned = s.replace('\0', "\u{FFFD}");
            // Cannot fail: every NUL was just replaced.
            CString::new(cleaned).unwrap_or_default()
        }
    }
}

/// `s` as an owned C string for the caller, to be freed with `ims_string_free`.
pub(crate) fn owned_c_string(s: &str) -> *mut c_char {
    c_string(s).into_raw()
}

/// The pointer of an optional cached C string (NULL when absent).
pub(crate) fn opt_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interior_nul_is_replaced() {
        assert_eq!(c_string("a\0b").to_str().ok(), Some("a\u{FFFD}b"));
        assert_eq!(c_string("plain").to_str().ok(), Some("plain"));
    }
}
