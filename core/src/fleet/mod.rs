//! Fleet imaging: one full-ECS image per item of a manifest, many at once, within the
//! tenant's limits, with a journal that makes a crash or a rerun neither duplicate nor lose an
//! image.
//!
//! - [`Manifest`]: JSON Lines of create bodies (plus an optional `key`), checked whole before
//!   anything is sent.
//! - [`FleetTag`]: the tag each image carries, (fleet, item) in its key and (fleet, run, item)
//!   in its value, so a rerun finds an image by listing and retention selects by tag, never by
//!   name.
//! - [`Journal`] ([`SqliteJournal`]): each item's state, durable before its create is sent
//!   (`sending`) and right after the answer (`submitted`), then `succeeded`, `failed`,
//!   `unknown` or `skipped`.
//! - [`run`] (async) and [`run_blocking`] (the blocking [`crate::Client`]'s door over the same
//!   engine): resume, reconcile, bound the creation tasks, retention, events, report.

mod engine;
mod events;
pub mod journal;
pub mod manifest;
mod options;
mod report;
mod setup;
mod sqlite;
pub mod tag;

pub use engine::{run, run_blocking};
pub use events::{FleetEvent, FleetObserver};
pub use journal::{
    DeletionRecord, DeletionState, ItemRecord, ItemState, Journal, JournalError, RunRecord,
};
pub use manifest::{LineError, Manifest, ManifestErrors, ManifestItem};
pub use options::{
    DEFAULT_PARALLEL, DEFAULT_RECONCILE_GRACE, DEFAULT_RELIST_INTERVAL, FleetOptions, MAX_PARALLEL,
};
pub use report::{FleetReport, ItemError, ItemReport, Outcome};
pub use setup::{EmptyJournal, fleet_name, open_journal};
pub use sqlite::SqliteJournal;
pub use tag::FleetTag;

use crate::model::ImageQuota;

/// Why a fleet run did not start (nothing was sent), or could not go on.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// The manifest has problems (every one of them, by line).
    #[error(transparent)]
    Manifest(#[from] ManifestErrors),
    /// The options break a rule (field and rule named).
    #[error("fleet options: {0}")]
    Options(String),
    /// The journal cannot be used (held by another process, corrupt, another fleet's).
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The run would make more images than the region's quota leaves.
    #[error("the run would make {needed} images but the image quota leaves {} ({} of {} used); nothing was sent (allow a partial run to make what fits)", quota.remaining(), quota.used, quota.quota)]
    Quota {
        /// Images the run would make.
        needed: u64,
        /// The quota as read before the first create.
        quota: ImageQuota,
    },
    /// A call the run needs before it can start failed (the quota, a listing).
    #[error("before the first create: {0}")]
    Service(#[source] crate::Error),
}
