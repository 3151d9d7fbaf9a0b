//! `ims_fleet_options`: what a fleet run is asked to do, one setter per setting.
//!
//! Setters check what can be checked alone (a range) and leave the handle unchanged when they
//! refuse (`IMS_ERR_VALIDATION`); the names are checked by `ims_fleet_run`.

use std::ffi::c_char;
use std::time::Duration;

use ims_core::fleet::{FleetOptions, MAX_PARALLEL};

use crate::args::{Out, free_box, mut_arg, opt_str_arg, str_arg};
use crate::error::{FfiError, FfiResult, IMS_ERR_VALIDATION, ims_result};
use crate::panic::ffi_boundary;
use crate::wait::ims_wait_options;

/// The settings of a fleet run (opaque): make with `ims_fleet_options_new`, change with the
/// `ims_fleet_options_set_*` setters, pass to `ims_fleet_run` (which copies them), free with
/// `ims_fleet_options_free`. Defaults: 10 creation tasks at once, no retention, a reconcile
/// grace of 600 s, listings every 10 s while reconciling, jobs waited for up to 3 hours.
///
/// Thread safety: not synchronized; one thread at a time while it is changed (a run only
/// reads it, at its start).
#[derive(Debug, Clone)]
pub struct ims_fleet_options {
    /// The core options; `fleet` is empty when it is to be found at run time.
    pub(crate) options: FleetOptions,
    /// Whether the fleet name was given (else: the journal's, or the manifest's file stem).
    pub(crate) fleet_given: bool,
    /// Whether the callback is also called every 100 ms with an `IMS_FLEET_EVENT_TICK`.
    pub(crate) tick_events: bool,
}

/// Longest duration a setter takes, in milliseconds (366 days).
const MAX_MS: u64 = ims_core::client::MAX_WAIT_DURATION.as_secs() * 1000;

fn bad(message: String) -> FfiError {
    FfiError::new(IMS_ERR_VALIDATION, message)
}

/// A duration in milliseconds, at least `min_ms`, at most 366 days.
fn millis(ms: u64, min_ms: u64, name: &str) -> FfiResult<Duration> {
    if ms < min_ms || ms > MAX_MS {
        return Err(bad(format!(
            "{name} must be between {min_ms} and {MAX_MS} milliseconds, got {ms}"
        )));
    }
    Ok(Duration::from_millis(ms))
}

/// Makes fleet options for the run named `run` (`"nightly-2026-12-02"`; running the same
/// name again resumes it) of the fleet `fleet` (NULL: the fleet the journal holds, else the
/// manifest's file name without its extension), with the defaults, into `*options_out`. Free
/// with `ims_fleet_options_free`.
///
/// # Safety
///
/// `fleet` must be NULL or NUL-terminated; `run` must be NULL or NUL-terminated;
/// `options_out` must be NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_options_new(
    fleet: *const c_char,
    run: *const c_char,
    options_out: *mut *mut ims_fleet_options,
) -> ims_result {
    ffi_boundary!({
        let out = Out::new(options_out, "options_out")?;
        // SAFETY: forwarded contract.
        let fleet = unsafe { opt_str_arg(fleet, "fleet") }?;
        // SAFETY: forwarded contract.
        let run = unsafe { str_arg(run, "run") }?;
        let handle = Box::into_raw(Box::new(ims_fleet_options {
            options: FleetOptions::new(fleet.unwrap_or_default(), run),
            fleet_given: fleet.is_some(),
            tick_events: false,
        }));
        // SAFETY: checked for NULL; valid for a write by contract.
        unsafe { out.write(handle) };
        Ok(())
    })
}

/// Frees fleet options. NULL is accepted and ignored.
///
/// # Safety
///
/// `options` must be NULL or a handle from `ims_fleet_options_new`, not yet freed, that no
/// other thread is using.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_options_free(options: *mut ims_fleet_options) {
    ffi_boundary!(fallback = (); {
        // SAFETY: forwarded contract.
        unsafe { free_box(options) }
    })
}

/// Runs `change` on the options behind `options`.
///
/// # Safety
///
/// `options` must be NULL or a live handle that no other thread uses meanwhile.
unsafe fn set(
    options: *mut ims_fleet_options,
    change: impl FnOnce(&mut ims_fleet_options) -> FfiResult,
) -> ims_result {
    ffi_boundary!({
        // SAFETY: forwarded contract.
        let o = unsafe { mut_arg(options, "options") }?;
        change(o)
    })
}

