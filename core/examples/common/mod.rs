//! What the benchmark examples share: their argument reader and this process's CPU time.

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
