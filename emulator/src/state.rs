//! The emulator's shared state: settings (changeable while running), jobs, images, used
//! backups, metadata tokens, the clock, faults and statistics.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use parking_lot::{Mutex, RwLock};

use crate::clock::Clock;
use crate::config::EmulatorConfig;
use crate::faults::FaultHandle;
use crate::images::{ImageRecord, ImageStore, NewImage};
use crate::jobs::JobRecord;
use crate::settings::{DEFAULT_TEMPORARY_LIFETIME, Settings, TemporaryCredentials};
use crate::stats::StatsRecorder;

/// Metadata session tokens kept at most (expired ones are purged beyond this).
const MAX_METADATA_TOKENS: usize = 10_000;

/// Why a create was refused by a tenant limit (nothing was made, no backup was claimed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LimitRefusal {
    /// The private-image quota is used up: `used` images count against `quota`.
    Quota { used: usize, quota: u32 },
    /// `running` creation jobs still run; at most `max` may.
    Concurrency { running: usize, max: u32 },
    /// The backup already made a full-ECS image.
    BackupUsed,
}

/// Everything the request handlers share.
pub(crate) struct AppState {
    pub clock: Clock,
    pub faults: FaultHandle,
    pub stats: StatsRecorder,
    /// The TLS material when serving HTTPS.
    pub tls: Option<crate::tls::EmulatorTls>,
    settings: RwLock<Arc<Settings>>,
    jobs: Mutex<HashMap<String, Arc<JobRecord>>>,
    images: Mutex<ImageStore>,
    used_backups: Mutex<HashSet<String>>,
    metadata_tokens: Mutex<HashMap<String, i64>>,
}

impl AppState {
    pub fn new(cfg: &EmulatorConfig) -> Self {
        let clock = Clock::new(cfg.clock_offset_secs);
        let mut settings = cfg.settings.clone();
        if settings.temporary_credentials.is_empty() {
            let lifetime = i64::try_from(DEFAULT_TEMPORARY_LIFETIME.as_secs()).unwrap_or(7200);
            let generated = TemporaryCredentials::generate(clock.now_unix() + lifetime);
            settings.temporary_credentials.push(generated);
        }
        settings.normalize();
        AppState {
            clock,
            faults: FaultHandle::new(&cfg.faults),
            stats: StatsRecorder::default(),
            tls: cfg.tls.clone(),
            settings: RwLock::new(Arc::new(settings)),
            jobs: Mutex::new(HashMap::new()),
            images: Mutex::new(ImageStore::default()),
            used_backups: Mutex::new(HashSet::new()),
            metadata_tokens: Mutex::new(HashMap::new()),
        }
    }

    /// The current settings (a cheap snapshot).
    pub fn settings(&self) -> Arc<Settings> {
        Arc::clone(&self.settings.read())
    }

    /// Changes the settings (then normalizes them: see [`Settings::normalize`]).
    pub fn update_settings<R>(&self, f: impl FnOnce(&mut Settings) -> R) -> R {
        let mut guard = self.settings.write();
        let settings = Arc::make_mut(&mut guard);
        let result = f(settings);
        settings.normalize();
        result
    }

    /// Starts a creation job and its image at once, unless a tenant limit refuses it: the
    /// private-image quota ([`Settings::image_quota`]), then the concurrent jobs
    /// ([`Settings::max_concurrent_jobs`]), then the backup (`backup_id`, claimed here: a
    /// backup makes one full-ECS image). `make` builds the job and the image only once all
    /// passed (so a refused create consumes no injected job failure). Checked and stored under
    /// one lock: two creates racing for the last slot cannot both pass.
    pub fn start_job(
        &self,
        settings: &Settings,
        backup_id: Option<&str>,
        make: impl FnOnce() -> (JobRecord, NewImage),
    ) -> Result<(), LimitRefusal> {
        let now = Instant::now();
        let mut jobs = self.jobs.lock();
        let mut images = self.images.lock();
        let mut used_backups = self.used_backups.lock();
        images.purge(now, &mut used_backups);
        let used = images.used();
        if used >= settings.image_quota as usize {
            return Err(LimitRefusal::Quota {
                used,
                quota: settings.image_quota,
            });
        }
        let running = jobs.values().filter(|j| j.is_running(now)).count();
        if running >= settings.max_concurrent_jobs as usize {
            return Err(LimitRefusal::Concurrency {
                running,
                max: settings.max_concurrent_jobs,
            });
        }
        if let Some(backup) = backup_id
            && !used_backups.insert(backup.to_owned())
        {
            return Err(LimitRefusal::BackupUsed);
        }
        let (job, image) = make();
        let job = Arc::new(job);
        let image = ImageRecord::new(image, Arc::clone(&job), settings.list_delay);
        let started_running = job.is_running(now);
        jobs.insert(job.job_id.clone(), job);
        images.insert(image);
        let running_now = running + usize::from(started_running);
        self.stats.jobs_running(running_now as u64);
        Ok(())
    }

    /// How many creation jobs run now.
    pub fn running_jobs(&self) -> usize {
        let now = Instant::now();
        self.jobs
            .lock()
            .values()
            .filter(|j| j.is_running(now))
            .count()
    }

    /// Runs `f` on the image store, after removing the images whose deletion completed.
    pub fn with_images<R>(&self, f: impl FnOnce(&mut ImageStore, Instant) -> R) -> R {
        let now = Instant::now();
        let mut images = self.images.lock();
        images.purge(now, &mut self.used_backups.lock());
        f(&mut images, now)
    }

    /// Looks a job up.
    pub fn job(&self, job_id: &str) -> Option<Arc<JobRecord>> {
        self.jobs.lock().get(job_id).cloned()
    }

    /// Remembers a metadata session token valid until `expires_unix`.
    pub fn issue_metadata_token(&self, token: String, expires_unix: i64) {
        let now = self.clock.now_unix();
        let mut tokens = self.metadata_tokens.lock();
        if tokens.len() >= MAX_METADATA_TOKENS {
            tokens.retain(|_, exp| *exp > now);
            if tokens.len() >= MAX_METADATA_TOKENS {
                tokens.clear();
            }
        }
        tokens.insert(token, expires_unix);
    }

    /// Whether `token` is a metadata session token this emulator issued and that has not
    /// expired.
    pub fn metadata_token_valid(&self, token: &str) -> bool {
        let now = self.clock.now_unix();
        self.metadata_tokens
            .lock()
            .get(token)
            .is_some_and(|exp| *exp > now)
    }
}
