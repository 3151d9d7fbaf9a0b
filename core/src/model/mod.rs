//! The data the API exchanges: the create request, the asynchronous job document, and the
//! images a listing shows.

mod fields;
pub mod image;
pub mod job;
mod job_id;
pub mod request;
mod request_json;

pub use image::{Image, ImagePage, ImageQuery, ImageQuota};
pub use job::{Job, JobEntities, JobResult, JobStatus};
pub use job_id::{JOB_ID_MAX_CHARS, JobId};
pub use request::{ImageTag, Source, TagSyntaxError, Tags, WholeImageBuilder, WholeImageRequest};
