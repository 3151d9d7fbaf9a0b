//! Credential providers: where AK/SK come from, and the default chain.

use std::path::PathBuf;
use std::sync::Arc;

#[cfg(feature = "client")]
use super::metadata::MetadataProvider;
use super::profile::Profile;
use super::{CredentialProvider, Credentials};
use crate::env::{
    ENV_AK, ENV_CREDENTIALS_FILE, ENV_PROJECT_ID, ENV_SECURITY_TOKEN, ENV_SK, EnvSource,
};
use crate::error::{Error, Result};

/// Credentials given in code.
#[derive(Debug, Clone)]
pub struct StaticProvider {
    credentials: Credentials,
    project_id: Option<String>,
}

impl StaticProvider {
    /// Wraps fixed credentials.
    pub fn new(credentials: Credentials) -> Self {
        StaticProvider {
            credentials,
            project_id: None,
        }
    }
}

impl CredentialProvider for StaticProvider {
    fn credentials(&self) -> Result<Credentials> {
        Ok(self.credentials.clone())
    }
    fn project_id(&self) -> Option<String> {
        self.project_id.clone()
    }
    fn name(&self) -> &'static str {
        "explicit"
    }
    fn answers_at_once(&self) -> bool {
        true
    }
}

/// `HUAWEICLOUD_SDK_AK`, `HUAWEICLOUD_SDK_SK`, `HUAWEICLOUD_SDK_SECURITY_TOKEN` and
/// `HUAWEICLOUD_SDK_PROJECT_ID`, read once when the provider is built.
#[derive(Debug, Clone)]
pub struct EnvProvider {
    found: std::result::Result<(Credentials, Option<String>), String>,
}

impl EnvProvider {
    /// Reads the variables from `env`.
    pub fn new(env: &EnvSource) -> Self {
        let found = match (env.get(ENV_AK), env.get(ENV_SK)) {
            (Some(ak), Some(sk)) => {
                let mut c = Credentials::new(ak.trim(), sk.trim());
                if let Some(t) = env.get(ENV_SECURITY_TOKEN) {
                    c = c.with_security_token(t.trim());
                }
                Ok((c, env.get(ENV_PROJECT_ID).map(|p| p.trim().to_owned())))
            }
            (Some(_), None) => Err(format!("{ENV_AK} is set but {ENV_SK} is not")),
            (None, Some(_)) => Err(format!("{ENV_SK} is set but {ENV_AK} is not")),
            (None, None) => Err(format!("{ENV_AK} and {ENV_SK} are not set")),
        };
        EnvProvider { found }
    }
}

impl CredentialProvider for EnvProvider {
    fn credentials(&self) -> Result<Credentials> {
        self.found
            .as_ref()
            .map(|(c, _)| c.clone())
            .map_err(|e| Error::Credentials(e.clone()))
    }
    fn project_id(&self) -> Option<String> {
        self.found.as_ref().ok().and_then(|(_, p)| p.clone())
    }
    fn name(&self) -> &'static str {
        "environment"
    }
    fn answers_at_once(&self) -> bool {
        true
    }
}

/// The profile file: `$HUAWEICLOUD_SDK_CREDENTIALS_FILE` or `~/.huaweicloud/credentials`,
/// section `[basic]` with `ak`, `sk`, `security_token`, `project_id`. Read once when built.
#[derive(Debug, Clone)]
pub struct ProfileProvider {
    found: std::result::Result<Profile, String>,
}

impl ProfileProvider {
    /// Reads the file at `path`, or at the default location when `None`.
    pub fn new(path: Option<PathBuf>, env: &EnvSource) -> Self {
        let path = path
            .or_else(|| env.get(ENV_CREDENTIALS_FILE).map(PathBuf::from))
            .or_else(|| {
                env.get("HOME")
                    .map(|h| PathBuf::from(h).join(".huaweicloud").join("credentials"))
            });
        let found = match path {
            None => Err("no profile file path (HOME is not set)".to_owned()),
            Some(p) => Profile::load(&p),
        };
        ProfileProvider { found }
    }
}

impl CredentialProvider for ProfileProvider {
    fn credentials(&self) -> Result<Credentials> {
        self.found
            .as_ref()
            .map(|p| p.credentials.clone())
            .map_err(|e| Error::Credentials(e.clone()))
    }
    fn project_id(&self) -> Option<String> {
        self.found.as_ref().ok().and_then(|p| p.project_id.clone())
    }
    fn name(&self) -> &'static str {
        "profile file"
    }
    fn answers_at_once(&self) -> bool {
        true
    }
}

/// The default chain: environment, then profile file, then instance metadata. The first
/// provider that works is kept for the life of the chain (metadata credentials still refresh).
#[derive(Debug, Clone)]
pub struct ChainProvider {
    providers: Vec<Arc<dyn CredentialProvider>>,
    chosen: Arc<std::sync::OnceLock<Arc<dyn CredentialProvider>>>,
}

impl ChainProvider {
    /// A chain of the given providers, tried in order.
    pub fn new(providers: Vec<Arc<dyn CredentialProvider>>) -> Self {
        ChainProvider {
            providers,
            chosen: Arc::default(),
        }
    }

