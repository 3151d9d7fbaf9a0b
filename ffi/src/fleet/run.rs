//! `ims_fleet_run`: a blocking fleet run with an event callback.

use std::ffi::{c_char, c_void};
use std::path::Path;

use ims_core::Client;
use ims_core::client::Control;
use ims_core::fleet::{FleetEvent, FleetObserver, Manifest};

use crate::args::{Out, ref_arg, str_arg};
use crate::client::ims_client;
use crate::error::{FfiError, FfiResult, IMS_ERR_MANIFEST, IMS_ERR_VALIDATION, ims_result};
use crate::panic::ffi_boundary;

use super::event::{ims_fleet_event, ims_fleet_event_cb};
use super::options::ims_fleet_options;
use super::report::ims_fleet_report;

/// Hands each event to the C callback.
struct CallbackObserver {
    callback: ims_fleet_event_cb,
    user_data: *mut c_void,
    tick_events: bool,
}

impl CallbackObserver {
    /// Calls the callback with `event`; its verdict.
    fn deliver(&mut self, event: &ims_fleet_event) -> Control {
        let Some(cb) = self.callback else {
            return Control::Continue;
        };
        // SAFETY: `cb` is the caller's callback with the documented signature; `event` lives
        // until after the call; `user_data` is passed through untouched.
        let verdict = unsafe { cb(event, self.user_data) };
        if verdict == 0 {
            return Control::Continue;
        }
        // The run answers the first stop with one stopping event (core's `StopSwitch`).
        Control::Cancel
    }
}

impl FleetObserver for CallbackObserver {
    fn on_event(&mut self, event: &FleetEvent) -> Control {
        if self.callback.is_none() {
            return Control::Continue;
        }
        self.deliver(&ims_fleet_event::new(event))
    }

    fn on_tick(&mut self) -> Control {
        if !self.tick_events || self.callback.is_none() {
            return Control::Continue;
        }
        self.deliver(&ims_fleet_event::tick())
    }
}

/// The manifest at `path`, read and checked whole: `IMS_ERR_MANIFEST` with every problem.
fn read_manifest(path: &str) -> FfiResult<Manifest> {
    let manifest = |m: String| FfiError::new(IMS_ERR_MANIFEST, m);
    let bytes = std::fs::read(path).map_err(|e| {
        manifest(format!(
            "manifest {path}: cannot be read: {e}; nothing was sent"
        ))
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        manifest(format!(
            "manifest {path}: not UTF-8 text (invalid byte at offset {}); nothing was sent",
            e.utf8_error().valid_up_to()
        ))
    })?;
    Manifest::parse(&text).map_err(|e| manifest(format!("manifest {path}: {e}")))
}

/// The error when no fleet name was given, the journal holds none, and the manifest path has
/// no file name to take it from.
fn no_fleet_name(path: &str) -> FfiError {
    FfiError::new(
        IMS_ERR_VALIDATION,
        format!(
            "no fleet name: none was given, the journal holds none, and the manifest path \
             {path:?} has no file name to take it from"
        ),
    )
}

/// Runs a fleet, blocking the calling thread until every item is finished or the callback
/// stopped the run: reads and checks the manifest at `manifest_path` (JSON Lines of create
/// bodies with an optional `key`), opens (creating it if need be) and locks the journal at
/// `journal_path`, resumes the run named in `options`, creates what is left within the limits
/// (`parallel` tasks, the image quota), waits for each job, applies retention, and writes the
/// report to `*report_out` (free with `ims_fleet_report_free`).
///
/// `IMS_OK` means the run went through, whatever happened to its items: read the report's
/// outcome. Before anything is sent, a run may be refused: `IMS_ERR_MANIFEST` (every problem
/// with its line number in the message), `IMS_ERR_JOURNAL_LOCKED` (another run holds the
/// journal, in this process or another), `IMS_ERR_JOURNAL` (not a journal, another fleet's, a
/// file error), `IMS_ERR_QUOTA` (the quota leaves fewer images than the run would make),
/// `IMS_ERR_VALIDATION` (the options break a rule), or the error of the quota call itself.
///
/// `callback` (may be NULL) gets every event with `user_data`, on this thread; it may call the
/// library back (on this client too), and stops the run by returning non-zero (see
/// `ims_fleet_event_cb`). A dry run (`ims_fleet_options_set_dry_run`) reads the journal
/// without locking or writing it.
///
/// # Safety
///
/// `client` must be NULL or a live handle when the call begins (the run keeps its own
/// reference, so the callback may free it); `manifest_path` and `journal_path` must be NULL or
/// NUL-terminated; `options` must be NULL or a live handle not changed meanwhile; `callback`
/// must be NULL or a function with the documented signature; `report_out` must be NULL or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_run(
    client: *const ims_client,
    manifest_path: *const c_char,
    journal_path: *const c_char,
    options: *const ims_fleet_options,
    callback: ims_fleet_event_cb,
    user_data: *mut c_void,
    report_out: *mut *mut ims_fleet_report,
) -> ims_result {
    ffi_boundary!({
        let out = Out::new(report_out, "report_out")?;
        // SAFETY: forwarded contract.
        let shared: Client = unsafe { ref_arg(client, "client") }?.core().clone();
        // SAFETY: forwarded contract.
        let manifest_path = unsafe { str_arg(manifest_path, "manifest_path") }?;
        // SAFETY: forwarded contract.
        let journal_path = unsafe { str_arg(journal_path, "journal_path") }?;
        // SAFETY: forwarded contract.
        let options = unsafe { ref_arg(options, "options") }?.clone();
        let manifest = read_manifest(manifest_path)?;
        let journal =
            ims_core::fleet::open_journal(Path::new(journal_path), options.options.dry_run)?;
        let mut fleet_options = options.options;
        if !options.fleet_given {
            fleet_options.fleet = ims_core::fleet::fleet_name(
                None,
                journal.as_ref(),
                Some(Path::new(manifest_path)),
            )?
            .ok_or_else(|| no_fleet_name(manifest_path))?;
        }
        let mut observer = CallbackObserver {
            callback,
            user_data,
            tick_events: options.tick_events,
        };
        let report = ims_core::fleet::run_blocking(
            &shared,
            &manifest,
            journal,
            &fleet_options,
            &mut observer,
        )?;
        let handle = Box::into_raw(Box::new(ims_fleet_report::new(&report)));
        // SAFETY: checked for NULL; valid for a write by contract.
        unsafe { out.write(handle) };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::IMS_OK;

    #[test]
    fn no_fleet_name_is_a_validation_error_naming_the_path() {
        let e = no_fleet_name("/");
        assert_eq!(e.result, IMS_ERR_VALIDATION);
        assert!(e.message.contains("\"/\""), "{}", e.message);
    }

    #[test]
    fn a_bad_manifest_names_its_lines() {
        let dir = std::env::temp_dir().join(format!("ims-ffi-manifest-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("m.jsonl");
        let _ = std::fs::write(&path, "{\"name\":\"a\"}\n\nnot json\n");
        let e = read_manifest(path.to_str().unwrap_or_default()).err();
        let _ = std::fs::remove_dir_all(&dir);
        let e = e.map(|e| (e.result, e.message.clone()));
        let (result, message) = e.unwrap_or((IMS_OK, String::new()));
        assert_eq!(result, IMS_ERR_MANIFEST);
        assert!(message.contains("line 1"), "{message}");
        assert!(message.contains("line 3"), "{message}");
        let e = read_manifest("/nonexistent/ims/m.jsonl")
            .err()
            .map(|e| e.result);
        assert_eq!(e, Some(IMS_ERR_MANIFEST));
    }
}
