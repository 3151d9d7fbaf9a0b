//! How an emulator is started: where it listens, TLS, the clock, faults, and its
//! [`Settings`] (everything that may change while it runs).

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use ims_core::env::{ENV_AK, ENV_PROJECT_ID, ENV_SECURITY_TOKEN, ENV_SK, EnvSource};

use crate::faults::FaultConfig;
use crate::settings::Settings;

/// Largest request body accepted (12 MB); larger bodies are answered 413.
pub const MAX_BODY_BYTES: usize = 12 * 1024 * 1024;
/// How far (seconds) an `X-Sdk-Date` may be from the emulator's clock, either way.
pub const MAX_CLOCK_SKEW_SECS: i64 = 15 * 60;
/// What [`EmulatorConfig::without_tenant_limits`] sets both tenant limits to (one billion).
pub const UNLIMITED: u32 = 1_000_000_000;

/// Everything an emulator is started with. What may change while it runs is in
/// [`EmulatorConfig::settings`], changed later with [`crate::Emulator::update`]; the clock
/// ([`crate::Emulator::set_clock_offset`]) and the faults ([`crate::Emulator::faults`]) have
/// handles of their own.
#[derive(Clone)]
pub struct EmulatorConfig {
    /// Where to listen; must be a loopback address. Default `127.0.0.1:0` (an ephemeral port).
    pub listen: SocketAddr,
    /// Serve HTTPS with this CA and server certificate (`None`: plain HTTP). Make one with
    /// [`crate::EmulatorTls::generate`] or [`EmulatorConfig::with_tls`].
    pub tls: Option<crate::tls::EmulatorTls>,
    /// Seconds added to the real clock (may be negative): applied to the signature-expiry
    /// check, the `Date` header, job times and credential expiry.
    pub clock_offset_secs: i64,
    /// Faults to inject from the start.
    pub faults: FaultConfig,
    /// Credentials, project, known resources, job timing, gateway and connection switches.
    pub settings: Settings,
}

impl std::fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("listen", &self.listen)
            .field("tls", &self.tls)
            .field("clock_offset_secs", &self.clock_offset_secs)
            .field("faults", &self.faults)
            .field("settings", &self.settings)
            .finish()
    }
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self::demo()
    }
}

impl EmulatorConfig {
    /// The documented demo set-up ([`Settings::default`]: AK [`crate::DEMO_AK`], SK
    /// [`crate::DEMO_SK`], project [`crate::DEMO_PROJECT_ID`], region
    /// [`crate::DEFAULT_REGION`], jobs of 3 s), no faults, listening on `127.0.0.1:0`.
    pub fn demo() -> Self {
        EmulatorConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            tls: None,
            clock_offset_secs: 0,
            faults: FaultConfig::default(),
            settings: Settings::default(),
        }
    }

    /// [`EmulatorConfig::from_env_source`] over the process environment.
    pub fn from_env() -> Self {
        Self::from_env_source(&EnvSource::process())
    }

    /// The demo set-up, with the AK/SK taken from [`ENV_AK`] and [`ENV_SK`] when both are set
    /// and not empty (and the security token from [`ENV_SECURITY_TOKEN`]), and the project
    /// id from [`ENV_PROJECT_ID`] when set.
    pub fn from_env_source(env: &EnvSource) -> Self {
        let mut cfg = Self::demo();
        let s = &mut cfg.settings;
        if let (Some(ak), Some(sk)) = (env.get(ENV_AK), env.get(ENV_SK)) {
            s.ak = ak;
            s.sk = sk;
            s.security_token = env.get(ENV_SECURITY_TOKEN);
        }
        if let Some(project) = env.get(ENV_PROJECT_ID) {
            s.project_id = project;
        }
        cfg
    }

    /// Sets the accepted permanent AK/SK.
    pub fn with_credentials(mut self, ak: impl Into<String>, sk: impl Into<String>) -> Self {
        self.settings.ak = ak.into();
        self.settings.sk = sk.into();
        self
    }

    /// Sets the job duration.
    pub fn with_job_duration(mut self, duration: Duration) -> Self {
        self.settings.job_duration = duration;
        self
    }

    /// Lifts the tenant's limits (the image quota and the concurrent-job limit, 50 and 40 by
    /// default) to [`UNLIMITED`]: for tests and benchmarks that make more images than one
    /// tenant may, about something else than the limits.
    pub fn without_tenant_limits(mut self) -> Self {
        self.settings.image_quota = UNLIMITED;
        self.settings.max_concurrent_jobs = UNLIMITED;
        self
    }

    /// Sets the project id.
    pub fn with_project_id(mut self, project_id: impl Into<String>) -> Self {
        self.settings.project_id = project_id.into();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_env_source_reads_core_names() {
        let cfg = EmulatorConfig::from_env_source(&EnvSource::from_map([
            (ENV_AK, "ENVAK"),
            (ENV_SK, "env-sk"),
            (ENV_SECURITY_TOKEN, "tok"),
            (ENV_PROJECT_ID, "p-env"),
        ]));
        assert_eq!(cfg.settings.ak, "ENVAK");
        assert_eq!(cfg.settings.sk, "env-sk");
        assert_eq!(cfg.settings.security_token.as_deref(), Some("tok"));
        assert_eq!(cfg.settings.project_id, "p-env");

        // An AK without its SK is ignored (demo keys kept); blank values count as unset.
        let cfg = EmulatorConfig::from_env_source(&EnvSource::from_map([
            (ENV_AK, "ENVAK"),
            (ENV_SK, " "),
        ]));
        assert_eq!(cfg.settings.ak, crate::DEMO_AK);
        assert_eq!(cfg.settings.project_id, crate::DEMO_PROJECT_ID);
    }
}
