//! The asynchronous job document (spec §2), read leniently.
//!
//! Both `GET /v1/cloudimages/job/{job_id}` and `GET /v1/{project_id}/jobs/{job_id}` return it.
//! Reading never fails on a JSON object: unknown keys are ignored, a field of the wrong type is
//! kept as text (`"job_id": 123` reads as `"123"`) or dropped, never an error. Only a document
//! that is not a JSON object is refused.
//!
//! Every optional text field is an `Option<String>` where JSON `null`, a missing key and `""` all
//! read as `None` (the service sends any of the three for "not set"). Numbers and booleans read
//! as their JSON text; arrays and objects where text is expected read as their compact JSON.
//! Times (`begin_time`, `end_time`) are opaque: formats seen include
//! `2024-11-06T06:28:14.425Z` and `04-Jun-2015 18:11:06:586`.
//!
//! [`Job::raw`] keeps the document exactly as received (its text, shared with the sub-jobs),
//! for callers that hand "the whole document" on.
//!
//! Reading is bounded so that any body costs a small multiple of its size: at its peak, reading
//! a document of `n` bytes takes at most [`READ_BYTES_PER_BYTE`] × `n` + [`READ_ALLOWANCE`]
//! bytes of heap (8 × `n` + 64 KiB), the job it returns included, whatever the document's
//! shape. The document is never turned into a `serde_json::Value` tree: its text is copied once
//! (shared by the job and its sub-jobs, [`Job::raw`]), each text field is read from its own
//! bytes (so all of them together are at most the document's size), and only the documented
//! fields are read:
//!
//! - at most [`MAX_SUB_JOB_DEPTH`] levels of `sub_jobs_result` and [`MAX_SUB_JOBS`] sub-jobs in
//!   all, depth first in document order;
//! - at most [`MAX_LIST_ITEMS`] entries of `results` and of `sub_jobs_list` per list;
//! - and, since a sub-job, a result or an id costs more to hold than the few bytes it can take
//!   in the document (`{}`, `1`), the vectors of all of them together take at most 3 bytes per
//!   byte of the document plus [`READ_ALLOWANCE`]: a document that packs many of them into few
//!   bytes keeps the first ones that fit. Ordinary documents never come near it: a sub-job of
//!   a real answer takes some hundreds of bytes of JSON, a result or an id some dozens.
//!
//! What is left out is counted in [`JobEntities::omitted`] and stays in [`Job::raw`].

use std::fmt;
use std::sync::Arc;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

/// How deep `sub_jobs_result` is followed (the top job is level 0); deeper sub-jobs are
/// dropped (the raw document keeps them).
pub const MAX_SUB_JOB_DEPTH: usize = 4;

/// Most sub-jobs read from one document, all levels together; the rest are dropped (the raw
/// document keeps them).
pub const MAX_SUB_JOBS: usize = 1000;

/// Most entries read from each `results` and `sub_jobs_list`; the rest are dropped (the raw
/// document keeps them).
pub const MAX_LIST_ITEMS: usize = 1000;

/// Most heap, per byte of the document, that reading a job document takes at its peak (beyond
/// [`READ_ALLOWANCE`]): 8. See the [module documentation](self).
pub const READ_BYTES_PER_BYTE: usize = 8;

/// Heap that reading a job document may take beyond [`READ_BYTES_PER_BYTE`] times its size,
/// whatever the size: 64 KiB (room for about a hundred sub-jobs however small the document).
pub const READ_ALLOWANCE: usize = 64 << 10;

/// Bytes of vector slots (sub-jobs, results, ids) a read keeps per byte of the document, beyond
/// [`READ_ALLOWANCE`]. With the copy of the text (1), the text fields (at most 1) and the
/// decoding of one escaped string (at most 2 more for a moment), a read stays within
/// [`READ_BYTES_PER_BYTE`].
const SLOTS_PER_BYTE: usize = 3;

/// A job document's JSON text exactly as received, shared (one copy per document) between a
/// job and its sub-jobs. Empty for a job built by hand.
#[derive(Clone, Default)]
pub struct RawDocument {
    text: Option<Arc<str>>,
    start: usize,
    end: usize,
}

