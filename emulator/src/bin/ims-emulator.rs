//! `ims-emulator`: runs the local IMS emulator until SIGINT or SIGTERM.
//!
//! ```text
//! ims-emulator [--listen 127.0.0.1:0] [--ak AK --sk SK] [--security-token T] [--auth-token T]
//!              [--project-id ID] [--region R] [--job-seconds N] [--fail-rate P] [--seed S]
//! ```
//!
//! The first line on stdout is the base URL (`http://127.0.0.1:PORT`). Without `--ak`/`--sk`
//! the credentials come from `HUAWEICLOUD_SDK_AK`/`HUAWEICLOUD_SDK_SK`, else the documented
//! demo pair.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use ims_emulator::{EmulatorConfig, serve};

const USAGE: &str = "usage: ims-emulator [--listen 127.0.0.1:0] [--ak AK --sk SK] \
[--security-token T] [--auth-token T] [--project-id ID] [--region R] [--job-seconds N] \
[--fail-rate P] [--seed S]";

const FLAGS: [&str; 11] = [
    "--listen",
    "--ak",
    "--sk",
    "--security-token",
    "--auth-token",
    "--project-id",
    "--region",
    "--job-seconds",
    "--fail-rate",
    "--seed",
    "--help",
];

fn parse_args(args: &[String]) -> Result<EmulatorConfig, String> {
    let mut cfg = EmulatorConfig::from_env();
    let (mut ak, mut sk) = (None, None);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_owned())),
            _ => (flag.as_str(), None),
        };
        if matches!(name, "-h" | "--help") {
            return Err(String::new());
        }
        if !FLAGS.contains(&name) {
            return Err(format!("unknown argument {name:?}"));
        }
        let value = match inline {
            Some(v) => v,
            None => it
                .next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))?,
        };
        match name {
            "--listen" => {
                cfg.listen = value
                    .parse::<SocketAddr>()
                    .map_err(|e| format!("--listen {value:?}: {e}"))?;
            }
            "--ak" => ak = Some(value),
            "--sk" => sk = Some(value),
            "--security-token" => cfg.security_token = Some(value),
            "--auth-token" => cfg.auth_token = Some(value),
            "--project-id" => cfg.project_id = value,
            "--region" => cfg.region = value,
            "--job-seconds" => {
                let secs: f64 = value
                    .parse()
                    .map_err(|e| format!("--job-seconds {value:?}: {e}"))?;
                cfg.job_duration = Duration::try_from_secs_f64(secs)
                    .map_err(|e| format!("--job-seconds {value:?}: {e}"))?;
            }
            "--fail-rate" => {
                let p: f64 = value
                    .parse()
                    .map_err(|e| format!("--fail-rate {value:?}: {e}"))?;
                if !(0.0..=1.0).contains(&p) {
                    return Err(format!("--fail-rate {value:?}: must be between 0 and 1"));
                }
                cfg.faults.job_fail_rate = p;
            }
            "--seed" => {
                cfg.faults.seed = value
                    .parse()
                    .map_err(|e| format!("--seed {value:?}: {e}"))?;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    match (ak, sk) {
        (Some(ak), Some(sk)) => {
            cfg.ak = ak;
            cfg.sk = sk;
        }
        (None, None) => {}
        _ => return Err("--ak and --sk go together".to_owned()),
    }
    if !cfg.listen.ip().is_loopback() {
        return Err(format!(
            "--listen {}: only loopback addresses are allowed",
            cfg.listen
        ));
    }
    Ok(cfg)
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cfg = match parse_args(&args) {
        Ok(cfg) => cfg,
        Err(msg) if msg.is_empty() => {
            let _ = writeln!(std::io::stdout(), "{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            let _ = writeln!(std::io::stderr(), "ims-emulator: {msg}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "ims-emulator: cannot start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(cfg.listen).await?;
        let addr = listener.local_addr()?;
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "http://{addr}")?;
            out.flush()?;
        }
        let _ = writeln!(
            std::io::stderr(),
            "ims-emulator: serving IMS on http://{addr} (AK {}, project {}, region {}); \
             Ctrl-C to stop",
            cfg.ak,
            cfg.project_id,
            cfg.region
        );
        serve(cfg, listener, shutdown_signal()).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "ims-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}
