//! [`ClientConfig`]: every setting of a [`super::Client`] as plain data, with the defaults
//! stated. [`super::ClientBuilder`] is the chained way to fill one; the C and Python doors fill
//! one field by field.

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
/// The longest [`ClientConfig::pool_idle_timeout`] accepted: 24 hours (as the C door's
/// millisecond setters). Far longer ones overflowed in the connection pool's clean-up.
pub const MAX_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// Default number of HTTP exchanges one client has in flight at once: 32. Beyond it, calls
/// queue for a slot (see [`ClientConfig::max_concurrent_requests`]).
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 32;
/// The largest [`ClientConfig::max_concurrent_requests`] accepted.
pub const MAX_CONCURRENT_REQUESTS: usize = 65_535;

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

/// How a client authenticates its requests.
#[derive(Clone)]
pub enum ClientAuth {
    /// AK/SK signing with credentials from a provider.
    AkSk(Arc<dyn CredentialProvider>),
    /// `X-Auth-Token` (an IAM token; not signed). Needs an explicit project id.
    Token(zeroize::Zeroizing<String>),
}

impl ClientAuth {
    /// AK/SK signing with fixed credentials.
    pub fn credentials(credentials: Credentials) -> Self {
        ClientAuth::AkSk(Arc::new(StaticProvider::new(credentials)))
    }

    /// Token authentication.
    pub fn token(token: impl Into<String>) -> Self {
        ClientAuth::Token(zeroize::Zeroizing::new(token.into()))
    }
}

impl std::fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientAuth::AkSk(p) => write!(f, "AkSk({})", p.name()),
            ClientAuth::Token(_) => f.write_str("Token(<redacted>)"),
        }
    }
}

/// A proxy URL: kept in a zeroizing buffer, and its user info (`user:password@`) never shown.
#[derive(Clone)]
pub struct ProxyUrl(zeroize::Zeroizing<String>);

impl ProxyUrl {
    /// A proxy URL (`http://[user:password@]host:port`; checked when the client is built).
    pub fn new(url: impl Into<String>) -> Self {
        ProxyUrl(zeroize::Zeroizing::new(url.into()))
    }

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

/// Every setting of a [`super::Client`]: plain data with public fields and stated defaults, as
/// [`super::WaitOptions`] and [`RetryPolicy`]. Build a client from it with
/// [`super::Client::new`], or fill it through [`super::ClientBuilder`]. Only the endpoint (a
/// region or an explicit URL) is required.
#[derive(Clone)]
pub struct ClientConfig {
    /// The region (e.g. `cn-north-4`): picks the endpoint from the region table (or
    /// `HUAWEICLOUD_SDK_REGION_IMS_<REGION>`), and names the project looked up in IAM.
    pub region: Option<String>,
    /// An explicit IMS endpoint URL (overrides the region's).
    pub endpoint: Option<String>,
    /// An explicit IAM endpoint for the project lookup (default: `HUAWEICLOUD_SDK_IAM_ENDPOINT`,
    /// else `https://iam.{region}.myhuaweicloud.com`).
    pub iam_endpoint: Option<String>,
    /// The project id (sent as `X-Project-Id`). Without one, the credentials' source is asked,
    /// then IAM (`GET /v3/projects?name={region}`), once per AK and region.
    pub project_id: Option<String>,
    /// How requests are authenticated (`None`: the official chain: environment, profile file,
    /// instance metadata).
    pub auth: Option<ClientAuth>,
    /// The signing algorithm (default `SDK-HMAC-SHA256`).
    pub algorithm: Algorithm,
    /// Connect timeout (default [`DEFAULT_CONNECT_TIMEOUT`], 10 s).
    pub connect_timeout: Duration,
    /// Timeout of one whole HTTP exchange, connect to last body byte (default
    /// [`DEFAULT_TIMEOUT`], 30 s).
    pub timeout: Duration,
    /// How long an unused keep-alive connection is kept for reuse (default
    /// [`DEFAULT_POOL_IDLE_TIMEOUT`], 50 s; above zero and at most [`MAX_POOL_IDLE_TIMEOUT`],
    /// 24 hours, else building the client is a config error naming it). Keep it below the
    /// idle timeout of the server or load balancer in front of it.
    pub pool_idle_timeout: Duration,
    /// HTTP exchanges this client has in flight at once (default
    /// [`DEFAULT_MAX_CONCURRENT_REQUESTS`], 32; from 1 to [`MAX_CONCURRENT_REQUESTS`]). Every
    /// exchange holds a connection, and the pool keeps as many idle ones, so this bounds the
    /// client's connections too: ten thousand waits on one [`super::AsyncClient`] open about
    /// this many, whatever their timing (a few more when a finished exchange's connection is
    /// still on its way back to the pool as the next exchange takes its slot). A call waiting
    /// for a slot has sent nothing; the exchange timeout starts once it has one.
    pub max_concurrent_requests: usize,
    /// A proxy for every request (user info never shown). Without it, `HTTPS_PROXY`/
    /// `HTTP_PROXY`/`ALL_PROXY` and `NO_PROXY` of [`ClientConfig::env`] apply, decided per
    /// host, and never to a loopback host.
    pub proxy: Option<ProxyUrl>,
    /// CAs to trust beside the bundled web PKI roots, as PEM texts (each one or more
    /// certificates). An empty or damaged one fails [`super::Client::new`].
    pub ca_pems: Vec<Vec<u8>>,
    /// PEM files of CAs to trust, read by [`super::Client::new`] (whose config error names a
    /// file that cannot be read or holds no certificate). When neither this nor
    /// [`ClientConfig::ca_pems`] gives a CA, the first set of `IMS_CA_FILE`,
    /// `REQUESTS_CA_BUNDLE` and `SSL_CERT_FILE` (in [`ClientConfig::env`]) is read the same way,
    /// as `requests` does. CAs are added to the bundled roots, never put in their place.
    pub ca_files: Vec<PathBuf>,
    /// Appended to the `User-Agent` (`ims/<version> <suffix>`).
    pub user_agent_suffix: Option<String>,
    /// Allows plain `http` to hosts that are not loopback (off by default: https is required).
    pub allow_http: bool,
    /// Which endpoint answers job queries (default [`JobEndpoint::Progress`]).
    pub job_endpoint: JobEndpoint,
    /// How each HTTP call is retried (default [`RetryPolicy::default`]).
    pub retry: RetryPolicy,
    /// Where environment variables are read from (default: the process environment).
    pub env: EnvSource,
    /// The profile file of the default chain (default: `HUAWEICLOUD_SDK_CREDENTIALS_FILE`,
    /// else `~/.huaweicloud/credentials`).
    pub profile_file: Option<PathBuf>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            region: None,
            endpoint: None,
            iam_endpoint: None,
            project_id: None,
            auth: None,
            algorithm: Algorithm::default(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            pool_idle_timeout: DEFAULT_POOL_IDLE_TIMEOUT,
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
            proxy: None,
            ca_pems: Vec::new(),
            ca_files: Vec::new(),
            user_agent_suffix: None,
            allow_http: false,
            job_endpoint: JobEndpoint::default(),
            retry: RetryPolicy::default(),
            env: EnvSource::process(),
            profile_file: None,
        }
    }
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("region", &self.region)
            // An endpoint with user info is refused when the client is built; until then it
            // may hold a password.
            .field(
                "endpoint",
                &self.endpoint.as_deref().map(crate::redact::url_userinfo),
            )
            .field(
                "iam_endpoint",
                &self
                    .iam_endpoint
                    .as_deref()
                    .map(crate::redact::url_userinfo),
            )
            .field("project_id", &self.project_id)
            .field("auth", &self.auth)
            .field("algorithm", &self.algorithm)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("proxy", &self.proxy)
            .field("ca_pems", &self.ca_pems.len())
            .field("ca_files", &self.ca_files)
            .field("user_agent_suffix", &self.user_agent_suffix)
            .field("allow_http", &self.allow_http)
            .field("job_endpoint", &self.job_endpoint)
            .field("retry", &self.retry)
            .field("profile_file", &self.profile_file)
            .finish_non_exhaustive()
    }
}

