//! Waiting for a job: the versioned options struct, the progress report and the callback.

use std::ffi::{c_int, c_void};
use std::time::Duration;

use ims_core::WaitOptions;
use ims_core::client::{Control, Progress, WaitObserver};

use crate::error::{FfiError, FfiResult, IMS_ERR_VALIDATION, ims_result};
use crate::job::{ims_job, ims_job_state};
use crate::panic::ffi_boundary;

/// How `ims_wait_job` waits. Versioned by its first field, which holds the size of the struct
/// as the caller compiled it: fill it with `ims_wait_options_init(&o, sizeof o)` (which sets
/// `struct_size` and every default), then change fields. Every field is taken as given (0 means
/// 0, not "default").
///
/// Growth rule (the ABI of this struct): fields are only ever added at the end. The library
/// reads and writes only the fields that lie wholly within `struct_size` bytes: a caller built
/// with an older header (a smaller struct) gets the newer fields at their defaults; a caller
/// built with a newer header (a larger struct) has its extra bytes ignored. A `struct_size`
/// too small to hold `struct_size` itself (below 4) gives `IMS_ERR_VALIDATION`.
///
/// Thread safety: plain data, read once by `ims_wait_job`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ims_wait_options {
    /// `sizeof(ims_wait_options)` as the caller compiled it (set by `ims_wait_options_init`).
    /// Fields beyond it are taken at their defaults; bytes beyond this version's struct are
    /// ignored; below 4 (`sizeof(uint32_t)`) gives `IMS_ERR_VALIDATION`.
    pub struct_size: u32,
    /// Consecutive transient errors (429, 5xx, connection errors, timeouts) absorbed before
    /// the wait gives up with the last of them (default 10).
    pub transient_error_budget: u32,
    /// Overall limit in milliseconds (default 3600000 = 60 minutes); then
    /// `IMS_ERR_WAIT_TIMEOUT`.
    pub timeout_ms: u64,
    /// Before the first poll, in milliseconds (default 10000).
    pub first_delay_ms: u64,
    /// Between the first polls, in milliseconds (at least 1; default 10000).
    pub interval_ms: u64,
    /// Cap of the growing interval, in milliseconds (default 60000).
    pub max_interval_ms: u64,
    /// The interval grows by this factor after each poll (at least 1.0; default 1.5).
    pub backoff: f64,
    /// Each sleep is varied by up to this fraction, up or down (0.0–1.0; default 0.1).
    pub jitter: f64,
}

/// One progress report, given to the callback after each successful poll. Every pointer in it
/// is borrowed and valid only during the callback.
#[repr(C)]
#[derive(Debug)]
pub struct ims_progress {
    /// The job's status.
    pub status: ims_job_state,
    /// Number of successful polls so far (1 for the first report).
    pub polls: u32,
    /// Progress 0–100, negative when the service gave none.
    pub percent: f64,
    /// Milliseconds since the wait began.
    pub elapsed_ms: u64,
    /// The job id waited for (borrowed, valid during the callback).
    pub job_id: *const std::ffi::c_char,
    /// The job document of this poll (borrowed, valid during the callback; read it with the
    /// `ims_job_get_*` accessors, never free it).
    pub job: *const ims_job,
}

/// The progress callback of `ims_wait_job`: called on the waiting thread after each poll,
/// outside the library's I/O (which runs on a thread of the library's own); return 0 to keep
/// waiting, non-zero to cancel (`ims_wait_job` then returns `IMS_ERR_CANCELLED`). It must not
/// unwind (C++ exceptions, longjmp) into the library. It may call any `ims_` function, on this
/// client too (a query of another job, say), block, sleep or take locks: no other thread's call
/// waits for it. It may even free the client being waited on: the wait holds its own reference
/// to the client's shared state and never touches the handle again.
pub type ims_progress_cb =
    Option<unsafe extern "C" fn(progress: *const ims_progress, user_data: *mut c_void) -> c_int>;

