//! `ims_fleet_event`: one event of a fleet run, as the callback of `ims_fleet_run` reads it.
//!
//! The handle is borrowed: it and every string read from it are valid only during the
//! callback (copy what you keep). Accessors give NULL (or the documented default) for a field
//! the event does not have, and for a NULL handle.

use std::ffi::{CString, c_char, c_int, c_void};

use ims_core::fleet::FleetEvent;
use serde_json::{Value, json};

use crate::panic::ffi_boundary;
use crate::text::{c_string, opt_ptr};

use super::{IMS_FLEET_STATE_NONE, state_code};

/// Event kind: the run starts (after its checks, before the first create); the JSON has
/// `items`, `to_create` and `quota` (`{"used", "quota"}` or null).
pub const IMS_FLEET_EVENT_STARTED: u32 = 0;
/// Event kind: an item reached a new state, already written to the journal (key, state, job
/// id, image id, error code and message when it failed or is unknown).
pub const IMS_FLEET_EVENT_ITEM: u32 = 1;
/// Event kind: a poll of an item's job, or a listing of its adopted image (key, status,
/// percent).
pub const IMS_FLEET_EVENT_PROGRESS: u32 = 2;
/// Event kind: an item's image is being looked for by its tag (key; the JSON has
/// `since_intent_secs`).
pub const IMS_FLEET_EVENT_RECONCILING: u32 = 3;
/// Event kind: a retention deletion (key, image id; the JSON's `state` is `planned`,
/// `deleted` or `failed`, with `error`).
pub const IMS_FLEET_EVENT_DELETION: u32 = 4;
/// Event kind: the run is stopping (the callback asked): no new create is sent.
pub const IMS_FLEET_EVENT_STOPPING: u32 = 5;
/// Event kind: 100 ms went by (only with `ims_fleet_options_set_tick_events`).
pub const IMS_FLEET_EVENT_TICK: u32 = 6;
/// Not an event kind: what `ims_fleet_event_kind` gives for a NULL handle.
pub const IMS_FLEET_EVENT_NONE: u32 = u32::MAX;

/// One event of a fleet run (opaque, borrowed during the callback only; never freed by the
/// caller). Read it with the `ims_fleet_event_*` accessors.
///
/// Thread safety: valid on the callback's thread, during the callback.
#[derive(Debug)]
pub struct ims_fleet_event {
    kind: u32,
    key: Option<CString>,
    state: u32,
    job_id: Option<CString>,
    image_id: Option<CString>,
    error_code: Option<CString>,
    error_message: Option<CString>,
    status: Option<CString>,
    percent: f64,
    json: CString,
}

/// The callback of `ims_fleet_run`: called on the thread that called `ims_fleet_run`, outside
/// the library's I/O, with each event (borrowed, valid during the call) and `user_data`.
/// Return 0 to go on, non-zero to stop the run gracefully (as Ctrl-C does: no new create is
/// sent, creates already sent stay recorded, jobs are left to run; the report says what is
/// unfinished and a rerun resumes it). It may call any `ims_` function, on the same client
/// too; it must not unwind (C++ exceptions, longjmp) into the library.
pub type ims_fleet_event_cb =
    Option<unsafe extern "C" fn(event: *const ims_fleet_event, user_data: *mut c_void) -> c_int>;

impl ims_fleet_event {
    /// An event with only its kind and JSON.
    fn bare(kind: u32, json: &Value) -> ims_fleet_event {
        ims_fleet_event {
            kind,
            key: None,
            state: IMS_FLEET_STATE_NONE,
            job_id: None,
            image_id: None,
            error_code: None,
            error_message: None,
            status: None,
            percent: -1.0,
            json: c_string(&json.to_string()),
        }
    }

    /// The tick event.
    pub(crate) fn tick() -> ims_fleet_event {
        ims_fleet_event::bare(IMS_FLEET_EVENT_TICK, &json!({"event": "tick"}))
    }

