//! `ims fleet run`, `ims fleet status` and `ims images` end to end against the in-process
//! emulator: one test per documented exit code of a fleet run, bad input (nothing sent), two
//! processes on one journal, the quota, Ctrl-C and a resuming rerun, status beside a run.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ims_core::fleet::{FleetTag, ItemRecord, ItemState, Journal, SqliteJournal};
use ims_emulator::{Emulator, EmulatorConfig};

mod common;
use common::*;

/// An emulator with jobs of `job` and room for many images and tasks, changed by `tune`.
fn emulator_with(job: Duration, tune: impl FnOnce(&mut EmulatorConfig)) -> Emulator {
    let mut cfg = EmulatorConfig::demo().with_job_duration(job);
    cfg.settings.image_quota = 10_000;
    cfg.settings.max_concurrent_jobs = 10_000;
    tune(&mut cfg);
    Emulator::start(cfg).expect("emulator starts")
}

/// `ims fleet run MANIFEST --journal JOURNAL --run RUN` with fast polls, then `extra`.
fn fleet_run(
    emu: &Emulator,
    manifest: &Path,
    journal: &Path,
    run: &str,
    extra: &[&str],
) -> Command {
    let mut c = ims(Some(emu));
    c.args(["fleet", "run"])
        .arg(manifest)
        .arg("--journal")
        .arg(journal)
        .args(["--run", run, "--interval", "0.1"])
        .args(extra);
    c
}

fn spawn(mut c: Command) -> Child {
    c.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ims starts")
}

/// The outcome of a spawned `ims`.
fn finish(child: Child) -> (i32, String, String) {
    let out = child.wait_with_output().expect("ims ends");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Waits (at most 20 s) until `check` holds.
fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether the journal exists and some item of `run` is in `state`.
fn some_item(journal: &Path, run: &str, state: &str) -> bool {
    journal.exists()
        && SqliteJournal::open_read_only(journal)
            .ok()
            .and_then(|j| j.runs().ok())
            .is_some_and(|runs| {
                runs.iter()
                    .filter(|r| r.run == run)
                    .flat_map(|r| &r.items)
                    .any(|i| i.state.as_str() == state)
            })
}

fn assert_one_image_per_item(emu: &Emulator, fleet: &str, run: &str, n: usize) {
    let client = core_client(emu);
    for i in 0..n {
        let live = live_images(&client, fleet, run, &item_key(i));
        assert_eq!(live.len(), 1, "item {i}: {live:?}");
    }
}

#[test]
fn a_run_succeeds_exit_0_and_a_rerun_has_nothing_to_do() {
    let emu = emulator_with(Duration::from_millis(200), |_| {});
    let dir = temp_dir("ok");
    let manifest = write_manifest(&dir, "web", 5);
    let journal = dir.join("j.db");
    let (code, out, err) = run(&mut fleet_run(
        &emu,
        &manifest,
        &journal,
        "r1",
        &["--parallel", "2"],
    ));
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("KEY") && out.contains("DURATION"),
        "a table: {out}"
    );
    assert!(
        out.contains("fleet web run r1: succeeded (5 succeeded"),
        "{out}"
    );
    assert!(
        out.contains("srv-000: sending"),
        "plain lines off a terminal: {out}"
    );
    assert_eq!(creates(&emu), 5);
    assert_one_image_per_item(&emu, "web", "r1", 5);
    // The fleet is now recorded in the journal: the default, whatever the manifest's name.
    let renamed = dir.join("other-name.jsonl");
    std::fs::copy(&manifest, &renamed).expect("copy");
    let (code, out, err) = run(&mut fleet_run(
        &emu,
        &renamed,
        &journal,
        "r1",
        &["--output", "json"],
    ));
    assert_eq!(code, 0, "{out}\n{err}");
    let lines: Vec<_> = out.lines().map(json).collect();
    assert_eq!(lines.len(), 6, "five items and the summary: {out}");
    assert!(
        lines[..5]
            .iter()
            .all(|l| l["already_done"] == true && l["state"] == "succeeded")
    );
    let summary = &lines[5];
    assert_eq!(summary["fleet"], "web");
    assert_eq!(summary["outcome"], "succeeded");
    assert_eq!(summary["states"]["succeeded"], 5);
    assert_eq!(creates(&emu), 5, "nothing sent again");
}

