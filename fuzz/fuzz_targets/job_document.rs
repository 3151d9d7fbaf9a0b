//! The job answer as the client reads it (`ims_core::client::read_job_body`, called by
//! `Client::job`) on any bytes.
//!
//! Invariants: `Ok` exactly when the bytes are a JSON object (else `InvalidResponse` carrying
//! the status and request id, with a short message); a job keeps the document as received
//! (`raw` is the input without surrounding whitespace) and reads at most `MAX_SUB_JOB_DEPTH`
//! levels, `MAX_SUB_JOBS` sub-jobs and `MAX_LIST_ITEMS` list entries. Memory is bounded by the
//! run's `-rss_limit_mb` / `-malloc_limit_mb` with inputs up to 1 MiB.
#![no_main]

use ims_core::ErrorKind;
use ims_core::client::read_job_body;
use ims_core::model::Job;
use ims_core::model::job::{MAX_LIST_ITEMS, MAX_SUB_JOB_DEPTH, MAX_SUB_JOBS};
use libfuzzer_sys::fuzz_target;

/// Checks the bounds below `job` (at `depth`); returns how many sub-jobs it holds.
fn sub_jobs(job: &Job, depth: usize) -> usize {
    assert!(depth <= MAX_SUB_JOB_DEPTH, "sub-job at depth {depth}");
    let e = &job.entities;
    assert!(e.results.len() <= MAX_LIST_ITEMS);
    assert!(e.sub_jobs_list.len() <= MAX_LIST_ITEMS);
    if let Some(p) = e.process_percent {
        assert!(!p.is_nan(), "process_percent NaN");
    }
    e.sub_jobs_result
        .iter()
        .map(|s| {
            assert!(
                !s.raw.is_empty(),
                "a sub-job read from a document has no raw text"
            );
            1 + sub_jobs(s, depth + 1)
        })
        .sum()
}

fuzz_target!(|data: &[u8]| {
    let is_object = std::str::from_utf8(data).ok().is_some_and(|t| {
        serde_json::from_str::<serde::de::IgnoredAny>(t).is_ok()
            && t.trim_start_matches([' ', '\t', '\n', '\r'])
                .starts_with('{')
    });
    match read_job_body(200, data, Some("rid-fuzz")) {
        Ok(job) => {
            assert!(is_object, "a job from something that is not a JSON object");
            let text = std::str::from_utf8(data).expect("utf-8");
            let trimmed = text.trim_matches([' ', '\t', '\n', '\r']);
            assert_eq!(
                job.raw.as_str(),
                trimmed,
                "raw is not the document as received"
            );
            assert_eq!(job.to_json(), trimmed);
            assert!(sub_jobs(&job, 0) <= MAX_SUB_JOBS, "too many sub-jobs");
            let _ = job.image_id();
        }
        Err(e) => {
            assert!(!is_object, "a JSON object refused: {e}");
            assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{e}");
            assert_eq!(e.request_id(), Some("rid-fuzz"));
            let message = e.to_string();
            assert!(message.contains("http 200"), "{message}");
            assert!(
                message.chars().count() < 1000,
                "message too long: {message}"
            );
        }
    }
});
