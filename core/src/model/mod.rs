//! The data the API exchanges: the create request and the asynchronous job document.

mod fields;
pub mod job;
mod job_id;
pub mod request;
mod request_json;

pub use job::{Job, JobEntities, JobResult, JobStatus};
pub use job_id::{JOB_ID_MAX_CHARS, JobId};
pub use request::{ImageTag, Source, TagSyntaxError, Tags, WholeImageBuilder, WholeImageRequest};
