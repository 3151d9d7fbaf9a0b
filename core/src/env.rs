//! Where configuration values from the environment come from.
//!
//! Providers never call `std::env::var` directly: they ask an [`EnvSource`], so tests (and
//! embedders) can hand in a map instead of mutating the process environment.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// A lookup of environment variables.
#[derive(Clone)]
pub struct EnvSource(Arc<Lookup>);

/// The lookup function behind an [`EnvSource`].
type Lookup = dyn Fn(&str) -> Option<String> + Send + Sync;

impl EnvSource {
    /// The process environment.
    pub fn process() -> Self {
        EnvSource(Arc::new(|k| std::env::var(k).ok()))
    }

    /// A fixed map (for tests and embedders).
    pub fn from_map<K: Into<String>, V: Into<String>>(
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let map: HashMap<String, String> = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        EnvSource(Arc::new(move |k| map.get(k).cloned()))
    }

    /// The value of `name`, with empty values treated as unset.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }
}

impl Default for EnvSource {
    fn default() -> Self {
        Self::process()
    }
}

impl fmt::Debug for EnvSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EnvSource")
    }
}

/// `HUAWEICLOUD_SDK_AK`.
pub const ENV_AK: &str = "HUAWEICLOUD_SDK_AK";
/// `HUAWEICLOUD_SDK_SK`.
pub const ENV_SK: &str = "HUAWEICLOUD_SDK_SK";
/// `HUAWEICLOUD_SDK_SECURITY_TOKEN`.
pub const ENV_SECURITY_TOKEN: &str = "HUAWEICLOUD_SDK_SECURITY_TOKEN";
/// `HUAWEICLOUD_SDK_PROJECT_ID`.
pub const ENV_PROJECT_ID: &str = "HUAWEICLOUD_SDK_PROJECT_ID";
/// `HUAWEICLOUD_SDK_IAM_ENDPOINT`.
pub const ENV_IAM_ENDPOINT: &str = "HUAWEICLOUD_SDK_IAM_ENDPOINT";
/// `HUAWEICLOUD_SDK_CREDENTIALS_FILE`.
pub const ENV_CREDENTIALS_FILE: &str = "HUAWEICLOUD_SDK_CREDENTIALS_FILE";
/// `IMS_CA_FILE`: a PEM file of CAs to trust beside the bundled web PKI roots (this project's
/// own; consulted before [`ENV_REQUESTS_CA_BUNDLE`] and [`ENV_SSL_CERT_FILE`]).
pub const ENV_CA_FILE: &str = "IMS_CA_FILE";
/// `REQUESTS_CA_BUNDLE`: the CA bundle variable of Python's `requests`.
pub const ENV_REQUESTS_CA_BUNDLE: &str = "REQUESTS_CA_BUNDLE";
/// `SSL_CERT_FILE`: OpenSSL's CA file variable (also read by Python's `ssl`).
pub const ENV_SSL_CERT_FILE: &str = "SSL_CERT_FILE";
/// `IMS_METADATA_ENDPOINT`: this project's override of the instance-metadata base URL.
pub const ENV_METADATA_ENDPOINT: &str = "IMS_METADATA_ENDPOINT";
/// `IMS_NO_METADATA`: when set (to anything), the default chain skips instance metadata.
pub const ENV_NO_METADATA: &str = "IMS_NO_METADATA";
