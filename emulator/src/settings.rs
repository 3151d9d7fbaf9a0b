//! [`Settings`]: everything about an emulator that may change while it runs (credentials,
//! project, known resources, job timing, the metadata service, the gateway's wording and the
//! connection switches), with the demo defaults.
//!
//! One type serves both doors: [`crate::EmulatorConfig::settings`] at start, and
//! [`crate::Emulator::update`] while running.

use std::collections::HashSet;
use std::time::Duration;

use crate::gateway::GatewayBehaviour;

/// The documented demo access key: accepted by an emulator built with
/// [`crate::EmulatorConfig::demo`].
pub const DEMO_AK: &str = "IMSDEMOAK00000000000";
/// The documented demo secret key that goes with [`DEMO_AK`].
pub const DEMO_SK: &str = "ims-demo-secret-key-0000000000000000000000";
/// The documented demo project id.
pub const DEMO_PROJECT_ID: &str = "0123456789abcdef0123456789abcdef";
/// The default region.
pub const DEFAULT_REGION: &str = "cn-north-4";
/// The default domain (account) id reported by the IAM project lookup.
pub const DEMO_DOMAIN_ID: &str = "fedcba9876543210fedcba9876543210";
/// How long a job runs by default.
pub const DEFAULT_JOB_DURATION: Duration = Duration::from_secs(3);
/// The default private-image quota per region (the documented 50).
pub const DEFAULT_IMAGE_QUOTA: u32 = 50;
/// The default limit of concurrent image-creation jobs per tenant (the documented 40).
pub const DEFAULT_MAX_CONCURRENT_JOBS: u32 = 40;
/// How long a deleted image stays listed by default.
pub const DEFAULT_DELETE_DELAY: Duration = Duration::from_secs(1);
/// Lifetime of the generated temporary credentials of the metadata service.
pub const DEFAULT_TEMPORARY_LIFETIME: Duration = Duration::from_secs(2 * 3600);

/// How many temporary triples stay accepted (the oldest are forgotten beyond this).
const MAX_TEMPORARY_TRIPLES: usize = 64;

/// Temporary credentials (an AK/SK/security-token triple) as the instance metadata service
/// hands them out (`GET /openstack/latest/securitykey`).
///
/// The emulator's IMS and IAM endpoints accept every triple it has handed out until the
/// triple expires (by the emulator's clock, clock offset included).
#[derive(Clone, PartialEq, Eq)]
pub struct TemporaryCredentials {
    /// Temporary access key (`credential.access`).
    pub access: String,
    /// Temporary secret key (`credential.secret`).
    pub secret: String,
    /// Security token (`credential.securitytoken`), sent as `X-Security-Token`.
    pub security_token: String,
    /// Expiry, seconds since the Unix epoch (`credential.expires_at`).
    pub expires_at_unix: i64,
}

impl TemporaryCredentials {
    /// A fresh random triple that expires at `expires_at_unix`.
    pub fn generate(expires_at_unix: i64) -> Self {
        TemporaryCredentials {
            access: format!("TMPAK{}", crate::ids::upper_alnum(15)),
            secret: crate::ids::alnum(40),
            security_token: format!("gQpjbi1ub3J0aC00{}", crate::ids::alnum(120)),
            expires_at_unix,
        }
    }
}

impl std::fmt::Debug for TemporaryCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemporaryCredentials")
            .field("access", &self.access)
            .field("secret", &"<redacted>")
            .field("security_token", &"<redacted>")
            .field("expires_at_unix", &self.expires_at_unix)
            .finish()
    }
}

