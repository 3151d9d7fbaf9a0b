//! `ClientBuilder`: every setting of a [`super::Client`], with the defaults stated.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::retry::RetryPolicy;
use crate::credentials::{ChainProvider, CredentialProvider, Credentials, StaticProvider};
use crate::env::EnvSource;
use crate::sign::Algorithm;

/// Default connect timeout: 10 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default timeout of one whole HTTP exchange: 30 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Default time an unused keep-alive connection stays in the pool: 50 s, below the 60 s after
/// which load balancers commonly close idle connections, so the client never picks a
/// connection the server is about to close (or silently dropped).
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(50);

/// Which endpoint answers job queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JobEndpoint {
    /// `GET /v1/cloudimages/job/{job_id}` ("Querying the Progress of an Asynchronous Job"),
    /// which adds `process_percent`. The default.
    #[default]
    Progress,
    /// `GET /v1/{project_id}/jobs/{job_id}` ("Querying the Status of an Asynchronous Job"),
    /// deprecated in the 2026 reference but still served.
    Legacy,
}

/// How requests are authenticated.
#[derive(Clone)]
pub(crate) enum AuthConfig {
    /// AK/SK signing with credentials from a provider.
    AkSk(Arc<dyn CredentialProvider>),
    /// `X-Auth-Token` (an IAM token; not signed).
    Token(zeroize::Zeroizing<String>),
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthConfig::AkSk(p) => write!(f, "AkSk({})", p.name()),
            AuthConfig::Token(_) => f.write_str("Token(<redacted>)"),
        }
    }
}

/// A proxy URL: kept in a zeroizing buffer, and its user info (`user:password@`) never shown.
#[derive(Clone)]
pub(crate) struct ProxyUrl(zeroize::Zeroizing<String>);

impl ProxyUrl {
    /// The URL as given.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", crate::redact::url_userinfo(&self.0))
    }
}

/// Builds a [`super::Client`]. Only the endpoint (a region or an explicit URL) is required;
/// credentials default to the official chain (environment, profile file, instance metadata).
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    pub(crate) region: Option<String>,
    pub(crate) endpoint: Option<String>,
    pub(crate) iam_endpoint: Option<String>,
    pub(crate) project_id: Option<String>,
    pub(crate) auth: Option<AuthConfig>,
    pub(crate) algorithm: Algorithm,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) pool_idle_timeout: Duration,
    pub(crate) proxy: Option<ProxyUrl>,
    pub(crate) root_certificates: Vec<Vec<u8>>,
    pub(crate) root_certificate_files: Vec<PathBuf>,
    pub(crate) user_agent_suffix: Option<String>,
    pub(crate) allow_http: bool,
    pub(crate) job_endpoint: JobEndpoint,
    pub(crate) retry: RetryPolicy,
    pub(crate) env: EnvSource,
    pub(crate) profile_file: Option<PathBuf>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            region: None,
            endpoint: None,
            iam_endpoint: None,
            project_id: None,
            auth: None,
            algorithm: Algorithm::default(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            pool_idle_timeout: DEFAULT_POOL_IDLE_TIMEOUT,
            proxy: None,
            root_certificates: Vec::new(),
            root_certificate_files: Vec::new(),
            user_agent_suffix: None,
            allow_http: false,
            job_endpoint: JobEndpoint::default(),
            retry: RetryPolicy::default(),
            env: EnvSource::process(),
            profile_file: None,
        }
    }
}

impl ClientBuilder {
    /// The region (e.g. `cn-north-4`): picks the endpoint from the region table (or
    /// `HUAWEICLOUD_SDK_REGION_IMS_<REGION>`), and names the project looked up in IAM.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// An explicit IMS endpoint URL (overrides the region's).
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// An explicit IAM endpoint for the project lookup (default: `HUAWEICLOUD_SDK_IAM_ENDPOINT`,
    /// else `https://iam.{region}.myhuaweicloud.com`).
    pub fn iam_endpoint(mut self, url: impl Into<String>) -> Self {
        self.iam_endpoint = Some(url.into());
        self
    }

