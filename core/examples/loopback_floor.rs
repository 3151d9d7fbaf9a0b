//! The floor under the client's CPU per create + wait cycle: two HTTP exchanges, as a cycle makes,
//! on one kept-alive loopback connection, made with nothing but blocking `std::net::TcpStream` writes
//! and reads of prepared bytes (no HTTP library, no runtime, no signing, no JSON), against a
//! running emulator (`ims emulator --job-seconds 0`).
//!
//! ```text
//! cargo run --release -p ims-core --example loopback_floor -- --url http://127.0.0.1:PORT [--cycles 500 | --serve]
//! ```
//!
//! Each cycle sends two signed `GET`s of one job (prepared and signed once; the emulator accepts
//! a signature for 15 minutes) and reads each answer to the end of its `Content-Length`. What a
//! cycle costs here is what the kernel charges a client for two loopback exchanges, plus a few
//! copies: no client that talks HTTP over TCP to the emulator can spend much less. Prints one JSON
//! line, with the CPU of the cycles alone (see `common::cpu_seconds`); with `--serve`, one per
//! number read from stdin, after `ready` (`common::run_batches`).
#![allow(clippy::print_stdout)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Instant;

mod common;

use common::{Target, cpu_seconds, ecs_request, run_batches};
use ims_core::sign::{Algorithm, SdkDate, SignableRequest, SigningParams, sign_request};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let target = Target::from_args(&args)?;
    let host = target
        .url
        .strip_prefix("http://")
        .ok_or("--url must be http://127.0.0.1:PORT")?
        .trim_end_matches('/')
        .to_owned();

    // One job to query, made by the real client.
    let client = target.builder().build()?;
    let job = client.create_whole_image(&ecs_request("bench-floor")?)?;

    // The job query, signed once, as bytes.
    let path = format!("/v1/cloudimages/job/{}", job.as_str());
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
    let params = SigningParams {
        credentials: &target.credentials,
        algorithm: Algorithm::SdkHmacSha256,
        date: SdkDate::from_unix(i64::try_from(now.as_secs())?)?,
        region: None,
        service: None,
    };
    let headers = [
        ("Content-Type", "application/json;charset=utf-8"),
        ("X-Project-Id", target.project_id.as_str()),
    ];
    let signable = SignableRequest {
        method: "GET",
        host: &host,
        path: &path,
        query: &[],
        headers: &headers,
        body: b"",
    };
    let signed = sign_request(&signable, &params)?;
    let mut wire = format!("GET {path} HTTP/1.1\r\n");
    for (name, value) in signed.headers() {
        wire.push_str(&format!("{name}: {value}\r\n"));
    }
    wire.push_str(&format!("Authorization: {}\r\n\r\n", signed.authorization));
    let wire = wire.into_bytes();

    let mut stream = TcpStream::connect(&host)?;
    stream.set_nodelay(true)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut exchange = |stream: &mut TcpStream| -> Result<(), Box<dyn std::error::Error>> {
        stream.write_all(&wire)?;
        let mut have = 0;
        loop {
            let n = stream.read(&mut buf[have..])?;
            if n == 0 {
                return Err("the emulator closed the connection".into());
            }
            have += n;
            if let Some(end) = complete(&buf[..have]) {
                if !buf.starts_with(b"HTTP/1.1 200") {
                    return Err(format!(
                        "unexpected answer: {}",
                        String::from_utf8_lossy(&buf[..end.min(200)])
                    )
                    .into());
                }
                return Ok(());
            }
        }
    };
    for _ in 0..20 {
        exchange(&mut stream)?;
    }
    run_batches(&args, |cycles| {
        let (cpu0, wall0) = (cpu_seconds(), Instant::now());
        for _ in 0..cycles {
            exchange(&mut stream)?;
            exchange(&mut stream)?;
        }
        let (cpu, wall) = (cpu_seconds() - cpu0, wall0.elapsed().as_secs_f64());
        let n = f64::from(cycles);
        Ok(format!(
            "{{\"client\": \"floor\", \"cycles\": {cycles}, \"cpu_s\": {cpu:.6}, \"wall_s\": {wall:.4}, \"cpu_ms_per_cycle\": {:.4}, \"cycles_per_s\": {:.1}}}",
            cpu / n * 1e3,
            n / wall
        ))
    })
}

/// The length of the first complete answer in `buf` (head and `Content-Length` bytes of body).
fn complete(buf: &[u8]) -> Option<usize> {
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&buf[..head_end]).ok()?;
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    (buf.len() >= head_end + length).then_some(head_end + length)
}
