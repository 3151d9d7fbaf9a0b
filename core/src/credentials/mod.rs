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

/// What [`CredentialProvider::credentials_async`] returns.
pub type CredentialsFuture<'a> = Pin<Box<dyn Future<Output = Result<Credentials>> + Send + 'a>>;

/// A source of credentials. The clients ask for them before every request, so a provider may
/// refresh temporary credentials behind it; it must be cheap when nothing changes.
pub trait CredentialProvider: Send + Sync + fmt::Debug {
    /// The credentials to sign the next request with. Called outside any async runtime.
    fn credentials(&self) -> Result<Credentials>;
    /// The same, for async callers: both clients (the blocking one drives it on its own
    /// thread) ask through this method. The default answers [`CredentialProvider::credentials`]
    /// at once, which suits providers that never wait on the network; a provider that does
    /// (instance metadata) overrides it so that no runtime thread is ever blocked.
    fn credentials_async(&self) -> CredentialsFuture<'_> {
        Box::pin(std::future::ready(self.credentials()))
    }
    /// The project id this source also carries (environment, profile file), if any.
    fn project_id(&self) -> Option<String> {
        None
    }
    /// A short name for messages (`"environment"`, `"profile file"`, ...).
    fn name(&self) -> &'static str;
}