impl RawDocument {
    /// The span of `part` (a slice of `text`) in the shared `text`.
    fn span(text: &Arc<str>, part: &str) -> RawDocument {
        let start = (part.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
        let end = start + part.len();
        if text.get(start..end) == Some(part) {
            RawDocument {
                text: Some(Arc::clone(text)),
                start,
                end,
            }
        } else {
            RawDocument::default()
        }
    }

    /// The document's JSON text as received (`""` for a job built by hand).
    pub fn as_str(&self) -> &str {
        self.text
            .as_deref()
            .and_then(|t| t.get(self.start..self.end))
            .unwrap_or_default()
    }

    /// Whether there is no document (a job built by hand).
    pub fn is_empty(&self) -> bool {
        self.as_str().is_empty()
    }

    /// The document parsed into a JSON value (`Null` for a job built by hand). Costs what a
    /// `Value` of the whole document costs: call it only when the whole document is needed.
    pub fn to_value(&self) -> Value {
        serde_json::from_str(self.as_str()).unwrap_or(Value::Null)
    }
}

impl PartialEq for RawDocument {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl fmt::Debug for RawDocument {
    /// The size only: a document may be megabytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawDocument({} bytes)", self.as_str().len())
    }
}

/// Status of an asynchronous job.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum JobStatus {
    /// `INIT`: created, not yet running.
    Init,
    /// `RUNNING`.
    Running,
    /// `SUCCESS`: finished well (terminal).
    Success,
    /// `FAIL`: finished badly (terminal); see `error_code` and `fail_reason`.
    Fail,
    /// Anything else, as received (`""` for a missing or `null` status). Not terminal: a waiter
    /// should keep polling.
    Unknown(String),
}

impl JobStatus {
    /// Reads a wire status; never fails. Matching ignores ASCII case and surrounding whitespace;
    /// anything else is [`JobStatus::Unknown`] holding the text as received.
    pub fn parse(text: &str) -> Self {
        JobStatus::known(text).unwrap_or_else(|| JobStatus::Unknown(text.to_owned()))
    }

    /// [`JobStatus::parse`] of text already owned (kept as is when unknown, not copied).
    fn parse_owned(text: String) -> Self {
        JobStatus::known(&text).unwrap_or(JobStatus::Unknown(text))
    }

    /// The status `text` names, if it is one of the four.
    fn known(text: &str) -> Option<Self> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("INIT") {
            Some(JobStatus::Init)
        } else if t.eq_ignore_ascii_case("RUNNING") {
            Some(JobStatus::Running)
        } else if t.eq_ignore_ascii_case("SUCCESS") {
            Some(JobStatus::Success)
        } else if t.eq_ignore_ascii_case("FAIL") {
            Some(JobStatus::Fail)
        } else {
            None
        }
    }

    /// Reads a status from a JSON value; never fails (`null` → `Unknown("")`, `5` →
    /// `Unknown("5")`).
    pub fn from_value(value: Option<&Value>) -> Self {
        JobStatus::parse(&text(value).unwrap_or_default())
    }

    /// The wire string (`"SUCCESS"`, ...; the received text for `Unknown`).
    pub fn as_str(&self) -> &str {
        match self {
            JobStatus::Init => "INIT",
            JobStatus::Running => "RUNNING",
            JobStatus::Success => "SUCCESS",
            JobStatus::Fail => "FAIL",
            JobStatus::Unknown(s) => s,
        }
    }

    /// Whether the job has ended (`SUCCESS` or `FAIL`).
    pub fn is_terminal(&self) -> bool {
        matches!(self, JobStatus::Success | JobStatus::Fail)
    }
}

impl Default for JobStatus {
    /// `Unknown("")`, the status of a document without one.
    fn default() -> Self {
        JobStatus::Unknown(String::new())
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for JobStatus {
    fn from(text: &str) -> Self {
        JobStatus::parse(text)
    }
}

impl std::str::FromStr for JobStatus {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(JobStatus::parse(text))
    }
}

impl Serialize for JobStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for JobStatus {
    /// Never fails on valid JSON; see [`JobStatus::from_value`].
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Ok(JobStatus::from_value(Some(&value)))
    }
}

/// One entry of `entities.results`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct JobResult {
    /// The image created.
    pub image_id: Option<String>,
    /// The project it was created in.
    pub project_id: Option<String>,
    /// Status of this part, as received (opaque).
    pub status: Option<String>,
}

