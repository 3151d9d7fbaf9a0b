//! `ims fleet run`: the manifest, the journal and the options checked (nothing sent before),
//! then the fleet engine over the blocking client, its events shown as they come, a final
//! table (or JSON documents), and the exit code of the worst outcome.

use std::time::Duration;

use ims_core::fleet::{FleetOptions, FleetReport, ItemState, Manifest, Outcome};

use super::fleet_view::FleetView;
use crate::args::{FleetRunArgs, Global, Output};
use crate::exit::{self, Failure};

/// Runs `ims fleet run`.
pub fn run(g: &Global, a: &FleetRunArgs) -> Result<(), Failure> {
    let text = std::fs::read_to_string(&a.manifest).map_err(|e| {
        Failure::usage(format!(
            "manifest {}: cannot read it: {e}; nothing was sent",
            a.manifest.display()
        ))
    })?;
    let manifest = Manifest::parse(&text).map_err(ims_core::fleet::FleetError::from)?;
    // The fleet's name: given, else the journal's (read without taking or creating it), else
    // the manifest's stem.
    let probe = ims_core::fleet::open_journal(&a.journal, true)?;
    let fleet = ims_core::fleet::fleet_name(a.fleet.as_deref(), probe.as_ref(), Some(&a.manifest))?
        .ok_or_else(|| {
            Failure::usage(format!(
                "manifest {}: no file stem to name the fleet after; give --fleet NAME",
                a.manifest.display()
            ))
        })?;
    drop(probe);
    let options = options(a, fleet)?;
    options.validate()?;
    let client = super::client(g)?;
    // A dry run writes nothing, not even a new journal file, and runs beside a holder.
    let journal = ims_core::fleet::open_journal(&a.journal, a.dry_run)?;
    crate::interrupt::install();
    let mut view = FleetView::new(&manifest, g.output);
    let result = ims_core::fleet::run_blocking(&client, &manifest, journal, &options, &mut view);
    view.clear();
    let report = result?;
    view.print_report(&report);
    conclude(&report, g.output)
}

/// The exit code and stderr line of a finished (or stopped) run.
fn conclude(report: &FleetReport, output: Output) -> Result<(), Failure> {
    if report.stopped {
        let in_flight: Vec<_> = report
            .items
            .iter()
            .filter(|i| matches!(i.state, ItemState::Sending | ItemState::Submitted))
            .collect();
        eprintln!(
            "stopped: no new create was sent; {} item(s) in flight (their jobs go on); rerun the same command to resume",
            in_flight.len()
        );
        if output == Output::Text {
            for i in &in_flight {
                eprintln!(
                    "  {}: {} job {} image {}",
                    i.key,
                    i.state,
                    i.job_id.as_deref().unwrap_or("-"),
                    i.image_id.as_deref().unwrap_or("-")
                );
            }
        }
        return Err(Failure {
            code: exit::CANCELLED,
            message: format!("fleet run {:?} stopped by a signal", report.run),
        });
    }
    let code = match report.outcome {
        // A dry run makes nothing: its items are left unfinished by design.
        Outcome::Incomplete if report.dry_run => exit::OK,
        outcome => exit::of_outcome(outcome),
    };
    if code == exit::OK {
        return Ok(());
    }
    let counts: Vec<String> = [
        ItemState::Unknown,
        ItemState::Failed,
        ItemState::Sending,
        ItemState::Submitted,
        ItemState::Pending,
        ItemState::Skipped,
    ]
    .into_iter()
    .filter_map(|s| {
        let n = report.count(s);
        (n > 0).then(|| format!("{n} {s}"))
    })
    .collect();
    Err(Failure {
        code,
        message: format!(
            "fleet run {:?}: {} ({}); a rerun resumes what is unfinished",
            report.run,
            report.outcome.as_str(),
            counts.join(", ")
        ),
    })
}

/// A number of seconds from a flag: finite, not negative.
fn seconds(flag: &str, secs: f64) -> Result<Duration, Failure> {
    if !secs.is_finite() || secs < 0.0 || secs > super::MAX_WAIT_SECS as f64 {
        return Err(Failure::usage(format!(
            "{flag} {secs}: must be a number of seconds from 0 to {}",
            super::MAX_WAIT_SECS
        )));
    }
    Duration::try_from_secs_f64(secs)
        .map_err(|_| Failure::usage(format!("{flag} {secs}: not a number of seconds")))
}

/// The engine's options from the flags.
fn options(a: &FleetRunArgs, fleet: String) -> Result<FleetOptions, Failure> {
    let mut o = FleetOptions::new(fleet, a.run.clone());
    o.parallel = a.parallel;
    o.keep = a.keep;
    o.delete_backup = a.delete_backup;
    if let Some(s) = a.reconcile_grace {
        o.reconcile_grace = seconds("--reconcile-grace", s)?;
    }
    if let Some(s) = a.relist_interval {
        o.relist_interval = seconds("--relist-interval", s)?;
        if o.relist_interval.is_zero() {
            return Err(Failure::usage(format!(
                "--relist-interval {s}: must be greater than 0"
            )));
        }
    }
    o.dry_run = a.dry_run;
    o.retry_failed = a.retry_failed;
    o.retry_unknown = a.retry_unknown;
    o.allow_partial = a.allow_partial;
    o.wait = super::wait_options(a.timeout, a.interval)?;
    Ok(o)
}