/// The smallest `struct_size`: the size of the `struct_size` field itself.
const MIN_SIZE: usize = size_of::<u32>();

const MAX_MS: u64 = ims_core::client::MAX_WAIT_DURATION.as_secs() * 1000;

impl ims_wait_options {
    /// The defaults of `ims_core::WaitOptions`.
    pub fn defaults() -> ims_wait_options {
        let d = WaitOptions::default();
        let ms = |x: Duration| u64::try_from(x.as_millis()).unwrap_or(u64::MAX);
        ims_wait_options {
            struct_size: size_of::<ims_wait_options>() as u32,
            transient_error_budget: d.transient_error_budget,
            timeout_ms: ms(d.timeout),
            first_delay_ms: ms(d.first_delay),
            interval_ms: ms(d.interval),
            max_interval_ms: ms(d.max_interval),
            backoff: d.backoff,
            jitter: d.jitter,
        }
    }

    /// The core options, or `IMS_ERR_VALIDATION` naming the bad field.
    pub(crate) fn to_core(self) -> FfiResult<WaitOptions> {
        let bad = |m: String| Err(FfiError::new(IMS_ERR_VALIDATION, m));
        for (name, v) in [
            ("timeout_ms", self.timeout_ms),
            ("first_delay_ms", self.first_delay_ms),
            ("interval_ms", self.interval_ms),
            ("max_interval_ms", self.max_interval_ms),
        ] {
            if v > MAX_MS {
                return bad(format!(
                    "ims_wait_options.{name} must be at most {MAX_MS} (366 days), got {v}"
                ));
            }
        }
        if self.interval_ms == 0 {
            return bad("ims_wait_options.interval_ms must be at least 1".to_owned());
        }
        if !self.backoff.is_finite() || self.backoff < 1.0 || self.backoff > 100.0 {
            return bad(format!(
                "ims_wait_options.backoff must be between 1.0 and 100.0, got {}",
                self.backoff
            ));
        }
        if !(0.0..=1.0).contains(&self.jitter) {
            return bad(format!(
                "ims_wait_options.jitter must be between 0.0 and 1.0, got {}",
                self.jitter
            ));
        }
        Ok(WaitOptions {
            first_delay: Duration::from_millis(self.first_delay_ms),
            interval: Duration::from_millis(self.interval_ms),
            backoff: self.backoff,
            max_interval: Duration::from_millis(self.max_interval_ms),
            jitter: self.jitter,
            timeout: Duration::from_millis(self.timeout_ms),
            transient_error_budget: self.transient_error_budget,
            ..WaitOptions::default()
        })
    }

    /// The caller's `struct_size`, checked: at least the size of the field itself.
    fn check_size(size: usize) -> FfiResult<u32> {
        match u32::try_from(size) {
            Ok(s) if size >= MIN_SIZE => Ok(s),
            _ => Err(FfiError::new(
                IMS_ERR_VALIDATION,
                format!(
                    "ims_wait_options.struct_size is {size}, expected at least {MIN_SIZE} (the \
                     size of the field itself) and at most {}: pass sizeof(ims_wait_options) to \
                     ims_wait_options_init",
                    u32::MAX
                ),
            )),
        }
    }

    /// Reads the caller's struct: its size field first, then each field of this version that
    /// lies wholly within that size (the others keep their defaults; bytes beyond this
    /// version's struct are ignored).
    ///
    /// # Safety
    ///
    /// `p` must be NULL or point to a readable struct of at least `struct_size` bytes (and at
    /// least 4) whose first field is `struct_size`.
    pub(crate) unsafe fn read(p: *const ims_wait_options) -> FfiResult<WaitOptions> {
        if p.is_null() {
            return Ok(WaitOptions::default());
        }
        // SAFETY: not NULL; the caller's struct starts with a readable `uint32_t struct_size`.
        let size = unsafe { std::ptr::addr_of!((*p).struct_size).read_unaligned() };
        Self::check_size(size as usize)?;
        let mut o = ims_wait_options {
            struct_size: size,
            ..ims_wait_options::defaults()
        };
        let base = p.cast::<u8>();
        macro_rules! read_field {
            ($($field:ident),*) => {$(
                let offset = std::mem::offset_of!(ims_wait_options, $field);
                if offset + size_of_val(&o.$field) <= size as usize {
                    // SAFETY: the field lies wholly within the `size` bytes the caller declares
                    // readable; read unaligned, as a byte offset from the caller's pointer.
                    o.$field = unsafe { std::ptr::read_unaligned(base.add(offset).cast()) };
                }
            )*};
        }
        read_field!(
            transient_error_budget,
            timeout_ms,
            first_delay_ms,
            interval_ms,
            max_interval_ms,
            backoff,
            jitter
        );
        o.to_core()
    }