/// `entities` of a job document. A missing or `null` (or non-object) `entities` is the default.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct JobEntities {
    /// The image created.
    pub image_id: Option<String>,
    /// Its name.
    pub image_name: Option<String>,
    /// Progress 0–100 (a number or a numeric string on the wire).
    pub process_percent: Option<f64>,
    /// What the job is doing now.
    pub current_task: Option<String>,
    /// The sub-job doing the work.
    pub sub_job_id: Option<String>,
    /// Per-project results (at most [`MAX_LIST_ITEMS`]; see [`JobEntities::omitted`]).
    pub results: Vec<JobResult>,
    /// Sub-job documents (up to [`MAX_SUB_JOB_DEPTH`] levels and [`MAX_SUB_JOBS`] in all; see
    /// [`JobEntities::omitted`]).
    pub sub_jobs_result: Vec<Job>,
    /// Sub-job ids (at most [`MAX_LIST_ITEMS`]; see [`JobEntities::omitted`]); elements that
    /// are not strings are kept as their JSON text.
    pub sub_jobs_list: Vec<String>,
    /// Error code of the work.
    pub error_code: Option<String>,
    /// Error text of the work.
    pub error: Option<String>,
    /// Additional error code.
    pub addition_error_code: Option<String>,
    /// Additional error message.
    pub addition_error_msg: Option<String>,
    /// Alarm code.
    pub alarm_code: Option<String>,
    /// Entries of `results`, `sub_jobs_result` and `sub_jobs_list` that the document has here
    /// but that were not read: beyond [`MAX_LIST_ITEMS`], [`MAX_SUB_JOBS`] or
    /// [`MAX_SUB_JOB_DEPTH`], or beyond the room a read keeps (see the
    /// [module documentation](self)). `0` when every entry was read; the others stay in
    /// [`Job::raw`]. (Elements of `results` and `sub_jobs_result` that are not objects are no
    /// entries; entries of a sub-job that was not read are not counted.)
    #[serde(skip)]
    pub omitted: usize,
}

/// An asynchronous job document.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Job {
    /// The job id (`""` when the document has none).
    pub job_id: String,
    /// The job type, e.g. `imsCreateWholeImageByInstanceJob`.
    pub job_type: Option<String>,
    /// Status.
    pub status: JobStatus,
    /// Start time, opaque.
    pub begin_time: Option<String>,
    /// End time, opaque.
    pub end_time: Option<String>,
    /// Error code on FAIL.
    pub error_code: Option<String>,
    /// Failure reason on FAIL.
    pub fail_reason: Option<String>,
    /// The job's entities.
    pub entities: JobEntities,
    /// The document exactly as received (empty for a job built by hand).
    #[serde(skip)]
    pub raw: RawDocument,
}

impl Job {
    /// Reads a job document from JSON text. Fails only on invalid JSON or a document that is
    /// not a JSON object.
    pub fn from_json(text: &str) -> Result<Job, serde_json::Error> {
        Job::from_shared(Arc::from(text))
    }

    /// Reads a job document from a JSON value. Fails only when it is not an object.
    pub fn from_value(value: Value) -> Result<Job, serde_json::Error> {
        if !value.is_object() {
            return Err(not_an_object(kind(&value)));
        }
        Job::from_json(&value.to_string())
    }

    /// Reads the document held by `text` (one shared copy for the job and its sub-jobs).
    fn from_shared(text: Arc<str>) -> Result<Job, serde_json::Error> {
        let top: &RawValue = serde_json::from_str(&text)?;
        let body = top.get();
        if !body.starts_with('{') {
            return Err(not_an_object(kind_of_text(body)));
        }
        let mut reader = Reader {
            text: &text,
            sub_jobs: MAX_SUB_JOBS,
            room: SLOTS_PER_BYTE
                .saturating_mul(text.len())
                .saturating_add(READ_ALLOWANCE),
        };
        let mut job = Job::from_object(&mut reader, body, 0)?;
        job.raw = RawDocument::span(&text, body);
        Ok(job)
    }

    /// Every text of this job and its sub-jobs passed through `scrub` (the raw document is the
    /// caller's to replace).
    #[cfg_attr(not(feature = "client"), allow(dead_code))]
    pub(crate) fn scrub_texts(&mut self, scrub: &dyn Fn(&str) -> String) {
        let one = |text: &mut String| *text = scrub(text);
        let opt = |text: &mut Option<String>| {
            if let Some(t) = text {
                one(t);
            }
        };
        one(&mut self.job_id);
        if let JobStatus::Unknown(status) = &mut self.status {
            one(status);
        }
        for text in [
            &mut self.job_type,
            &mut self.begin_time,
            &mut self.end_time,
            &mut self.error_code,
            &mut self.fail_reason,
        ] {
            opt(text);
        }
        let e = &mut self.entities;
        for text in [
            &mut e.image_id,
            &mut e.image_name,
            &mut e.current_task,
            &mut e.sub_job_id,
            &mut e.error_code,
            &mut e.error,
            &mut e.addition_error_code,
            &mut e.addition_error_msg,
            &mut e.alarm_code,
        ] {
            opt(text);
        }
        for r in &mut e.results {
            for text in [&mut r.image_id, &mut r.project_id, &mut r.status] {
                opt(text);
            }
        }
        e.sub_jobs_list.iter_mut().for_each(one);
        for sub in &mut e.sub_jobs_result {
            sub.scrub_texts(scrub);
            sub.raw = RawDocument::default();
        }
    }

