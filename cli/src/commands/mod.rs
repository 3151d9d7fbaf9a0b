//! One module per command; this one builds the client from the global options and dispatches.

mod create;
mod demo;
mod emulator;
mod job;

use std::time::Duration;

use ims_core::{Client, ClientBuilder, WaitOptions};

use crate::args::{Cli, Command, Global};
use crate::exit::Failure;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::CreateWholeImage(a) => create::run(&cli.global, &a),
        Command::Job(a) => job::run(&cli.global, &a),
        Command::Emulator(a) => emulator::run(&a),
        Command::Demo(a) => demo::run(&a),
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
    Ok(b)
}

/// Wait options from `--timeout` and `--interval`.
pub fn wait_options(timeout_secs: u64, interval: Option<f64>) -> Result<WaitOptions, Failure> {
    let mut o = WaitOptions {
        timeout: Duration::from_secs(timeout_secs),
        ..WaitOptions::default()
    };
    if let Some(secs) = interval {
        let d = Duration::try_from_secs_f64(secs).map_err(|_| {
            Failure::usage(format!(
                "--interval {secs}: must be a non-negative number of seconds"
            ))
        })?;
        o.first_delay = d;
        o.interval = d;
        o.max_interval = o.max_interval.max(d);
    }
    Ok(o)
}
