//! What the client test binaries share: an in-process emulator, a client pointed at it through
//! either door ([`Door`]: the blocking `Client` or the `AsyncClient` on a runtime of either
//! flavour), the [`doors!`] macro that runs one test body against every door, an example
//! request, and a minimal `tracing` subscriber that captures events.
#![allow(dead_code, unused_macros, unused_imports)]

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ims_core::client::{RequestPreview, RetryPolicy, WaitObserver};
use ims_core::credentials::CredentialProvider;
use ims_core::model::{Job, WholeImageRequest};
use ims_core::{AsyncClient, Client, ClientBuilder, Credentials, JobEndpoint, JobId, WaitOptions};
use ims_emulator::{Emulator, EmulatorConfig};

/// Which door a test goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoorKind {
    /// The blocking [`Client`].
    Blocking,
    /// The [`AsyncClient`], awaited on a current-thread runtime.
    AsyncCurrentThread,
    /// The [`AsyncClient`], awaited on a multi-thread runtime with 2 workers.
    AsyncMultiThread,
}

impl DoorKind {
    /// Every door.
    pub const ALL: [DoorKind; 3] = [
        DoorKind::Blocking,
        DoorKind::AsyncCurrentThread,
        DoorKind::AsyncMultiThread,
    ];

    /// A short upper-case tag, to keep names (access keys of the process-wide project cache)
    /// apart between the doors of one test running in parallel.
    pub fn tag(self) -> &'static str {
        match self {
            DoorKind::Blocking => "B",
            DoorKind::AsyncCurrentThread => "ACT",
            DoorKind::AsyncMultiThread => "AMT",
        }
    }

    /// Asks `provider` the way this door's client does: `credentials()` on the blocking door,
    /// `credentials_async()` awaited on a runtime of the async door's flavour.
    pub fn credentials_of(
        self,
        provider: &dyn CredentialProvider,
    ) -> ims_core::Result<Credentials> {
        match self.runtime() {
            None => provider.credentials(),
            Some(rt) => rt.block_on(provider.credentials_async()),
        }
    }

    /// A runtime of this door's flavour (`None` for the blocking door).
    pub fn runtime(self) -> Option<tokio::runtime::Runtime> {
        let built = match self {
            DoorKind::Blocking => return None,
            DoorKind::AsyncCurrentThread => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build(),
            DoorKind::AsyncMultiThread => tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build(),
        };
        Some(built.expect("runtime starts"))
    }
}

/// One client behind either door, with the blocking client's signatures: the async door runs
/// each call to completion with `block_on` on its own runtime.
pub enum Door {
    /// The blocking client.
    Blocking(Client),
    /// The async client and the runtime its futures are awaited on.
    Async {
        /// The client.
        client: AsyncClient,
        /// Its runtime (current-thread or multi-thread, see [`DoorKind`]).
        rt: tokio::runtime::Runtime,
    },
}

impl fmt::Debug for Door {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Door::Blocking(c) => fmt::Debug::fmt(c, f),
            Door::Async { client, .. } => fmt::Debug::fmt(client, f),
        }
    }
}

impl Door {
    /// Which door this is.
    pub fn kind(&self) -> DoorKind {
        match self {
            Door::Blocking(_) => DoorKind::Blocking,
            Door::Async { rt, .. } => match rt.handle().runtime_flavor() {
                tokio::runtime::RuntimeFlavor::CurrentThread => DoorKind::AsyncCurrentThread,
                _ => DoorKind::AsyncMultiThread,
            },
        }
    }

    /// The IMS endpoint in use.
    pub fn endpoint(&self) -> &str {
        match self {
            Door::Blocking(c) => c.endpoint(),
            Door::Async { client, .. } => client.endpoint(),
        }
    }

    /// The project id, looked up on first use.
    pub fn project_id(&self) -> ims_core::Result<String> {
        match self {
            Door::Blocking(c) => c.project_id(),
            Door::Async { client, rt } => rt.block_on(client.project_id()),
        }
    }

    /// The clock offset learned from the gateway.
    pub fn clock_offset_secs(&self) -> i64 {
        match self {
            Door::Blocking(c) => c.clock_offset_secs(),
            Door::Async { client, .. } => client.clock_offset_secs(),
        }
    }