impl ClientConfig {
    /// The authentication in effect: the configured one, else the official chain.
    pub(crate) fn resolved_auth(&self) -> ClientAuth {
        self.auth.clone().unwrap_or_else(|| {
            ClientAuth::AkSk(Arc::new(ChainProvider::default_chain(
                &self.env,
                self.profile_file.clone(),
            )))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_secret() {
        let config = ClientConfig {
            proxy: Some(ProxyUrl::new("http://user:pr0xy-pass@proxy.example:3128")),
            auth: Some(ClientAuth::token("t0ken-value")),
            ca_pems: vec![b"-----BEGIN CERTIFICATE-----".to_vec()],
            endpoint: Some("https://:end-point-pass@ims.example.com".to_owned()),
            iam_endpoint: Some("https://u:iam#point-pass@iam.example.com".to_owned()),
            ..ClientConfig::default()
        };
        let text = format!("{config:?}");
        assert!(!text.contains("pr0xy-pass"), "{text}");
        assert!(!text.contains("point-pass"), "{text}");
        assert!(text.contains("ims.example.com"), "{text}");
        assert!(!text.contains("t0ken-value"), "{text}");
        assert!(text.contains("ca_pems: 1"), "{text}");
        let text = format!(
            "{:?}",
            ClientConfig {
                proxy: Some(ProxyUrl::new("http://bob:pr0xy#pass@proxy.example:3128")),
                ..ClientConfig::default()
            }
        );
        assert!(!text.contains("pr0xy"), "{text}");
        assert!(text.contains("proxy.example:3128"), "{text}");
        let creds = ClientAuth::credentials(Credentials::new("AK", "s3cret-sk"));
        assert!(!format!("{creds:?}").contains("s3cret-sk"));
    }

    #[test]
    fn a_config_builds_the_same_client_as_the_builder() {
        let config = ClientConfig {
            endpoint: Some("https://ims.cn-north-4.myhuaweicloud.com".to_owned()),
            auth: Some(ClientAuth::credentials(Credentials::new("AK", "SK"))),
            ..ClientConfig::default()
        };
        let direct = super::super::Client::new(config.clone()).expect("builds");
        let built = super::super::ClientBuilder::from(config)
            .build()
            .expect("builds");
        assert_eq!(direct.endpoint(), built.endpoint());
        assert_eq!(format!("{direct:?}"), format!("{built:?}"));
    }
}