/// Creation tasks in flight at once: 1 to 40 (the tenant's limit), default 10.
///
/// # Safety
///
/// `options` must be NULL or a live handle that no other thread uses meanwhile.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_options_set_parallel(
    options: *mut ims_fleet_options,
    parallel: u32,
) -> ims_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(options, |o| {
            if !(1..=MAX_PARALLEL).contains(&parallel) {
                return Err(bad(format!(
                    "parallel must be from 1 to {MAX_PARALLEL} (the tenant's limit of concurrent \
                     image tasks), got {parallel}"
                )));
            }
            o.options.parallel = parallel;
            Ok(())
        })
    }
}

/// Retention: after an item's image succeeds, keep its `keep` newest images of this fleet and
/// delete the older ones (only images carrying the item's fleet tag). At least 1 (the newest is
/// never deleted); 0 is refused. Off by default.
///
/// # Safety
///
/// `options` must be NULL or a live handle that no other thread uses meanwhile.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_options_set_keep(
    options: *mut ims_fleet_options,
    keep: u32,
) -> ims_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(options, |o| {
            if keep == 0 {
                return Err(bad(
                    "keep must be at least 1 (the newest image is never deleted)".to_owned(),
                ));
            }
            o.options.keep = Some(keep);
            Ok(())
        })
    }
}

/// With retention, also delete the deleted images' CBR backups (default: false).
///
/// # Safety
///
/// `options` must be NULL or a live handle that no other thread uses meanwhile.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_options_set_delete_backup(
    options: *mut ims_fleet_options,
    delete_backup: bool,
) -> ims_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(options, |o| {
            o.options.delete_backup = delete_backup;
            Ok(())
        })
    }
}

/// How long after a create's recorded intent an image never listed is taken as not made, so
/// the item may be sent again (default 600000 ms; 0 to 366 days).
///
/// # Safety
///
/// `options` must be NULL or a live handle that no other thread uses meanwhile.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_options_set_reconcile_grace_ms(
    options: *mut ims_fleet_options,
    grace_ms: u64,
) -> ims_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(options, |o| {
            o.options.reconcile_grace = millis(grace_ms, 0, "reconcile_grace_ms")?;
            Ok(())
        })
    }
}

/// How often a reconcile lists again while it waits (default 10000 ms, at least 1; capped at
/// a quarter of the grace).
///
/// # Safety
///
/// `options` must be NULL or a live handle that no other thread uses meanwhile.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_options_set_relist_interval_ms(
    options: *mut ims_fleet_options,
    interval_ms: u64,
) -> ims_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(options, |o| {
            o.options.relist_interval = millis(interval_ms, 1, "relist_interval_ms")?;
            Ok(())
        })
    }
}

/// Consecutive failed listings after which a reconcile gives an item up as unknown (default
/// 5, at least 1).
///
/// # Safety
///
/// `options` must be NULL or a live handle that no other thread uses meanwhile.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_options_set_listing_failures(
    options: *mut ims_fleet_options,
    failures: u32,
) -> ims_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(options, |o| {
            if failures == 0 {
                return Err(bad("listing_failures must be at least 1".to_owned()));
            }
            o.options.listing_failures = failures;
            Ok(())
        })
    }
}

/// A dry run: read the journal and the images, send nothing, write nothing; the report (and
/// the events) say what would be done (default: false).
///
/// # Safety
///
/// `options` must be NULL or a live handle that no other thread uses meanwhile.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_options_set_dry_run(
    options: *mut ims_fleet_options,
    dry_run: bool,
) -> ims_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(options, |o| {
            o.options.dry_run = dry_run;
            Ok(())
        })
    }
}

/// Send again the items whose earlier attempt failed (default: false).
///
/// # Safety
///
/// `options` must be NULL or a live handle that no other thread uses meanwhile.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_options_set_retry_failed(
    options: *mut ims_fleet_options,
    retry: bool,
) -> ims_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(options, |o| {
            o.options.retry_failed = retry;
            Ok(())
        })
    }
}

/// Reconcile again (and, if nothing is found after the grace, send again) the items that are
/// unknown (default: false).
///
/// # Safety
///
/// `options` must be NULL or a live handle that no other thread uses meanwhile.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_options_set_retry_unknown(
    options: *mut ims_fleet_options,
    retry: bool,
) -> ims_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(options, |o| {
            o.options.retry_unknown = retry;
            Ok(())
        })
    }
}

/// Start even when the image quota leaves fewer images than the run would make (default:
/// false: `ims_fleet_run` refuses with `IMS_ERR_QUOTA` before any create).
///
/// # Safety
///
/// `options` must be NULL or a live handle that no other thread uses meanwhile.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_options_set_allow_partial(
    options: *mut ims_fleet_options,
    allow: bool,
) -> ims_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(options, |o| {
            o.options.allow_partial = allow;
            Ok(())
        })
    }
}

