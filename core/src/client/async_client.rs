//! The async door: [`AsyncClient`] awaits the shared implementation on the caller's runtime.

use std::fmt;
use std::sync::Arc;

use super::{ClientConfig, Inner, JobEndpoint, JobId, RequestPreview, WaitObserver, WaitOptions};
use crate::error::Result;
use crate::model::{Image, ImagePage, ImageQuery, ImageQuota, Job, WholeImageRequest};

/// The IMS client for async code (tokio), built by
/// [`ClientBuilder::build_async`](super::ClientBuilder::build_async).
///
/// The same operations, rules, retries and waiter as the blocking [`super::Client`], as
/// futures: `Send`, so they may be spawned, and usable on multi-thread and current-thread
/// runtimes alike. The client is cheap to clone (one `Arc`) and `Send + Sync`: share one across
/// tasks. Use it from one runtime: its pooled connections live on the runtime that opened them.
///
/// Every future is cancel-safe: dropping it (a `select!`, a timeout, an aborted task) stops the
/// operation at once, leaves no task or timer behind, and leaves the client usable. A create
/// dropped after its request was written may still have created the image, exactly as a
/// transport error after sending would.
///
/// ```no_run
/// # async fn run() -> ims_core::Result<()> {
/// use ims_core::{Client, Credentials, WaitOptions, model::WholeImageRequest};
///
/// let client = Client::builder()
///     .region("cn-north-4")
///     .credentials(Credentials::new("AK", "SK"))
///     .build_async()?;
/// let request = WholeImageRequest::from_ecs("nightly", "877a2cda-ba63-4e1e-b95f-e67e48b6129a", "de9fcf45-11b2-432c-8562-5c5428574600")
///     .build()?;
/// let job_id = client.create_whole_image(&request).await?;
/// let job = client.wait(&job_id, &WaitOptions::default()).await?;
/// println!("image {}", job.image_id().unwrap_or("?"));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct AsyncClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for AsyncClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.debug_as("AsyncClient", f)
    }
}

impl AsyncClient {
    /// A client with these settings (what [`super::ClientBuilder::build_async`] calls). Fails
    /// on a bad endpoint, region, proxy, certificate or retry policy; credentials are looked
    /// up lazily, on the first call. Needs no runtime to be built.
    pub fn new(config: ClientConfig) -> Result<AsyncClient> {
        Ok(AsyncClient {
            inner: Arc::new(Inner::new(config)?),
        })
    }

    /// The door over state another door built.
    pub(crate) fn from_inner(inner: Arc<Inner>) -> AsyncClient {
        AsyncClient { inner }
    }

    /// The IMS endpoint in use.
    pub fn endpoint(&self) -> &str {
        self.inner.endpoint.as_str()
    }

    /// The project id, resolving it (through IAM if need be) on first use.
    pub async fn project_id(&self) -> Result<String> {
        self.inner.project_id().await
    }

    /// Seconds the client currently adds to the local clock when signing (learned from the
    /// gateway after a "signature expired" answer; 0 normally).
    pub fn clock_offset_secs(&self) -> i64 {
        self.inner.clock_offset_secs()
    }

    /// Creates a full-ECS image: validates the request (nothing is sent when it is invalid),
    /// then `POST /v1/cloudimages/wholeimages/action`. Retried only when the request surely
    /// did not reach the service, or was throttled, so it never creates two images.
    pub async fn create_whole_image(&self, request: &WholeImageRequest) -> Result<JobId> {
        self.inner.create_whole_image(request, None).await
    }

    /// What [`AsyncClient::create_whole_image`] would send, without sending it: the request is
    /// validated and signed, and secrets (`Authorization`, `X-Security-Token`, `X-Auth-Token`)
    /// are redacted. A project id that would be looked up in IAM is shown as a placeholder.
    pub async fn preview_create(&self, request: &WholeImageRequest) -> Result<RequestPreview> {
        self.inner.preview_create(request).await
    }

    /// Queries a job through the configured [`JobEndpoint`].
    pub async fn job(&self, job_id: &JobId) -> Result<Job> {
        self.inner.job_via(job_id, self.inner.job_endpoint).await
    }

    /// Queries a job through the given endpoint.
    pub async fn job_via(&self, job_id: &JobId, which: JobEndpoint) -> Result<Job> {
        self.inner.job_via(job_id, which).await
    }

    /// Waits for the job to end, as [`super::Client::wait`] does (same options, pacing,
    /// errors). Sleeps are timers, not threads: thousands of waits share a runtime's threads.
    /// Dropping the future stops the polling at once.
    pub async fn wait(&self, job_id: &JobId, options: &WaitOptions) -> Result<Job> {
        self.inner
            .wait_with(job_id, options, &mut super::wait::Silent)
            .await
    }

    /// [`AsyncClient::wait`], reporting to `observer` between polls (a closure
    /// `FnMut(&Progress) -> Control + Send` works). The observer is called on the task that
    /// awaits, so it must not block; to hand progress to another task, send it through a
    /// channel (the README's async quick start does, with `tokio::sync::watch`).
    pub async fn wait_with(
        &self,
        job_id: &JobId,
        options: &WaitOptions,
        observer: &mut (dyn WaitObserver + Send),
    ) -> Result<Job> {
        self.inner.wait_with(job_id, options, observer).await
    }

    /// One page of `GET /v2/cloudimages` after `marker` (the last id of the previous page;
    /// `None` for the first), with `query`'s filters.
    pub async fn list_images_page(
        &self,
        query: &ImageQuery,
        marker: Option<&str>,
    ) -> Result<ImagePage> {
        self.inner.list_images_page(query, marker).await
    }

    /// Every image `query` selects, read page after page to the end and handed to `visit` in
    /// the service's order (`visit` returns `false` to stop). One page is in memory at a time.
    pub async fn visit_images(
        &self,
        query: &ImageQuery,
        visit: &mut (dyn FnMut(Image) -> bool + Send),
    ) -> Result<()> {
        self.inner.visit_images(query, visit).await
    }

    /// Every image `query` selects, read to the end (see [`AsyncClient::visit_images`] to
    /// hold one page at a time instead).
    pub async fn list_images(&self, query: &ImageQuery) -> Result<Vec<Image>> {
        let mut all = Vec::new();
        self.inner
            .visit_images(query, &mut |i| {
                all.push(i);
                true
            })
            .await?;
        Ok(all)
    }

    /// The region's private-image quota and how much of it is used
    /// (`GET /v1/cloudimages/quota`).
    pub async fn image_quota(&self) -> Result<ImageQuota> {
        self.inner.image_quota().await
    }

    /// Deletes an image (`DELETE /v2/images/{image_id}`), and its CBR backup when
    /// `delete_backup`. The service answers at once; the image leaves the list later.
    pub async fn delete_image(&self, image_id: &str, delete_backup: bool) -> Result<()> {
        self.inner.delete_image(image_id, delete_backup).await
    }
}