    /// Writes the defaults into the caller's struct of `size` bytes: `struct_size` = `size`,
    /// then each field of this version that lies wholly within `size`; nothing else.
    ///
    /// # Safety
    ///
    /// `p` must be valid for writing `size` bytes, `size` at least 4 (checked by the caller).
    unsafe fn write_defaults(p: *mut ims_wait_options, size: u32) {
        let d = ims_wait_options {
            struct_size: size,
            ..ims_wait_options::defaults()
        };
        let base = p.cast::<u8>();
        macro_rules! write_field {
            ($($field:ident),*) => {$(
                let offset = std::mem::offset_of!(ims_wait_options, $field);
                if offset + size_of_val(&d.$field) <= size as usize {
                    // SAFETY: the field lies wholly within the `size` bytes the caller declares
                    // writable; written unaligned, as a byte offset from the caller's pointer.
                    unsafe { std::ptr::write_unaligned(base.add(offset).cast(), d.$field) };
                }
            )*};
        }
        write_field!(
            struct_size,
            transient_error_budget,
            timeout_ms,
            first_delay_ms,
            interval_ms,
            max_interval_ms,
            backoff,
            jitter
        );
    }
}

/// Fills `*options` with the defaults (60 minute timeout, 10 s first delay and interval
/// growing ×1.5 up to 60 s, ±10 % jitter, 10 transient errors) and sets `struct_size` to
/// `struct_size`: pass `sizeof(ims_wait_options)` (or `sizeof *options`). Only the fields that
/// lie wholly within `struct_size` bytes are written, so a program built with an older, smaller
/// struct is never written past its end. A `struct_size` below 4 gives `IMS_ERR_VALIDATION` and
/// writes nothing.
///
/// # Safety
///
/// `options` must be NULL or valid for writing `struct_size` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_wait_options_init(
    options: *mut ims_wait_options,
    struct_size: usize,
) -> ims_result {
    ffi_boundary!({
        if options.is_null() {
            return Err(FfiError::null("options"));
        }
        let size = ims_wait_options::check_size(struct_size)?;
        // SAFETY: not NULL; valid for writing `struct_size` bytes by contract, at least 4.
        unsafe { ims_wait_options::write_defaults(options, size) };
        Ok(())
    })
}

/// Forwards each poll to the C callback.
pub(crate) struct CallbackObserver {
    pub(crate) callback: ims_progress_cb,
    pub(crate) user_data: *mut c_void,
    pub(crate) job_id: std::ffi::CString,
}