    /// The document as JSON: [`Job::raw`] as received, or the clean shape for a job built by
    /// hand.
    pub fn to_json(&self) -> String {
        if self.raw.is_empty() {
            // Cannot fail: only strings, numbers and nested maps with string keys.
            serde_json::to_string(self).unwrap_or_default()
        } else {
            self.raw.as_str().to_owned()
        }
    }

    /// Whether the job has ended (`SUCCESS` or `FAIL`).
    pub fn is_terminal(&self) -> bool {
        self.status.is_terminal()
    }

    /// The created image: `entities.image_id`, else the first sub-job's image id (recursively),
    /// else the first `entities.results[*].image_id`.
    pub fn image_id(&self) -> Option<&str> {
        let e = &self.entities;
        e.image_id
            .as_deref()
            .or_else(|| e.sub_jobs_result.iter().find_map(Job::image_id))
            .or_else(|| e.results.iter().find_map(|r| r.image_id.as_deref()))
    }

    /// Progress 0–100, when the document reports it.
    pub fn process_percent(&self) -> Option<f64> {
        self.entities.process_percent
    }

    /// Reads one job object (`object`, a slice of the reader's text) at `depth`.
    fn from_object(
        reader: &mut Reader<'_>,
        object: &str,
        depth: usize,
    ) -> Result<Job, serde_json::Error> {
        const KEYS: [&str; 8] = [
            "job_id",
            "job_type",
            "status",
            "begin_time",
            "end_time",
            "error_code",
            "fail_reason",
            "entities",
        ];
        let [
            job_id,
            job_type,
            status,
            begin_time,
            end_time,
            error_code,
            fail_reason,
            entities,
        ] = pick(object, KEYS)?;
        let entities = match entities.map(RawValue::get) {
            Some(e) if e.starts_with('{') => JobEntities::from_object(reader, e, depth)?,
            _ => JobEntities::default(),
        };
        Ok(Job {
            job_id: text_of(job_id).unwrap_or_default(),
            job_type: text_of(job_type),
            status: JobStatus::parse_owned(text_of(status).unwrap_or_default()),
            begin_time: text_of(begin_time),
            end_time: text_of(end_time),
            error_code: text_of(error_code),
            fail_reason: text_of(fail_reason),
            entities,
            raw: RawDocument::default(),
        })
    }
}

impl<'de> Deserialize<'de> for Job {
    /// Reads like [`Job::from_value`]: through a whole `serde_json::Value` first, so without
    /// the memory bound of [`Job::from_json`] (use that one for bodies from the network).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Job::from_value(value).map_err(serde::de::Error::custom)
    }
}

