//! One module per command; this one builds the client from the global options and dispatches.

mod create;
mod demo;
mod emulator;
mod fleet;
mod fleet_status;
mod fleet_view;
mod images;
mod job;

use std::time::Duration;

use ims_core::{Client, ClientBuilder, WaitOptions};

use crate::args::{Cli, Command, FleetCommand, Global};
use crate::exit::Failure;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::CreateWholeImage(a) => create::run(&cli.global, &a),
        Command::Job(a) => job::run(&cli.global, &a),
        Command::Emulator(a) => emulator::run(&a),
        Command::Demo(a) => demo::run(&a),
        Command::Fleet(FleetCommand::Run(a)) => fleet::run(&cli.global, &a),
        Command::Fleet(FleetCommand::Status(a)) => fleet_status::run(&cli.global, &a),
        Command::Images(c) => images::run(&cli.global, &c),
    }
}

/// The client the global options describe (credentials from the official chain).
pub fn client(g: &Global) -> Result<Client, Failure> {
    Ok(builder(g)?.build()?)
}

/// A client builder set up from the global options.
pub fn builder(g: &Global) -> Result<ClientBuilder, Failure> {
    let mut b = Client::builder();
    match (&g.region, &g.endpoint) {
        (None, None) => {
            return Err(Failure::config(
                "no endpoint: give --region (e.g. cn-north-4) or --endpoint URL (or IMS_REGION / IMS_ENDPOINT)",
            ));
        }
        (region, endpoint) => {
            if let Some(r) = region {
                b = b.region(r);
            }
            if let Some(e) = endpoint {
                b = b.endpoint(e);
            }
        }
    }
    if let Some(p) = &g.project_id {
        b = b.project_id(p);
    }
    if let Some(f) = &g.profile_file {
        b = b.profile_file(f);
    }
    if let Some(f) = &g.ca_file {
        b = b.add_root_certificate_file(f);
    }
    Ok(b)
}

/// The longest `--timeout` or `--interval` accepted: 366 days (as the C ABI's options).
pub const MAX_WAIT_SECS: u64 = ims_core::client::MAX_WAIT_DURATION.as_secs();

/// Wait options from `--timeout` and `--interval`, checked before anything is sent: the interval
/// must be a finite number of seconds above 0, and neither may exceed [`MAX_WAIT_SECS`].
pub fn wait_options(timeout_secs: u64, interval: Option<f64>) -> Result<WaitOptions, Failure> {
    if timeout_secs > MAX_WAIT_SECS {
        return Err(Failure::usage(format!(
            "--timeout {timeout_secs}: must be at most {MAX_WAIT_SECS} seconds (366 days)"
        )));
    }
    let mut o = WaitOptions {
        timeout: Duration::from_secs(timeout_secs),
        ..WaitOptions::default()
    };
    if let Some(secs) = interval {
        let d = interval_duration(secs).ok_or_else(|| {
            Failure::usage(format!(
                "--interval {secs}: must be a number of seconds greater than 0 and at most \
                 {MAX_WAIT_SECS} (366 days)"
            ))
        })?;
        o.first_delay = d;
        o.interval = d;
        o.max_interval = o.max_interval.max(d);
    }
    // Core's rules are the last word (the same check `Client::wait` makes before sending).
    o.validate()
        .map_err(|e| Failure::usage(format!("wait options: {e}")))?;
    Ok(o)
}

/// `secs` as a poll interval: finite, above 0 (and not so small that it rounds to 0), at most
/// [`MAX_WAIT_SECS`].
fn interval_duration(secs: f64) -> Option<Duration> {
    if !secs.is_finite() || secs <= 0.0 || secs > MAX_WAIT_SECS as f64 {
        return None;
    }
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| !d.is_zero())
}
