//! The emulator's shared state: settings (changeable while running), jobs, used backups,
//! metadata tokens, the clock, faults and statistics.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};

use crate::clock::Clock;
use crate::config::{DEFAULT_TEMPORARY_LIFETIME, EmulatorConfig, TemporaryCredentials};
use crate::faults::{FaultHandle, JobFailure};
use crate::listener::ConnectionSwitches;
use crate::stats::StatsRecorder;

/// How many temporary triples stay accepted after rotations (the oldest are forgotten).
const MAX_TEMPORARY_TRIPLES: usize = 64;
/// Metadata session tokens kept at most (expired ones are purged beyond this).
const MAX_METADATA_TOKENS: usize = 10_000;

/// Settings that tests may change while the emulator runs.
#[derive(Clone)]
pub(crate) struct Settings {
    pub ak: String,
    pub sk: String,
    pub security_token: Option<String>,
    pub auth_token: Option<String>,
    pub project_id: String,
    pub region: String,
    pub domain_id: String,
    pub job_duration: Duration,
    pub known_instances: Option<HashSet<String>>,
    pub known_vaults: Option<HashSet<String>>,
    pub known_backups: Option<HashSet<String>>,
    pub projects: Option<Vec<(String, String)>>,
    /// Every temporary triple handed out and still remembered; the current one is last.
    pub temporary: Vec<TemporaryCredentials>,
    pub metadata_enabled: bool,
    pub gateway: crate::gateway::GatewayBehaviour,
    /// The job id the next create answers (once), instead of a random one.
    pub next_job_id: Option<String>,
    /// Echo the canonical request verbatim (security token included) on a signature mismatch.
    pub echo_unredacted: bool,
}

/// A secret key found for an access key.
pub(crate) struct KnownKey<'a> {
    pub sk: &'a str,
    /// The security token the request must carry (temporary credentials).
    pub security_token: Option<&'a str>,
    /// Expiry (Unix seconds) of temporary credentials from the metadata service.
    pub expires_at_unix: Option<i64>,
}

impl Settings {
    /// The secret key (and token requirements) of `ak`, when it is one the emulator accepts.
    pub fn key_for(&self, ak: &str) -> Option<KnownKey<'_>> {
        if ak == self.ak {
            return Some(KnownKey {
                sk: &self.sk,
                security_token: self.security_token.as_deref(),
                expires_at_unix: None,
            });
        }
        self.temporary
            .iter()
            .rev()
            .find(|t| t.access == ak)
            .map(|t| KnownKey {
                sk: &t.secret,
                security_token: Some(&t.security_token),
                expires_at_unix: Some(t.expires_at_unix),
            })
    }

    /// The IAM projects, `(name, id)`.
    pub fn projects(&self) -> Vec<(String, String)> {
        match &self.projects {
            Some(p) => p.clone(),
            None => vec![(self.region.clone(), self.project_id.clone())],
        }
    }

    /// The current temporary triple.
    pub fn current_temporary(&self) -> Option<&TemporaryCredentials> {
        self.temporary.last()
    }

    pub fn push_temporary(&mut self, t: TemporaryCredentials) {
        if self.temporary.len() >= MAX_TEMPORARY_TRIPLES {
            self.temporary.remove(0);
        }
        self.temporary.push(t);
    }
}

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
    pub connections: ConnectionSwitches,
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
        let lifetime = i64::try_from(DEFAULT_TEMPORARY_LIFETIME.as_secs()).unwrap_or(7200);
        let temporary = cfg
            .temporary_credentials
            .clone()
            .unwrap_or_else(|| TemporaryCredentials::generate(clock.now_unix() + lifetime));
        let settings = Settings {
            ak: cfg.ak.clone(),
            sk: cfg.sk.clone(),
            security_token: cfg.security_token.clone().filter(|t| !t.is_empty()),
            auth_token: cfg.auth_token.clone().filter(|t| !t.is_empty()),
            project_id: cfg.project_id.clone(),
            region: cfg.region.clone(),
            domain_id: cfg.domain_id.clone(),
            job_duration: cfg.job_duration,
            known_instances: cfg.known_instances.clone(),
            known_vaults: cfg.known_vaults.clone(),
            known_backups: cfg.known_backups.clone(),
            projects: cfg.projects.clone(),
            temporary: vec![temporary],
            metadata_enabled: cfg.metadata_enabled,
            gateway: cfg.gateway.clone(),
            next_job_id: None,
            echo_unredacted: cfg.echo_unredacted,
        };
        AppState {
            clock,
            faults: FaultHandle::new(&cfg.faults),
            stats: StatsRecorder::default(),
            connections: ConnectionSwitches::new(cfg.idle_close_ms, cfg.close_after_answer),
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

    /// Changes the settings.
    pub fn update_settings<R>(&self, f: impl FnOnce(&mut Settings) -> R) -> R {
        let mut guard = self.settings.write();
        f(Arc::make_mut(&mut guard))
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