impl WaitObserver for CallbackObserver {
    fn on_progress(&mut self, progress: &Progress<'_>) -> Control {
        let Some(cb) = self.callback else {
            return Control::Continue;
        };
        let job = ims_job::new(progress.job.clone());
        let report = ims_progress {
            status: job.state(),
            polls: progress.polls,
            percent: progress.percent.unwrap_or(-1.0),
            elapsed_ms: u64::try_from(progress.elapsed.as_millis()).unwrap_or(u64::MAX),
            job_id: self.job_id.as_ptr(),
            job: &job,
        };
        // SAFETY: `cb` is the caller's callback with the documented signature; `report` and the
        // job it points to live until after the call; `user_data` is passed through untouched.
        let verdict = unsafe { cb(&report, self.user_data) };
        if verdict == 0 {
            Control::Continue
        } else {
            Control::Cancel
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::IMS_OK;

    /// `ims_wait_options_init` against the README's numbers, written out (not taken from
    /// core, which would compare the defaults with themselves).
    #[test]
    fn init_gives_the_documented_defaults() {
        let mut o = std::mem::MaybeUninit::<ims_wait_options>::uninit();
        // SAFETY: `o` is valid for writing one ims_wait_options.
        let rc = unsafe { ims_wait_options_init(o.as_mut_ptr(), size_of::<ims_wait_options>()) };
        assert_eq!(rc, IMS_OK);
        // SAFETY: initialised by the successful call above.
        let o = unsafe { o.assume_init() };
        assert_eq!(o.struct_size as usize, size_of::<ims_wait_options>());
        assert_eq!(o.first_delay_ms, 10_000, "first delay 10 s");
        assert_eq!(o.interval_ms, 10_000, "interval 10 s");
        assert_eq!(o.backoff, 1.5, "growing ×1.5");
        assert_eq!(o.max_interval_ms, 60_000, "cap 60 s");
        assert_eq!(o.jitter, 0.1, "±10 % jitter");
        assert_eq!(o.timeout_ms, 3_600_000, "60 minutes");
        assert_eq!(o.transient_error_budget, 10, "10 transient errors");
    }

    #[test]
    fn defaults_round_trip() {
        let core = ims_wait_options::defaults().to_core();
        assert_eq!(core.ok(), Some(WaitOptions::default()));
    }

    #[test]
    fn null_options_are_the_defaults() {
        // SAFETY: NULL is allowed.
        let read = unsafe { ims_wait_options::read(std::ptr::null()) };
        assert_eq!(read.ok(), Some(WaitOptions::default()));
        let mut bigger = [0u8; 128];
        let d = ims_wait_options {
            struct_size: 128,
            ..ims_wait_options::defaults()
        };
        // SAFETY: `bigger` holds 128 writable bytes, more than one ims_wait_options.
        unsafe {
            bigger
                .as_mut_ptr()
                .cast::<ims_wait_options>()
                .write_unaligned(d)
        };
        // SAFETY: a newer caller's struct: 128 readable bytes starting with struct_size.
        let read = unsafe { ims_wait_options::read(bigger.as_ptr().cast()) };
        assert_eq!(read.ok(), Some(WaitOptions::default()));
    }

    #[test]
    fn bad_fields_are_named() {
        let message = |o: ims_wait_options| o.to_core().err().map(|e| e.message.clone());
        let d = ims_wait_options::defaults();
        let m = message(ims_wait_options {
            interval_ms: 0,
            ..d
        });
        assert!(m.unwrap_or_default().contains("interval_ms"));
        let m = message(ims_wait_options {
            backoff: f64::NAN,
            ..d
        });
        assert!(m.unwrap_or_default().contains("backoff"));
        let m = message(ims_wait_options {
            timeout_ms: u64::MAX,
            ..d
        });
        assert!(m.unwrap_or_default().contains("timeout_ms"));
    }

    /// The field lists of `read` and `write_defaults` name every field: at the full size, init
    /// writes every byte of the struct (it has no padding), and read gives back every field.
    #[test]
    fn every_field_is_read_and_written() {
        let full = size_of::<ims_wait_options>();
        let mut buf = [0xEEu8; size_of::<ims_wait_options>()];
        // SAFETY: `buf` holds one ims_wait_options.
        let rc = unsafe { ims_wait_options_init(buf.as_mut_ptr().cast(), full) };
        assert_eq!(rc, IMS_OK);
        // SAFETY: `buf` holds one ims_wait_options, fully written by init.
        let written = unsafe { buf.as_ptr().cast::<ims_wait_options>().read_unaligned() };
        assert_eq!(written, ims_wait_options::defaults());
        let changed = ims_wait_options {
            struct_size: full as u32,
            transient_error_budget: 3,
            timeout_ms: 4,
            first_delay_ms: 5,
            interval_ms: 6,
            max_interval_ms: 7,
            backoff: 2.0,
            jitter: 0.5,
        };
        // SAFETY: a valid struct of the full size.
        let read = unsafe { ims_wait_options::read(&changed) }.ok();
        assert_eq!(read, changed.to_core().ok());
        assert_ne!(read, Some(WaitOptions::default()));
        let d = WaitOptions::default();
        let r = read.unwrap_or_default();
        assert!(r.transient_error_budget != d.transient_error_budget && r.jitter != d.jitter);
    }

    /// An older caller's struct (only the first fields) and a newer one (extra trailing bytes),
    /// written by init and read back; sizes below 4 are refused naming the field.
    #[test]
    fn smaller_and_larger_structs() {
        let full = size_of::<ims_wait_options>();
        // Older: up to and including max_interval_ms; backoff and jitter missing.
        let old = std::mem::offset_of!(ims_wait_options, backoff);
        let mut buf = [0xA5u8; 128];
        // SAFETY: `buf` holds 128 writable bytes, more than `old`.
        let rc = unsafe { ims_wait_options_init(buf.as_mut_ptr().cast(), old) };
        assert_eq!(rc, IMS_OK);
        assert!(
            buf[old..].iter().all(|b| *b == 0xA5),
            "wrote past the old struct"
        );
        assert_eq!(
            u32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize,
            old
        );
        // The caller changes a field it has; the missing ones are at their defaults.
        buf[8..16].copy_from_slice(&1234u64.to_ne_bytes());
        // SAFETY: `old` readable bytes starting with struct_size.
        let read = unsafe { ims_wait_options::read(buf.as_ptr().cast()) };
        let expected = WaitOptions {
            timeout: Duration::from_millis(1234),
            ..WaitOptions::default()
        };
        assert_eq!(read.ok(), Some(expected));
        // A field cut in the middle is not read: jitter garbage beyond the size is ignored.
        let mut buf = [0xFFu8; 128];
        // SAFETY: as above.
        let rc = unsafe { ims_wait_options_init(buf.as_mut_ptr().cast(), full - 4) };
        assert_eq!(rc, IMS_OK);
        // SAFETY: `full - 4` readable bytes starting with struct_size.
        let read = unsafe { ims_wait_options::read(buf.as_ptr().cast()) };
        assert_eq!(read.ok(), Some(WaitOptions::default()));
        // Newer: 128 bytes, the extra ones untouched by init and ignored by read.
        let mut buf = [0x5Au8; 128];
        // SAFETY: 128 writable bytes.
        let rc = unsafe { ims_wait_options_init(buf.as_mut_ptr().cast(), 128) };
        assert_eq!(rc, IMS_OK);
        assert!(buf[full..].iter().all(|b| *b == 0x5A));
        // SAFETY: 128 readable bytes starting with struct_size.
        let read = unsafe { ims_wait_options::read(buf.as_ptr().cast()) };
        assert_eq!(read.ok(), Some(WaitOptions::default()));
        // Too small to hold struct_size: refused, nothing written, the field named.
        for size in [0usize, 3] {
            let mut buf = [0x11u8; 8];
            // SAFETY: 8 writable bytes.
            let rc = unsafe { ims_wait_options_init(buf.as_mut_ptr().cast(), size) };
            assert_eq!(rc, IMS_ERR_VALIDATION);
            assert!(buf.iter().all(|b| *b == 0x11));
            buf[..4].copy_from_slice(&(size as u32).to_ne_bytes());
            // SAFETY: 8 readable bytes starting with struct_size.
            let err = unsafe { ims_wait_options::read(buf.as_ptr().cast()) }.err();
            let m = err.map(|e| e.message.clone()).unwrap_or_default();
            assert!(m.contains("struct_size"), "{m}");
        }
    }
}