/// How each item's job is waited for: an `ims_wait_options` filled by `ims_wait_options_init`
/// (copied; NULL: back to the fleet's default, the waiter's defaults with a 3-hour timeout).
/// A bad field gives `IMS_ERR_VALIDATION` naming it.
///
/// # Safety
///
/// `options` must be NULL or a live handle that no other thread uses meanwhile; `wait` must
/// be NULL or an `ims_wait_options` filled by `ims_wait_options_init`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_options_set_wait(
    options: *mut ims_fleet_options,
    wait: *const ims_wait_options,
) -> ims_result {
    ffi_boundary!({
        // SAFETY: forwarded contract.
        let o = unsafe { mut_arg(options, "options") }?;
        o.options.wait = if wait.is_null() {
            FleetOptions::new("f", "r").wait
        } else {
            // SAFETY: forwarded contract.
            unsafe { ims_wait_options::read(wait) }?
        };
        Ok(())
    })
}

/// The overall limit of each item's wait, in milliseconds (default 3 hours; 0 to 366 days):
/// a job still running then leaves its item `submitted` (the outcome is incomplete; a rerun
/// waits again).
///
/// # Safety
///
/// `options` must be NULL or a live handle that no other thread uses meanwhile.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_options_set_wait_timeout_ms(
    options: *mut ims_fleet_options,
    timeout_ms: u64,
) -> ims_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(options, |o| {
            o.options.wait.timeout = millis(timeout_ms, 0, "wait_timeout_ms")?;
            Ok(())
        })
    }
}

/// Whether the event callback is also called every 100 ms with an `IMS_FLEET_EVENT_TICK`
/// event, so that it can stop the run (a Ctrl-C flag, a deadline) even while no item changes
/// (default: false).
///
/// # Safety
///
/// `options` must be NULL or a live handle that no other thread uses meanwhile.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_options_set_tick_events(
    options: *mut ims_fleet_options,
    tick_events: bool,
) -> ims_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(options, |o| {
            o.tick_events = tick_events;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::IMS_OK;

    fn new(fleet: Option<&std::ffi::CStr>) -> *mut ims_fleet_options {
        let mut o = std::ptr::null_mut();
        // SAFETY: NUL-terminated literals, and a valid out pointer.
        let rc = unsafe {
            ims_fleet_options_new(
                fleet.map_or(std::ptr::null(), |f| f.as_ptr()),
                c"r1".as_ptr(),
                &mut o,
            )
        };
        assert_eq!(rc, IMS_OK);
        o
    }

    #[test]
    fn setters_change_one_field_and_refuse_out_of_range() {
        let o = new(Some(c"web"));
        // SAFETY: `o` is a live handle used by this thread only, freed at the end.
        unsafe {
            assert_eq!(ims_fleet_options_set_parallel(o, 40), IMS_OK);
            assert_eq!(ims_fleet_options_set_parallel(o, 41), IMS_ERR_VALIDATION);
            assert_eq!(ims_fleet_options_set_parallel(o, 0), IMS_ERR_VALIDATION);
            assert_eq!(ims_fleet_options_set_keep(o, 0), IMS_ERR_VALIDATION);
            assert_eq!(ims_fleet_options_set_keep(o, 3), IMS_OK);
            assert_eq!(
                ims_fleet_options_set_relist_interval_ms(o, 0),
                IMS_ERR_VALIDATION
            );
            assert_eq!(
                ims_fleet_options_set_reconcile_grace_ms(o, u64::MAX),
                IMS_ERR_VALIDATION
            );
            assert_eq!(ims_fleet_options_set_reconcile_grace_ms(o, 1500), IMS_OK);
            assert_eq!(ims_fleet_options_set_wait_timeout_ms(o, 2000), IMS_OK);
            let r = &*o;
            assert_eq!(r.options.fleet, "web");
            assert!(r.fleet_given);
            assert_eq!(r.options.parallel, 40);
            assert_eq!(r.options.keep, Some(3));
            assert_eq!(r.options.reconcile_grace, Duration::from_millis(1500));
            assert_eq!(r.options.wait.timeout, Duration::from_millis(2000));
            assert_eq!(ims_fleet_options_set_wait(o, std::ptr::null()), IMS_OK);
            assert_eq!((*o).options.wait, FleetOptions::new("f", "r").wait);
            ims_fleet_options_free(o);
        }
        let o = new(None);
        // SAFETY: a live handle, freed once.
        unsafe {
            assert!(!(*o).fleet_given);
            ims_fleet_options_free(o);
        }
    }
}
