//! What a fleet run is asked to do.

use std::time::Duration;

use super::FleetError;
use crate::client::WaitOptions;

/// Creation tasks in flight at once unless told otherwise.
pub const DEFAULT_PARALLEL: u32 = 10;
/// The tenant's limit of concurrent image-creation tasks: `parallel` may not exceed it.
pub const MAX_PARALLEL: u32 = 40;
/// How long after a create's recorded intent an image that was never listed is taken as not
/// made (10 minutes).
pub const DEFAULT_RECONCILE_GRACE: Duration = Duration::from_secs(600);
/// How often a reconcile lists again while it waits (capped at a quarter of the grace).
pub const DEFAULT_RELIST_INTERVAL: Duration = Duration::from_secs(10);
/// Longest fleet or run name, in characters.
pub const MAX_NAME_CHARS: usize = 128;

/// A fleet run's settings. [`FleetOptions::new`] gives the defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetOptions {
    /// The fleet's name: it is recorded in the journal (another fleet's journal is refused)
    /// and is part of every image's tag.
    pub fleet: String,
    /// The run's name (`nightly-2026-12-02`): running it again resumes it.
    pub run: String,
    /// Creation tasks in flight at once: 1 to [`MAX_PARALLEL`].
    pub parallel: u32,
    /// Retention: keep this many images per item (the newest), delete older ones that carry
    /// the item's fleet tag. `None`: no retention.
    pub keep: Option<u32>,
    /// With retention, delete the images' CBR backups too.
    pub delete_backup: bool,
    /// See [`DEFAULT_RECONCILE_GRACE`].
    pub reconcile_grace: Duration,
    /// See [`DEFAULT_RELIST_INTERVAL`].
    pub relist_interval: Duration,
    /// Consecutive failed listings after which a reconcile gives the item up as `unknown`.
    pub listing_failures: u32,
    /// Plan only: read the journal and the images, send nothing, write nothing.
    pub dry_run: bool,
    /// Send again the items whose earlier attempt `failed`.
    pub retry_failed: bool,
    /// Reconcile again (and, if nothing is found after the grace, send again) the items that
    /// are `unknown`.
    pub retry_unknown: bool,
    /// Start even when the quota leaves fewer images than the run would make.
    pub allow_partial: bool,
    /// How each job is waited for.
    pub wait: WaitOptions,
}

impl FleetOptions {
    /// The defaults for `fleet` and `run`.
    pub fn new(fleet: impl Into<String>, run: impl Into<String>) -> FleetOptions {
        FleetOptions {
            fleet: fleet.into(),
            run: run.into(),
            parallel: DEFAULT_PARALLEL,
            keep: None,
            delete_backup: false,
            reconcile_grace: DEFAULT_RECONCILE_GRACE,
            relist_interval: DEFAULT_RELIST_INTERVAL,
            listing_failures: 5,
            dry_run: false,
            retry_failed: false,
            retry_unknown: false,
            allow_partial: false,
            wait: WaitOptions {
                timeout: Duration::from_secs(3 * 3600),
                ..WaitOptions::default()
            },
        }
    }

    /// Every rule the options break, each naming its field.
    pub fn validate(&self) -> Result<(), FleetError> {
        let mut out = Vec::new();
        for (field, name) in [("fleet", &self.fleet), ("run", &self.run)] {
            let n = name.chars().count();
            if n == 0 || n > MAX_NAME_CHARS {
                out.push(format!(
                    "{field}: length: must be 1-{MAX_NAME_CHARS} characters, got {n}"
                ));
            }
            if name.chars().any(char::is_control) {
                out.push(format!(
                    "{field}: charset: must not contain control characters"
                ));
            }
        }
        if !(1..=MAX_PARALLEL).contains(&self.parallel) {
            out.push(format!(
                "parallel: range: must be from 1 to {MAX_PARALLEL} (the tenant's limit of concurrent image tasks), got {}",
                self.parallel
            ));
        }
        if self.keep == Some(0) {
            out.push(
                "keep: range: must be at least 1 (the newest image is never deleted)".to_owned(),
            );
        }
        if self.relist_interval.is_zero() {
            out.push("relist_interval: range: must be greater than zero".to_owned());
        }
        if self.listing_failures == 0 {
            out.push("listing_failures: range: must be at least 1".to_owned());
        }
        if let Err(e) = self.wait.validate() {
            out.push(format!("wait: {e}"));
        }
        if out.is_empty() {
            Ok(())
        } else {
            Err(FleetError::Options(out.join("; ")))
        }
    }

    /// How long a reconcile sleeps between two listings.
    pub(crate) fn relist_every(&self) -> Duration {
        let quarter = self.reconcile_grace / 4;
        self.relist_interval
            .min(quarter.max(Duration::from_millis(100)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_pass_and_each_broken_rule_is_named() {
        assert!(FleetOptions::new("f", "r").validate().is_ok());
        type Case = (fn(&mut FleetOptions), &'static str);
        let cases: [Case; 7] = [
            (|o| o.fleet.clear(), "fleet: length"),
            (|o| o.run = "a\nb".into(), "run: charset"),
            (|o| o.parallel = 0, "parallel: range"),
            (|o| o.parallel = 41, "parallel: range"),
            (|o| o.keep = Some(0), "keep: range"),
            (|o| o.relist_interval = Duration::ZERO, "relist_interval"),
            (|o| o.wait.backoff = 0.5, "wait:"),
        ];
        for (change, needle) in cases {
            let mut o = FleetOptions::new("f", "r");
            change(&mut o);
            let e = o.validate().expect_err(needle).to_string();
            assert!(e.contains(needle), "{needle}: {e}");
        }
        let mut o = FleetOptions::new("f", "r");
        o.parallel = 40;
        o.keep = Some(1);
        assert!(o.validate().is_ok());
    }
}