#[test]
fn json_output_streams_one_document_per_item_then_the_summary() {
    let emu = emulator_with(Duration::from_millis(100), |_| {});
    let dir = temp_dir("json");
    let manifest = write_manifest(&dir, "db", 3);
    let journal = dir.join("j.db");
    let (code, out, err) = run(&mut fleet_run(
        &emu,
        &manifest,
        &journal,
        "n",
        &["--output", "json"],
    ));
    assert_eq!(code, 0, "{out}\n{err}");
    let docs: Vec<_> = out.lines().map(json).collect();
    assert_eq!(docs.len(), 4, "{out}");
    for d in &docs[..3] {
        assert_eq!(d["state"], "succeeded");
        assert_eq!(d["action"], "create");
        assert!(d["job_id"].is_string() && d["image_id"].is_string(), "{d}");
    }
    assert_eq!(docs[3]["outcome"], "succeeded");
    assert_eq!(docs[3]["items"], 3);
}

#[test]
fn a_failed_job_exits_5_and_retry_failed_makes_it() {
    let emu = emulator_with(Duration::from_millis(100), |c| c.faults.fail_next_jobs = 1);
    let dir = temp_dir("fail");
    let manifest = write_manifest(&dir, "f", 3);
    let journal = dir.join("j.db");
    let (code, out, err) = run(&mut fleet_run(
        &emu,
        &manifest,
        &journal,
        "r",
        &["--parallel", "1"],
    ));
    assert_eq!(code, 5, "{out}\n{err}");
    assert!(err.contains("failed (1 failed)"), "{err}");
    assert!(
        out.contains("IMG."),
        "the job's error code in the table: {out}"
    );
    // Not sent again unless asked.
    let (code, _, _) = run(&mut fleet_run(&emu, &manifest, &journal, "r", &[]));
    assert_eq!(code, 5);
    assert_eq!(creates(&emu), 3);
    let (code, out, err) = run(&mut fleet_run(
        &emu,
        &manifest,
        &journal,
        "r",
        &["--retry-failed"],
    ));
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(creates(&emu), 4);
}

#[test]
fn a_wait_that_gives_up_exits_6_and_a_rerun_finishes_without_sending_again() {
    let emu = emulator_with(Duration::from_secs(3), |_| {});
    let dir = temp_dir("incomplete");
    let manifest = write_manifest(&dir, "f", 2);
    let journal = dir.join("j.db");
    let (code, out, err) = run(&mut fleet_run(
        &emu,
        &manifest,
        &journal,
        "r",
        &["--timeout", "0"],
    ));
    assert_eq!(code, 6, "{out}\n{err}");
    assert!(err.contains("incomplete (2 submitted)"), "{err}");
    let (code, out, err) = run(&mut fleet_run(&emu, &manifest, &journal, "r", &[]));
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(creates(&emu), 2);
}

