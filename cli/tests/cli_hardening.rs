//! The `ims` binary's hardening (issue #11): every argument is checked before the first byte is
//! sent, a job id that exists always reaches stdout, values may begin with `-`, and Ctrl-C ends
//! a wait with exit 130.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ims_emulator::{Api, Emulator, Fault};

mod common;
use common::*;

/// The ids of the jobs the emulator created, from its request log (the create answers).
fn job_ids_known_to(emu: &Emulator, id: &str) -> usize {
    emu.stats()
        .requests
        .iter()
        .filter(|r| r.path.ends_with(id))
        .count()
}

#[test]
fn bad_wait_arguments_exit_2_before_anything_is_sent() {
    let emu = emulator(Duration::ZERO);
    let base = ["create-whole-image", "--name", "w", "--backup-id", "b-w"];
    for output in ["text", "json"] {
        for value in ["-1", "0", "-0", "NaN", "nan", "inf", "-inf", "1e300", "1e9"] {
            for form in [
                vec![
                    "--wait".to_owned(),
                    "--interval".to_owned(),
                    value.to_owned(),
                ],
                vec!["--wait".to_owned(), format!("--interval={value}")],
                vec!["--dry-run".to_owned(), format!("--interval={value}")],
            ] {
                let (code, out, err) = run(ims(Some(&emu))
                    .args(["--output", output])
                    .args(base)
                    .args(&form));
                assert_eq!(code, 2, "{output} {form:?}: {out}\n{err}");
                assert!(
                    err.contains("--interval") && err.lines().count() == 1,
                    "{form:?}: the flag is named: {err}"
                );
                assert!(out.is_empty(), "{form:?}: nothing on stdout: {out}");
            }
        }
        for value in ["-1", "1e9", "99999999999", "x"] {
            let (code, _, err) = run(ims(Some(&emu)).args(["--output", output]).args(base).args([
                "--wait",
                "--timeout",
                value,
            ]));
            assert_eq!(code, 2, "--timeout {value}: {err}");
            assert!(err.contains("--timeout") || err.contains("'x'"), "{err}");
        }
    }
    let stats = emu.stats();
    assert_eq!(stats.requests_total, 0, "{:?}", stats.requests);
    assert_eq!(stats.images_created, 0);
    // `ims job --wait` checks them before its first poll too.
    for value in ["-1", "0", "NaN", "inf"] {
        let (code, _, err) = run(ims(Some(&emu)).args([
            "job",
            "0123456789abcdef0123456789abcdef",
            "--wait",
            "--interval",
            value,
        ]));
        assert_eq!(code, 2, "job --interval {value}: {err}");
        assert!(err.contains("--interval"), "{err}");
    }
    assert_eq!(emu.stats().requests_total, 0);
}