/// Everything about an emulator that may change while it runs: set at start through
/// [`crate::EmulatorConfig::settings`], changed while running with
/// [`crate::Emulator::update`], read back with [`crate::Emulator::settings`].
///
/// [`Settings::default`] is the documented demo set-up (AK [`DEMO_AK`], SK [`DEMO_SK`],
/// project [`DEMO_PROJECT_ID`], region [`DEFAULT_REGION`], jobs of 3 s, every switch off).
/// An empty `security_token` or `auth_token` (`Some("")`) counts as `None`.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    /// The accepted permanent access key.
    pub ak: String,
    /// The secret key of [`Settings::ak`].
    pub sk: String,
    /// When set, `ak`/`sk` are temporary credentials: requests signed with them must carry this
    /// value in `X-Security-Token`.
    pub security_token: Option<String>,
    /// When set, `X-Auth-Token: <this>` is accepted instead of an AK/SK signature.
    pub auth_token: Option<String>,
    /// The project id: `X-Project-Id` (and the project id in legacy job paths) must equal it.
    pub project_id: String,
    /// The region (the default IAM project is named after it).
    pub region: String,
    /// The domain (account) id reported by the IAM project lookup.
    pub domain_id: String,
    /// How long a job takes from INIT to SUCCESS (or FAIL), for jobs created from then on.
    /// Zero: done at once.
    pub job_duration: Duration,
    /// Known ECS ids; `None` accepts any (unknown ones get `IMG.0005`).
    pub known_instances: Option<HashSet<String>>,
    /// Known CBR vault ids; `None` accepts any (unknown ones get `IMG.0184`).
    pub known_vaults: Option<HashSet<String>>,
    /// Known CBR backup ids; `None` accepts any (unknown ones get `IMG.0020`).
    pub known_backups: Option<HashSet<String>>,
    /// IAM projects as (name, id) pairs; `None`: one project named after `region` with id
    /// `project_id`. Zero or several projects of one name are allowed.
    pub projects: Option<Vec<(String, String)>>,
    /// The temporary credentials of the metadata service: the LAST one is handed out now, and
    /// every one listed is accepted until it expires (the oldest are forgotten beyond 64).
    /// Empty at start: the emulator adds a generated triple valid for two hours
    /// ([`DEFAULT_TEMPORARY_LIFETIME`]); see also [`crate::Emulator::rotate_temporary_credentials`].
    pub temporary_credentials: Vec<TemporaryCredentials>,
    /// Whether the metadata endpoints exist (when `false` both answer 404).
    pub metadata_enabled: bool,
    /// The gateway's wording: code prefix, forced expiry, `Date` override, `Retry-After` form.
    pub gateway: GatewayBehaviour,
    /// The job id the next create answers (once, then back to `None`), instead of a random
    /// one: for testing how a client copes with an id it cannot use.
    pub next_job_id: Option<String>,
    /// Echo the canonical request verbatim, security token included, in the APIGW.0301 answer
    /// to a signature mismatch, as the real gateway does (default `false`: redacted).
    pub echo_unredacted: bool,
    /// Closes a keep-alive connection that stayed idle (no request in flight) longer than
    /// this many milliseconds, as load balancers do (`None`: kept open; 0 counts as 1).
    pub idle_close_ms: Option<u64>,
    /// Answers every request with `Connection: close` and closes the connection after it.
    pub close_after_answer: bool,
    /// Private images allowed in the region (the quota, default [`DEFAULT_IMAGE_QUOTA`]): a
    /// create while this many images exist (any status, `killed` and pending deletions
    /// included) is refused with 400 `IMG.0015`.
    pub image_quota: u32,
    /// Image-creation jobs allowed to run at once (default [`DEFAULT_MAX_CONCURRENT_JOBS`]): a
    /// create while this many jobs are INIT or RUNNING is refused with 400 `IMG.0060`.
    pub max_concurrent_jobs: u32,
    /// A new image is listed by `GET /v2/cloudimages` only this long after its create (the
    /// list lagging behind; default zero). Jobs, quota and delete see it at once.
    pub list_delay: Duration,
    /// A deleted image leaves the list (and the quota) this long after its delete was
    /// accepted (default [`DEFAULT_DELETE_DELAY`]); until then it is listed unchanged.
    pub delete_delay: Duration,
}