    /// The C view of a core event.
    pub(crate) fn new(event: &FleetEvent) -> ims_fleet_event {
        let json = event_json(event);
        let opt = |s: Option<&str>| s.map(c_string);
        match event {
            FleetEvent::Started { .. } => ims_fleet_event::bare(IMS_FLEET_EVENT_STARTED, &json),
            FleetEvent::Item {
                key,
                state,
                job_id,
                image_id,
                error,
            } => ims_fleet_event {
                key: Some(c_string(key)),
                state: state_code(*state),
                job_id: opt(job_id.as_deref()),
                image_id: opt(image_id.as_deref()),
                error_code: opt(error.as_ref().and_then(|e| e.code.as_deref())),
                error_message: opt(error.as_ref().map(|e| e.message.as_str())),
                ..ims_fleet_event::bare(IMS_FLEET_EVENT_ITEM, &json)
            },
            FleetEvent::Progress {
                key,
                status,
                percent,
            } => ims_fleet_event {
                key: Some(c_string(key)),
                status: Some(c_string(status)),
                percent: percent.unwrap_or(-1.0),
                ..ims_fleet_event::bare(IMS_FLEET_EVENT_PROGRESS, &json)
            },
            FleetEvent::Reconciling { key, .. } => ims_fleet_event {
                key: Some(c_string(key)),
                ..ims_fleet_event::bare(IMS_FLEET_EVENT_RECONCILING, &json)
            },
            FleetEvent::Deletion {
                key,
                image_id,
                error,
                ..
            } => ims_fleet_event {
                key: Some(c_string(key)),
                image_id: Some(c_string(image_id)),
                error_message: opt(error.as_deref()),
                ..ims_fleet_event::bare(IMS_FLEET_EVENT_DELETION, &json)
            },
            FleetEvent::Stopping => ims_fleet_event::bare(IMS_FLEET_EVENT_STOPPING, &json),
        }
    }
}

/// A core event as one JSON object, its kind in `"event"`.
pub(crate) fn event_json(event: &FleetEvent) -> Value {
    match event {
        FleetEvent::Started {
            items,
            to_create,
            quota,
        } => json!({
            "event": "started",
            "items": items,
            "to_create": to_create,
            "quota": quota.map(|q| json!({"used": q.used, "quota": q.quota})),
        }),
        FleetEvent::Item {
            key,
            state,
            job_id,
            image_id,
            error,
        } => json!({
            "event": "item",
            "key": key,
            "state": state.as_str(),
            "job_id": job_id,
            "image_id": image_id,
            "error": error.as_ref().map(|e| json!({"code": e.code, "message": e.message})),
        }),
        FleetEvent::Progress {
            key,
            status,
            percent,
        } => json!({"event": "progress", "key": key, "status": status, "percent": percent}),
        FleetEvent::Reconciling { key, since_intent } => json!({
            "event": "reconciling",
            "key": key,
            "since_intent_secs": since_intent.as_secs_f64(),
        }),
        FleetEvent::Deletion {
            key,
            image_id,
            state,
            error,
        } => json!({
            "event": "deletion",
            "key": key,
            "image_id": image_id,
            "state": state.as_str(),
            "error": error,
        }),
        FleetEvent::Stopping => json!({"event": "stopping"}),
    }
}

/// Runs `f` on the event, or gives `fallback` for NULL.
///
/// # Safety
///
/// `event` must be NULL or the live event of the running callback.
unsafe fn read<T>(
    event: *const ims_fleet_event,
    fallback: T,
    f: impl FnOnce(&ims_fleet_event) -> T,
) -> T {
    // SAFETY: by this function's contract a non-NULL `event` is live, only read here.
    match unsafe { event.as_ref() } {
        Some(e) => f(e),
        None => fallback,
    }
}

/// The event's kind (`IMS_FLEET_EVENT_*`); `IMS_FLEET_EVENT_NONE` for NULL.
///
/// # Safety
///
/// `event` must be NULL or the event given to the running callback.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_event_kind(event: *const ims_fleet_event) -> u32 {
    ffi_boundary!(fallback = IMS_FLEET_EVENT_NONE; {
        // SAFETY: forwarded contract.
        unsafe { read(event, IMS_FLEET_EVENT_NONE, |e| e.kind) }
    })
}

/// The item's key, or NULL for an event about no item (started, stopping, tick) and for NULL.
/// Borrowed: valid during the callback.
///
/// # Safety
///
/// `event` must be NULL or the event given to the running callback.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_event_key(event: *const ims_fleet_event) -> *const c_char {
    ffi_boundary!(fallback = std::ptr::null(); {
        // SAFETY: forwarded contract.
        unsafe { read(event, std::ptr::null(), |e| opt_ptr(&e.key)) }
    })
}

/// The item's new state (`IMS_FLEET_STATE_*`) of an `IMS_FLEET_EVENT_ITEM`;
/// `IMS_FLEET_STATE_NONE` for any other event and for NULL.
///
/// # Safety
///
/// `event` must be NULL or the event given to the running callback.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_event_state(event: *const ims_fleet_event) -> u32 {
    ffi_boundary!(fallback = IMS_FLEET_STATE_NONE; {
        // SAFETY: forwarded contract.
        unsafe { read(event, IMS_FLEET_STATE_NONE, |e| e.state) }
    })
}

/// The item's job id (item events, once known), or NULL. Borrowed: valid during the callback.
///
/// # Safety
///
/// `event` must be NULL or the event given to the running callback.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_event_job_id(event: *const ims_fleet_event) -> *const c_char {
    ffi_boundary!(fallback = std::ptr::null(); {
        // SAFETY: forwarded contract.
        unsafe { read(event, std::ptr::null(), |e| opt_ptr(&e.job_id)) }
    })
}

