//! The fleet engine: one task per item, at most `parallel` of them holding a creation slot,
//! each walking its item from the journal's state to a final one.
//!
//! An item's path: `pending` → (written durably) `sending` → POST → `submitted` (job id) →
//! wait → `succeeded` / `failed`. A create whose answer was lost leaves `sending`: the item is
//! reconciled by listing images with its tag (found: adopted and followed; not found once the
//! grace after the intent has passed: sent again; two found or listings failing: `unknown`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc, watch};

use super::FleetError;
use super::events::{FleetEvent, FleetObserver};
use super::journal::{DeletionRecord, DeletionState, ItemRecord, ItemState, Journal, JournalError};
use super::manifest::{Manifest, ManifestItem};
use super::options::FleetOptions;
use super::report::{FleetReport, ItemError, ItemReport, Outcome};
use super::tag::FleetTag;
use crate::client::{AsyncClient, Client, Control, Progress, WaitObserver};
use crate::error::Error;
use crate::model::{Image, ImageQuery};
use crate::time::now_unix_millis;

/// Codes of a create refused because the tenant has too many image tasks running (IMS's
/// flow-control limit `IMG.0060`): sent again later, never counted as failed.
pub const BUSY_CODES: &[&str] = &["IMG.0060"];
/// How long an item waits before sending again after a busy or throttled refusal.
const BUSY_RETRY: Duration = Duration::from_secs(5);
/// How often the blocking door hands events to its observer and asks it about stopping.
const TICK: Duration = Duration::from_millis(100);

/// Runs a fleet: resumes `options.run` from `journal`, creates what is left of `manifest`
/// with `client`, and reports every item. `observer` sees every event on the awaiting task
/// (it must not block); returning [`Control::Cancel`] stops the run gracefully.
///
/// Dropping the future stops everything at once: an item whose create was on the wire stays
/// `sending` in the journal, and the next run reconciles it.
pub async fn run(
    client: &AsyncClient,
    manifest: &Manifest,
    journal: Box<dyn Journal>,
    options: &FleetOptions,
    observer: &mut (dyn FleetObserver + Send),
) -> Result<FleetReport, FleetError> {
    let (engine, mut events, stop) = prepare(client.clone(), manifest, journal, options);
    let mut stop = StopSwitch::new(stop);
    let mut engine = std::pin::pin!(engine);
    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            Some(event) = events.recv() => {
                let verdict = observer.on_event(&event);
                stop.heed(verdict, observer);
            }
            _ = ticks.tick() => {
                let verdict = observer.on_tick();
                stop.heed(verdict, observer);
            }
            result = &mut engine => {
                while let Ok(event) = events.try_recv() {
                    observer.on_event(&event);
                }
                return result;
            }
        }
    }
}

/// The run's stop switch, as the observer works it: its first [`Control::Cancel`] stops the
/// run and is answered with one [`FleetEvent::Stopping`].
struct StopSwitch {
    stop: watch::Sender<bool>,
    told: bool,
}

impl StopSwitch {
    fn new(stop: watch::Sender<bool>) -> StopSwitch {
        StopSwitch { stop, told: false }
    }

    fn heed(&mut self, verdict: Control, observer: &mut (impl FleetObserver + ?Sized)) {
        if verdict == Control::Cancel && !self.told {
            self.told = true;
            self.stop.send_replace(true);
            observer.on_event(&FleetEvent::Stopping);
        }
    }
}