#[test]
fn two_images_with_an_items_tag_exit_7_and_nothing_is_created() {
    let emu = emulator_with(Duration::from_millis(100), |_| {});
    let dir = temp_dir("unknown");
    let manifest = write_manifest(&dir, "f", 1);
    let journal = dir.join("j.db");
    // A run that died after sending, twice: two images carry the item's tag.
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    let m = ims_core::fleet::Manifest::parse(&text).expect("manifest parses");
    let tag = FleetTag::new("f", "r", &item_key(0));
    let client = core_client(&emu);
    for _ in 0..2 {
        client
            .create_whole_image(&tag.add_to(&m.items()[0].request))
            .expect("create");
    }
    {
        let mut j = SqliteJournal::open(&journal).expect("journal");
        j.open_run("f", "r").expect("run");
        let mut rec = ItemRecord::pending(&item_key(0));
        rec.state = ItemState::Sending;
        rec.intent_at = Some(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_millis() as i64,
        );
        rec.attempts = 2;
        j.record("r", &rec).expect("record");
    }
    let before = creates(&emu);
    let (code, out, err) = run(&mut fleet_run(&emu, &manifest, &journal, "r", &[]));
    assert_eq!(code, 7, "{out}\n{err}");
    assert!(out.contains("fleet.ambiguous"), "{out}");
    assert!(err.contains("unknown (1 unknown)"), "{err}");
    assert_eq!(creates(&emu), before, "nothing created");
}

#[test]
fn a_journal_held_by_a_running_fleet_exits_8_and_nothing_is_duplicated() {
    let emu = emulator_with(Duration::from_secs(2), |_| {});
    let dir = temp_dir("locked");
    let manifest = write_manifest(&dir, "f", 4);
    let journal = dir.join("j.db");
    let first = spawn(fleet_run(
        &emu,
        &manifest,
        &journal,
        "r",
        &["--parallel", "4"],
    ));
    wait_until("the first run's creates", || {
        some_item(&journal, "r", "submitted")
    });
    // Status reads the journal while the first run holds it.
    let (code, out, err) = run(ims(None)
        .args(["fleet", "status", "--journal"])
        .arg(&journal));
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("fleet f") && out.contains("run r"), "{out}");
    assert!(
        out.contains("submitted") || out.contains("sending"),
        "{out}"
    );
    let (code, out, err) = run(&mut fleet_run(&emu, &manifest, &journal, "r", &[]));
    assert_eq!(code, 8, "{out}\n{err}");
    assert!(err.contains("held by another process"), "{err}");
    let (code, out, err) = finish(first);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(creates(&emu), 4, "creates from the first run only");
    assert_one_image_per_item(&emu, "f", "r", 4);
    let (code, out, _) = run(ims(None)
        .args([
            "--output",
            "json",
            "fleet",
            "status",
            "--run",
            "r",
            "--journal",
        ])
        .arg(&journal));
    assert_eq!(code, 0);
    let doc = json(&out);
    assert_eq!(doc["runs"][0]["states"]["succeeded"], 4, "{doc}");
}

#[test]
fn a_journal_locked_by_another_process_exits_8_before_anything_is_sent() {
    let emu = emulator_with(Duration::ZERO, |_| {});
    let dir = temp_dir("flock");
    let manifest = write_manifest(&dir, "f", 2);
    let journal = dir.join("j.db");
    let _held = SqliteJournal::open(&journal).expect("held here");
    let (code, _, err) = run(&mut fleet_run(
        &emu,
        &manifest,
        &journal,
        "r",
        &["--fleet", "f"],
    ));
    assert_eq!(code, 8, "{err}");
    assert!(err.contains("held by another process"), "{err}");
    assert_eq!(emu.stats().requests_total, 0);
    // A dry run reads the journal without its lock: it plans beside the holder.
    let (code, out, err) = run(&mut fleet_run(
        &emu,
        &manifest,
        &journal,
        "r",
        &["--fleet", "f", "--dry-run"],
    ));
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("(dry run)"), "{out}");
    assert_eq!(creates(&emu), 0);
}

#[test]
fn a_run_larger_than_the_quota_exits_10_before_any_create() {
    let emu = emulator_with(Duration::ZERO, |c| c.settings.image_quota = 4);
    let dir = temp_dir("quota");
    let manifest = write_manifest(&dir, "f", 5);
    let journal = dir.join("j.db");
    let (code, _, err) = run(&mut fleet_run(&emu, &manifest, &journal, "r", &[]));
    assert_eq!(code, 10, "{err}");
    assert!(
        err.contains("make 5 images") && err.contains("leaves 4"),
        "{err}"
    );
    assert_eq!(creates(&emu), 0);
    // Allowed: it makes what fits, and the rest fails on the service's quota.
    let (code, _, err) = run(&mut fleet_run(
        &emu,
        &manifest,
        &journal,
        "r",
        &["--allow-partial"],
    ));
    assert_eq!(code, 5, "{err}");
    assert_eq!(creates(&emu), 5);
}

