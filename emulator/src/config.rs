//! How an emulator is set up: credentials, project, region, known resources, job timing, faults.

use std::collections::HashSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::faults::FaultConfig;

/// The documented demo access key: accepted by an emulator built with [`EmulatorConfig::demo`].
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
/// Largest request body accepted (12 MB); larger bodies are answered 413.
pub const MAX_BODY_BYTES: usize = 12 * 1024 * 1024;
/// How far (seconds) an `X-Sdk-Date` may be from the emulator's clock, either way.
pub const MAX_CLOCK_SKEW_SECS: i64 = 15 * 60;
/// Lifetime of the generated temporary credentials of the metadata service.
pub const DEFAULT_TEMPORARY_LIFETIME: Duration = Duration::from_secs(2 * 3600);

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

/// Everything an emulator is started with. Most of it can be changed while it runs through
/// [`crate::Emulator`]'s methods.
#[derive(Clone)]
pub struct EmulatorConfig {
    /// Where to listen; must be a loopback address. Default `127.0.0.1:0` (an ephemeral port).
    pub listen: SocketAddr,
    /// The accepted permanent access key.
    pub ak: String,
    /// The secret key of [`EmulatorConfig::ak`].
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
    /// How long a job takes from INIT to SUCCESS (or FAIL). Zero: done at once.
    pub job_duration: Duration,
    /// Known ECS ids; `None` accepts any (unknown ones get `IMG.0005`).
    pub known_instances: Option<HashSet<String>>,
    /// Known CBR vault ids; `None` accepts any (unknown ones get `IMG.0184`).
    pub known_vaults: Option<HashSet<String>>,
    /// Known CBR backup ids; `None` accepts any (unknown ones get `IMG.0020`).
    pub known_backups: Option<HashSet<String>>,
    /// IAM projects as (name, id) pairs; `None`: one project named after `region` with id
    /// `project_id`.
    pub projects: Option<Vec<(String, String)>>,
    /// The temporary credentials of the metadata service; `None`: a generated triple valid for
    /// two hours from the emulator's start.
    pub temporary_credentials: Option<TemporaryCredentials>,
    /// Whether the metadata endpoints exist (when `false` both answer 404).
    pub metadata_enabled: bool,
    /// Faults to inject from the start.
    pub faults: FaultConfig,
    /// Seconds added to the real clock (may be negative): applied to the signature-expiry
    /// check, the `Date` header, job times and credential expiry.
    pub clock_offset_secs: i64,
    /// The gateway's wording: code prefix, forced expiry, `Date` override, `Retry-After` form.
    pub gateway: crate::gateway::GatewayBehaviour,
    /// Closes a keep-alive connection that stayed idle (no request in flight) longer than
    /// this many milliseconds, as load balancers do (`None`: kept open).
    pub idle_close_ms: Option<u64>,
    /// Answers every request with `Connection: close` and closes the connection after it.
    pub close_after_answer: bool,
    /// Echo the canonical request verbatim, security token included, in the APIGW.0301 answer
    /// to a signature mismatch, as the real gateway does (default `false`: redacted).
    pub echo_unredacted: bool,
    /// Serve HTTPS with this CA and server certificate (`None`: plain HTTP). Make one with
    /// [`crate::EmulatorTls::generate`] or [`EmulatorConfig::with_tls`].
    pub tls: Option<crate::tls::EmulatorTls>,
}

impl std::fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("listen", &self.listen)
            .field("ak", &self.ak)
            .field("sk", &"<redacted>")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "auth_token",
                &self.auth_token.as_ref().map(|_| "<redacted>"),
            )
            .field("project_id", &self.project_id)
            .field("region", &self.region)
            .field("job_duration", &self.job_duration)
            .field("faults", &self.faults)
            .field("clock_offset_secs", &self.clock_offset_secs)
            .field("gateway", &self.gateway)
            .field("idle_close_ms", &self.idle_close_ms)
            .field("close_after_answer", &self.close_after_answer)
            .field("echo_unredacted", &self.echo_unredacted)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self::demo()
    }
}

impl EmulatorConfig {
    /// The documented demo set-up: AK [`DEMO_AK`], SK [`DEMO_SK`], project
    /// [`DEMO_PROJECT_ID`], region [`DEFAULT_REGION`], jobs of 3 s, no faults, listening on
    /// `127.0.0.1:0`.
    pub fn demo() -> Self {
        EmulatorConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
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
            temporary_credentials: None,
            metadata_enabled: true,
            faults: FaultConfig::default(),
            clock_offset_secs: 0,
            gateway: crate::gateway::GatewayBehaviour::default(),
            idle_close_ms: None,
            close_after_answer: false,
            echo_unredacted: false,
            tls: None,
        }
    }

    /// The demo set-up, with the AK/SK taken from `HUAWEICLOUD_SDK_AK` and `HUAWEICLOUD_SDK_SK`
    /// when both are set and not empty (and the security token from
    /// `HUAWEICLOUD_SDK_SECURITY_TOKEN`, the project id from `HUAWEICLOUD_SDK_PROJECT_ID` when
    /// set).
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let mut cfg = Self::demo();
        if let (Some(ak), Some(sk)) = (var("HUAWEICLOUD_SDK_AK"), var("HUAWEICLOUD_SDK_SK")) {
            cfg.ak = ak;
            cfg.sk = sk;
            cfg.security_token = var("HUAWEICLOUD_SDK_SECURITY_TOKEN");
        }
        if let Some(project) = var("HUAWEICLOUD_SDK_PROJECT_ID") {
            cfg.project_id = project;
        }
        cfg
    }

    /// Sets the accepted permanent AK/SK.
    pub fn with_credentials(mut self, ak: impl Into<String>, sk: impl Into<String>) -> Self {
        self.ak = ak.into();
        self.sk = sk.into();
        self
    }

    /// Sets the job duration.
    pub fn with_job_duration(mut self, duration: Duration) -> Self {
        self.job_duration = duration;
        self
    }

    /// Sets the project id.
    pub fn with_project_id(mut self, project_id: impl Into<String>) -> Self {
        self.project_id = project_id.into();
        self
    }

    /// Serves HTTPS: makes a fresh CA and a server certificate of the given kind.
    pub fn with_tls(mut self, certificate: crate::tls::ServerCertificate) -> std::io::Result<Self> {
        self.tls = Some(crate::tls::EmulatorTls::generate(certificate)?);
        Ok(self)
    }

    /// Sets the faults injected from the start.
    pub fn with_faults(mut self, faults: FaultConfig) -> Self {
        self.faults = faults;
        self
    }
}
