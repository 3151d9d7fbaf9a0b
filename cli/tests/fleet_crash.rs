//! Crash safety of `ims fleet run`, property-style (#22 §4): a 30-item fleet with jobs of
//! about a second; the CLI is killed with SIGKILL at a seeded random moment, then rerun (with a
//! short `--reconcile-grace`), each of the first reruns perhaps killed again, until a rerun
//! exits 0. Invariant: exactly one live image per item carries that run's fleet tag, and every
//! item is `succeeded` in the journal.
//!
//! Three variants against one emulator each: plain; the emulator dropping the connection
//! after handling some creates (the answer is lost, the image made); the emulator listing a
//! new image only after a delay shorter than the grace.
//!
//! Knobs: `IMS_FLEET_CRASH_SEEDS` (seeds of the plain variant, default 50; each other variant
//! runs a fifth of them, at least 4), `IMS_FLEET_CRASH_SEED` (run this one seed only, in every
//! variant), `IMS_FLEET_CRASH_CONCURRENCY` (seeds at once per variant, default 4). A failure
//! names its seed.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ims_emulator::{Emulator, EmulatorConfig};

mod common;
use common::*;

/// Items per fleet.
const ITEMS: usize = 30;
/// `--reconcile-grace`, seconds.
const GRACE_SECS: f64 = 3.0;
/// Reruns that may be killed again.
const KILLED_RERUNS: u32 = 3;
/// The longest a rerun that is let finish may take.
const FINAL_RUN_LIMIT: Duration = Duration::from_secs(90);

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// The seeds a variant runs: `share` of `IMS_FLEET_CRASH_SEEDS` (at least `min`), or the one
/// seed `IMS_FLEET_CRASH_SEED`.
fn seeds(share: u64, min: u64) -> Vec<u64> {
    if let Some(one) = env_number("IMS_FLEET_CRASH_SEED") {
        return vec![one];
    }
    let all = env_number("IMS_FLEET_CRASH_SEEDS").unwrap_or(50);
    (1..=(all / share).max(min).min(all.max(1))).collect()
}

fn emulator(tune: impl FnOnce(&mut EmulatorConfig)) -> Emulator {
    let mut cfg = EmulatorConfig::demo().with_job_duration(Duration::from_secs(1));
    // Every seed's images stay: room for all of them, and no task limit in the way of runs
    // killed with their jobs still running.
    cfg.settings.image_quota = 1_000_000;
    cfg.settings.max_concurrent_jobs = 1_000_000;
    tune(&mut cfg);
    Emulator::start(cfg).expect("emulator starts")
}

fn fleet_run(emu: &Emulator, manifest: &Path, journal: &Path, fleet: &str) -> Command {
    let mut c = ims(Some(emu));
    c.args(["fleet", "run"])
        .arg(manifest)
        .arg("--journal")
        .arg(journal)
        .args(["--run", "r", "--fleet", fleet, "--parallel", "10"])
        .args(["--reconcile-grace", &GRACE_SECS.to_string()])
        .args(["--relist-interval", "0.2", "--interval", "0.2"]);
    c
}