#[test]
fn bad_manifests_exit_2_naming_every_line_and_send_nothing() {
    let emu = emulator_with(Duration::ZERO, |_| {});
    let dir = temp_dir("badman");
    let manifest = dir.join("bad.jsonl");
    let good = r#"{"key": "a", "name": "n", "backup_id": "b-1"}"#;
    std::fs::write(
        &manifest,
        format!(
            "{good}\n{{not json\n{good}\n{{\"name\": \"n\", \"backup_id\": \"b-2\", \"colour\": \"red\"}}\n{{\"key\": \"c\", \"name\": \"n\", \"backup_id\": \"b-1\"}}\n"
        ),
    )
    .expect("written");
    let journal = dir.join("j.db");
    let (code, out, err) = run(&mut fleet_run(&emu, &manifest, &journal, "r", &[]));
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(err.contains("manifest line 2: $: json"), "malformed: {err}");
    assert!(
        err.contains("manifest line 3: key: unique"),
        "duplicate key: {err}"
    );
    assert!(
        err.contains("manifest line 4") && err.contains("colour"),
        "unknown field: {err}"
    );
    assert!(
        err.contains("manifest line 5: backup_id: unique"),
        "backup twice: {err}"
    );
    assert!(err.contains("nothing was sent"), "{err}");
    assert!(!journal.exists(), "no journal made for a bad manifest");
    // A manifest that cannot be read.
    let (code, _, err) = run(&mut fleet_run(
        &emu,
        &dir.join("missing.jsonl"),
        &journal,
        "r",
        &[],
    ));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("missing.jsonl: cannot read it"), "{err}");
    assert_eq!(emu.stats().requests_total, 0);
}

