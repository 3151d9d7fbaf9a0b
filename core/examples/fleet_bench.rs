//! Fleet benchmark client: runs a fleet of `--items` ECS items at `--parallel` against an
//! emulator already running at `--endpoint` (see `bench/fleet.sh`), and prints one JSON line:
//! wall time, the ideal (ceil(items / parallel) × job seconds), journal writes, outcome.

#![allow(clippy::print_stdout)] // the benchmark prints its figures

use std::time::{Duration, Instant};

use ims_core::client::Control;
use ims_core::fleet::{self, FleetEvent, FleetOptions, Manifest, SqliteJournal};
use ims_core::{Client, Credentials, WaitOptions};

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_owned())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let items: usize = arg("--items", "1000").parse()?;
    let parallel: u32 = arg("--parallel", "40").parse()?;
    let job_secs: f64 = arg("--job-seconds", "5").parse()?;
    let endpoint = arg("--endpoint", "http://127.0.0.1:8080");
    let journal = arg("--journal", "/tmp/ims-fleet-bench.sqlite");
    let _ = std::fs::remove_file(&journal);
    let text: Vec<String> = (0..items)
        .map(|i| format!(r#"{{"name":"bench-{i}","instance_id":"srv-{i}","vault_id":"vault-1"}}"#))
        .collect();
    let manifest = Manifest::parse(&text.join("\n"))?;
    let client = Client::builder()
        .endpoint(endpoint)
        .project_id("0123456789abcdef0123456789abcdef")
        .credentials(Credentials::new(
            "IMSDEMOAK00000000000",
            "ims-demo-secret-key-0000000000000000000000",
        ))
        .max_concurrent_requests(64)
        .build()?;
    let mut options = FleetOptions::new("bench", "run-1");
    options.parallel = parallel;
    options.wait = WaitOptions {
        first_delay: Duration::from_millis(500),
        interval: Duration::from_millis(500),
        max_interval: Duration::from_secs(1),
        backoff: 1.0,
        timeout: Duration::from_secs(3600),
        ..WaitOptions::default()
    };
    let mut events = 0u64;
    let mut observer = |_: &FleetEvent| {
        events += 1;
        Control::Continue
    };
    let started = Instant::now();
    let report = fleet::run_blocking(
        &client,
        &manifest,
        Box::new(SqliteJournal::open(&journal)?),
        &options,
        &mut observer,
    )?;
    let wall = started.elapsed().as_secs_f64();
    let ideal = (items as f64 / f64::from(parallel)).ceil() * job_secs;
    let line = serde_json::json!({
        "items": items,
        "parallel": parallel,
        "job_seconds": job_secs,
        "wall_secs": wall,
        "ideal_secs": ideal,
        "wall_over_ideal": wall / ideal,
        "journal_writes": report.journal_writes,
        "journal_writes_per_item": report.journal_writes as f64 / items as f64,
        "events": events,
        "outcome": report.outcome.as_str(),
    });
    println!("{line}");
    Ok(())
}