/// [`run`] for the blocking [`Client`]: the same engine, driven on this thread; `observer`
/// is called on this thread, outside the runtime, every time events are waiting and on every
/// tick (100 ms), so it may block or call the client. Events are handed over on those ticks:
/// the last ones may reach the observer after the run has released its journal.
pub fn run_blocking(
    client: &Client,
    manifest: &Manifest,
    journal: Box<dyn Journal>,
    options: &FleetOptions,
    observer: &mut dyn FleetObserver,
) -> Result<FleetReport, FleetError> {
    let (engine, mut events, stop) = prepare(client.to_async(), manifest, journal, options);
    let mut stop = StopSwitch::new(stop);
    let mut deliver = |observer: &mut dyn FleetObserver, stop: &mut StopSwitch| {
        while let Ok(event) = events.try_recv() {
            let verdict = observer.on_event(&event);
            stop.heed(verdict, observer);
        }
    };
    let mut check = || {
        deliver(&mut *observer, &mut stop);
        let verdict = observer.on_tick();
        stop.heed(verdict, &mut *observer);
        false
    };
    let outcome = crate::client::io::run(
        async move { Ok(engine.await) },
        None,
        Some(crate::client::io::Check {
            every: TICK,
            stop: &mut check,
        }),
    );
    deliver(observer, &mut stop);
    match outcome {
        Ok(Ok(result)) => result,
        Ok(Err(e)) => Err(FleetError::Service(e)),
        // The check never asks to stop, and there is no deadline.
        Err(_) => Err(FleetError::Service(Error::Config(
            "the fleet run stopped early".to_owned(),
        ))),
    }
}

type Engine =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<FleetReport, FleetError>> + Send>>;

/// The engine's future, its events and its stop switch.
fn prepare(
    client: AsyncClient,
    manifest: &Manifest,
    journal: Box<dyn Journal>,
    options: &FleetOptions,
) -> (
    Engine,
    mpsc::UnboundedReceiver<FleetEvent>,
    watch::Sender<bool>,
) {
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let (stop_tx, stop_rx) = watch::channel(false);
    let manifest = manifest.clone();
    let options = options.clone();
    let engine =
        Box::pin(
            async move { engine(client, manifest, journal, options, events_tx, stop_rx).await },
        );
    (engine, events_rx, stop_tx)
}

/// What every item task shares.
struct Shared {
    client: AsyncClient,
    journal: Arc<Mutex<Box<dyn Journal>>>,
    options: FleetOptions,
    events: mpsc::UnboundedSender<FleetEvent>,
    stop: watch::Receiver<bool>,
    slots: Semaphore,
    /// Set when the journal could not be written: nothing more is sent.
    journal_broken: AtomicBool,
}

impl Shared {
    fn emit(&self, event: FleetEvent) {
        let _ = self.events.send(event);
    }

    fn stopping(&self) -> bool {
        *self.stop.borrow() || self.journal_broken.load(Ordering::Relaxed)
    }

    /// Sleeps `d`; `false` when the run is stopping (at once or meanwhile).
    async fn sleep(&self, d: Duration) -> bool {
        if self.stopping() {
            return false;
        }
        let mut stop = self.stop.clone();
        tokio::select! {
            _ = tokio::time::sleep(d) => !self.stopping(),
            _ = stop.wait_for(|s| *s) => false,
        }
    }

    /// Writes `record` durably (on a blocking thread: SQLite waits for the disk).
    async fn write(&self, record: ItemRecord) -> Result<(), JournalError> {
        let journal = Arc::clone(&self.journal);
        let run = self.options.run.clone();
        let result = tokio::task::spawn_blocking(move || {
            journal
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .record(&run, &record)
        })
        .await
        .unwrap_or_else(|e| {
            Err(JournalError::Io {
                path: Default::default(),
                reason: format!("the journal write did not finish: {e}"),
            })
        });
        if result.is_err() {
            self.journal_broken.store(true, Ordering::Relaxed);
        }
        result
    }

    async fn write_deletion(&self, deletion: DeletionRecord) -> Result<(), JournalError> {
        let journal = Arc::clone(&self.journal);
        let run = self.options.run.clone();
        tokio::task::spawn_blocking(move || {
            journal
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .record_deletion(&run, &deletion)
        })
        .await
        .unwrap_or_else(|e| {
            Err(JournalError::Io {
                path: Default::default(),
                reason: format!("the journal write did not finish: {e}"),
            })
        })
    }
}