    /// The official order: environment, profile file, instance metadata (skipped when
    /// `IMS_NO_METADATA` is set; base URL from `IMS_METADATA_ENDPOINT` when set; absent
    /// without the `client` feature, which holds the HTTP client it needs).
    pub fn default_chain(env: &EnvSource, profile_path: Option<PathBuf>) -> Self {
        #[allow(unused_mut)]
        let mut providers: Vec<Arc<dyn CredentialProvider>> = vec![
            Arc::new(EnvProvider::new(env)),
            Arc::new(ProfileProvider::new(profile_path, env)),
        ];
        #[cfg(feature = "client")]
        if env.get(crate::env::ENV_NO_METADATA).is_none() {
            providers.push(Arc::new(MetadataProvider::from_env(env)));
        }
        Self::new(providers)
    }

    fn choose(&self) -> Result<&Arc<dyn CredentialProvider>> {
        if let Some(p) = self.chosen.get() {
            return Ok(p);
        }
        let mut why = Vec::new();
        for p in &self.providers {
            match p.credentials() {
                Ok(_) => return Ok(self.chosen.get_or_init(|| p.clone())),
                Err(e) => why.push(format!("{}: {}", p.name(), strip_prefix(&e))),
            }
        }
        Err(none_found(&why))
    }

    /// [`ChainProvider::choose`] through each provider's async method.
    #[cfg(feature = "client")]
    async fn choose_async(&self) -> Result<&Arc<dyn CredentialProvider>> {
        if let Some(p) = self.chosen.get() {
            return Ok(p);
        }
        let mut why = Vec::new();
        for p in &self.providers {
            match super::ask(p).await {
                Ok(_) => return Ok(self.chosen.get_or_init(|| p.clone())),
                Err(e) => why.push(format!("{}: {}", p.name(), strip_prefix(&e))),
            }
        }
        Err(none_found(&why))
    }
}

/// The error when no provider of a chain has credentials, with each one's reason.
fn none_found(why: &[String]) -> Error {
    Error::Credentials(format!("no credentials found ({})", why.join("; ")))
}

fn strip_prefix(e: &Error) -> String {
    match e {
        Error::Credentials(m) => m.clone(),
        other => other.to_string(),
    }
}

impl CredentialProvider for ChainProvider {
    fn credentials(&self) -> Result<Credentials> {
        self.choose()?.credentials()
    }
    #[cfg(feature = "client")]
    fn credentials_async(&self) -> super::CredentialsFuture<'_> {
        Box::pin(async move { super::ask(self.choose_async().await?).await })
    }
    /// Its async method asks each provider as the clients would (a provider that may block, on
    /// a blocking thread), so it never blocks a runtime thread itself.
    #[cfg(feature = "client")]
    fn answers_at_once(&self) -> bool {
        true
    }
    fn project_id(&self) -> Option<String> {
        self.choose().ok().and_then(|p| p.project_id())
    }
    fn name(&self) -> &'static str {
        "default chain"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::ENV_NO_METADATA;

    fn env(pairs: &[(&str, &str)]) -> EnvSource {
        EnvSource::from_map(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn env_provider_reads_official_names() {
        let p = EnvProvider::new(&env(&[
            (ENV_AK, "AK1"),
            (ENV_SK, "SK1"),
            (ENV_SECURITY_TOKEN, "T"),
            (ENV_PROJECT_ID, "P"),
        ]));
        let c = p.credentials().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.access_key(), "AK1");
        assert_eq!(c.security_token(), Some("T"));
        assert_eq!(p.project_id().as_deref(), Some("P"));
        let half = EnvProvider::new(&env(&[(ENV_AK, "AK1")]))
            .credentials()
            .unwrap_err()
            .to_string();
        assert!(half.contains("HUAWEICLOUD_SDK_SK is not"), "{half}");
    }

    #[test]
    fn chain_lists_every_reason() {
        let chain = ChainProvider::default_chain(
            &env(&[
                (ENV_NO_METADATA, "1"),
                (ENV_CREDENTIALS_FILE, "/nonexistent/creds"),
            ]),
            None,
        );
        let err = chain.credentials().unwrap_err().to_string();
        assert!(
            err.contains("environment: HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK are not set"),
            "{err}"
        );
        assert!(
            err.contains("profile file: cannot read /nonexistent/creds"),
            "{err}"
        );
    }

    #[test]
    fn chain_prefers_env_over_profile() {
        let dir = std::env::temp_dir().join(format!("ims-chain-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let file = dir.join("credentials");
        std::fs::write(&file, "[basic]\nak = FILEAK\nsk = FILESK\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let file_s = file.to_string_lossy().to_string();
        let only_file = ChainProvider::default_chain(
            &env(&[(ENV_NO_METADATA, "1"), (ENV_CREDENTIALS_FILE, &file_s)]),
            None,
        );
        assert_eq!(
            only_file
                .credentials()
                .map(|c| c.access_key().to_owned())
                .ok()
                .as_deref(),
            Some("FILEAK")
        );
        let both = ChainProvider::default_chain(
            &env(&[
                (ENV_NO_METADATA, "1"),
                (ENV_CREDENTIALS_FILE, &file_s),
                (ENV_AK, "ENVAK"),
                (ENV_SK, "ENVSK"),
            ]),
            None,
        );
        assert_eq!(
            both.credentials()
                .map(|c| c.access_key().to_owned())
                .ok()
                .as_deref(),
            Some("ENVAK")
        );
    }
}
