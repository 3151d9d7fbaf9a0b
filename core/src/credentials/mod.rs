//! Credentials: the AK/SK pair (and optional security token) that requests are signed with, and
//! the providers they come from.
//!
//! Secrets are kept in zeroizing buffers and never printed: `Debug` shows the access key and
//! `"<redacted>"` for the rest.

pub(crate) mod keys;
#[cfg(feature = "client")]
mod metadata;
mod profile;
mod provider;

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::error::Result;

pub use keys::Credentials;
#[cfg(feature = "client")]
pub use metadata::{DEFAULT_METADATA_ENDPOINT, MetadataProvider, REFRESH_MARGIN_SECS};
pub use profile::Profile;
pub use provider::{ChainProvider, EnvProvider, ProfileProvider, StaticProvider};

/// The credentials of `provider` as the clients ask for them, inside a runtime: its async
/// method when it [answers at once](CredentialProvider::answers_at_once), else its blocking
/// method on one of the runtime's blocking threads.
#[cfg(feature = "client")]
pub(crate) async fn ask(provider: &std::sync::Arc<dyn CredentialProvider>) -> Result<Credentials> {
    if provider.answers_at_once() {
        return provider.credentials_async().await;
    }
    let provider = std::sync::Arc::clone(provider);
    let name = provider.name();
    tokio::task::spawn_blocking(move || provider.credentials())
        .await
        .unwrap_or_else(|e| {
            Err(crate::error::Error::Credentials(format!(
                "the {name} credential provider panicked or was cancelled: {e}"
            )))
        })
}

/// What [`CredentialProvider::credentials_async`] returns.
pub type CredentialsFuture<'a> = Pin<Box<dyn Future<Output = Result<Credentials>> + Send + 'a>>;

/// A source of credentials. The clients ask for them before every request, so a provider may
/// refresh temporary credentials behind it; it must be cheap when nothing changes.
pub trait CredentialProvider: Send + Sync + fmt::Debug {
    /// The credentials to sign the next request with. Called outside any async runtime: by
    /// default the clients call it on a blocking thread (tokio's `spawn_blocking`), so it may
    /// block, use `reqwest::blocking` or a runtime of its own.
    fn credentials(&self) -> Result<Credentials>;
    /// The same, as a future awaited on a runtime thread: only asked when
    /// [`CredentialProvider::answers_at_once`] says so. The default answers
    /// [`CredentialProvider::credentials`] at once, which suits providers that only read memory;
    /// a provider that waits on the network without blocking (instance metadata) overrides it.
    fn credentials_async(&self) -> CredentialsFuture<'_> {
        Box::pin(std::future::ready(self.credentials()))
    }
    /// Whether the clients may await [`CredentialProvider::credentials_async`] on a runtime
    /// thread (`true`: the provider answers from memory, or its async method never blocks), or
    /// must call [`CredentialProvider::credentials`] on a blocking thread (`false`, the default:
    /// any provider may block, and a runtime thread must never be blocked). Every provider of
    /// this crate answers `true`.
    fn answers_at_once(&self) -> bool {
        false
    }
    /// The project id this source also carries (environment, profile file), if any.
    fn project_id(&self) -> Option<String> {
        None
    }
    /// A short name for messages (`"environment"`, `"profile file"`, ...).
    fn name(&self) -> &'static str;
}