/// The whole run: pre-flight checks, then one task per item, then the report.
async fn engine(
    client: AsyncClient,
    manifest: Manifest,
    mut journal: Box<dyn Journal>,
    options: FleetOptions,
    events: mpsc::UnboundedSender<FleetEvent>,
    stop: watch::Receiver<bool>,
) -> Result<FleetReport, FleetError> {
    options.validate()?;
    let prior = if options.dry_run {
        // A dry run writes nothing: it reads what the journal holds for this run.
        match journal.fleet()? {
            Some(f) if f != options.fleet => {
                return Err(FleetError::Journal(JournalError::OtherFleet {
                    path: Default::default(),
                    journal_fleet: f,
                    fleet: options.fleet.clone(),
                }));
            }
            _ => journal
                .runs()?
                .into_iter()
                .find(|r| r.run == options.run)
                .map(|r| r.items)
                .unwrap_or_default(),
        }
    } else {
        journal.open_run(&options.fleet, &options.run)?
    };
    let writes_before = journal.writes();
    let mut prior: std::collections::HashMap<String, ItemRecord> =
        prior.into_iter().map(|r| (r.key.clone(), r)).collect();
    let plans: Vec<(ManifestItem, Option<ItemRecord>)> = manifest
        .items()
        .iter()
        .map(|i| (i.clone(), prior.remove(&i.key)))
        .collect();
    let to_create = plans
        .iter()
        .filter(|(_, r)| may_create(r.as_ref(), &options))
        .count();
    let quota = if to_create == 0 {
        None
    } else {
        match client.image_quota().await {
            Ok(q) => Some(q),
            Err(e) if options.dry_run => {
                tracing::debug!(target: "ims", error = %e, "dry run: the quota could not be read");
                None
            }
            Err(e) => return Err(FleetError::Service(e)),
        }
    };
    if let Some(q) = quota
        && to_create as u64 > q.remaining()
        && !options.allow_partial
    {
        return Err(FleetError::Quota {
            needed: to_create as u64,
            quota: q,
        });
    }
    let _ = events.send(FleetEvent::Started {
        items: plans.len(),
        to_create,
        quota,
    });
    let shared = Arc::new(Shared {
        client,
        journal: Arc::new(Mutex::new(journal)),
        slots: Semaphore::new(options.parallel as usize),
        options,
        events,
        stop,
        journal_broken: AtomicBool::new(false),
    });
    let mut tasks = tokio::task::JoinSet::new();
    for (index, (item, record)) in plans.into_iter().enumerate() {
        let shared = Arc::clone(&shared);
        tasks.spawn(async move {
            let mut worker = Worker::new(shared, item, record);
            worker.go().await;
            (index, worker.report())
        });
    }
    let mut rows: Vec<Option<(ItemReport, Vec<DeletionRecord>)>> = vec![None; tasks.len()];
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok((index, row)) => rows[index] = Some(row),
            Err(e) => {
                // A task that panicked: a bug; the item's journal state stays as written.
                tracing::error!(target: "ims", error = %e, "a fleet item task failed");
            }
        }
    }
    let mut items = Vec::with_capacity(rows.len());
    let mut deletions = Vec::new();
    for (row, (line, key)) in rows
        .into_iter()
        .zip(manifest.items().iter().map(|i| (i.line, i.key.clone())))
    {
        match row {
            Some((item, d)) => {
                items.push(item);
                deletions.extend(d);
            }
            None => items.push(ItemReport {
                key,
                line,
                state: ItemState::Unknown,
                already_done: false,
                action: "skip",
                job_id: None,
                image_id: None,
                duration: None,
                error: Some(ItemError {
                    code: Some("fleet.internal".to_owned()),
                    message: "the item's task stopped unexpectedly".to_owned(),
                }),
            }),
        }
    }
    let outcome = items
        .iter()
        .map(|i| Outcome::of(i.state))
        .max()
        .unwrap_or(Outcome::Succeeded);
    let journal_writes = shared
        .journal
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .writes()
        .saturating_sub(writes_before);
    Ok(FleetReport {
        fleet: shared.options.fleet.clone(),
        run: shared.options.run.clone(),
        dry_run: shared.options.dry_run,
        stopped: *shared.stop.borrow(),
        items,
        deletions,
        journal_writes,
        outcome,
    })
}

