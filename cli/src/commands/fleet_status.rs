//! `ims fleet status --journal FILE [--run NAME]`: a journal read without its lock (a run may
//! hold it meanwhile): per run the count of items in each state, then the items.

use ims_core::fleet::{ItemState, Journal, RunRecord, SqliteJournal};
use ims_core::time::format_rfc3339_millis;
use serde_json::{Value, json};

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
                "runs": runs.iter().map(run_json).collect::<Vec<_>>(),
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

fn count(r: &RunRecord, s: ItemState) -> usize {
    r.items.iter().filter(|i| i.state == s).count()
}

fn print_run(r: &RunRecord) {
    let counts: Vec<String> = ItemState::ALL
        .into_iter()
        .filter_map(|s| {
            let n = count(r, s);
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

fn run_json(r: &RunRecord) -> Value {
    let mut states = serde_json::Map::new();
    for s in ItemState::ALL {
        states.insert(s.as_str().to_owned(), json!(count(r, s)));
    }
    json!({
        "run": r.run,
        "started_at": format_rfc3339_millis(r.started_at),
        "states": states,
        "items": r.items.iter().map(|i| json!({
            "key": i.key,
            "state": i.state.as_str(),
            "job_id": i.job_id,
            "image_id": i.image_id,
            "error_code": i.error_code,
            "error_message": i.error_message,
            "attempts": i.attempts,
            "updated_at": format_rfc3339_millis(i.updated_at),
        })).collect::<Vec<_>>(),
        "deletions": r.deletions.iter().map(|d| json!({
            "key": d.key, "image_id": d.image_id, "created_at": d.created_at,
            "state": d.state.as_str(), "error": d.error,
        })).collect::<Vec<_>>(),
    })
}
