//! Many concurrent create + wait cycles on ONE [`AsyncClient`], on a runtime of one or two
//! threads, against an emulator in another process (`ims emulator --job-seconds 30`).
//!
//! ```text
//! cargo run --release -p ims-core --example many_waits -- --url http://127.0.0.1:PORT \
//!     [--jobs 10000] [--runtime current|multi2] [--job-seconds 30] [--first-delay 10] \
//!     [--interval 4] [--max-concurrent 32]
//! ```
//!
//! Every task creates an image, then waits for its job (fixed interval, 10 % jitter). Prints
//! one JSON line: jobs done, the wall time from the first create to the last SUCCESS, the
//! slowest create-to-SUCCESS, the most OS threads the process had (`/proc/self/status`
//! `Threads`, sampled every 100 ms), the peak RSS (`VmHWM`) and the CPU seconds used. The
//! emulator prints the connections it counted when it stops (`bench/many_waits.sh` reads it).
#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

mod common;

use common::{Target, arg, cpu_seconds, ecs_request};
use ims_core::{AsyncClient, WaitOptions};

/// A `kB` field of `/proc/self/status`, or the `Threads` count.
fn status_field(name: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

struct Outcome {
    ok: u64,
    failed: u64,
    first_error: Option<String>,
    slowest: Duration,
}

async fn run(client: AsyncClient, jobs: u32, wait: WaitOptions) -> Outcome {
    let request = Arc::new(ecs_request("bench-many").expect("a valid request"));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..jobs {
        let (client, request) = (client.clone(), request.clone());
        tasks.spawn(async move {
            let id = client.create_whole_image(&request).await?;
            let created = Instant::now();
            client.wait(&id, &wait).await?;
            Ok::<Duration, ims_core::Error>(created.elapsed())
        });
    }
    let mut out = Outcome {
        ok: 0,
        failed: 0,
        first_error: None,
        slowest: Duration::ZERO,
    };
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok(took)) => {
                out.ok += 1;
                out.slowest = out.slowest.max(took);
            }
            Ok(Err(e)) => {
                out.failed += 1;
                out.first_error.get_or_insert_with(|| e.to_string());
            }
            Err(e) => {
                out.failed += 1;
                out.first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let target = Target::from_args(&args)?;
    let jobs: u32 = arg(&args, "--jobs").map_or(Ok(10_000), |v| v.parse())?;
    let flavour = arg(&args, "--runtime").unwrap_or_else(|| "current".to_owned());
    let job_seconds: f64 = arg(&args, "--job-seconds").map_or(Ok(30.0), |v| v.parse())?;
    let first_delay: f64 = arg(&args, "--first-delay").map_or(Ok(10.0), |v| v.parse())?;
    let interval: f64 = arg(&args, "--interval").map_or(Ok(4.0), |v| v.parse())?;
    let max_concurrent: usize = arg(&args, "--max-concurrent").map_or(Ok(32), |v| v.parse())?;
    let client = target
        .builder()
        .max_concurrent_requests(max_concurrent)
        .build_async()?;
    let wait = WaitOptions {
        first_delay: Duration::from_secs_f64(first_delay),
        interval: Duration::from_secs_f64(interval),
        backoff: 1.0,
        max_interval: Duration::from_secs_f64(interval),
        jitter: 0.1,
        timeout: Duration::from_secs(600),
        ..WaitOptions::default()
    };
    let runtime = match flavour.as_str() {
        "current" => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
        "multi2" => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?,
        other => return Err(format!("--runtime {other}: current or multi2").into()),
    };
    // The sampler is a plain thread of its own only in spirit: it runs as a task, so it adds
    // no OS thread to what it counts.
    let max_threads = Arc::new(AtomicU64::new(status_field("Threads")));
    let cpu0 = cpu_seconds();
    let start = Instant::now();
    let outcome = runtime.block_on(async {
        let seen = max_threads.clone();
        let sampler = tokio::spawn(async move {
            loop {
                seen.fetch_max(status_field("Threads"), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        let out = run(client, jobs, wait).await;
        sampler.abort();
        out
    });
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    println!(
        "{{\"runtime\":\"{flavour}\",\"jobs\":{jobs},\"ok\":{},\"failed\":{},\"job_seconds\":{job_seconds},\"wall_seconds\":{wall:.2},\"wall_over_job\":{:.3},\"slowest_wait_seconds\":{:.2},\"max_threads\":{},\"peak_rss_mb\":{:.1},\"cpu_seconds\":{cpu:.2},\"first_error\":{}}}",
        outcome.ok,
        outcome.failed,
        wall / job_seconds,
        outcome.slowest.as_secs_f64(),
        max_threads.load(Ordering::Relaxed),
        status_field("VmHWM") as f64 / 1024.0,
        outcome
            .first_error
            .map_or("null".to_owned(), |e| format!("{e:?}")),
    );
    Ok(())
}