    /// The project id (sent as `X-Project-Id`). Without one, the credentials' source is asked,
    /// then IAM (`GET /v3/projects?name={region}`), once per AK and region.
    pub fn project_id(mut self, project_id: impl Into<String>) -> Self {
        self.project_id = Some(project_id.into());
        self
    }

    /// Fixed AK/SK credentials.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.auth = Some(AuthConfig::AkSk(Arc::new(StaticProvider::new(credentials))));
        self
    }

    /// Credentials from a provider (e.g. [`crate::credentials::MetadataProvider`]).
    pub fn credentials_provider(mut self, provider: Arc<dyn CredentialProvider>) -> Self {
        self.auth = Some(AuthConfig::AkSk(provider));
        self
    }

    /// Token authentication: an IAM token sent as `X-Auth-Token` instead of signing. Needs an
    /// explicit project id.
    pub fn auth_token(mut self, token: impl Into<String>) -> Self {
        self.auth = Some(AuthConfig::Token(zeroize::Zeroizing::new(token.into())));
        self
    }

    /// The signing algorithm (default `SDK-HMAC-SHA256`).
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Connect timeout (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Timeout of one whole HTTP exchange, connect to last body byte (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long an unused keep-alive connection is kept for reuse (default
    /// [`DEFAULT_POOL_IDLE_TIMEOUT`], 50 s). Keep it below the idle timeout of the server or
    /// load balancer in front of it.
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.pool_idle_timeout = timeout;
        self
    }

    /// A proxy URL for every request (user info, `http://user:password@host:port`, is never
    /// shown in `Debug` or errors). Without it, `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` and
    /// `NO_PROXY` of the [`ClientBuilder::env`] source apply, decided per host, and never to a
    /// loopback host (so a loopback IMS endpoint is reached directly while a remote IAM still
    /// goes through the proxy).
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(ProxyUrl(zeroize::Zeroizing::new(url.into())));
        self
    }

    /// Trusts more CAs (PEM text: one or more `CERTIFICATE` blocks), beside the bundled web PKI
    /// roots. A text without any certificate, or a damaged one, makes [`ClientBuilder::build`]
    /// fail with a config error.
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificates.push(pem.into());
        self
    }

    /// Trusts the CAs of a PEM file, read by [`ClientBuilder::build`] (whose config error names
    /// the file when it cannot be read or holds no certificate).
    ///
    /// When no CA is given (by PEM or file), the first of `IMS_CA_FILE`, `REQUESTS_CA_BUNDLE`
    /// and `SSL_CERT_FILE` that is set (in the [`ClientBuilder::env`] source) is read the same
    /// way, as `requests` does. Either way the CAs are added to the bundled roots, not put in
    /// their place.
    pub fn add_root_certificate_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.root_certificate_files.push(path.into());
        self
    }

    /// Appended to the `User-Agent` (`ims/<version> <suffix>`).
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Allows plain `http` to hosts that are not loopback (off by default: https is required).
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// Which endpoint answers job queries (default [`JobEndpoint::Progress`]).
    pub fn job_endpoint(mut self, which: JobEndpoint) -> Self {
        self.job_endpoint = which;
        self
    }

    /// How each HTTP call is retried (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Where environment variables are read from (default: the process environment).
    pub fn env(mut self, env: EnvSource) -> Self {
        self.env = env;
        self
    }

    /// The profile file of the default chain (default: `HUAWEICLOUD_SDK_CREDENTIALS_FILE`,
    /// else `~/.huaweicloud/credentials`).
    pub fn profile_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.profile_file = Some(path.into());
        self
    }

    /// Builds the client. Fails on a bad endpoint, proxy or certificate; credentials are looked
    /// up lazily, on the first call.
    pub fn build(self) -> crate::Result<super::Client> {
        super::Client::from_builder(self)
    }

    pub(crate) fn resolved_auth(&self) -> AuthConfig {
        self.auth.clone().unwrap_or_else(|| {
            AuthConfig::AkSk(Arc::new(ChainProvider::default_chain(
                &self.env,
                self.profile_file.clone(),
            )))
        })
    }
}
