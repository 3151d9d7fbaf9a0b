//! Client CPU per create + wait cycle against a running emulator (`ims emulator --job-seconds 0`).
//!
//! ```text
//! cargo run --release -p ims-core --example cycle -- --url http://127.0.0.1:PORT [--cycles 500 | --serve]
//! ```
//!
//! The emulator runs in another process, so this process's CPU time (`common::cpu_seconds`) is
//! the client's alone. Prints one JSON line; with `--serve`, one per
//! number read from stdin, after `ready` (`common::run_batches`).
#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

mod common;

use common::{Target, cpu_seconds, ecs_request, run_batches};
use ims_core::WaitOptions;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let target = Target::from_args(&args)?;
    let client = target.builder().build()?;
    let request = ecs_request("bench-cycle")?;
    // Polls at once (the emulator's jobs of 0 s are done by then); the interval must be above
    // zero, and 1 ms is never slept when the first poll already sees SUCCESS.
    let wait = WaitOptions {
        first_delay: Duration::ZERO,
        ..WaitOptions::fixed(Duration::from_millis(1), Duration::from_secs(60))
    };
    // Warm up: connection, TLS-free loopback, allocator.
    for _ in 0..20 {
        let id = client.create_whole_image(&request)?;
        client.wait(&id, &wait)?;
    }
    run_batches(&args, |cycles| {
        let (cpu0, wall0) = (cpu_seconds(), Instant::now());
        let mut polls = 0u64;
        for _ in 0..cycles {
            let id = client.create_whole_image(&request)?;
            let mut count = |_: &ims_core::client::Progress<'_>| {
                polls += 1;
                ims_core::client::Control::Continue
            };
            client.wait_with(&id, &wait, &mut count)?;
        }
        let (cpu, wall) = (cpu_seconds() - cpu0, wall0.elapsed().as_secs_f64());
        Ok(format!(
            "{{\"client\": \"rust\", \"cycles\": {cycles}, \"polls\": {polls}, \"cpu_s\": {cpu:.6}, \"wall_s\": {wall:.4}, \"cpu_ms_per_cycle\": {:.4}, \"cycles_per_s\": {:.1}}}",
            cpu * 1000.0 / f64::from(cycles),
            f64::from(cycles) / wall
        ))
    })
}
