//! The emulator's shared state: settings (changeable while running), jobs, used backups,
//! metadata tokens, the clock, faults and statistics.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};

use crate::clock::Clock;
use crate::config::EmulatorConfig;
use crate::faults::{FaultHandle, JobFailure};
use crate::settings::{DEFAULT_TEMPORARY_LIFETIME, Settings, TemporaryCredentials};
use crate::stats::StatsRecorder;

/// Metadata session tokens kept at most (expired ones are purged beyond this).
const MAX_METADATA_TOKENS: usize = 10_000;

/// One image-creation job. Its status is computed from the elapsed time when queried.
#[derive(Debug)]
pub(crate) struct JobRecord {
    pub job_id: String,
    pub job_type: &'static str,
    pub image_name: String,
    pub image_id: String,
    pub created: Instant,
    /// Creation time by the emulator's clock, Unix milliseconds.
    pub begin_millis: i64,
    pub duration: Duration,
    pub failure: Option<JobFailure>,
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

    /// Marks `backup_id` as used; `false` if it already was.
    pub fn claim_backup(&self, backup_id: &str) -> bool {
        self.used_backups.lock().insert(backup_id.to_owned())
    }

    /// Stores a job.
    pub fn insert_job(&self, job: JobRecord) {
        self.jobs.lock().insert(job.job_id.clone(), Arc::new(job));
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
