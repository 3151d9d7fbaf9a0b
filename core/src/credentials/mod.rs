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

use crate::error::Result;

pub use keys::Credentials;
#[cfg(feature = "client")]
pub use metadata::{DEFAULT_METADATA_ENDPOINT, MetadataProvider, REFRESH_MARGIN_SECS};
pub use profile::Profile;
pub use provider::{ChainProvider, EnvProvider, ProfileProvider, StaticProvider};

/// A source of credentials. `credentials()` is called for every request, so a provider may
/// refresh temporary credentials behind it; it must be cheap when nothing changes.
pub trait CredentialProvider: Send + Sync + fmt::Debug {
    /// The credentials to sign the next request with.
    fn credentials(&self) -> Result<Credentials>;
    /// The project id this source also carries (environment, profile file), if any.
    fn project_id(&self) -> Option<String> {
        None
    }
    /// A short name for messages (`"environment"`, `"profile file"`, ...).
    fn name(&self) -> &'static str;
}
