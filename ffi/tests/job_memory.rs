//! Reading a job document costs a small multiple of its size, whatever its shape: measured with
//! a counting global allocator (its own test binary, so no other test allocates meanwhile).
//!
//! It lives here rather than in `core/tests` because a global allocator needs `unsafe`, which
//! `ims-core` forbids in every target; this crate is where the workspace's `unsafe` is allowed.
//! It tests `ims_core::model::Job` only.

// Tests of the C ABI call it as C does.
#![allow(unsafe_code)]
#![allow(clippy::unwrap_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use ims_core::model::Job;
use ims_core::model::job::{MAX_LIST_ITEMS, MAX_SUB_JOB_DEPTH, MAX_SUB_JOBS};

/// Counts live bytes and the peak since the last [`reset_peak`].
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System`; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
            PEAK.fetch_max(live, Ordering::SeqCst);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // Counted as the new block allocated before the old one is freed.
            let live = LIVE.fetch_add(new_size, Ordering::SeqCst) + new_size;
            PEAK.fetch_max(live, Ordering::SeqCst);
            LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Tests of this binary run one at a time (bodies are built under the lock too), so the
/// counters see one parse only.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Peak bytes allocated above what was live before, while `f` runs.
fn peak_of(f: impl FnOnce()) -> usize {
    let before = LIVE.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    f();
    PEAK.load(Ordering::SeqCst) - before
}

const TARGET: usize = 16 << 20;
const LIMIT: usize = 8;

fn check(what: &str, body: &str, inspect: impl FnOnce(&Job)) {
    assert!(
        body.len() >= TARGET / 2,
        "{what}: body of {} bytes",
        body.len()
    );
    let peak = peak_of(|| {
        let job = Job::from_json(body).unwrap();
        assert_eq!(job.job_id, "top", "{what}");
        inspect(&job);
        drop(job);
    });
    eprintln!(
        "{what}: {} bytes peaked at {:.2}x",
        body.len(),
        peak as f64 / body.len() as f64
    );
    assert!(
        peak <= LIMIT * body.len(),
        "{what}: parsing {} bytes peaked at {} bytes ({:.1}x, limit {LIMIT}x)",
        body.len(),
        peak,
        peak as f64 / body.len() as f64
    );
}

/// `{"job_id":"top","entities":{"sub_jobs_result":[ ... ]}}` around `items`.
fn top_with_sub_jobs(items: &str) -> String {
    format!(r#"{{"job_id":"top","status":"RUNNING","entities":{{"sub_jobs_result":[{items}]}}}}"#)
}

#[test]
fn many_tiny_sub_jobs() {
    let _serial = serial();
    let one = r#"{"job_id":"s","entities":{"image_id":"i"}},"#;
    let mut items = one.repeat(TARGET / one.len());
    items.pop();
    check("many tiny sub-jobs", &top_with_sub_jobs(&items), |job| {
        assert_eq!(job.entities.sub_jobs_result.len(), MAX_SUB_JOBS);
        assert_eq!(job.image_id(), Some("i"));
        assert!(job.raw.as_str().len() > TARGET / 2, "one raw, at the top");
    });
}

#[test]
fn deep_nesting_with_a_big_payload_at_the_bottom() {
    let _serial = serial();
    // 16 levels of sub-jobs, the bottom one holding 14 MiB of text and many small ids.
    let mut doc = format!(
        r#"{{"job_id":"leaf","fail_reason":"{}","entities":{{"sub_jobs_list":[{}1]}}}}"#,
        "x".repeat(TARGET * 7 / 8),
        "1,".repeat(TARGET / 32)
    );
    for i in 0..16 {
        doc = format!(r#"{{"job_id":"level{i}","entities":{{"sub_jobs_result":[{doc}]}}}}"#);
    }
    check("deep nesting", &top_with_sub_jobs(&doc), |job| {
        let mut depth = 0;
        let mut j = job;
        while let Some(sub) = j.entities.sub_jobs_result.first() {
            depth += 1;
            j = sub;
        }
        assert_eq!(depth, MAX_SUB_JOB_DEPTH, "followed to the bound only");
    });
}

#[test]
fn wide_lists_of_ids_results_and_structures() {
    let _serial = serial();
    let n = TARGET / 3;
    let body = format!(
        r#"{{"job_id":"top","error_code":[{}0],"entities":{{"sub_jobs_list":[{}1],"results":[{}{{}}]}}}}"#,
        "[],".repeat(n / 3),
        "1,".repeat(n / 2),
        "{},".repeat(n / 3)
    );
    check("wide lists", &body, |job| {
        assert_eq!(job.entities.sub_jobs_list.len(), MAX_LIST_ITEMS);
        assert_eq!(job.entities.results.len(), MAX_LIST_ITEMS);
        assert!(
            job.error_code
                .as_deref()
                .unwrap_or("")
                .starts_with("[[],[],")
        );
    });
}
