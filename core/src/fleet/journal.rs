//! The journal: what each item of a fleet run has reached, written durably before and after
//! every call that could make an image. [`Journal`] is the contract; [`super::SqliteJournal`]
//! is the embedded store (a shared, server-side store would be another implementation).

use std::fmt;
use std::path::PathBuf;

/// Where an item stands. The journal's states, in the order an item passes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemState {
    /// Nothing done yet.
    Pending,
    /// The create is being sent (written durably before the POST): an image may exist.
    Sending,
    /// The service accepted the create; the job id (or, for an adopted image, the image id)
    /// is known.
    Submitted,
    /// The image exists and is active.
    Succeeded,
    /// The create was refused or the job failed: no image was made.
    Failed,
    /// Ambiguous (two images with the item's tag, or listings that kept failing): never
    /// created again unless asked.
    Unknown,
    /// Not attempted in this run (a failed or unknown item not retried; a dry run).
    Skipped,
}

impl ItemState {
    /// Every state, in order.
    pub const ALL: [ItemState; 7] = [
        ItemState::Pending,
        ItemState::Sending,
        ItemState::Submitted,
        ItemState::Succeeded,
        ItemState::Failed,
        ItemState::Unknown,
        ItemState::Skipped,
    ];

    /// The state's name in the journal and in JSON: `pending`, `sending`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Pending => "pending",
            ItemState::Sending => "sending",
            ItemState::Submitted => "submitted",
            ItemState::Succeeded => "succeeded",
            ItemState::Failed => "failed",
            ItemState::Unknown => "unknown",
            ItemState::Skipped => "skipped",
        }
    }

    /// The state named `name`.
    pub fn parse(name: &str) -> Option<ItemState> {
        ItemState::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether the item is finished for this run (nothing more will happen to it).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ItemState::Succeeded | ItemState::Failed | ItemState::Unknown | ItemState::Skipped
        )
    }
}

impl fmt::Display for ItemState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An item's last record in one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRecord {
    /// The item's key.
    pub key: String,
    /// Its state.
    pub state: ItemState,
    /// The creation job, once known.
    pub job_id: Option<String>,
    /// The image, once known.
    pub image_id: Option<String>,
    /// The service's code of a failure (`IMG.0029`), or this library's (`fleet.ambiguous`).
    pub error_code: Option<String>,
    /// Why it failed or is unknown.
    pub error_message: Option<String>,
    /// When the last create was about to be sent (Unix milliseconds): the start of the
    /// reconcile grace.
    pub intent_at: Option<i64>,
    /// When the item was first started in this run (Unix milliseconds).
    pub started_at: Option<i64>,
    /// When this record was written (Unix milliseconds).
    pub updated_at: i64,
    /// How many creates were sent for it in this run.
    pub attempts: u32,
}

impl ItemRecord {
    /// A pending record of `key`.
    pub fn pending(key: &str) -> ItemRecord {
        ItemRecord {
            key: key.to_owned(),
            state: ItemState::Pending,
            job_id: None,
            image_id: None,
            error_code: None,
            error_message: None,
            intent_at: None,
            started_at: None,
            updated_at: 0,
            attempts: 0,
        }
    }
}

/// Where a retention deletion stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletionState {
    /// Chosen, not yet sent (or a dry run's plan).
    Planned,
    /// The service accepted the delete.
    Deleted,
    /// The delete failed.
    Failed,
}

impl DeletionState {
    /// `planned`, `deleted` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeletionState::Planned => "planned",
            DeletionState::Deleted => "deleted",
            DeletionState::Failed => "failed",
        }
    }

    /// The state named `name`.
    pub fn parse(name: &str) -> Option<DeletionState> {
        [
            DeletionState::Planned,
            DeletionState::Deleted,
            DeletionState::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }
}

/// A retention deletion of one image of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletionRecord {
    /// The item whose older image it is.
    pub key: String,
    /// The image.
    pub image_id: String,
    /// The image's creation time, as listed.
    pub created_at: String,
    /// Where it stands.
    pub state: DeletionState,
    /// Why it failed.
    pub error: Option<String>,
    /// When this record was written (Unix milliseconds).
    pub updated_at: i64,
}