#[test]
fn bad_options_exit_2_and_send_nothing() {
    let emu = emulator_with(Duration::ZERO, |_| {});
    let dir = temp_dir("badopt");
    let manifest = write_manifest(&dir, "f", 1);
    let journal = dir.join("j.db");
    for (extra, needle) in [
        (&["--parallel", "41"][..], "parallel: range"),
        (&["--parallel", "0"][..], "parallel: range"),
        (&["--keep", "0"][..], "keep: range"),
        (&["--reconcile-grace", "-1"][..], "--reconcile-grace -1"),
        (&["--relist-interval", "0"][..], "--relist-interval 0"),
        (&["--interval", "nan"][..], "--interval"),
        (&["--delete-backup"][..], "--keep"),
        (&["--parallel", "x"][..], "invalid value"),
    ] {
        let (code, _, err) = run(&mut fleet_run(&emu, &manifest, &journal, "r", extra));
        assert_eq!(code, 2, "{extra:?}: {err}");
        assert!(err.contains(needle), "{extra:?}: {err}");
    }
    let (code, _, err) = run(&mut fleet_run(&emu, &manifest, &journal, "", &[]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("run: length"), "{err}");
    assert_eq!(emu.stats().requests_total, 0);
}

#[test]
fn corrupt_unreadable_and_other_fleets_journals_are_refused_before_anything_is_sent() {
    let emu = emulator_with(Duration::ZERO, |_| {});
    let dir = temp_dir("badjournal");
    let manifest = write_manifest(&dir, "f", 1);
    // Not a SQLite file.
    let garbage = dir.join("garbage.db");
    std::fs::write(
        &garbage,
        b"this is not a journal, it is a shopping list\n".repeat(200),
    )
    .expect("written");
    let (code, _, err) = run(&mut fleet_run(
        &emu,
        &manifest,
        &garbage,
        "r",
        &["--fleet", "f"],
    ));
    assert_eq!(code, 9, "{err}");
    assert!(err.contains("not a readable fleet journal"), "{err}");
    // Without --fleet the journal is read for its fleet: the same refusal.
    let (code, _, err) = run(&mut fleet_run(&emu, &manifest, &garbage, "r", &[]));
    assert_eq!(code, 9, "{err}");
    let (code, _, err) = run(ims(None)
        .args(["fleet", "status", "--journal"])
        .arg(&garbage));
    assert_eq!(code, 9, "{err}");
    // A SQLite database of another application.
    let foreign = dir.join("foreign.db");
    {
        let mut j = SqliteJournal::open(dir.join("tmp.db")).expect("journal");
        j.open_run("x", "y").expect("run");
    }
    std::fs::copy(dir.join("tmp.db"), &foreign).expect("copy");
    // A truncated journal: half of a real one.
    let bytes = std::fs::read(&foreign).expect("read");
    let truncated = dir.join("truncated.db");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write");
    let (code, _, err) = run(&mut fleet_run(
        &emu,
        &manifest,
        &truncated,
        "r",
        &["--fleet", "x"],
    ));
    assert!(code == 9, "{code}: {err}");
    // A directory where the journal should be: unreadable.
    let (code, _, err) = run(&mut fleet_run(
        &emu,
        &manifest,
        &dir,
        "r",
        &["--fleet", "f"],
    ));
    assert_eq!(code, 9, "{err}");
    assert!(err.contains(&format!("journal {}", dir.display())), "{err}");
    // Status of a missing journal.
    let (code, _, err) = run(ims(None)
        .args(["fleet", "status", "--journal"])
        .arg(dir.join("none.db")));
    assert_eq!(code, 9, "{err}");
    // Another fleet's journal.
    let (code, _, err) = run(&mut fleet_run(
        &emu,
        &manifest,
        &foreign,
        "r",
        &["--fleet", "f"],
    ));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("belongs to fleet \"x\", not \"f\""), "{err}");
    assert_eq!(emu.stats().requests_total, 0, "nothing sent");
}

#[test]
fn configuration_and_service_errors_before_the_first_create_exit_3_and_4() {
    let dir = temp_dir("cfg");
    let manifest = write_manifest(&dir, "f", 1);
    let journal = dir.join("j.db");
    let (code, _, err) = run(ims(None)
        .args(["fleet", "run"])
        .arg(&manifest)
        .arg("--journal")
        .arg(&journal)
        .args(["--run", "r"]));
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("no endpoint"), "{err}");
    // Nothing listens there: the quota call fails before any create.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let (code, _, err) = run(ims(None)
        .args([
            "--endpoint",
            &format!("http://127.0.0.1:{port}"),
            "--project-id",
        ])
        .arg("0123456789abcdef0123456789abcdef")
        .args(["fleet", "run"])
        .arg(&manifest)
        .arg("--journal")
        .arg(&journal)
        .args(["--run", "r"]));
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("before the first create"), "{err}");
}

#[test]
fn ctrl_c_stops_new_creates_exits_130_and_a_rerun_resumes() {
    let emu = emulator_with(Duration::from_secs(2), |_| {});
    let dir = temp_dir("sigint");
    let manifest = write_manifest(&dir, "f", 6);
    let journal = dir.join("j.db");
    let child = spawn(fleet_run(
        &emu,
        &manifest,
        &journal,
        "r",
        &["--parallel", "2"],
    ));
    wait_until("two items submitted", || {
        journal.exists()
            && SqliteJournal::open_read_only(&journal)
                .and_then(|j| j.runs())
                .is_ok_and(|runs| {
                    runs.iter()
                        .flat_map(|r| &r.items)
                        .filter(|i| i.state == ItemState::Submitted)
                        .count()
                        == 2
                })
    });
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let (code, out, err) = finish(child);
    assert_eq!(code, 130, "{out}\n{err}");
    assert!(err.contains("2 item(s) in flight"), "{err}");
    assert!(err.contains("srv-000: submitted job "), "{err}");
    assert_eq!(creates(&emu), 2, "no create after Ctrl-C");
    let (code, out, err) = run(&mut fleet_run(
        &emu,
        &manifest,
        &journal,
        "r",
        &["--parallel", "6"],
    ));
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(
        creates(&emu),
        6,
        "the two in flight were waited for, not sent again"
    );
    assert_one_image_per_item(&emu, "f", "r", 6);
}