    /// Creates a full-ECS image.
    pub fn create_whole_image(&self, request: &WholeImageRequest) -> ims_core::Result<JobId> {
        match self {
            Door::Blocking(c) => c.create_whole_image(request),
            Door::Async { client, rt } => rt.block_on(client.create_whole_image(request)),
        }
    }

    /// What a create would send.
    pub fn preview_create(&self, request: &WholeImageRequest) -> ims_core::Result<RequestPreview> {
        match self {
            Door::Blocking(c) => c.preview_create(request),
            Door::Async { client, rt } => rt.block_on(client.preview_create(request)),
        }
    }

    /// Queries a job through the configured endpoint.
    pub fn job(&self, job_id: &JobId) -> ims_core::Result<Job> {
        match self {
            Door::Blocking(c) => c.job(job_id),
            Door::Async { client, rt } => rt.block_on(client.job(job_id)),
        }
    }

    /// Queries a job through the given endpoint.
    pub fn job_via(&self, job_id: &JobId, which: JobEndpoint) -> ims_core::Result<Job> {
        match self {
            Door::Blocking(c) => c.job_via(job_id, which),
            Door::Async { client, rt } => rt.block_on(client.job_via(job_id, which)),
        }
    }

    /// Waits for the job to end.
    pub fn wait(&self, job_id: &JobId, options: &WaitOptions) -> ims_core::Result<Job> {
        match self {
            Door::Blocking(c) => c.wait(job_id, options),
            Door::Async { client, rt } => rt.block_on(client.wait(job_id, options)),
        }
    }

    /// Waits for the job to end, reporting to `observer`.
    pub fn wait_with(
        &self,
        job_id: &JobId,
        options: &WaitOptions,
        observer: &mut (dyn WaitObserver + Send),
    ) -> ims_core::Result<Job> {
        match self {
            Door::Blocking(c) => c.wait_with(job_id, options, observer),
            Door::Async { client, rt } => rt.block_on(client.wait_with(job_id, options, observer)),
        }
    }
}

/// The most connections one caller's back-to-back calls open through the door `kind` when
/// every connection is kept alive: 1, except on a multi-thread runtime, where 2. There hyper's
/// pool puts a finished connection back from a task on another worker, and the caller's next
/// request, racing it, may find the pool empty and open a second one (hyperium/hyper#4134);
/// from then on the two alternate, so there is never a third.
pub fn sequential_connections(kind: DoorKind) -> u64 {
    match kind {
        DoorKind::Blocking | DoorKind::AsyncCurrentThread => 1,
        DoorKind::AsyncMultiThread => 2,
    }
}

/// Builds a [`Door`] from a [`ClientBuilder`].
pub trait BuildDoor {
    /// The client of these settings behind the door `kind` (the same checks either way).
    fn build_door(self, kind: DoorKind) -> ims_core::Result<Door>;
}

impl BuildDoor for ClientBuilder {
    fn build_door(self, kind: DoorKind) -> ims_core::Result<Door> {
        match kind.runtime() {
            None => self.build().map(Door::Blocking),
            Some(rt) => Ok(Door::Async {
                client: self.build_async()?,
                rt,
            }),
        }
    }
}

/// One `#[test]` per door for each named test function `fn name(kind: DoorKind)`:
/// `doors!(name, other)` makes the tests `name::blocking`, `name::async_current_thread` and
/// `name::async_multi_thread` (a module beside the function, which lives in the other
/// namespace), each calling the function with its door. `doors!(only [blocking,
/// async_current_thread]: name)` makes only the doors listed. The bodies stay plain functions,
/// so rustfmt and clippy see them, and one left out of every list is dead code, which clippy
/// refuses.
macro_rules! doors {
    (only [$($door:ident),+ $(,)?]: $(,)?) => {};
    (only [$($door:ident),+ $(,)?]: $name:ident $(, $rest:ident)* $(,)?) => {
        mod $name {
            $( crate::common::doors!(@test $name $door); )+
        }
        crate::common::doors!(only [$($door),+]: $($rest),*);
    };
    (@test $name:ident blocking) => {
        #[test]
        fn blocking() {
            super::$name(crate::common::DoorKind::Blocking)
        }
    };
    (@test $name:ident async_current_thread) => {
        #[test]
        fn async_current_thread() {
            super::$name(crate::common::DoorKind::AsyncCurrentThread)
        }
    };
    (@test $name:ident async_multi_thread) => {
        #[test]
        fn async_multi_thread() {
            super::$name(crate::common::DoorKind::AsyncMultiThread)
        }
    };
    ($($name:ident),+ $(,)?) => {
        crate::common::doors!(only [blocking, async_current_thread, async_multi_thread]: $($name),+);
    };
}
pub(crate) use doors;

