//! What the benchmark examples share: their argument reader, the emulator account they use,
//! the create request they send, their batches and this process's CPU time.

use ims_core::model::WholeImageRequest;
use ims_core::{ClientBuilder, Credentials};

/// The emulator and the account an example talks to: `--url` (required), and `--ak`, `--sk`,
/// `--project-id`, which default to the emulator's demo account.
pub struct Target {
    /// The emulator's base URL.
    pub url: String,
    /// The AK/SK to sign with.
    pub credentials: Credentials,
    /// The project id.
    pub project_id: String,
}

impl Target {
    /// Reads the target from the command line.
    pub fn from_args(args: &[String]) -> Result<Self, Box<dyn std::error::Error>> {
        Ok(Target {
            url: arg(args, "--url").ok_or("--url URL is required")?,
            credentials: Credentials::new(
                arg(args, "--ak").unwrap_or_else(|| "IMSDEMOAK00000000000".to_owned()),
                arg(args, "--sk")
                    .unwrap_or_else(|| "ims-demo-secret-key-0000000000000000000000".to_owned()),
            ),
            project_id: arg(args, "--project-id")
                .unwrap_or_else(|| "0123456789abcdef0123456789abcdef".to_owned()),
        })
    }

    /// A client builder pointed at the target.
    pub fn builder(&self) -> ClientBuilder {
        ims_core::Client::builder()
            .endpoint(self.url.as_str())
            .project_id(self.project_id.as_str())
            .credentials(self.credentials.clone())
    }
}

/// The create request every example sends (from an ECS, with the seed page's ids), named `name`.
pub fn ecs_request(name: &str) -> Result<WholeImageRequest, Box<dyn std::error::Error>> {
    WholeImageRequest::from_ecs(
        name,
        "877a2cda-ba63-4e1e-b95f-e67e48b6129a",
        "de9fcf45-11b2-432c-8562-5c5428574600",
    )
    .build()
    .map_err(Into::into)
}

/// The value after `name` in `args`, if any.
pub fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// CPU seconds this process has run so far: the sum over its threads of the scheduler's own
/// nanosecond count (Linux `/proc/self/task/*/schedstat`, first field), the clock
/// `CLOCK_PROCESS_CPUTIME_ID` and Python's `time.process_time()` read. Where that file is
/// missing, user + system time from `/proc/self/stat`, in clock ticks of 10 ms.
pub fn cpu_seconds() -> f64 {
    precise_cpu_seconds().unwrap_or_else(tick_cpu_seconds)
}

/// The sum of `/proc/self/task/*/schedstat`'s run time, if every thread's could be read.
fn precise_cpu_seconds() -> Option<f64> {
    let mut ns: u64 = 0;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        ns += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(ns as f64 / 1e9)
}

/// User + system CPU seconds from `/proc/self/stat` (clock ticks of 10 ms).
fn tick_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the `(comm)`: state is field 3; utime and stime are fields 14 and 15.
    let after = stat.rsplit_once(") ").map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<f64>().ok())
        .sum();
    ticks / 100.0
}

/// Runs the measured batches, as `bench/e2e_worker.py` does for Python: with `--serve` in
/// `args`, prints `ready`, then for each line of stdin (a number N) runs `batch(N)` and prints
/// its JSON line, until EOF, so that a long-lived, warm process is measured round after round;
/// without it, runs one batch of `--cycles` (default 500) and prints its line.
#[allow(dead_code)] // each example compiles this module; many_waits has no batches
pub fn run_batches(
    args: &[String],
    mut batch: impl FnMut(u32) -> Result<String, Box<dyn std::error::Error>>,
) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::{BufRead, Write};
    let mut out = std::io::stdout().lock();
    if !args.iter().any(|a| a == "--serve") {
        let cycles: u32 = arg(args, "--cycles").map_or(Ok(500), |v| v.parse())?;
        writeln!(out, "{}", batch(cycles)?)?;
        return Ok(());
    }
    writeln!(out, "ready")?;
    out.flush()?;
    for line in std::io::stdin().lock().lines() {
        let cycles: u32 = line?.trim().parse()?;
        writeln!(out, "{}", batch(cycles)?)?;
        out.flush()?;
    }
    Ok(())
}
