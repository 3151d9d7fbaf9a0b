//! The blocking door: [`Client`] runs each exchange of the shared async implementation on the
//! process's runtime, driven from the calling thread ([`super::io`]), and sleeps between polls
//! and calls the wait's observer on that thread, outside the runtime.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::io::{self, Check, Stopped};
use super::wait::{Next, Verdict, Waiter};
use super::{
    ClientBuilder, ClientConfig, Control, Inner, JobEndpoint, JobId, RequestPreview, WaitObserver,
    WaitOptions,
};
use crate::error::{Error, Result};
use crate::model::{Image, ImagePage, ImageQuery, ImageQuota, Job, WholeImageRequest};

/// The IMS client for blocking code. See the crate docs for an example.
///
/// Cheap to clone (one `Arc`), `Send + Sync`: share one across threads. Each call drives the
/// process's runtime from the calling thread, or waits while another call drives it
/// (`super::io`); only the library's code runs inside, so no caller's callback ever holds
/// up another's I/O. It works from any thread: plain threads, C and Python threads, and
/// inside a tokio context (`spawn_blocking`, `block_in_place`), where a scoped thread drives
/// the call. A call made on an async task's own thread blocks that thread until the answer
/// comes (like any blocking call there): use [`super::AsyncClient`] in async code.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.debug_as("Client", f)
    }
}

/// Asked on the calling thread while a blocking call waits for its answer (see
/// [`Client::create_whole_image_interruptible`]): every `every`, `stop()` may end the call.
pub struct Interrupt<'a> {
    /// How often to ask (e.g. 100 ms).
    pub every: Duration,
    /// `true` stops the call at once with [`Error::Interrupted`].
    pub stop: &'a mut dyn FnMut() -> bool,
}