impl JobEntities {
    /// Reads an `entities` object (`object`, a slice of the reader's text) of a job at `depth`.
    fn from_object(
        reader: &mut Reader<'_>,
        object: &str,
        depth: usize,
    ) -> Result<JobEntities, serde_json::Error> {
        const KEYS: [&str; 13] = [
            "image_id",
            "image_name",
            "process_percent",
            "current_task",
            "sub_job_id",
            "results",
            "sub_jobs_result",
            "sub_jobs_list",
            "error_code",
            "error",
            "addition_error_code",
            "addition_error_msg",
            "alarm_code",
        ];
        let [
            image_id,
            image_name,
            process_percent,
            current_task,
            sub_job_id,
            results,
            sub_jobs_result,
            sub_jobs_list,
            error_code,
            error,
            addition_error_code,
            addition_error_msg,
            alarm_code,
        ] = pick(object, KEYS)?;
        let mut omitted = 0;

        let mut parsed_results = Vec::new();
        let listed = objects(results);
        let count = listed.clone().count();
        for r in listed {
            if !reader.make_room(&mut parsed_results, count.min(MAX_LIST_ITEMS), true) {
                break;
            }
            let [image_id, project_id, status] = pick(r, ["image_id", "project_id", "status"])?;
            parsed_results.push(JobResult {
                image_id: text_of(image_id),
                project_id: text_of(project_id),
                status: text_of(status),
            });
        }
        omitted += count - parsed_results.len();

        let mut subs = Vec::new();
        let listed = objects(sub_jobs_result);
        let count = listed.clone().count();
        if depth < MAX_SUB_JOB_DEPTH {
            for sub in listed {
                let most = count.min(subs.len() + reader.sub_jobs);
                if !reader.make_room(&mut subs, most, false) {
                    break;
                }
                reader.sub_jobs -= 1;
                let mut job = Job::from_object(reader, sub, depth + 1)?;
                job.raw = RawDocument::span(reader.text, sub);
                subs.push(job);
            }
        }
        omitted += count - subs.len();

        let mut ids = Vec::new();
        let (listed, count) = match sub_jobs_list.map(RawValue::get) {
            None | Some("null") => (Elements::default(), 0),
            Some(list) if list.starts_with('[') => {
                let listed = Elements::of(list);
                let count = listed.clone().count();
                (listed, count)
            }
            // One id as is: read as a list of one.
            Some(other) => (Elements::one(other), 1),
        };
        for id in listed {
            if !reader.make_room(&mut ids, count.min(MAX_LIST_ITEMS), true) {
                break;
            }
            ids.push(any_text(id));
        }
        omitted += count - ids.len();

        Ok(JobEntities {
            image_id: text_of(image_id),
            image_name: text_of(image_name),
            process_percent: percent(process_percent),
            current_task: text_of(current_task),
            sub_job_id: text_of(sub_job_id),
            results: parsed_results,
            sub_jobs_result: subs,
            sub_jobs_list: ids,
            error_code: text_of(error_code),
            error: text_of(error),
            addition_error_code: text_of(addition_error_code),
            addition_error_msg: text_of(addition_error_msg),
            alarm_code: text_of(alarm_code),
            omitted,
        })
    }
}

/// One read of a document: its shared text and what may still be kept.
struct Reader<'t> {
    text: &'t Arc<str>,
    /// Sub-jobs still allowed, all levels together.
    sub_jobs: usize,
    /// Bytes of vector slots (sub-jobs, results, ids) still allowed.
    room: usize,
}

impl Reader<'_> {
    /// Makes sure `list` has room for one more entry, in a vector of at most `most` entries:
    /// all `most` at once when `exact` (a list whose entries take no room themselves), else
    /// doubling (a list of sub-jobs, whose own lists need room too). Returns whether it has
    /// room; `false` when `most` is reached or the read's room is used up.
    ///
    /// While a vector grows, its old block and the new one are both held, so the room must
    /// hold the new block whole; the old one's share comes back once it is freed.
    fn make_room<T>(&mut self, list: &mut Vec<T>, most: usize, exact: bool) -> bool {
        let (len, old) = (list.len(), list.capacity());
        if len >= most {
            return false;
        }
        if len < old {
            return true;
        }
        let size = std::mem::size_of::<T>().max(1);
        let wanted = if exact {
            most
        } else {
            old.saturating_mul(2).max(4).min(most)
        };
        let new = wanted.min(self.room / size);
        if new <= len {
            return false;
        }
        list.reserve_exact(new - len);
        self.room = self
            .room
            .saturating_sub(list.capacity().saturating_mul(size))
            .saturating_add(old * size);
        true
    }
}