/// Whether an item in `record`'s state may make an image in this run.
fn may_create(record: Option<&ItemRecord>, options: &FleetOptions) -> bool {
    match record.map(|r| r.state) {
        None | Some(ItemState::Pending | ItemState::Skipped | ItemState::Sending) => true,
        Some(ItemState::Failed) => options.retry_failed,
        Some(ItemState::Unknown) => options.retry_unknown,
        Some(ItemState::Submitted | ItemState::Succeeded) => false,
    }
}

/// The next thing an item does.
enum Step {
    Send,
    Reconcile,
    Wait(String),
    Follow(String),
    Done,
}

/// Whether a failed create may have made an image.
enum Made {
    /// Surely not: the item failed.
    No,
    /// Surely not, and worth sending again later (throttled, too many tasks).
    NotYet,
    /// Perhaps: reconcile.
    Maybe,
}

fn made(e: &Error) -> Made {
    match e {
        Error::Api(api) => {
            if crate::client::retry_is_throttled(e)
                || api.code.as_deref().is_some_and(|c| BUSY_CODES.contains(&c))
            {
                Made::NotYet
            } else if api.status >= 500 {
                Made::Maybe
            } else {
                Made::No
            }
        }
        Error::Transport { not_sent: true, .. } => Made::No,
        Error::Transport { .. }
        | Error::Timeout(_)
        | Error::InvalidResponse { .. }
        | Error::Interrupted { .. } => Made::Maybe,
        _ => Made::No,
    }
}

fn item_error(e: &Error) -> ItemError {
    ItemError {
        code: e.api().and_then(|a| a.code.clone()),
        message: e.to_string(),
    }
}

/// One item's task.
struct Worker {
    sh: Arc<Shared>,
    item: ManifestItem,
    tag: FleetTag,
    rec: ItemRecord,
    action: &'static str,
    already_done: bool,
    /// An error that did not change the journal state (an unfinished wait).
    note: Option<ItemError>,
    deletions: Vec<DeletionRecord>,
}

impl Worker {
    fn new(sh: Arc<Shared>, item: ManifestItem, record: Option<ItemRecord>) -> Worker {
        let tag = FleetTag::new(&sh.options.fleet, &sh.options.run, &item.key);
        let rec = record.unwrap_or_else(|| ItemRecord::pending(&item.key));
        Worker {
            sh,
            item,
            tag,
            rec,
            action: "skip",
            already_done: false,
            note: None,
            deletions: Vec::new(),
        }
    }

    fn report(self) -> (ItemReport, Vec<DeletionRecord>) {
        let duration = self.rec.started_at.and_then(|s| {
            let end = if self.rec.state.is_final() {
                self.rec.updated_at
            } else {
                now_unix_millis()
            };
            u64::try_from(end - s).ok().map(Duration::from_millis)
        });
        let error = match (&self.rec.error_code, &self.rec.error_message) {
            (code, Some(message))
                if matches!(self.rec.state, ItemState::Failed | ItemState::Unknown) =>
            {
                Some(ItemError {
                    code: code.clone(),
                    message: message.clone(),
                })
            }
            _ => self.note,
        };
        (
            ItemReport {
                key: self.rec.key.clone(),
                line: self.item.line,
                state: self.rec.state,
                already_done: self.already_done,
                action: self.action,
                job_id: self.rec.job_id.clone(),
                image_id: self.rec.image_id.clone(),
                duration,
                error,
            },
            self.deletions,
        )
    }