#[test]
fn good_wait_arguments_still_work() {
    let emu = emulator(Duration::ZERO);
    let (code, out, err) = run(ims(Some(&emu)).args([
        "--output",
        "json",
        "create-whole-image",
        "--name",
        "w",
        "--backup-id",
        "b-w",
        "--wait",
        "--interval",
        "0.01",
        "--timeout",
        "30",
    ]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(&out)["status"], "SUCCESS");
}

#[test]
fn job_id_reaches_stdout_when_the_wait_times_out() {
    let emu = emulator(Duration::from_secs(600));
    for output in ["json", "text"] {
        let (code, out, err) = run(ims(Some(&emu)).args([
            "--output",
            output,
            "create-whole-image",
            "--name",
            "t",
            "--backup-id",
            &format!("b-timeout-{output}"),
            "--wait",
            "--interval",
            "0.01",
            "--timeout",
            "0",
        ]));
        assert_eq!(code, 6, "{output}: {err}");
        let id = if output == "json" {
            json(&out)["job_id"].as_str().expect("job_id").to_owned()
        } else {
            out.lines()
                .find_map(|l| l.strip_prefix("job_id: "))
                .expect("job_id line")
                .to_owned()
        };
        assert_eq!(id.len(), 32, "{out}");
        assert!(job_ids_known_to(&emu, &id) >= 1, "{id} was polled");
    }
    assert_eq!(emu.stats().images_created, 2);
}

#[test]
fn job_id_reaches_stdout_when_the_wait_fails_on_transport() {
    let emu = emulator(Duration::from_secs(600));
    for output in ["json", "text"] {
        // Every poll is dropped: more than the transient error budget (10) in a row.
        emu.faults().clear();
        emu.faults()
            .inject(Api::Job, Fault::DropBeforeHandling, 1000);
        let (code, out, err) = run(ims(Some(&emu)).args([
            "--output",
            output,
            "create-whole-image",
            "--name",
            "t",
            "--backup-id",
            &format!("b-transport-{output}"),
            "--wait",
            "--interval",
            "0.001",
        ]));
        assert_eq!(code, 4, "{output}: {err}");
        assert!(err.contains("transport"), "{err}");
        let id = if output == "json" {
            json(&out)["job_id"].as_str().expect("job_id").to_owned()
        } else {
            out.trim()
                .strip_prefix("job_id: ")
                .expect("job_id line")
                .to_owned()
        };
        assert_eq!(id.len(), 32, "{out}");
    }
    assert_eq!(emu.stats().images_created, 2);
}

#[test]
fn job_id_reaches_stdout_when_the_job_fails() {
    let emu = emulator(Duration::ZERO);
    emu.faults().fail_next_jobs(1);
    let (code, out, err) = run(ims(Some(&emu)).args([
        "create-whole-image",
        "--name",
        "f",
        "--backup-id",
        "b-f",
        "--wait",
        "--interval",
        "0.01",
    ]));
    assert_eq!(code, 5, "{err}");
    assert!(out.starts_with("job_id: "), "{out}");
}

/// Runs a dry run with these extra create flags; returns the body that would be sent.
fn dry_run_body(emu: &Emulator, flags: &[&str]) -> serde_json::Value {
    let (code, out, err) = run(ims(Some(emu))
        .args(["--output", "json", "create-whole-image", "--dry-run"])
        .args(flags));
    assert_eq!(code, 0, "{flags:?}: {err}");
    json(&out)["body"].clone()
}

#[test]
fn values_beginning_with_a_hyphen_are_accepted() {
    let emu = emulator(Duration::ZERO);
    let body = dry_run_body(
        &emu,
        &[
            "--name",
            "-x",
            "--backup-id",
            "-b",
            "--description",
            "-9 nightly",
        ],
    );
    assert_eq!(body["name"], "-x");
    assert_eq!(body["backup_id"], "-b");
    assert_eq!(body["description"], "-9 nightly");
    let body = dry_run_body(
        &emu,
        &[
            "--name",
            "n",
            "--backup-id",
            "b",
            "--tag",
            "k=-1",
            "--tag",
            "-k=v",
        ],
    );
    assert_eq!(body["image_tags"][0]["value"], "-1");
    assert_eq!(body["image_tags"][1]["key"], "-k");
    let body = dry_run_body(
        &emu,
        &[
            "--name",
            "--not-a-flag",
            "--instance-id",
            "-i",
            "--vault-id",
            "-v",
        ],
    );
    assert_eq!(body["name"], "--not-a-flag");
    assert_eq!(body["instance_id"], "-i");
    assert_eq!(body["vault_id"], "-v");
    let body = dry_run_body(
        &emu,
        &["--name", "n", "--backup-id", "b", "--legacy-tag", "-a.-1"],
    );
    assert_eq!(body["tags"][0], "-a.-1");
    // `--request-file -` still reads stdin, and a body's name may begin with `-`.
    let mut child = ims(Some(&emu))
        .args([
            "--output",
            "json",
            "create-whole-image",
            "--dry-run",
            "--request-file",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(br#"{"name": "-from-stdin", "backup_id": "b", "whole_image_type": "CBR"}"#)
        .expect("write");
    let out = child.wait_with_output().expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert_eq!(json(&stdout)["body"]["name"], "-from-stdin");
    assert_eq!(emu.stats().requests_total, 0, "dry runs send nothing");
}

/// Spawns `ims ... --wait`, waits for its first progress line on stderr, sends SIGINT and
/// returns (exit code, stdout, stderr, time from signal to exit).
fn interrupt_after_first_poll(mut child: Child) -> (i32, String, String, Duration) {
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let n = stderr.read_line(&mut line).expect("stderr line");
        assert!(n > 0, "ims ended before its first progress line: {seen}");
        seen.push_str(&line);
        if line.contains("RUNNING") || line.contains("INIT") {
            break;
        }
    }
    let sent = Instant::now();
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = child.wait().expect("exits");
    let took = sent.elapsed();
    let mut out = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut out)
        .expect("stdout");
    let mut rest = String::new();
    let _ = stderr.read_to_string(&mut rest);
    seen.push_str(&rest);
    (status.code().unwrap_or(-1), out, seen, took)
}

#[test]
fn ctrl_c_ends_a_wait_with_exit_130_and_the_job_id_on_stdout() {
    let emu = emulator(Duration::from_secs(600));
    let (code, out, err) =
        run(ims(Some(&emu)).args(["create-whole-image", "--name", "c", "--backup-id", "b"]));
    assert_eq!(code, 0, "{err}");
    let id = out.trim().strip_prefix("job_id: ").expect("id").to_owned();

    for output in ["text", "json"] {
        let child = ims(Some(&emu))
            .args([
                "--output",
                output,
                "job",
                &id,
                "--wait",
                "--interval",
                "0.05",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let (code, out, err, took) = interrupt_after_first_poll(child);
        assert_eq!(code, 130, "job --wait, {output}: {err}");
        assert!(out.contains(&id), "job id on stdout ({output}): {out:?}");
        assert!(err.contains("cancelled"), "{err}");
        // The waiter checks for the signal every 100 ms tick; 2 s leaves room for a slow CI.
        assert!(took < Duration::from_secs(2), "took {took:?}");
    }

    let child = ims(Some(&emu))
        .args([
            "--output",
            "json",
            "create-whole-image",
            "--name",
            "c2",
            "--backup-id",
            "b-c2",
            "--wait",
            "--interval",
            "0.05",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let (code, out, err, _) = interrupt_after_first_poll(child);
    assert_eq!(code, 130, "create --wait: {err}");
    let created = json(&out)["job_id"].as_str().expect("job_id").to_owned();
    assert_eq!(created.len(), 32);
    assert_ne!(created, id);
    assert_eq!(emu.stats().images_created, 2);
}
