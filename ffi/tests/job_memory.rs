//! Reading a job document costs a small multiple of its size, whatever its shape: measured with
//! a counting global allocator that counts each thread apart (its own test binary).
//!
//! It lives here rather than in `core/tests` because a global allocator needs `unsafe`, which
//! `ims-core` forbids in every target; this crate is where the workspace's `unsafe` is allowed.
//! It tests `ims_core::model::Job` only.

// Tests of the C ABI call it as C does.
#![allow(unsafe_code)]
#![allow(clippy::unwrap_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Mutex;

use ims_core::model::Job;
use ims_core::model::job::{
    MAX_LIST_ITEMS, MAX_SUB_JOB_DEPTH, MAX_SUB_JOBS, READ_ALLOWANCE, READ_BYTES_PER_BYTE,
};

/// Counts the live bytes and the peak of each thread: a measurement sees its own thread's
/// allocations only, never libtest's or another test's (their threads have their own counters).
struct Counting;

thread_local! {
    /// Bytes this thread allocated minus what it freed (frees of blocks that other threads
    /// allocated make it lower, hence signed).
    static LIVE: Cell<isize> = const { Cell::new(0) };
    /// The highest `LIVE` since the last [`peak_of`] began.
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

/// Adds `delta` to this thread's live bytes and raises its peak. Const-initialised thread
/// locals without a destructor: no allocation, usable from the allocator at any time.
fn count(delta: isize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get().wrapping_add(delta);
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is forwarded to `System`; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // Counted as the new block allocated before the old one is freed.
            count(new_size as isize);
            count(-(layout.size() as isize));
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Tests of this binary run one at a time (bodies are built under the lock too), so the
/// figures printed are not interleaved and the machine is not shared by two large parses.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Peak bytes this thread allocated above what it held before, while `f` runs.
fn peak_of(f: impl FnOnce()) -> usize {
    let before = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(before));
    f();
    usize::try_from(PEAK.with(Cell::get) - before).unwrap_or(0)
}

const TARGET: usize = 16 << 20;
/// The documented bound: at most `LIMIT` times the body plus `ALLOWANCE`, whatever its size.
const LIMIT: usize = READ_BYTES_PER_BYTE;
const ALLOWANCE: usize = READ_ALLOWANCE;

/// Reads `body` (whose job id must be `top`) and returns the peak heap of the read, in bytes.
fn measure(what: &str, body: &str, inspect: impl FnOnce(&Job)) -> usize {
    peak_of(|| {
        let job = Job::from_json(body).unwrap();
        assert_eq!(job.job_id, "top", "{what}");
        inspect(&job);
        drop(job);
    })
}

/// Whether `peak` is within `LIMIT` times `body` plus [`ALLOWANCE`]; prints the figures.
fn within_limit(what: &str, body: &str, peak: usize) -> bool {
    let ratio = peak as f64 / body.len() as f64;
    eprintln!(
        "{what}: {} bytes peaked at {peak} bytes, {ratio:.2}x",
        body.len()
    );
    peak <= LIMIT * body.len() + ALLOWANCE
}

/// Reads `body`, checks the peak against `LIMIT` times the body plus [`ALLOWANCE`].
fn check(what: &str, body: &str, inspect: impl FnOnce(&Job)) {
    let peak = measure(what, body, inspect);
    assert!(
        within_limit(what, body, peak),
        "{what}: parsing {} bytes peaked at {peak} bytes ({:.1}x, limit {LIMIT}x + {ALLOWANCE})",
        body.len(),
        peak as f64 / body.len() as f64
    );
}

/// The measurement counts the measuring thread's allocations only: another thread's meanwhile
/// (libtest's output under load, which once failed `adversarial_shapes_at_every_size`) must not
/// count.
#[test]
fn peak_counts_only_the_measuring_thread() {
    let _serial = serial();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let (held_tx, held_rx) = std::sync::mpsc::channel::<()>();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let other = std::thread::spawn(move || {
        go_rx.recv().unwrap();
        let big = vec![1u8; 8 << 20];
        held_tx.send(()).unwrap();
        release_rx.recv().unwrap();
        drop(big);
    });
    let peak = peak_of(|| {
        go_tx.send(()).unwrap();
        held_rx.recv().unwrap();
    });
    release_tx.send(()).unwrap();
    other.join().unwrap();
    assert!(
        peak < 1 << 20,
        "another thread's 8 MiB counted: peak {peak}"
    );
}

/// `count` copies of `item` joined by commas.
fn join(item: &str, count: usize) -> String {
    let mut out = String::with_capacity((item.len() + 1) * count);
    for i in 0..count {
        if i > 0 {
            out.push(',');
        }
        out.push_str(item);
    }
    out
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

/// `{"job_id":"top","entities":{...}}` around `entities` (the members, without braces).
fn top_with_entities(entities: &str) -> String {
    format!(r#"{{"job_id":"top","status":"RUNNING","entities":{{{entities}}}}}"#)
}

/// The shape of issue #21: 1,000 sub-jobs, each with 1,000 `{}` results and 1,000 list items.
#[test]
fn sub_jobs_full_of_empty_results_and_small_ids() {
    let _serial = serial();
    let sub = format!(
        r#"{{"job_id":"s","entities":{{"results":[{}],"sub_jobs_list":[{}]}}}}"#,
        join("{}", 1000),
        join("1", 1000)
    );
    let body = top_with_sub_jobs(&join(&sub, 1000));
    check(
        "issue #21: 1,000 sub-jobs x 1,000 {} and 1,000 ids",
        &body,
        |job| {
            assert!(!job.entities.sub_jobs_result.is_empty());
        },
    );
}

/// A tree of sub-jobs `levels` deep (the top is level 0) whose nodes have `fan_out` children
/// and whose leaves are `leaf`.
fn tree(levels: usize, fan_out: usize, leaf: &str) -> String {
    if levels == 0 {
        return leaf.to_owned();
    }
    let child = tree(levels - 1, fan_out, leaf);
    format!(
        r#"{{"entities":{{"sub_jobs_result":[{}]}}}}"#,
        join(&child, fan_out)
    )
}

/// The shapes whose parts cost the most per byte of JSON, with about `n` parts each.
fn adversarial(n: usize) -> Vec<(&'static str, String)> {
    let fan_out = (1..).find(|k: &usize| k.pow(4) >= n).unwrap_or(2).max(2);
    let per_sub = (n / 1000).max(1);
    let sub = format!(
        r#"{{"entities":{{"results":[{}],"sub_jobs_list":[{}]}}}}"#,
        join("{}", per_sub),
        join("1", per_sub)
    );
    let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
    let keys: String = (0..n).map(|i| format!(r#""k{i}":0,"#)).collect();
    let escaped_key = format!(r#""{}":1,"#, "\\u0061".repeat(n));
    // Sub-jobs whose results use up the room of the read, then a long text that is decoded
    // last (one escape at its end: the whole text goes through the decoder's buffer).
    let full = format!(
        r#"{{"entities":{{"results":[{}]}}}}"#,
        join("{}", MAX_LIST_ITEMS)
    );
    let subs = join(&full, (n / 10_000).max(1));
    let then_text = format!(
        r#"{{"job_id":"top","fail_reason":"{}\\n","entities":{{"sub_jobs_result":[{subs}]}}}}"#,
        "a".repeat(subs.len() * 7)
    );
    vec![
        ("empty sub-jobs", top_with_sub_jobs(&join("{}", n))),
        (
            "a tree of empty sub-jobs",
            top_with_sub_jobs(&join(&tree(3, fan_out, "{}"), fan_out)),
        ),
        (
            "sub-jobs of {} results and ids",
            top_with_sub_jobs(&join(&sub, n.min(1000))),
        ),
        (
            "empty results",
            top_with_entities(&format!(r#""results":[{}]"#, join("{}", n))),
        ),
        (
            "results of one empty field",
            top_with_entities(&format!(r#""results":[{}]"#, join(r#"{"status":""}"#, n))),
        ),
        (
            "small numbers as ids",
            top_with_entities(&format!(r#""sub_jobs_list":[{}]"#, join("1", n))),
        ),
        (
            "empty strings as ids",
            top_with_entities(&format!(r#""sub_jobs_list":[{}]"#, join(r#""""#, n))),
        ),
        (
            "empty arrays as ids",
            top_with_entities(&format!(r#""sub_jobs_list":[{}]"#, join("[]", n))),
        ),
        (
            "deeply nested arrays as ids",
            top_with_entities(&format!(
                r#""sub_jobs_list":[{}]"#,
                join(&deep, (n / 100).max(1))
            )),
        ),
        (
            "small numbers as text",
            format!(r#"{{"job_id":"top","error_code":[{}]}}"#, join("1", n)),
        ),
        (
            "many keys",
            format!(r#"{{{keys}{escaped_key}"job_id":"top"}}"#),
        ),
        (
            "repeated keys",
            format!(
                r#"{{{}"job_id":"top"}}"#,
                r#""job_id":"x","entities":{"results":[{}]},"#.repeat(n.min(100_000))
            ),
        ),
        ("room used up, then a long escaped text", then_text),
        (
            "escaped text",
            format!(
                r#"{{"job_id":"top","fail_reason":"{}","error_code":"{}"}}"#,
                "\\n".repeat(n),
                "\\ud83d\\ude00".repeat(n / 4 + 1)
            ),
        ),
    ]
}

#[test]
fn adversarial_shapes_at_every_size() {
    let _serial = serial();
    let mut over = Vec::new();
    for n in [100, 10_000, 1_000_000] {
        for (what, body) in adversarial(n) {
            let what = format!("{what} (n = {n})");
            let peak = measure(&what, &body, |_| {});
            if !within_limit(&what, &body, peak) {
                over.push(format!(
                    "{what}: {} bytes peaked at {peak} ({:.1}x)",
                    body.len(),
                    peak as f64 / body.len() as f64
                ));
            }
        }
    }
    assert!(
        over.is_empty(),
        "over {LIMIT}x + {ALLOWANCE} bytes:\n{}",
        over.join("\n")
    );
}
