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
//! [`Job::raw`] keeps the document exactly as received, for callers that hand "the whole
//! document" on.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// How deep `sub_jobs_result` is followed; deeper sub-jobs are dropped (the raw document keeps
/// them).
pub const MAX_SUB_JOB_DEPTH: usize = 16;

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
        let t = text.trim();
        if t.eq_ignore_ascii_case("INIT") {
            JobStatus::Init
        } else if t.eq_ignore_ascii_case("RUNNING") {
            JobStatus::Running
        } else if t.eq_ignore_ascii_case("SUCCESS") {
            JobStatus::Success
        } else if t.eq_ignore_ascii_case("FAIL") {
            JobStatus::Fail
        } else {
            JobStatus::Unknown(text.to_owned())
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
    /// Per-project results.
    pub results: Vec<JobResult>,
    /// Sub-job documents (up to [`MAX_SUB_JOB_DEPTH`] levels).
    pub sub_jobs_result: Vec<Job>,
    /// Sub-job ids; elements that are not strings are kept as their JSON text.
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
    /// The document exactly as received (`Null` for a job built by hand).
    #[serde(skip)]
    pub raw: Value,
}

impl Job {
    /// Reads a job document from JSON text. Fails only on invalid JSON or a document that is
    /// not a JSON object.
    pub fn from_json(text: &str) -> Result<Job, serde_json::Error> {
        Job::from_value(serde_json::from_str(text)?)
    }

    /// Reads a job document from a JSON value. Fails only when it is not an object.
    pub fn from_value(value: Value) -> Result<Job, serde_json::Error> {
        match value {
            Value::Object(map) => {
                let mut job = Job::from_map(&map, 0);
                job.raw = Value::Object(map);
                Ok(job)
            }
            other => Err(<serde_json::Error as serde::de::Error>::custom(format!(
                "a job document must be a JSON object, got {}",
                kind(&other)
            ))),
        }
    }

    /// The document as JSON: [`Job::raw`] as received, or the clean shape for a job built by
    /// hand.
    pub fn to_json(&self) -> String {
        if self.raw.is_object() {
            self.raw.to_string()
        } else {
            // Cannot fail: only strings, numbers and nested maps with string keys.
            serde_json::to_string(self).unwrap_or_default()
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

    fn from_map(map: &Map<String, Value>, depth: usize) -> Job {
        let get = |key: &str| text(map.get(key));
        Job {
            job_id: get("job_id").unwrap_or_default(),
            job_type: get("job_type"),
            status: JobStatus::from_value(map.get("status")),
            begin_time: get("begin_time"),
            end_time: get("end_time"),
            error_code: get("error_code"),
            fail_reason: get("fail_reason"),
            entities: match map.get("entities") {
                Some(Value::Object(e)) => JobEntities::from_map(e, depth),
                _ => JobEntities::default(),
            },
            raw: Value::Null,
        }
    }
}

impl<'de> Deserialize<'de> for Job {
    /// Reads like [`Job::from_value`].
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Job::from_value(value).map_err(serde::de::Error::custom)
    }
}

impl JobEntities {
    fn from_map(map: &Map<String, Value>, depth: usize) -> JobEntities {
        let get = |key: &str| text(map.get(key));
        let objects = |key: &str| -> Vec<&Map<String, Value>> {
            match map.get(key) {
                Some(Value::Array(items)) => items.iter().filter_map(Value::as_object).collect(),
                _ => Vec::new(),
            }
        };
        JobEntities {
            image_id: get("image_id"),
            image_name: get("image_name"),
            process_percent: percent(map.get("process_percent")),
            current_task: get("current_task"),
            sub_job_id: get("sub_job_id"),
            results: objects("results")
                .into_iter()
                .map(|r| JobResult {
                    image_id: text(r.get("image_id")),
                    project_id: text(r.get("project_id")),
                    status: text(r.get("status")),
                })
                .collect(),
            sub_jobs_result: if depth < MAX_SUB_JOB_DEPTH {
                objects("sub_jobs_result")
                    .into_iter()
                    .map(|sub| {
                        let mut job = Job::from_map(sub, depth + 1);
                        job.raw = Value::Object(sub.clone());
                        job
                    })
                    .collect()
            } else {
                Vec::new()
            },
            sub_jobs_list: match map.get("sub_jobs_list") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(items)) => items.iter().map(any_text).collect(),
                Some(other) => vec![any_text(other)],
            },
            error_code: get("error_code"),
            error: get("error"),
            addition_error_code: get("addition_error_code"),
            addition_error_msg: get("addition_error_msg"),
            alarm_code: get("alarm_code"),
        }
    }
}

/// Lenient text: `None` for missing, `null` and `""`; numbers, booleans and structures as their
/// JSON text.
fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        other => Some(any_text(other)),
    }
}

/// A string as itself, anything else as its compact JSON.
fn any_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A finite number, or a string holding one (a trailing `%` is allowed).
fn percent(value: Option<&Value>) -> Option<f64> {
    let p = match value? {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().trim_end_matches('%').trim().parse::<f64>().ok()?,
        _ => return None,
    };
    p.is_finite().then_some(p)
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
