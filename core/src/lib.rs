//! `ims-core`: everything that knows Huawei Cloud IMS full-ECS image creation.
//!
//! * [`model`]: the request ([`model::WholeImageRequest`]) and the job document ([`model::Job`]).
//! * [`validate`]: every documented rule, all violations reported at once.
//! * [`sign`]: the AK/SK signer (`SDK-HMAC-SHA256`, `SDK-HMAC-SM3`, `V11-HMAC-SHA256`).
//! * [`credentials`]: AK/SK and their providers (environment, profile file, instance metadata).
//! * [`endpoint`]: regions and endpoints.
//! * [`client`]: the blocking [`Client`] and the async [`AsyncClient`] (tokio), one
//!   implementation underneath: create, query, wait.
//! * [`error`]: the one error type callers match on.
//!
//! ```no_run
//! use ims_core::{Client, Credentials, WaitOptions, model::WholeImageRequest};
//!
//! let client = Client::builder()
//!     .region("cn-north-4")
//!     .credentials(Credentials::new("AK", "SK"))
//!     .build()?;
//! let request = WholeImageRequest::from_ecs("nightly", "877a2cda-ba63-4e1e-b95f-e67e48b6129a", "de9fcf45-11b2-432c-8562-5c5428574600")
//!     .description("built by CI")
//!     .tag("team", "infra")
//!     .build()?;
//! let job_id = client.create_whole_image(&request)?;
//! let job = client.wait(&job_id, &WaitOptions::default())?;
//! println!("image {}", job.image_id().unwrap_or("?"));
//! # Ok::<(), ims_core::Error>(())
//! ```

#![forbid(unsafe_code)]

#[cfg(feature = "client")]
pub mod client;
pub mod credentials;
pub mod endpoint;
pub mod env;
pub mod error;
#[cfg(feature = "fleet")]
pub mod fleet;
pub mod model;
mod redact;
pub mod sign;
pub mod time;
pub mod validate;
pub mod violation;

#[cfg(feature = "client")]
pub use client::{
    AsyncClient, Client, ClientBuilder, ClientConfig, JobEndpoint, JobId, RequestPreview,
    WaitOptions,
};
pub use credentials::Credentials;

/// The README's Rust code blocks, compiled (and, unless marked `no_run`, run) as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
pub use error::{ApiError, Error, ErrorKind, Result};