/// The image id (item events once known, deletions), or NULL. Borrowed: valid during the
/// callback.
///
/// # Safety
///
/// `event` must be NULL or the event given to the running callback.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_event_image_id(event: *const ims_fleet_event) -> *const c_char {
    ffi_boundary!(fallback = std::ptr::null(); {
        // SAFETY: forwarded contract.
        unsafe { read(event, std::ptr::null(), |e| opt_ptr(&e.image_id)) }
    })
}

/// The error code of an item that failed or is unknown (`"IMG.0029"`, `"fleet.ambiguous"`),
/// or NULL. Borrowed: valid during the callback.
///
/// # Safety
///
/// `event` must be NULL or the event given to the running callback.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_event_error_code(
    event: *const ims_fleet_event,
) -> *const c_char {
    ffi_boundary!(fallback = std::ptr::null(); {
        // SAFETY: forwarded contract.
        unsafe { read(event, std::ptr::null(), |e| opt_ptr(&e.error_code)) }
    })
}

/// Why an item failed or is unknown, or why a deletion failed; NULL otherwise. Borrowed:
/// valid during the callback.
///
/// # Safety
///
/// `event` must be NULL or the event given to the running callback.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_event_error_message(
    event: *const ims_fleet_event,
) -> *const c_char {
    ffi_boundary!(fallback = std::ptr::null(); {
        // SAFETY: forwarded contract.
        unsafe { read(event, std::ptr::null(), |e| opt_ptr(&e.error_message)) }
    })
}

/// The job's (or adopted image's) status of a progress event (`"RUNNING"`, `"saving"`), or
/// NULL. Borrowed: valid during the callback.
///
/// # Safety
///
/// `event` must be NULL or the event given to the running callback.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_event_status(event: *const ims_fleet_event) -> *const c_char {
    ffi_boundary!(fallback = std::ptr::null(); {
        // SAFETY: forwarded contract.
        unsafe { read(event, std::ptr::null(), |e| opt_ptr(&e.status)) }
    })
}

/// The progress 0-100 of a progress event; negative when there is none (and for NULL).
///
/// # Safety
///
/// `event` must be NULL or the event given to the running callback.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_event_percent(event: *const ims_fleet_event) -> f64 {
    ffi_boundary!(fallback = -1.0; {
        // SAFETY: forwarded contract.
        unsafe { read(event, -1.0, |e| e.percent) }
    })
}

/// The whole event as one JSON object, its kind in `"event"` (`"started"`, `"item"`,
/// `"progress"`, `"reconciling"`, `"deletion"`, `"stopping"`, `"tick"`) with every field the
/// accessors give and more; NULL for NULL. Borrowed: valid during the callback.
///
/// # Safety
///
/// `event` must be NULL or the event given to the running callback.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ims_fleet_event_json(event: *const ims_fleet_event) -> *const c_char {
    ffi_boundary!(fallback = std::ptr::null(); {
        // SAFETY: forwarded contract.
        unsafe { read(event, std::ptr::null(), |e| e.json.as_ptr()) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ims_core::fleet::{ItemError, ItemState};

    #[test]
    fn an_item_event_fills_its_accessors_and_its_json() {
        let e = ims_fleet_event::new(&FleetEvent::Item {
            key: "web-1".to_owned(),
            state: ItemState::Failed,
            job_id: Some("j1".to_owned()),
            image_id: None,
            error: Some(ItemError {
                code: Some("IMG.0029".to_owned()),
                message: "no".to_owned(),
            }),
        });
        // SAFETY: `e` lives for the whole block.
        unsafe {
            assert_eq!(ims_fleet_event_kind(&e), IMS_FLEET_EVENT_ITEM);
            assert_eq!(
                ims_fleet_event_state(&e),
                super::super::IMS_FLEET_STATE_FAILED
            );
            assert!(ims_fleet_event_image_id(&e).is_null());
            let json = std::ffi::CStr::from_ptr(ims_fleet_event_json(&e));
            let v: Value = serde_json::from_slice(json.to_bytes()).unwrap_or_default();
            assert_eq!(v["event"], "item");
            assert_eq!(v["state"], "failed");
            assert_eq!(v["error"]["code"], "IMG.0029");
            assert_eq!(ims_fleet_event_kind(std::ptr::null()), IMS_FLEET_EVENT_NONE);
        }
        let s = ims_fleet_event::new(&FleetEvent::Stopping);
        assert_eq!(s.kind, IMS_FLEET_EVENT_STOPPING);
        assert_eq!(s.state, IMS_FLEET_STATE_NONE);
    }
}