/// The values of `keys` in the JSON object `object` (the last one wins when a key repeats);
/// every other member is skipped without being built, and no key is copied.
fn pick<'a, const N: usize>(
    object: &'a str,
    keys: [&str; N],
) -> Result<[Option<&'a RawValue>; N], serde_json::Error> {
    /// Which of the keys a member's key is, read without copying it.
    struct Key<'k, const N: usize>(&'k [&'k str; N]);
    impl<'de, const N: usize> DeserializeSeed<'de> for Key<'_, N> {
        type Value = Option<usize>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(self)
        }
    }
    impl<'de, const N: usize> Visitor<'de> for Key<'_, N> {
        type Value = Option<usize>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a key")
        }
        fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Self::Value, E> {
            Ok(self.0.iter().position(|k| *k == key))
        }
    }
    struct Picker<'k, const N: usize>(&'k [&'k str; N]);
    impl<'de, const N: usize> Visitor<'de> for Picker<'_, N> {
        type Value = [Option<&'de RawValue>; N];
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = [None; N];
            while let Some(key) = map.next_key_seed(Key(self.0))? {
                match key {
                    Some(i) => out[i] = Some(map.next_value::<&'de RawValue>()?),
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(out)
        }
    }
    let mut de = serde_json::Deserializer::from_str(object);
    let out = de.deserialize_map(Picker(&keys))?;
    de.end()?;
    Ok(out)
}

/// The elements of a JSON array, as slices of its text without the whitespace around them,
/// found by scanning the text: nothing is built or kept. The text must be valid JSON (a read
/// checks the whole document first); on anything else the scan still ends.
#[derive(Clone, Default)]
struct Elements<'a> {
    /// What is left between the brackets.
    rest: &'a str,
}

impl<'a> Elements<'a> {
    /// The elements of `array` (a JSON array's text).
    fn of(array: &'a str) -> Self {
        let inner = array
            .strip_prefix('[')
            .and_then(|a| a.strip_suffix(']'))
            .unwrap_or_default();
        Elements { rest: inner }
    }

    /// `value` as the one element of a list.
    fn one(value: &'a str) -> Self {
        Elements { rest: value }
    }
}

/// JSON's whitespace.
const JSON_SPACE: [char; 4] = [' ', '\t', '\n', '\r'];

impl<'a> Iterator for Elements<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let mut s = self.rest.trim_start_matches(JSON_SPACE);
        if let Some(after) = s.strip_prefix(',') {
            s = after.trim_start_matches(JSON_SPACE);
        }
        if s.is_empty() {
            self.rest = s;
            return None;
        }
        let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
        let mut end = s.len();
        for (i, b) in s.bytes().enumerate() {
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'[' | b'{' => depth += 1,
                b']' | b'}' => depth = depth.saturating_sub(1),
                b',' if depth == 0 => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        // Every byte looked at is ASCII, so `end` is on a character boundary.
        let (element, rest) = s.split_at(end);
        self.rest = rest;
        Some(element.trim_end_matches(JSON_SPACE))
    }
}

/// The object elements of a value that should be an array of objects; anything else reads as
/// none.
fn objects(value: Option<&RawValue>) -> impl Iterator<Item = &str> + Clone {
    let list = match value.map(RawValue::get) {
        Some(list) if list.starts_with('[') => Elements::of(list),
        _ => Elements::default(),
    };
    list.filter(|e| e.starts_with('{'))
}

fn not_an_object(kind: &str) -> serde_json::Error {
    <serde_json::Error as serde::de::Error>::custom(format!(
        "a job document must be a JSON object, got {kind}"
    ))
}

/// Lenient text of a raw value: `None` for missing, `null` and `""`; numbers, booleans and
/// structures as their (compact) JSON text.
fn text_of(value: Option<&RawValue>) -> Option<String> {
    match value?.get() {
        "null" | "\"\"" => None,
        other => Some(any_text(other)),
    }
}

/// A JSON string as itself, anything else as its compact JSON text.
fn any_text(raw: &str) -> String {
    if raw.starts_with('"') {
        serde_json::from_str::<String>(raw).unwrap_or_default()
    } else if raw.starts_with(['[', '{']) {
        compact(raw)
    } else {
        raw.to_owned()
    }
}

/// Valid JSON text without the whitespace between tokens.
fn compact(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in raw.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_ascii_whitespace() {
            out.push(c);
        }
    }
    out
}

/// A finite number, or a string holding one (a trailing `%` is allowed).
fn percent(value: Option<&RawValue>) -> Option<f64> {
    let raw = value?.get();
    let p = if raw.starts_with('"') {
        let s = serde_json::from_str::<String>(raw).ok()?;
        s.trim().trim_end_matches('%').trim().parse::<f64>().ok()?
    } else {
        serde_json::from_str::<f64>(raw).ok()?
    };
    p.is_finite().then_some(p)
}

/// What a JSON text is, by its first character.
fn kind_of_text(raw: &str) -> &'static str {
    match raw.as_bytes().first() {
        Some(b'n') => "null",
        Some(b't' | b'f') => "a boolean",
        Some(b'"') => "a string",
        Some(b'[') => "an array",
        Some(b'{') => "an object",
        _ => "a number",
    }
}

/// Lenient text of a JSON value: `None` for missing, `null` and `""`; numbers, booleans and
/// structures as their JSON text.
fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