#[test]
fn a_dry_run_sends_no_create_and_writes_no_journal() {
    let emu = emulator_with(Duration::ZERO, |_| {});
    let dir = temp_dir("dry");
    let manifest = write_manifest(&dir, "f", 3);
    let journal = dir.join("j.db");
    let (code, out, err) = run(&mut fleet_run(
        &emu,
        &manifest,
        &journal,
        "r",
        &["--dry-run", "--output", "json"],
    ));
    // Nothing was made, by design: the plan is the result.
    assert_eq!(code, 0, "{out}\n{err}");
    let docs: Vec<_> = out.lines().map(json).collect();
    assert_eq!(docs.len(), 4);
    assert!(docs[..3].iter().all(|d| d["action"] == "create"), "{out}");
    assert_eq!(docs[3]["dry_run"], true);
    assert!(!journal.exists());
    assert_eq!(creates(&emu), 0);
}

#[test]
fn images_list_quota_and_delete() {
    let emu = emulator_with(Duration::ZERO, |c| {
        c.settings.image_quota = 50;
        c.settings.delete_delay = Duration::ZERO;
    });
    let dir = temp_dir("images");
    let manifest = write_manifest(&dir, "f", 2);
    let (code, _, err) = run(&mut fleet_run(&emu, &manifest, &dir.join("j.db"), "r", &[]));
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(ims(Some(&emu)).args(["images", "quota"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("used: 2") && out.contains("quota: 50") && out.contains("remaining: 48"),
        "{out}"
    );
    let (code, out, _) = run(ims(Some(&emu)).args(["--output", "json", "images", "quota"]));
    assert_eq!(code, 0);
    assert_eq!(json(&out)["remaining"], 48);
    let tag = FleetTag::new("f", "r", &item_key(1));
    let (code, out, err) = run(ims(Some(&emu)).args([
        "--output",
        "json",
        "images",
        "list",
        "--tag",
        &tag.filter(),
        "--whole-image",
        "true",
        "--imagetype",
        "private",
        "--sort-key",
        "created_at",
        "--sort-dir",
        "asc",
        "--page-size",
        "1",
    ]));
    assert_eq!(code, 0, "{err}");
    let doc = json(&out);
    let images = doc["images"].as_array().expect("images");
    assert_eq!(images.len(), 1, "{doc}");
    assert_eq!(images[0]["name"], "img-1");
    let id = images[0]["id"].as_str().expect("id").to_owned();
    let (code, out, _) = run(ims(Some(&emu)).args(["images", "list", "--status", "active"]));
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.contains(&id));
    let (code, out, err) = run(ims(Some(&emu)).args(["images", "delete", &id]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("accepted"), "{out}");
    wait_until("the deleted image leaves the list", || {
        live_images(&core_client(&emu), "f", "r", &item_key(1)).is_empty()
    });
    let (code, _, err) = run(ims(Some(&emu)).args(["images", "delete", &id]));
    assert_eq!(code, 4, "a deleted image is not found: {err}");
    for (args, needle) in [
        (&["images", "list", "--page-size", "0"][..], "page_size"),
        (&["images", "list", "--sort-dir", "up"][..], "sort_dir"),
        (&["images", "list", "--tag", "novalue"][..], "KEY=VALUE"),
        (
            &["images", "list", "--whole-image", "maybe"][..],
            "invalid value",
        ),
    ] {
        let (code, _, err) = run(ims(Some(&emu)).args(args));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}
