//! `ims fleet status --journal FILE [--run NAME]`: a journal read without its lock (a run may
//! hold it meanwhile): per run the count of items in each state, then the items.

use ims_core::fleet::{ItemState, Journal, RunRecord, SqliteJournal};
use ims_core::time::format_rfc3339_millis;
use serde_json::json;

use super::fleet_view::table;
use crate::args::{FleetStatusArgs, Global, Output};
use crate::exit::Failure;

/// Runs `ims fleet status`.
pub fn run(g: &Global, a: &FleetStatusArgs) -> Result<(), Failure> {
    let journal = SqliteJournal::open_read_only(&a.journal)?;
    let fleet = journal.fleet()?;
    let mut runs = journal.runs()?;
    if let Some(name) = &a.run {
        runs.retain(|r| &r.run == name);
        if runs.is_empty() {
            return Err(Failure::usage(format!(
                "journal {}: no run named {name:?}",
                a.journal.display()
            )));
        }
    }
    match g.output {
        Output::Json => println!(
            "{}",
            json!({
                "journal": a.journal.display().to_string(),
                "fleet": fleet,
                "runs": runs.iter().map(RunRecord::to_json).collect::<Vec<_>>(),
            })
        ),
        Output::Text => {
            println!(
                "journal {}: fleet {}, {} run(s)",
                a.journal.display(),
                fleet.as_deref().unwrap_or("(none yet)"),
                runs.len()
            );
            for r in &runs {
                print_run(r);
            }
        }
    }
    Ok(())
}

fn print_run(r: &RunRecord) {
    let counts: Vec<String> = ItemState::ALL
        .into_iter()
        .filter_map(|s| {
            let n = r.count(s);
            (n > 0).then(|| format!("{n} {s}"))
        })
        .collect();
    println!(
        "\nrun {} (started {}): {} item(s): {}",
        r.run,
        format_rfc3339_millis(r.started_at),
        r.items.len(),
        if counts.is_empty() {
            "none recorded".to_owned()
        } else {
            counts.join(", ")
        }
    );
    let dash = || "-".to_owned();
    let rows: Vec<[String; 5]> = r
        .items
        .iter()
        .map(|i| {
            [
                i.key.clone(),
                i.state.to_string(),
                i.job_id.clone().unwrap_or_else(dash),
                i.image_id.clone().unwrap_or_else(dash),
                match (&i.error_code, &i.error_message) {
                    (Some(c), Some(m)) => format!("{c}: {m}"),
                    (None, Some(m)) => m.clone(),
                    (Some(c), None) => c.clone(),
                    (None, None) => dash(),
                },
            ]
        })
        .collect();
    if !rows.is_empty() {
        table(["KEY", "STATE", "JOB", "IMAGE", "ERROR"], &rows);
    }
    for d in &r.deletions {
        println!(
            "  retention {} {}: image {} (created {}){}",
            d.state.as_str(),
            d.key,
            d.image_id,
            d.created_at,
            d.error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        );
    }
}