impl Default for Settings {
    /// The documented demo set-up.
    fn default() -> Self {
        Settings {
            ak: DEMO_AK.to_owned(),
            sk: DEMO_SK.to_owned(),
            security_token: None,
            auth_token: None,
            project_id: DEMO_PROJECT_ID.to_owned(),
            region: DEFAULT_REGION.to_owned(),
            domain_id: DEMO_DOMAIN_ID.to_owned(),
            job_duration: DEFAULT_JOB_DURATION,
            known_instances: None,
            known_vaults: None,
            known_backups: None,
            projects: None,
            temporary_credentials: Vec::new(),
            metadata_enabled: true,
            gateway: GatewayBehaviour::default(),
            next_job_id: None,
            echo_unredacted: false,
            idle_close_ms: None,
            close_after_answer: false,
            image_quota: DEFAULT_IMAGE_QUOTA,
            max_concurrent_jobs: DEFAULT_MAX_CONCURRENT_JOBS,
            list_delay: Duration::ZERO,
            delete_delay: DEFAULT_DELETE_DELAY,
        }
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |v: &Option<String>| v.as_ref().map(|_| "<redacted>");
        f.debug_struct("Settings")
            .field("ak", &self.ak)
            .field("sk", &"<redacted>")
            .field("security_token", &redacted(&self.security_token))
            .field("auth_token", &redacted(&self.auth_token))
            .field("project_id", &self.project_id)
            .field("region", &self.region)
            .field("domain_id", &self.domain_id)
            .field("job_duration", &self.job_duration)
            .field("known_instances", &self.known_instances)
            .field("known_vaults", &self.known_vaults)
            .field("known_backups", &self.known_backups)
            .field("projects", &self.projects)
            .field("temporary_credentials", &self.temporary_credentials)
            .field("metadata_enabled", &self.metadata_enabled)
            .field("gateway", &self.gateway)
            .field("next_job_id", &self.next_job_id)
            .field("echo_unredacted", &self.echo_unredacted)
            .field("idle_close_ms", &self.idle_close_ms)
            .field("close_after_answer", &self.close_after_answer)
            .field("image_quota", &self.image_quota)
            .field("max_concurrent_jobs", &self.max_concurrent_jobs)
            .field("list_delay", &self.list_delay)
            .field("delete_delay", &self.delete_delay)
            .finish()
    }
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
    pub(crate) fn key_for(&self, ak: &str) -> Option<KnownKey<'_>> {
        if ak == self.ak {
            return Some(KnownKey {
                sk: &self.sk,
                security_token: self.security_token.as_deref(),
                expires_at_unix: None,
            });
        }
        self.temporary_credentials
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
    pub(crate) fn projects(&self) -> Vec<(String, String)> {
        match &self.projects {
            Some(p) => p.clone(),
            None => vec![(self.region.clone(), self.project_id.clone())],
        }
    }

    /// The current temporary triple (the last one).
    pub(crate) fn current_temporary(&self) -> Option<&TemporaryCredentials> {
        self.temporary_credentials.last()
    }

    /// The idle-close limit (`idle_close_ms`, 0 taken as 1 ms: 0 would close before any
    /// request can arrive).
    pub(crate) fn idle_close(&self) -> Option<Duration> {
        self.idle_close_ms
            .map(|ms| Duration::from_millis(ms.max(1)))
    }

    /// Applies the rules every reader relies on: an empty token is no token, and at most
    /// [`MAX_TEMPORARY_TRIPLES`] temporary triples (the newest) are kept.
    pub(crate) fn normalize(&mut self) {
        self.security_token = self.security_token.take().filter(|t| !t.is_empty());
        self.auth_token = self.auth_token.take().filter(|t| !t.is_empty());
        let excess = self
            .temporary_credentials
            .len()
            .saturating_sub(MAX_TEMPORARY_TRIPLES);
        self.temporary_credentials.drain(..excess);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_drops_empty_tokens_and_keeps_the_newest_triples() {
        let mut s = Settings {
            security_token: Some(String::new()),
            auth_token: Some(String::new()),
            temporary_credentials: (0..70).map(TemporaryCredentials::generate).collect(),
            ..Settings::default()
        };
        s.normalize();
        assert_eq!((&s.security_token, &s.auth_token), (&None, &None));
        assert_eq!(s.temporary_credentials.len(), MAX_TEMPORARY_TRIPLES);
        assert_eq!(s.current_temporary().map(|t| t.expires_at_unix), Some(69));
        assert_eq!(s.temporary_credentials[0].expires_at_unix, 6);
    }

    #[test]
    fn debug_redacts_the_secrets() {
        let s = Settings {
            security_token: Some("tok-SECRET".into()),
            auth_token: Some("auth-SECRET".into()),
            ..Settings::default()
        };
        let text = format!("{s:?}");
        assert!(
            !text.contains(DEMO_SK) && !text.contains("SECRET"),
            "{text}"
        );
        assert!(text.contains(DEMO_AK), "{text}");
    }
}
