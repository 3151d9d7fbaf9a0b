//! What the client test binaries share: an in-process emulator, a client pointed at it, an
//! example request, and a minimal `tracing` subscriber that captures events.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ims_core::client::RetryPolicy;
use ims_core::model::WholeImageRequest;
use ims_core::{Client, ClientBuilder, Credentials};
use ims_emulator::{Emulator, EmulatorConfig};

/// An ECS id of the examples.
pub const INSTANCE: &str = "877a2cda-ba63-4e1e-b95f-e67e48b6129a";
/// A CBR vault id of the examples.
pub const VAULT: &str = "de9fcf45-11b2-432c-8562-5c5428574600";

/// The demo emulator with jobs of `job`.
pub fn emulator(job: Duration) -> Emulator {
    Emulator::start(EmulatorConfig::demo().with_job_duration(job)).expect("emulator starts")
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

/// A client for `emu` ([`builder`]).
pub fn client(emu: &Emulator) -> Client {
    builder(emu).build().expect("client builds")
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
