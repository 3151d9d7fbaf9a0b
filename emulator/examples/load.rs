//! Load test: N threads doing signed `GET /v1/cloudimages/job/{id}` for a few seconds against
//! an in-process emulator (or `--url` of a running one with the demo credentials); prints
//! queries per second.
//!
//! ```text
//! cargo run --release -p ims-emulator --example load -- [--threads 4] [--seconds 3] [--url URL]
//! ```
#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use ims_core::Credentials;
use ims_core::sign::{Algorithm, SdkDate, SignableRequest, SigningParams, sign};
use ims_emulator::{DEMO_AK, DEMO_PROJECT_ID, DEMO_SK, Emulator, EmulatorConfig};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn signed_get(
    client: &reqwest::blocking::Client,
    base: &str,
    host: &str,
    path: &str,
    body: Option<&[u8]>,
    creds: &Credentials,
) -> Result<reqwest::blocking::Response, Box<dyn std::error::Error>> {
    let date = SdkDate::from_system_time(SystemTime::now())?;
    let method = if body.is_some() { "POST" } else { "GET" };
    let mut headers = vec![("X-Project-Id", DEMO_PROJECT_ID)];
    if body.is_some() {
        headers.push(("Content-Type", "application/json;charset=UTF-8"));
    }
    let out = sign(
        &SignableRequest {
            method,
            host,
            path,
            query: &[],
            headers: &headers,
            body: body.unwrap_or_default(),
        },
        &SigningParams {
            credentials: creds,
            algorithm: Algorithm::SdkHmacSha256,
            date,
            region: None,
            service: None,
        },
    )?;
    let url = format!("{base}{}", out.wire_uri);
    let mut rb = match body {
        Some(b) => client.post(url).body(b.to_vec()),
        None => client.get(url),
    };
    for (k, v) in &out.headers {
        if !k.eq_ignore_ascii_case("host") {
            rb = rb.header(k.as_ref(), v.as_ref());
        }
    }
    Ok(rb.header("Authorization", out.authorization).send()?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let threads: usize = arg(&args, "--threads").map_or(Ok(4), |v| v.parse())?;
    let seconds: f64 = arg(&args, "--seconds").map_or(Ok(3.0), |v| v.parse())?;
    let (_emu, base) = match arg(&args, "--url") {
        Some(url) => (None, url.trim_end_matches('/').to_owned()),
        None => {
            let emu = Emulator::start(EmulatorConfig::demo())?;
            let url = emu.url();
            (Some(emu), url)
        }
    };
    let host = base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let creds = Credentials::new(DEMO_AK, DEMO_SK);
    let client = reqwest::blocking::Client::new();
    let created = signed_get(
        &client,
        &base,
        &host,
        ims_emulator::CREATE_PATH,
        Some(br#"{"name":"load","instance_id":"877a2cda-ba63-4e1e-b95f-e67e48b6129a","vault_id":"de9fcf45-11b2-432c-8562-5c5428574600"}"#),
        &creds,
    )?;
    let doc: serde_json::Value = serde_json::from_slice(&created.bytes()?)?;
    let job_id = doc["job_id"].as_str().ok_or("no job id")?.to_owned();
    let path = format!("/v1/cloudimages/job/{job_id}");

    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (stop, ok, failed) = (stop.clone(), ok.clone(), failed.clone());
            let (base, host, path, creds) =
                (base.clone(), host.clone(), path.clone(), creds.clone());
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::new();
                while !stop.load(Ordering::Relaxed) {
                    match signed_get(&client, &base, &host, &path, None, &creds)
                        .and_then(|r| Ok((r.status().as_u16(), r.bytes()?)))
                    {
                        Ok((200, _)) => ok.fetch_add(1, Ordering::Relaxed),
                        _ => failed.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(seconds));
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        let _ = w.join();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let n = ok.load(Ordering::Relaxed);
    println!(
        "{threads} threads, {elapsed:.2} s: {n} signed job queries answered 200 ({:.0} queries/s), {} failed",
        n as f64 / elapsed,
        failed.load(Ordering::Relaxed)
    );
    Ok(())
}
