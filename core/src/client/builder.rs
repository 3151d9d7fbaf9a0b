//! [`ClientBuilder`]: the chained way to fill a [`ClientConfig`] and build a [`super::Client`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::config::{ClientAuth, ClientConfig, JobEndpoint, ProxyUrl};
use super::retry::RetryPolicy;
use crate::credentials::{CredentialProvider, Credentials};
use crate::env::EnvSource;
use crate::sign::Algorithm;

/// Builds a [`super::Client`]: a chained way to fill a [`ClientConfig`] (whose fields document
/// every setting and default). Only the endpoint (a region or an explicit URL) is required;
/// credentials default to the official chain (environment, profile file, instance metadata).
#[derive(Debug, Clone, Default)]
pub struct ClientBuilder {
    config: ClientConfig,
}

impl ClientBuilder {
    /// The region (e.g. `cn-north-4`): picks the endpoint from the region table (or
    /// `HUAWEICLOUD_SDK_REGION_IMS_<REGION>`), and names the project looked up in IAM.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.config.region = Some(region.into());
        self
    }

    /// An explicit IMS endpoint URL (overrides the region's).
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.config.endpoint = Some(url.into());
        self
    }

    /// An explicit IAM endpoint for the project lookup (default: `HUAWEICLOUD_SDK_IAM_ENDPOINT`,
    /// else `https://iam.{region}.myhuaweicloud.com`).
    pub fn iam_endpoint(mut self, url: impl Into<String>) -> Self {
        self.config.iam_endpoint = Some(url.into());
        self
    }

    /// The project id (sent as `X-Project-Id`). Without one, the credentials' source is asked,
    /// then IAM (`GET /v3/projects?name={region}`), once per AK and region.
    pub fn project_id(mut self, project_id: impl Into<String>) -> Self {
        self.config.project_id = Some(project_id.into());
        self
    }

    /// Fixed AK/SK credentials.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.config.auth = Some(ClientAuth::credentials(credentials));
        self
    }

    /// Credentials from a provider (e.g. [`crate::credentials::MetadataProvider`]).
    pub fn credentials_provider(mut self, provider: Arc<dyn CredentialProvider>) -> Self {
        self.config.auth = Some(ClientAuth::AkSk(provider));
        self
    }

    /// Token authentication: an IAM token sent as `X-Auth-Token` instead of signing. Needs an
    /// explicit project id.
    pub fn auth_token(mut self, token: impl Into<String>) -> Self {
        self.config.auth = Some(ClientAuth::token(token));
        self
    }

    /// The signing algorithm (default `SDK-HMAC-SHA256`).
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.config.algorithm = algorithm;
        self
    }

    /// Connect timeout (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// Timeout of one whole HTTP exchange, connect to last body byte (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = timeout;
        self
    }

    /// How long an unused keep-alive connection is kept for reuse (default
    /// [`super::DEFAULT_POOL_IDLE_TIMEOUT`], 50 s; above zero and at most
    /// [`super::MAX_POOL_IDLE_TIMEOUT`], 24 hours, else [`ClientBuilder::build`] fails with a
    /// config error naming it). Keep it below the idle timeout of the server or load balancer
    /// in front of it.
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.config.pool_idle_timeout = timeout;
        self
    }

    /// HTTP exchanges in flight at once, and so connections (default 32; see
    /// [`ClientConfig::max_concurrent_requests`]).
    pub fn max_concurrent_requests(mut self, n: usize) -> Self {
        self.config.max_concurrent_requests = n;
        self
    }

    /// A proxy URL for every request (user info, `http://user:password@host:port`, is never
    /// shown in `Debug` or errors). Without it, `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` and
    /// `NO_PROXY` of the [`ClientBuilder::env`] source apply, decided per host, and never to a
    /// loopback host (so a loopback IMS endpoint is reached directly while a remote IAM still
    /// goes through the proxy).
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.config.proxy = Some(ProxyUrl::new(url));
        self
    }

    /// Trusts more CAs (PEM text: one or more `CERTIFICATE` blocks), beside the bundled web PKI
    /// roots. A text without any certificate, or a damaged one, makes [`ClientBuilder::build`]
    /// fail with a config error.
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.config.ca_pems.push(pem.into());
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
        self.config.ca_files.push(path.into());
        self
    }

    /// Appended to the `User-Agent` (`ims/<version> <suffix>`).
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.config.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Allows plain `http` to hosts that are not loopback (off by default: https is required).
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.config.allow_http = allow;
        self
    }

    /// Which endpoint answers job queries (default [`JobEndpoint::Progress`]).
    pub fn job_endpoint(mut self, which: JobEndpoint) -> Self {
        self.config.job_endpoint = which;
        self
    }

    /// How each HTTP call is retried (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.config.retry = policy;
        self
    }

    /// Where environment variables are read from (default: the process environment).
    pub fn env(mut self, env: EnvSource) -> Self {
        self.config.env = env;
        self
    }

    /// The profile file of the default chain (default: `HUAWEICLOUD_SDK_CREDENTIALS_FILE`,
    /// else `~/.huaweicloud/credentials`).
    pub fn profile_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.config.profile_file = Some(path.into());
        self
    }

    /// Builds the client. Fails on a bad endpoint, proxy or certificate; credentials are looked
    /// up lazily, on the first call.
    pub fn build(self) -> crate::Result<super::Client> {
        super::Client::new(self.config)
    }

    /// The async client with these settings, for tokio: the same checks as
    /// [`ClientBuilder::build`], the same operations as futures.
    pub fn build_async(self) -> crate::Result<super::AsyncClient> {
        super::AsyncClient::new(self.config)
    }

    /// The settings filled so far.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The settings, to change or keep.
    pub fn into_config(self) -> ClientConfig {
        self.config
    }
}

impl From<ClientConfig> for ClientBuilder {
    fn from(config: ClientConfig) -> Self {
        ClientBuilder { config }
    }
}