impl fmt::Debug for Interrupt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interrupt")
            .field("every", &self.every)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder with every default.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client with these settings. Fails on a bad endpoint, region, proxy, certificate or
    /// retry policy; credentials are looked up lazily, on the first call. Starts no thread.
    pub fn new(config: ClientConfig) -> Result<Client> {
        Ok(Client {
            inner: Arc::new(Inner::new(config)?),
        })
    }

    /// The IMS endpoint in use.
    pub fn endpoint(&self) -> &str {
        self.inner.endpoint.as_str()
    }

    /// The project id, resolving it (through IAM if need be) on first use.
    pub fn project_id(&self) -> Result<String> {
        let inner = Arc::clone(&self.inner);
        io::run_to_end(async move { inner.project_id().await })
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
        request.validate()?;
        let inner = Arc::clone(&self.inner);
        let request = request.clone();
        io::run_to_end(async move { inner.create_whole_image(&request, None).await })
    }

    /// [`Client::create_whole_image`], asking `interrupt` on this thread while it waits (to
    /// answer Ctrl-C, say). When it stops the call: [`Error::Interrupted`], whose
    /// `may_have_been_sent` says whether the request may have reached the service (an image
    /// may then be on its way: look for it before creating it again).
    pub fn create_whole_image_interruptible(
        &self,
        request: &WholeImageRequest,
        interrupt: Interrupt<'_>,
    ) -> Result<JobId> {
        request.validate()?;
        let inner = Arc::clone(&self.inner);
        let request = request.clone();
        let sending = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&sending);
        let check = Check {
            every: interrupt.every,
            stop: interrupt.stop,
        };
        match io::run(
            async move { inner.create_whole_image(&request, Some(&flag)).await },
            None,
            Some(check),
        ) {
            Ok(result) => result,
            Err(_) => Err(Error::Interrupted {
                operation: "create_whole_image",
                may_have_been_sent: sending.load(Ordering::Relaxed),
            }),
        }
    }

    /// What [`Client::create_whole_image`] would send, without sending it: the request is
    /// validated and signed, and secrets (`Authorization`, `X-Security-Token`, `X-Auth-Token`)
    /// are redacted. A project id that would be looked up in IAM is shown as a placeholder.
    pub fn preview_create(&self, request: &WholeImageRequest) -> Result<RequestPreview> {
        request.validate()?;
        let inner = Arc::clone(&self.inner);
        let request = request.clone();
        io::run_to_end(async move { inner.preview_create(&request).await })
    }

    /// Queries a job through the configured [`JobEndpoint`].
    pub fn job(&self, job_id: &JobId) -> Result<Job> {
        self.job_via(job_id, self.inner.job_endpoint)
    }

    /// Queries a job through the given endpoint.
    pub fn job_via(&self, job_id: &JobId, which: JobEndpoint) -> Result<Job> {
        let inner = Arc::clone(&self.inner);
        let job_id = job_id.clone();
        io::run_to_end(async move { inner.job_via(&job_id, which).await })
    }

    /// [`Client::job`], asking `interrupt` on this thread while it waits; when it stops the
    /// call: [`Error::Interrupted`].
    pub fn job_interruptible(&self, job_id: &JobId, interrupt: Interrupt<'_>) -> Result<Job> {
        let inner = Arc::clone(&self.inner);
        let job_id = job_id.clone();
        let which = self.inner.job_endpoint;
        let check = Check {
            every: interrupt.every,
            stop: interrupt.stop,
        };
        match io::run(
            async move { inner.job_via(&job_id, which).await },
            None,
            Some(check),
        ) {
            Ok(result) => result,
            Err(_) => Err(Error::Interrupted {
                operation: "job",
                may_have_been_sent: true,
            }),
        }
    }

    /// Waits for the job to end. SUCCESS returns the job ([`Job::image_id`] has the image);
    /// FAIL returns [`crate::Error::JobFailed`]; the timeout returns
    /// [`crate::Error::WaitTimeout`] with the last job seen. Options that break
    /// [`WaitOptions::validate`] give [`crate::Error::Validation`] before anything is sent.
    /// After a transient error the next poll waits at least the client's retry backoff, or the
    /// server's `Retry-After`. The timeout is a deadline: no poll outlives it.
    pub fn wait(&self, job_id: &JobId, options: &WaitOptions) -> Result<Job> {
        self.wait_with(job_id, options, &mut super::wait::Silent)
    }

    /// [`Client::wait`], reporting to `observer` (a closure `FnMut(&Progress) -> Control` works).
    ///
    /// The observer runs on this thread, outside any runtime, between polls (and every
    /// [`WaitOptions::tick`] while the wait sleeps or a poll is out, when it
    /// [wants ticks](WaitObserver::wants_ticks)): it may block, sleep, take locks and call any
    /// client, this one included; no other thread's call waits for it.
    pub fn wait_with(
        &self,
        job_id: &JobId,
        options: &WaitOptions,
        observer: &mut dyn WaitObserver,
    ) -> Result<Job> {
        let mut waiter = Waiter::new(&self.inner, job_id, options)?;
        let ticks = observer.wants_ticks();
        let tick = options.tick.max(Duration::from_millis(1));
        loop {
            let (at, give_up) = match waiter.next() {
                Next::PollAt(at) => (at, false),
                Next::TimeOutAt(at) => (at, true),
            };
            if sleep_ticking(at, ticks.then_some(tick), waiter.start(), observer) == Control::Cancel
            {
                return Err(waiter.cancelled());
            }
            if give_up {
                return Err(waiter.timed_out());
            }
            let inner = Arc::clone(&self.inner);
            let id = job_id.clone();
            let which = self.inner.job_endpoint;
            let start = waiter.start();
            let mut on_tick = || observer.on_tick(start.elapsed()) == Control::Cancel;
            let check = ticks.then_some(Check {
                every: tick,
                stop: &mut on_tick,
            });
            let poll = async move { inner.job_via(&id, which).await };
            let result = match io::run(poll, Some(waiter.poll_deadline()), check) {
                Ok(result) => result,
                Err(Stopped::Deadline) => return Err(waiter.timed_out()),
                Err(Stopped::Interrupted) => return Err(waiter.cancelled()),
            };
            if let Verdict::Over(result) = waiter.after_poll(result, observer) {
                return *result;
            }
        }
    }

    /// The async door over the same state (connections, project id, clock offset): what
    /// the blocking fleet run drives.
    pub fn to_async(&self) -> super::AsyncClient {
        super::AsyncClient::from_inner(Arc::clone(&self.inner))
    }

    /// One page of `GET /v2/cloudimages` after `marker` (see [`super::AsyncClient::list_images_page`]).
    pub fn list_images_page(&self, query: &ImageQuery, marker: Option<&str>) -> Result<ImagePage> {
        let inner = Arc::clone(&self.inner);
        let query = query.clone();
        let marker = marker.map(str::to_owned);
        io::run_to_end(async move { inner.list_images_page(&query, marker.as_deref()).await })
    }

    /// Every image `query` selects, read to the end (see [`super::AsyncClient::list_images`]).
    pub fn list_images(&self, query: &ImageQuery) -> Result<Vec<Image>> {
        let inner = Arc::clone(&self.inner);
        let query = query.clone();
        io::run_to_end(async move {
            let mut all = Vec::new();
            inner
                .visit_images(&query, &mut |i| {
                    all.push(i);
                    true
                })
                .await?;
            Ok(all)
        })
    }

    /// The region's private-image quota (see [`super::AsyncClient::image_quota`]).
    pub fn image_quota(&self) -> Result<ImageQuota> {
        let inner = Arc::clone(&self.inner);
        io::run_to_end(async move { inner.image_quota().await })
    }

    /// Deletes an image (see [`super::AsyncClient::delete_image`]).
    pub fn delete_image(&self, image_id: &str, delete_backup: bool) -> Result<()> {
        let inner = Arc::clone(&self.inner);
        let image_id = image_id.to_owned();
        io::run_to_end(async move { inner.delete_image(&image_id, delete_backup).await })
    }
}

/// Sleeps on this thread until `end`, calling `on_tick` every `tick` (when given); stops early
/// on cancel.
fn sleep_ticking(
    end: Instant,
    tick: Option<Duration>,
    start: Instant,
    observer: &mut dyn WaitObserver,
) -> Control {
    loop {
        if tick.is_some() && observer.on_tick(start.elapsed()) == Control::Cancel {
            return Control::Cancel;
        }
        let now = Instant::now();
        if now >= end {
            return Control::Continue;
        }
        let left = end - now;
        std::thread::sleep(tick.map_or(left, |t| t.min(left)));
    }
}
