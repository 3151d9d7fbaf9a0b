//! `ims emulator`: the local IMS until SIGINT or SIGTERM, then what it counted (connections,
//! requests, images) on stderr.

use std::io::Write;
use std::sync::mpsc;
use std::time::Duration;

use ims_emulator::{Emulator, EmulatorConfig, ServerCertificate};

use crate::args::EmulatorArgs;
use crate::exit::Failure;

/// `secs` of `flag` as a duration (a usage error unless a non-negative number).
fn seconds(flag: &str, secs: f64) -> Result<Duration, Failure> {
    Duration::try_from_secs_f64(secs)
        .map_err(|_| Failure::usage(format!("{flag} {secs}: must be a non-negative number")))
}

/// Runs `ims emulator`: prints the base URL as the first stdout line, serves until a signal.
pub fn run(a: &EmulatorArgs) -> Result<(), Failure> {
    let mut cfg = EmulatorConfig::from_env();
    cfg.listen = a.listen;
    if let (Some(ak), Some(sk)) = (&a.ak, &a.sk) {
        cfg = cfg.with_credentials(ak, sk);
    }
    if let Some(p) = &a.project_id {
        cfg = cfg.with_project_id(p);
    }
    let s = &mut cfg.settings;
    if let Some(r) = &a.region {
        s.region = r.clone();
    }
    s.job_duration = seconds("--job-seconds", a.job_seconds)?;
    if !(0.0..=1.0).contains(&a.fail_rate) {
        return Err(Failure::usage(format!(
            "--fail-rate {}: must be between 0 and 1",
            a.fail_rate
        )));
    }
    cfg.faults.job_fail_rate = a.fail_rate;
    for (flag, rate) in [
        ("--drop-after-create-rate", a.drop_after_create_rate),
        ("--throttle-rate", a.throttle_rate),
    ] {
        if !(0.0..=1.0).contains(&rate) {
            return Err(Failure::usage(format!(
                "{flag} {rate}: must be between 0 and 1"
            )));
        }
    }
    cfg.faults.drop_after_create_rate = a.drop_after_create_rate;
    cfg.faults.throttle_rate = a.throttle_rate;
    if let Some(seed) = a.fault_seed {
        cfg.faults.seed = seed;
    }
    let s = &mut cfg.settings;
    s.image_quota = a.image_quota;
    s.max_concurrent_jobs = a.max_concurrent_jobs;
    s.list_delay = seconds("--list-delay", a.list_delay)?;
    s.delete_delay = seconds("--delete-delay", a.delete_delay)?;
    s.gateway.prefix = a
        .gateway_prefix
        .parse()
        .map_err(|e| Failure::usage(format!("--gateway-prefix: {e}")))?;
    s.gateway.always_expired = a.always_expired;
    s.gateway.signature_window_secs = a.signature_window_secs;
    s.gateway.date_override = a.date_override.clone();
    s.gateway.retry_after_http_date = a.retry_after_http_date;
    s.idle_close_ms = a.idle_close_ms;
    s.close_after_answer = a.close_after_answer;
    s.echo_unredacted = a.echo_unredacted;
    if let Some(token) = &a.security_token {
        s.security_token = Some(token.clone()).filter(|t| !t.is_empty());
    }
    let certificate = match &a.tls_certificate {
        Some(kind) => Some(
            kind.parse::<ServerCertificate>()
                .map_err(|e| Failure::usage(format!("--tls-certificate: {e}")))?,
        ),
        None => a.tls.then_some(ServerCertificate::Valid),
    };
    if let Some(certificate) = certificate {
        cfg = cfg
            .with_tls(certificate)
            .map_err(|e| Failure::config(format!("cannot make the TLS certificates: {e}")))?;
    }
    match (&a.ca_out, &cfg.tls) {
        (Some(path), Some(tls)) => std::fs::write(path, tls.ca_pem()).map_err(|e| {
            Failure::config(format!("--ca-out {}: cannot write it: {e}", path.display()))
        })?,
        (Some(_), None) => {
            return Err(Failure::usage(
                "--ca-out needs --tls (or --tls-certificate): a plain-HTTP emulator has no CA",
            ));
        }
        (None, _) => {}
    }
    if !a.listen.ip().is_loopback() {
        return Err(Failure::usage(format!(
            "--listen {}: only loopback addresses are allowed",
            a.listen
        )));
    }
    let (ak, project) = (cfg.settings.ak.clone(), cfg.settings.project_id.clone());
    let (tx, rx) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = tx.send(());
    })
    .map_err(|e| Failure::config(format!("cannot install the signal handler: {e}")))?;
    let emu = Emulator::start(cfg)
        .map_err(|e| Failure::config(format!("cannot start the emulator on {}: {e}", a.listen)))?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", emu.url());
    let _ = out.flush();
    drop(out);
    eprintln!(
        "ims emulator: serving on {} (AK {ak}, project {project}); stop with Ctrl-C or SIGTERM",
        emu.url()
    );
    let _ = rx.recv();
    let stats = emu.stats();
    emu.shutdown();
    // What benchmarks in another process read: the connections the clients opened.
    eprintln!(
        "ims emulator: stopped after {} connections, {} requests, {} images created",
        stats.connections, stats.requests_total, stats.images_created
    );
    Ok(())
}
