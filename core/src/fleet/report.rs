//! A fleet run's result: one row per item and the worst outcome.

use std::time::Duration;

use serde_json::{Value, json};

use super::journal::{DeletionRecord, ItemState};

/// Why an item failed or is unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemError {
    /// The service's code (`IMG.0029`), the job's `error_code`, or this library's
    /// (`fleet.ambiguous`, `fleet.listing`, `fleet.gone`).
    pub code: Option<String>,
    /// One readable sentence.
    pub message: String,
}

/// One item of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemReport {
    /// The item's key.
    pub key: String,
    /// Its manifest line.
    pub line: usize,
    /// Where it stands at the end of this run.
    pub state: ItemState,
    /// Whether it had already succeeded before this run (nothing was done to it).
    pub already_done: bool,
    /// What the run did or (on a dry run) would do: `create`, `wait`, `reconcile`, `follow`,
    /// `skip`.
    pub action: &'static str,
    /// Its job, when known.
    pub job_id: Option<String>,
    /// Its image, when known.
    pub image_id: Option<String>,
    /// From its first start to its last record.
    pub duration: Option<Duration>,
    /// Why it failed, is unknown, or was left unfinished.
    pub error: Option<ItemError>,
}

/// The worst thing that happened to any item, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// Every item succeeded (now or before).
    Succeeded,
    /// Some item is unfinished (the run was stopped, or a wait gave up): a rerun resumes it.
    Incomplete,
    /// Some item failed (the create was refused or the job failed).
    Failed,
    /// Some item is unknown: look at it before asking for it again.
    Unknown,
}

impl Outcome {
    /// `succeeded`, `incomplete`, `failed` or `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Incomplete => "incomplete",
            Outcome::Failed => "failed",
            Outcome::Unknown => "unknown",
        }
    }

    /// The outcome of one item in `state`.
    pub fn of(state: ItemState) -> Outcome {
        match state {
            ItemState::Succeeded => Outcome::Succeeded,
            ItemState::Failed => Outcome::Failed,
            ItemState::Unknown => Outcome::Unknown,
            ItemState::Pending | ItemState::Sending | ItemState::Submitted | ItemState::Skipped => {
                Outcome::Incomplete
            }
        }
    }
}

/// A fleet run's report.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetReport {
    /// The fleet.
    pub fleet: String,
    /// The run.
    pub run: String,
    /// Whether it was a dry run (nothing sent, nothing written).
    pub dry_run: bool,
    /// Whether the observer stopped it.
    pub stopped: bool,
    /// One row per item, in manifest order.
    pub items: Vec<ItemReport>,
    /// Retention deletions (planned, on a dry run).
    pub deletions: Vec<DeletionRecord>,
    /// Durable journal writes made by this run.
    pub journal_writes: u64,
    /// The worst outcome of any item.
    pub outcome: Outcome,
}

impl FleetReport {
    /// How many items are in `state`.
    pub fn count(&self, state: ItemState) -> usize {
        self.items.iter().filter(|i| i.state == state).count()
    }

    /// One item as a JSON object.
    pub fn item_json(item: &ItemReport) -> Value {
        json!({
            "key": item.key,
            "line": item.line,
            "state": item.state.as_str(),
            "already_done": item.already_done,
            "action": item.action,
            "job_id": item.job_id,
            "image_id": item.image_id,
            "duration_secs": item.duration.map(|d| d.as_secs_f64()),
            "error": item.error.as_ref().map(|e| json!({"code": e.code, "message": e.message})),
        })
    }

    /// The summary as a JSON object (no items): counts per state, deletions, outcome.
    pub fn summary_json(&self) -> Value {
        let mut counts = serde_json::Map::new();
        for s in ItemState::ALL {
            counts.insert(s.as_str().to_owned(), json!(self.count(s)));
        }
        json!({
            "fleet": self.fleet,
            "run": self.run,
            "dry_run": self.dry_run,
            "stopped": self.stopped,
            "items": self.items.len(),
            "states": counts,
            "already_done": self.items.iter().filter(|i| i.already_done).count(),
            "deletions": self.deletions.iter().map(|d| json!({
                "key": d.key, "image_id": d.image_id, "created_at": d.created_at,
                "state": d.state.as_str(), "error": d.error,
            })).collect::<Vec<_>>(),
            "journal_writes": self.journal_writes,
            "outcome": self.outcome.as_str(),
        })
    }

    /// The whole report as one JSON document: the summary with an `items` array.
    pub fn to_json(&self) -> String {
        let mut v = self.summary_json();
        v["items"] = Value::Array(self.items.iter().map(FleetReport::item_json).collect());
        v.to_string()
    }
}
