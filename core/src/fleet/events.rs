//! What a fleet run tells its observer while it runs.

use std::time::Duration;

use super::journal::{DeletionState, ItemState};
use super::report::ItemError;
use crate::client::Control;
use crate::model::ImageQuota;

/// One thing that happened in a fleet run.
#[derive(Debug, Clone, PartialEq)]
pub enum FleetEvent {
    /// The run starts: its items, how many will be created, the quota read.
    Started {
        /// Items in the manifest.
        items: usize,
        /// Items that may be created in this run.
        to_create: usize,
        /// The image quota read before the first create (`None` on a dry run that could not
        /// read it).
        quota: Option<ImageQuota>,
    },
    /// An item reached a new state (already written to the journal).
    Item {
        /// The item's key.
        key: String,
        /// Its new state.
        state: ItemState,
        /// Its job, when known.
        job_id: Option<String>,
        /// Its image, when known.
        image_id: Option<String>,
        /// Why it failed or is unknown.
        error: Option<ItemError>,
    },
    /// A poll of an item's job (or listing of its adopted image).
    Progress {
        /// The item's key.
        key: String,
        /// The job's (or image's) status.
        status: String,
        /// `process_percent`, when given.
        percent: Option<f64>,
    },
    /// A reconcile is looking for an item's image by its tag.
    Reconciling {
        /// The item's key.
        key: String,
        /// Time since the create's recorded intent.
        since_intent: Duration,
    },
    /// A retention deletion (planned on a dry run, then deleted or failed).
    Deletion {
        /// The item whose older image it is.
        key: String,
        /// The image.
        image_id: String,
        /// Where it stands.
        state: DeletionState,
        /// Why it failed.
        error: Option<String>,
    },
    /// The observer asked to stop: no new create is sent; creates already sent are recorded
    /// and jobs are left to run (a rerun resumes them).
    Stopping,
}

/// Receives a fleet run's events. Return [`Control::Cancel`] to stop the run (as Ctrl-C
/// does): nothing new is sent, the journal stays consistent, the report says what is left.
pub trait FleetObserver {
    /// Called for every event.
    fn on_event(&mut self, event: &FleetEvent) -> Control;

    /// Called every 100 ms while the run goes on (to notice Ctrl-C, say).
    fn on_tick(&mut self) -> Control {
        Control::Continue
    }
}

impl<F: FnMut(&FleetEvent) -> Control> FleetObserver for F {
    fn on_event(&mut self, event: &FleetEvent) -> Control {
        self(event)
    }
}
