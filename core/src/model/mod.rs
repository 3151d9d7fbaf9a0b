//! The data the API exchanges: the create request and the asynchronous job document.

pub mod job;
pub mod request;
mod request_json;

pub use job::{Job, JobEntities, JobResult, JobStatus};
pub use request::{ImageTag, Source, TagSyntaxError, Tags, WholeImageBuilder, WholeImageRequest};