/// One run of the journal, for `ims fleet status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    /// The run's name.
    pub run: String,
    /// When it was first started (Unix milliseconds).
    pub started_at: i64,
    /// Its items' last records.
    pub items: Vec<ItemRecord>,
    /// Its retention deletions.
    pub deletions: Vec<DeletionRecord>,
}

impl RunRecord {
    /// How many of its items are in `state`.
    pub fn count(&self, state: ItemState) -> usize {
        self.items.iter().filter(|i| i.state == state).count()
    }

    /// The run as JSON (what `ims fleet status --output json` and `ims_fleet_status_json`
    /// show): its counts per state, its items and its deletions, times as RFC 3339 UTC with
    /// milliseconds.
    pub fn to_json(&self) -> serde_json::Value {
        use crate::time::format_rfc3339_millis as at;
        use serde_json::json;
        let mut states = serde_json::Map::new();
        for s in ItemState::ALL {
            states.insert(s.as_str().to_owned(), json!(self.count(s)));
        }
        json!({
            "run": self.run,
            "started_at": at(self.started_at),
            "states": states,
            "items": self.items.iter().map(|i| json!({
                "key": i.key,
                "state": i.state.as_str(),
                "job_id": i.job_id,
                "image_id": i.image_id,
                "error_code": i.error_code,
                "error_message": i.error_message,
                "attempts": i.attempts,
                "intent_at": i.intent_at.map(at),
                "started_at": i.started_at.map(at),
                "updated_at": at(i.updated_at),
            })).collect::<Vec<_>>(),
            "deletions": self.deletions.iter().map(|d| json!({
                "key": d.key,
                "image_id": d.image_id,
                "created_at": d.created_at,
                "state": d.state.as_str(),
                "error": d.error,
                "updated_at": at(d.updated_at),
            })).collect::<Vec<_>>(),
        })
    }
}

/// Why the journal cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JournalError {
    /// Another process holds the journal (a run in progress): nothing was sent.
    #[error(
        "journal {path}: held by another process (a fleet run is in progress on it); nothing was sent"
    )]
    Locked {
        /// The journal's path.
        path: PathBuf,
    },
    /// The file is not a journal, or a damaged one.
    #[error("journal {path}: not a readable fleet journal ({reason})")]
    Corrupt {
        /// The journal's path.
        path: PathBuf,
        /// What was found.
        reason: String,
    },
    /// The journal belongs to another fleet.
    #[error(
        "journal {path}: belongs to fleet {journal_fleet:?}, not {fleet:?}; give that fleet's journal, or a new file"
    )]
    OtherFleet {
        /// The journal's path.
        path: PathBuf,
        /// The fleet recorded in the journal.
        journal_fleet: String,
        /// The fleet of this run.
        fleet: String,
    },
    /// The file cannot be opened, read or written.
    #[error("journal {path}: {reason}")]
    Io {
        /// The journal's path.
        path: PathBuf,
        /// The operating system's or SQLite's reason.
        reason: String,
    },
}

/// A fleet journal. Every write returns only once it is durable.
///
/// One journal holds one fleet; runs are kept side by side (a rerun of a run's name resumes
/// it). An implementation must keep a second writer out while one is open (the embedded one
/// holds a lock on the file).
pub trait Journal: Send {
    /// Binds the journal to `fleet` (recorded on first use; a journal of another fleet is
    /// refused with [`JournalError::OtherFleet`]) and starts or resumes `run`: every item's
    /// last record in that run (items never recorded are absent).
    fn open_run(&mut self, fleet: &str, run: &str) -> Result<Vec<ItemRecord>, JournalError>;

    /// Writes `record` as its item's last record in `run`, durably.
    fn record(&mut self, run: &str, record: &ItemRecord) -> Result<(), JournalError>;

    /// Writes a retention deletion in `run`, durably (the last record per image wins).
    fn record_deletion(&mut self, run: &str, deletion: &DeletionRecord)
    -> Result<(), JournalError>;

    /// The fleet the journal holds, if any run was ever started.
    fn fleet(&self) -> Result<Option<String>, JournalError>;

    /// Every run with its records, oldest run first.
    fn runs(&self) -> Result<Vec<RunRecord>, JournalError>;

    /// How many durable writes (commits) this journal made since it was opened.
    fn writes(&self) -> u64;
}