/// Starts a run and SIGKILLs it after `after` (unless it ended before): its exit code, if it
/// ended by itself.
fn run_and_kill(mut cmd: Command, after: Duration) -> Option<i32> {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ims starts");
    let deadline = Instant::now() + after;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status.code();
        }
        if Instant::now() >= deadline {
            let _ = child.kill(); // SIGKILL
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Runs to the end (at most [`FINAL_RUN_LIMIT`]): exit code, stdout, stderr.
fn run_to_end(mut cmd: Command) -> Result<(i32, String, String), String> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ims starts");
    let start = Instant::now();
    // Read the pipes on threads so a full pipe never blocks the child.
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut out, &mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut err, &mut s);
        s
    });
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Ok((
                status.code().unwrap_or(-1),
                out.join().unwrap_or_default(),
                err.join().unwrap_or_default(),
            ));
        }
        if start.elapsed() > FINAL_RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "the final rerun did not end within {FINAL_RUN_LIMIT:?}; stderr: {}",
                err.join().unwrap_or_default()
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One seed: kill, rerun until exit 0, check the invariant.
fn one_seed(emu: &Emulator, variant: &str, seed: u64, settle: Duration) -> Result<(), String> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let dir = temp_dir(&format!("crash-{variant}-{seed}"));
    let manifest = write_manifest(&dir, "fleet", ITEMS);
    let journal = dir.join("journal.db");
    let fleet = format!("crash-{variant}-{seed}");
    let mut history = Vec::new();
    // The first run: killed somewhere between its start and the end of its jobs.
    let at = Duration::from_millis(rng.u64(0..4_000));
    history.push(format!(
        "run 1 killed at {at:?}: {:?}",
        run_and_kill(fleet_run(emu, &manifest, &journal, &fleet), at)
    ));
    let mut attempt = 1;
    loop {
        attempt += 1;
        if attempt > KILLED_RERUNS + 2 {
            return Err(format!("no rerun exited 0; {}", history.join("; ")));
        }
        if attempt <= KILLED_RERUNS + 1 && rng.bool() {
            let at = Duration::from_millis(rng.u64(0..3_000));
            history.push(format!(
                "run {attempt} killed at {at:?}: {:?}",
                run_and_kill(fleet_run(emu, &manifest, &journal, &fleet), at)
            ));
            continue;
        }
        let (code, out, err) = run_to_end(fleet_run(emu, &manifest, &journal, &fleet))?;
        history.push(format!("run {attempt} exited {code}"));
        if code != 0 {
            return Err(format!(
                "{}; stdout:\n{out}\nstderr:\n{err}",
                history.join("; ")
            ));
        }
        break;
    }
    // The invariant, once every image the emulator made can be listed.
    std::thread::sleep(settle);
    let client = core_client(emu);
    let mut problems = Vec::new();
    for i in 0..ITEMS {
        let live = live_images(&client, &fleet, "r", &item_key(i));
        if live.len() != 1 {
            problems.push(format!(
                "item {} has {} live images: {:?}",
                item_key(i),
                live.len(),
                live.iter().map(|l| (&l.id, &l.status)).collect::<Vec<_>>()
            ));
        }
    }
    let states = journal_states(&journal, "r");
    if states.len() != ITEMS {
        problems.push(format!("the journal holds {} items", states.len()));
    }
    for (key, state) in &states {
        if state != "succeeded" {
            problems.push(format!("item {key} is {state} in the journal"));
        }
    }
    if problems.is_empty() {
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    } else {
        Err(format!("{}; {}", problems.join("; "), history.join("; ")))
    }
}

/// Runs `seeds` of `variant`, a few at once against `emu`, and fails naming every failed seed;
/// `settle`: how long the emulator takes to list a new image.
fn crash_property(variant: &str, emu: Emulator, seeds: Vec<u64>, settle: Duration) {
    let concurrency = env_number("IMS_FLEET_CRASH_CONCURRENCY")
        .unwrap_or(4)
        .max(1) as usize;
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..concurrency.min(seeds.len()) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&seed) = seeds.get(i) else { break };
                    if let Err(e) = one_seed(&emu, variant, seed, settle) {
                        eprintln!("fleet crash {variant}: seed {seed} FAILED: {e}");
                        failures.lock().expect("lock").push((seed, e));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().expect("lock");
    eprintln!(
        "fleet crash {variant}: {} seeds in {:?}, {} failed",
        seeds.len(),
        start.elapsed(),
        failures.len()
    );
    let stats = emu.stats();
    eprintln!(
        "fleet crash {variant}: the emulator made {} images ({} creates answered)",
        stats.images_created, stats.create_accepted
    );
    emu.shutdown();
    assert!(
        failures.is_empty(),
        "fleet crash {variant}: seeds {:?} failed (rerun one with IMS_FLEET_CRASH_SEED=N):\n{}",
        failures.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        failures
            .iter()
            .map(|(s, e)| format!("seed {s}: {e}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn killed_runs_rerun_to_exactly_one_image_per_item() {
    // Answers come 150 ms after a request is handled: a kill often lands while creates that
    // made their image are still waiting for their answer (the journal says `sending`).
    let emu = emulator(|c| c.faults.response_delay = Duration::from_millis(150));
    crash_property("plain", emu, seeds(1, 1), Duration::ZERO);
}

#[test]
fn killed_runs_with_lost_create_answers_rerun_to_exactly_one_image_per_item() {
    // A fifth of the creates are handled and their connection then closed unanswered.
    let emu = emulator(|c| {
        c.faults.drop_after_create_rate = 0.2;
        c.faults.seed = 22;
    });
    crash_property("dropped", emu, seeds(5, 4), Duration::ZERO);
}

#[test]
fn killed_runs_with_a_lagging_list_rerun_to_exactly_one_image_per_item() {
    // A new image is listed 1.5 s after its create: within the 3 s grace.
    let delay = Duration::from_millis(1_500);
    let emu = emulator(|c| c.settings.list_delay = delay);
    crash_property("list-delay", emu, seeds(5, 4), delay);
}
