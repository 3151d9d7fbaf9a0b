//! The blocking door: [`Client`] runs each operation of the shared async implementation to
//! completion on the calling thread ([`super::driver`]); no thread is started.

use std::fmt;
use std::sync::Arc;

use super::driver::Driver;
use super::{
    ClientBuilder, ClientConfig, Inner, JobEndpoint, JobId, RequestPreview, WaitObserver,
    WaitOptions,
};
use crate::error::Result;
use crate::model::{Job, WholeImageRequest};

/// The blocking IMS client. See the crate docs for an example.
///
/// Cheap to clone (two `Arc`s), `Send + Sync`: share one across threads. Each call runs its
/// I/O on the calling thread. Called inside an async runtime, every method returns
/// [`crate::Error::Config`] pointing to [`super::AsyncClient`] instead of stalling the runtime.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    driver: Arc<Driver>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

impl Client {
    /// A builder with every default.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client with these settings. Fails on a bad endpoint, region, proxy, certificate or
    /// retry policy; credentials are looked up lazily, on the first call.
    pub fn new(config: ClientConfig) -> Result<Client> {
        Ok(Client {
            inner: Arc::new(Inner::new(config)?),
            driver: Arc::new(Driver::new()?),
        })
    }

    /// The IMS endpoint in use.
    pub fn endpoint(&self) -> &str {
        self.inner.endpoint.as_str()
    }

    /// The project id, resolving it (through IAM if need be) on first use.
    pub fn project_id(&self) -> Result<String> {
        self.driver.block_on(self.inner.project_id())
    }

    /// Seconds the client currently adds to the local clock when signing (learned from the
    /// gateway after a "signature expired" answer; 0 normally).
    pub fn clock_offset_secs(&self) -> i64 {
        self.inner.clock_offset_secs()
    }

    /// Creates a full-ECS image: validates the request (nothing is sent when it is invalid),
    /// then `POST /v1/cloudimages/wholeimages/action`. Retried only when the request surely
    /// did not reach the service, or was throttled, so it never creates two images.
    pub fn create_whole_image(&self, request: &WholeImageRequest) -> Result<JobId> {
        self.driver.block_on(self.inner.create_whole_image(request))
    }

    /// What [`Client::create_whole_image`] would send, without sending it: the request is
    /// validated and signed, and secrets (`Authorization`, `X-Security-Token`, `X-Auth-Token`)
    /// are redacted. A project id that would be looked up in IAM is shown as a placeholder.
    pub fn preview_create(&self, request: &WholeImageRequest) -> Result<RequestPreview> {
        self.driver.block_on(self.inner.preview_create(request))
    }

    /// Queries a job through the configured [`JobEndpoint`].
    pub fn job(&self, job_id: &JobId) -> Result<Job> {
        self.job_via(job_id, self.inner.job_endpoint)
    }

    /// Queries a job through the given endpoint.
    pub fn job_via(&self, job_id: &JobId, which: JobEndpoint) -> Result<Job> {
        self.driver.block_on(self.inner.job_via(job_id, which))
    }

    /// Waits for the job to end. SUCCESS returns the job ([`Job::image_id`] has the image);
    /// FAIL returns [`crate::Error::JobFailed`]; the timeout returns
    /// [`crate::Error::WaitTimeout`] with the last job seen. Options that break
    /// [`WaitOptions::validate`] give [`crate::Error::Validation`] before anything is sent.
    /// After a transient error the next poll waits at least the client's retry backoff, or the
    /// server's `Retry-After`.
    pub fn wait(&self, job_id: &JobId, options: &WaitOptions) -> Result<Job> {
        self.wait_with(job_id, options, &mut super::wait::Silent)
    }

    /// [`Client::wait`], reporting to `observer` (a closure `FnMut(&Progress) -> Control` works).
    pub fn wait_with(
        &self,
        job_id: &JobId,
        options: &WaitOptions,
        observer: &mut dyn WaitObserver,
    ) -> Result<Job> {
        self.driver
            .block_on(self.inner.wait_with(job_id, options, observer))
    }
}