    /// Writes the item's record and tells the observer.
    async fn save(&mut self) -> bool {
        let now = now_unix_millis();
        self.rec.updated_at = now;
        self.rec.started_at.get_or_insert(now);
        match self.sh.write(self.rec.clone()).await {
            Ok(()) => {
                self.sh.emit(FleetEvent::Item {
                    key: self.rec.key.clone(),
                    state: self.rec.state,
                    job_id: self.rec.job_id.clone(),
                    image_id: self.rec.image_id.clone(),
                    error: match self.rec.state {
                        ItemState::Failed | ItemState::Unknown => {
                            self.rec.error_message.clone().map(|m| ItemError {
                                code: self.rec.error_code.clone(),
                                message: m,
                            })
                        }
                        _ => None,
                    },
                });
                true
            }
            Err(e) => {
                self.note = Some(ItemError {
                    code: Some("fleet.journal".to_owned()),
                    message: e.to_string(),
                });
                false
            }
        }
    }

    fn set_error(&mut self, state: ItemState, code: Option<String>, message: String) {
        self.rec.state = state;
        self.rec.error_code = code;
        self.rec.error_message = Some(message);
    }

    async fn go(&mut self) {
        let opts = &self.sh.options;
        match self.rec.state {
            ItemState::Succeeded => {
                self.already_done = true;
                if opts.dry_run {
                    self.plan_retention(false).await;
                }
                return;
            }
            ItemState::Failed if !opts.retry_failed => return,
            ItemState::Unknown if !opts.retry_unknown => return,
            _ => {}
        }
        let first = match self.rec.state {
            ItemState::Submitted => match (&self.rec.job_id, &self.rec.image_id) {
                (Some(job), _) => Step::Wait(job.clone()),
                (None, Some(image)) => Step::Follow(image.clone()),
                (None, None) => Step::Reconcile,
            },
            ItemState::Sending | ItemState::Unknown => Step::Reconcile,
            _ => Step::Send,
        };
        if opts.dry_run {
            self.action = match first {
                Step::Send => "create",
                Step::Reconcile => "reconcile",
                Step::Wait(_) => "wait",
                Step::Follow(_) => "follow",
                Step::Done => "skip",
            };
            if matches!(first, Step::Send) {
                self.plan_retention(true).await;
            }
            return;
        }
        let sh = Arc::clone(&self.sh);
        let mut stop = sh.stop.clone();
        let _slot = tokio::select! {
            slot = sh.slots.acquire() => match slot {
                Ok(slot) => slot,
                Err(_) => return,
            },
            _ = stop.wait_for(|s| *s) => return,
        };
        if sh.stopping() {
            return;
        }
        let mut step = first;
        loop {
            step = match step {
                Step::Send => self.send().await,
                Step::Reconcile => self.reconcile().await,
                Step::Wait(job) => self.wait(job).await,
                Step::Follow(image) => self.follow(image).await,
                Step::Done => break,
            };
        }
        if self.rec.state == ItemState::Succeeded && self.sh.options.keep.is_some() {
            self.retain().await;
        }
    }