/// An ECS id of the examples.
pub const INSTANCE: &str = "877a2cda-ba63-4e1e-b95f-e67e48b6129a";
/// A CBR vault id of the examples.
pub const VAULT: &str = "de9fcf45-11b2-432c-8562-5c5428574600";

/// The demo emulator with jobs of `job`, without the tenant's limits (these tests make
/// hundreds of images at once; the fleet tests set the limits they test).
pub fn emulator(job: Duration) -> Emulator {
    Emulator::start(
        EmulatorConfig::demo()
            .with_job_duration(job)
            .without_tenant_limits(),
    )
    .expect("emulator starts")
}

/// Four attempts with millisecond backoff: retries without slowing the tests.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
    }
}

/// A builder for `emu` with the demo credentials, `retry` and a 5 s timeout.
pub fn builder_with(emu: &Emulator, retry: RetryPolicy) -> ClientBuilder {
    let cfg = EmulatorConfig::demo();
    Client::builder()
        .endpoint(emu.url())
        .project_id(emu.project_id())
        .credentials(Credentials::new(cfg.settings.ak, cfg.settings.sk))
        .retry_policy(retry)
        .timeout(Duration::from_secs(5))
}

/// [`builder_with`] and [`fast_retry`].
pub fn builder(emu: &Emulator) -> ClientBuilder {
    builder_with(emu, fast_retry())
}

/// A client for `emu` ([`builder`]) behind the door `kind`.
pub fn client(emu: &Emulator, kind: DoorKind) -> Door {
    builder(emu).build_door(kind).expect("client builds")
}

/// A valid request from the example ECS.
pub fn ecs(name: &str) -> WholeImageRequest {
    WholeImageRequest::from_ecs(name, INSTANCE, VAULT)
        .build()
        .expect("valid request")
}

/// One captured event: target, message, and its other fields as text.
pub type Event = (String, String, BTreeMap<String, String>);

/// A `tracing` subscriber that keeps every event (no subscriber crate needed).
#[derive(Clone, Default)]
pub struct Capture {
    events: Arc<Mutex<Vec<Event>>>,
}

struct Fields(BTreeMap<String, String>);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut fields = Fields(BTreeMap::new());
        span.record(&mut fields);
        self.push((span.metadata().target().to_owned(), String::new(), fields.0));
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut fields = Fields(BTreeMap::new());
        values.record(&mut fields);
        self.push((String::new(), String::new(), fields.0));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields(BTreeMap::new());
        event.record(&mut fields);
        let message = fields.0.remove("message").unwrap_or_default();
        self.push((event.metadata().target().to_owned(), message, fields.0));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

impl Capture {
    fn push(&self, event: Event) {
        if let Ok(mut events) = self.events.lock() {
            events.push(event);
        }
    }

    /// The process-wide capture of this test binary (installed once, on every thread).
    pub fn global() -> Capture {
        static GLOBAL: OnceLock<Capture> = OnceLock::new();
        GLOBAL
            .get_or_init(|| {
                let c = Capture::default();
                tracing::subscriber::set_global_default(c.clone()).expect("first subscriber");
                c
            })
            .clone()
    }

    /// Runs `f` with this subscriber on the current thread.
    pub fn run<T>(&self, f: impl FnOnce() -> T) -> T {
        tracing::subscriber::with_default(self.clone(), f)
    }

    /// Forgets what was captured so far.
    pub fn clear(&self) {
        self.events.lock().expect("capture lock").clear();
    }

    /// The fields of every event with this message.
    pub fn with_message(&self, message: &str) -> Vec<BTreeMap<String, String>> {
        self.events
            .lock()
            .expect("capture lock")
            .iter()
            .filter(|(_, m, _)| m == message)
            .map(|(_, _, f)| f.clone())
            .collect()
    }

    /// Everything captured, one line an event: `target message k=v ...`.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for (target, message, fields) in self.events.lock().expect("capture lock").iter() {
            out.push_str(target);
            out.push(' ');
            out.push_str(message);
            for (k, v) in fields {
                out.push_str(&format!(" {k}={v}"));
            }
            out.push('\n');
        }
        out
    }
}