    async fn send(&mut self) -> Step {
        loop {
            if self.sh.stopping() {
                return Step::Done;
            }
            self.action = "create";
            self.rec.state = ItemState::Sending;
            self.rec.intent_at = Some(now_unix_millis());
            self.rec.attempts += 1;
            self.rec.job_id = None;
            self.rec.image_id = None;
            self.rec.error_code = None;
            self.rec.error_message = None;
            // Durable before the POST: a crash from here on is reconciled by the tag.
            if !self.save().await {
                return Step::Done;
            }
            let request = self.tag.add_to(&self.item.request);
            match self.sh.client.create_whole_image(&request).await {
                Ok(job) => {
                    self.rec.state = ItemState::Submitted;
                    self.rec.job_id = Some(job.as_str().to_owned());
                    if !self.save().await {
                        return Step::Done;
                    }
                    return Step::Wait(job.as_str().to_owned());
                }
                Err(e) => match made(&e) {
                    Made::No => {
                        self.set_error(ItemState::Failed, item_error(&e).code, e.to_string());
                        self.save().await;
                        return Step::Done;
                    }
                    Made::NotYet => {
                        // Surely not made: pending again, and sent again after a pause.
                        self.rec.state = ItemState::Pending;
                        self.rec.attempts = self.rec.attempts.saturating_sub(1);
                        if !self.save().await {
                            return Step::Done;
                        }
                        let pause = e
                            .api()
                            .and_then(|a| a.retry_after)
                            .unwrap_or(BUSY_RETRY)
                            .max(Duration::from_millis(100));
                        if !self.sh.sleep(pause).await {
                            return Step::Done;
                        }
                    }
                    Made::Maybe => {
                        self.note = Some(item_error(&e));
                        return Step::Reconcile;
                    }
                },
            }
        }
    }

    /// This run's live images of the item (not killed, not deleted), by its tag; every
    /// image is checked for the tag whatever the service's filter did.
    async fn tagged_images(&self) -> crate::Result<Vec<Image>> {
        let query = ImageQuery::private_whole_images_tagged(&self.tag.key, &self.tag.value);
        let (key, value) = (self.tag.key.clone(), self.tag.value.clone());
        let mut found = Vec::new();
        self.sh
            .client
            .visit_images(&query, &mut |image: Image| {
                if image.tag(&key) == Some(value.as_str())
                    && image.status != "killed"
                    && image.status != "deleted"
                {
                    found.push(image);
                }
                true
            })
            .await?;
        Ok(found)
    }

    async fn reconcile(&mut self) -> Step {
        if self.action != "create" {
            self.action = "reconcile";
        }
        let grace = self.sh.options.reconcile_grace;
        let every = self.sh.options.relist_every();
        let mut failures = 0u32;
        loop {
            if self.sh.stopping() {
                return Step::Done;
            }
            let since = Duration::from_millis(
                u64::try_from(now_unix_millis() - self.rec.intent_at.unwrap_or(0)).unwrap_or(0),
            );
            self.sh.emit(FleetEvent::Reconciling {
                key: self.rec.key.clone(),
                since_intent: since,
            });
            match self.tagged_images().await {
                Ok(found) => {
                    failures = 0;
                    match found.len() {
                        0 if since >= grace => return Step::Send,
                        0 => {}
                        1 => {
                            let id = found[0].id.clone();
                            self.rec.state = ItemState::Submitted;
                            self.rec.image_id = Some(id.clone());
                            self.rec.error_code = None;
                            self.rec.error_message = None;
                            self.note = None;
                            if !self.save().await {
                                return Step::Done;
                            }
                            return Step::Follow(id);
                        }
                        n => {
                            let ids: Vec<&str> = found.iter().map(|i| i.id.as_str()).collect();
                            self.set_error(
                                ItemState::Unknown,
                                Some("fleet.ambiguous".to_owned()),
                                format!(
                                    "{n} images carry the item's tag {}: {}; none is adopted and nothing is created again until you decide",
                                    self.tag.key,
                                    ids.join(", ")
                                ),
                            );
                            self.save().await;
                            return Step::Done;
                        }
                    }
                }
                Err(e) => {
                    failures += 1;
                    if failures >= self.sh.options.listing_failures {
                        self.set_error(
                            ItemState::Unknown,
                            Some("fleet.listing".to_owned()),
                            format!(
                                "the images could not be listed {failures} times in a row, so whether the create made one is not known: {e}"
                            ),
                        );
                        self.save().await;
                        return Step::Done;
                    }
                }
            }
            let left = grace.saturating_sub(since).max(Duration::from_millis(100));
            if !self.sh.sleep(every.min(left)).await {
                return Step::Done;
            }
        }
    }

    async fn wait(&mut self, job_id: String) -> Step {
        if self.action == "skip" {
            self.action = "wait";
        }
        let Ok(job) = crate::model::JobId::new(&job_id) else {
            self.set_error(
                ItemState::Unknown,
                Some("fleet.job_id".to_owned()),
                format!("the journal's job id {job_id:?} is not one a job can have"),
            );
            self.save().await;
            return Step::Done;
        };
        let mut forward = Forward {
            sh: Arc::clone(&self.sh),
            key: self.rec.key.clone(),
        };
        let mut stop = self.sh.stop.clone();
        let waited = tokio::select! {
            r = self.sh.client.wait_with(&job, &self.sh.options.wait, &mut forward) => r,
            _ = stop.wait_for(|s| *s) => return Step::Done,
        };
        match waited {
            Ok(job) => {
                self.rec.state = ItemState::Succeeded;
                self.rec.image_id = job.image_id().map(str::to_owned);
                self.note = None;
                self.save().await;
            }
            Err(Error::JobFailed { job }) => {
                let message = job
                    .fail_reason
                    .clone()
                    .unwrap_or_else(|| format!("job {} failed", job.job_id));
                self.set_error(ItemState::Failed, job.error_code.clone(), message);
                self.save().await;
            }
            Err(e) => self.note = Some(item_error(&e)),
        }
        Step::Done
    }

    /// Follows an adopted image (no job id known) by listing it until it is active or
    /// killed.
    async fn follow(&mut self, image_id: String) -> Step {
        if self.action == "skip" {
            self.action = "follow";
        }
        let every = self
            .sh
            .options
            .wait
            .interval
            .max(Duration::from_millis(100));
        let give_up = std::time::Instant::now() + self.sh.options.wait.timeout;
        let mut misses = 0u32;
        loop {
            if self.sh.stopping() {
                return Step::Done;
            }
            if std::time::Instant::now() >= give_up {
                // As a wait that times out: the item stays `submitted`, a rerun follows it.
                self.note = Some(ItemError {
                    code: None,
                    message: format!(
                        "gave up following the adopted image {image_id} after {:?} (the wait's timeout); a rerun follows it again",
                        self.sh.options.wait.timeout
                    ),
                });
                return Step::Done;
            }
            match self.tagged_images().await {
                Ok(found) => match found.iter().find(|i| i.id == image_id) {
                    Some(image) if image.status == "active" => {
                        self.rec.state = ItemState::Succeeded;
                        self.save().await;
                        return Step::Done;
                    }
                    Some(image) => {
                        misses = 0;
                        self.sh.emit(FleetEvent::Progress {
                            key: self.rec.key.clone(),
                            status: image.status.clone(),
                            percent: None,
                        });
                    }
                    None => {
                        misses += 1;
                        if misses >= self.sh.options.listing_failures {
                            // Listed no more as live: its job failed (killed) or it was
                            // deleted.
                            self.set_error(
                                ItemState::Failed,
                                Some("fleet.gone".to_owned()),
                                format!(
                                    "the adopted image {image_id} is no longer listed as live (its job failed, or it was deleted)"
                                ),
                            );
                            self.save().await;
                            return Step::Done;
                        }
                    }
                },
                Err(e) => {
                    misses += 1;
                    if misses >= self.sh.options.listing_failures {
                        self.note = Some(item_error(&e));
                        return Step::Done;
                    }
                }
            }
            if !self.sh.sleep(every).await {
                return Step::Done;
            }
        }
    }

    /// The item's live images of this fleet (any run), newest first.
    async fn fleet_images(&self) -> crate::Result<Vec<Image>> {
        let key = FleetTag::key_of(&self.sh.options.fleet, &self.rec.key);
        let query = ImageQuery {
            imagetype: Some("private".to_owned()),
            whole_image: Some(true),
            ..ImageQuery::default()
        };
        let mut mine = Vec::new();
        self.sh
            .client
            .visit_images(&query, &mut |image: Image| {
                if image.tag(&key).is_some() && image.status == "active" {
                    mine.push(image);
                }
                true
            })
            .await?;
        mine.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| b.id.cmp(&a.id))
        });
        Ok(mine)
    }

    /// Retention after a success: deletes this item's images of this fleet beyond the
    /// newest `keep`, never the one just made.
    async fn retain(&mut self) {
        let Some(keep) = self.sh.options.keep else {
            return;
        };
        let mut mine = match self.fleet_images().await {
            Ok(m) => m,
            Err(e) => {
                self.note = Some(ItemError {
                    code: Some("fleet.retention".to_owned()),
                    message: format!("retention skipped, the images could not be listed: {e}"),
                });
                return;
            }
        };
        // The image just made counts as the newest, whatever the clock says.
        if let Some(current) = &self.rec.image_id
            && let Some(pos) = mine.iter().position(|i| &i.id == current)
        {
            let image = mine.remove(pos);
            mine.insert(0, image);
        }
        for old in mine.into_iter().skip(keep as usize) {
            if Some(&old.id) == self.rec.image_id.as_ref() {
                continue;
            }
            let mut d = DeletionRecord {
                key: self.rec.key.clone(),
                image_id: old.id.clone(),
                created_at: old.created_at.clone(),
                state: DeletionState::Planned,
                error: None,
                updated_at: now_unix_millis(),
            };
            if self.sh.write_deletion(d.clone()).await.is_err() {
                return;
            }
            match self
                .sh
                .client
                .delete_image(&old.id, self.sh.options.delete_backup)
                .await
            {
                Ok(()) => d.state = DeletionState::Deleted,
                Err(e) if e.api().is_some_and(|a| a.status == 404) => {
                    d.state = DeletionState::Deleted;
                }
                Err(e) => {
                    d.state = DeletionState::Failed;
                    d.error = Some(e.to_string());
                }
            }
            d.updated_at = now_unix_millis();
            let _ = self.sh.write_deletion(d.clone()).await;
            self.sh.emit(FleetEvent::Deletion {
                key: d.key.clone(),
                image_id: d.image_id.clone(),
                state: d.state,
                error: d.error.clone(),
            });
            self.deletions.push(d);
        }
    }

    /// A dry run's retention plan: what would be deleted (`will_create`: a new image is about
    /// to join the item's images).
    async fn plan_retention(&mut self, will_create: bool) {
        let Some(keep) = self.sh.options.keep else {
            return;
        };
        let Ok(mine) = self.fleet_images().await else {
            return;
        };
        let keep_old = if will_create {
            keep as usize - 1
        } else {
            keep as usize
        };
        for old in mine
            .into_iter()
            .skip(keep_old.max(usize::from(!will_create)))
        {
            let d = DeletionRecord {
                key: self.rec.key.clone(),
                image_id: old.id,
                created_at: old.created_at,
                state: DeletionState::Planned,
                error: None,
                updated_at: now_unix_millis(),
            };
            self.sh.emit(FleetEvent::Deletion {
                key: d.key.clone(),
                image_id: d.image_id.clone(),
                state: d.state,
                error: None,
            });
            self.deletions.push(d);
        }
    }
}

/// Hands a job's polls to the fleet's events.
struct Forward {
    sh: Arc<Shared>,
    key: String,
}

impl WaitObserver for Forward {
    fn on_progress(&mut self, progress: &Progress<'_>) -> Control {
        self.sh.emit(FleetEvent::Progress {
            key: self.key.clone(),
            status: progress.status.as_str().to_owned(),
            percent: progress.percent,
        });
        Control::Continue
    }
}
